"""The steps people take through the gateway, shared by the end-to-end tests: staff accounts, a certified
jobcoach, a complete portfolio, and a case from submission to decision.

Everything goes through the HTTP API as a frontend would, except what outside systems do: the payment
provider's webhook is signed here with the system's secret, and Noloc's events are published raw.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

from recert_common.clock import platform_today
from recert_common.rules import add_years

from frontend import PASSWORD, Frontend, Person, unique_email
from processes import System
from waiting import wait_for

# The day the module was imported: for inputs (when an activity was done, when a certificate expires). A date
# the platform derives from the moment of a request is expected as ``platform_today()`` at the assertion: a
# run may cross midnight in Amsterdam.
TODAY = platform_today()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WEBHOOK_SECRET = "webhook-secret-of-the-tests"

POSITIVE_FORM = {
    "parts": {"A1": {"verdict": "meets", "findings": "Het cv is helder en volledig."},
              "A3": {"verdict": "meets", "findings": "Een diepgaande reflectie."},
              "B": {"verdict": "meets", "findings": "Ruim voldoende PE in categorie 1."}},
    "feedback": {"A2": "Goede terugblik.", "A4": "Maak het plan concreter."},
    "development_advice": "Verdiep je in arbeidsrecht.",
    "advice": "positive",
}


def form(advice: str, failing: tuple[str, ...] = ()) -> dict:
    parts = {part: ({"verdict": "does_not_meet", "findings": f"{part} is te summier."} if part in failing
                    else value) for part, value in POSITIVE_FORM["parts"].items()}
    body = {**POSITIVE_FORM, "advice": advice, "parts": parts}
    if advice == "postponed":
        body["supplements"] = [{"part": part, "assignment": f"Werk {part} opnieuw uit."} for part in failing]
    return body


def eventually(check, timeout: float = 30.0, what: str = "the expected state", interval: float = 0.1):
    """Events take a moment to travel: poll ``check`` until it returns something truthy."""
    return wait_for(check, timeout=timeout, interval=interval, message=what)


def ok(response, status: int = 200):
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.text}"
    return response.json() if response.content else None


def record(app: Frontend, person: Person, category: int, amount, unit: str = "sbu",
           days_ago: int = 30) -> dict:
    return ok(app.post("pe/activities", person, json={
        "title": f"Activiteit categorie {category}", "provider": "Opleider B.V.", "category": category,
        "completed_on": str(TODAY - timedelta(days=days_ago)), "amount": str(amount), "unit": unit}), 201)


def upload(app: Frontend, person: Person, activity_id: str, content: bytes,
           filename: str = "certificaat.pdf", content_type: str = "application/pdf"):
    return app.post(f"pe/activities/{activity_id}/evidence", person, data=content,
                    headers={"Content-Type": content_type,
                             "Content-Disposition": f'attachment; filename="{filename}"'})


def payment_notification(invoice: dict) -> tuple[str, dict[str, str]]:
    """The payment provider's notification that ``invoice`` is paid (a new id each time), and the headers
    that sign it with the shared secret."""
    body = json.dumps({"id": f"pay-{uuid.uuid4()}", "type": "payment.succeeded",
                       "invoice_number": invoice["number"], "amount": invoice["gross"]["amount"],
                       "currency": "EUR", "paid_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    signed_at = int(time.time())
    signature = hmac.new(WEBHOOK_SECRET.encode(), f"{signed_at}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Signature": f"t={signed_at},v1={signature}"}


def certified_coach(app: Frontend, system: System, valid_until: date, timeout: float = 30.0) -> Person:
    """A jobcoach with a certificate valid until ``valid_until``, announced as certification would, once
    portfolio and pe-registry know it."""
    person = app.login(app.register())
    system.publish("certification.certificate.registered", {
        "certificate_id": uuid.uuid4(), "certificate_number": f"RJ-{uuid.uuid4().hex[:8].upper()}",
        "account_id": person.id, "valid_from": add_years(valid_until, -4), "valid_until": valid_until,
    }, subject=person.id, producer="assessment")
    eventually(lambda: app.get("portfolio/cycles/current", person).status_code == 200, timeout)
    eventually(lambda: (app.get("pe/summary", person).json().get("period") or {}).get("source")
               == "certificate", timeout)
    return person


def file_objection(app: Frontend, person: Person, case: dict, reason: str) -> dict:
    """The jobcoach objects (bezwaar) to the case's latest decision."""
    return ok(app.post(f"cases/{case['id']}/objections", person, json={"reason": reason}), 201)


def missing_parts(app: Frontend, person: Person) -> dict[str, list[str]]:
    readiness = ok(app.get("portfolio/cycles/current/readiness", person))
    return {part: [m["code"] for m in body["missing"]] for part, body in readiness["parts"].items()
            if body["missing"]}


def complete_portfolio(app: Frontend, person: Person) -> None:
    """Everything a portfolio needs, checking after each step that the readiness check follows."""
    assert set(missing_parts(app, person)) == {"A1", "A2", "A3", "A4", "B"}
    for part, text in (("A1", "Mijn loopbaan; de laatste vier jaar in detail."), ("A2", "Terugblik."),
                       ("A4", "Ontwikkelplan voor de komende jaren.")):
        a1_declarations = {"executive_jobcoach_declared": True,
                           "currently_executive_jobcoach_declared": True}
        body = {"text": text, **(a1_declarations if part == "A1" else {})}
        ok(app.put(f"portfolio/cycles/current/parts/{part}", person, json=body))
    assert set(missing_parts(app, person)) == {"A3", "B"}

    required = ok(app.get("portfolio/cycles/current/readiness", person))["required_reflection_meetings"]
    meeting_ids = []
    for n in range(required):
        meeting = {"met_on": str(TODAY - timedelta(days=40 + n)), "kind": "intervision", "group_name": "Oost"}
        created = ok(app.post("portfolio/cycles/current/meetings", person, json=meeting), 201)
        ok(app.post(f"portfolio/meetings/{created['id']}/proof", person, data=PDF + bytes([n]),
                    headers={"Content-Type": "application/pdf",
                             "Content-Disposition": f'attachment; filename="verslag-{n}.pdf"'}), 201)
        meeting_ids.append(created["id"])
    assert "A3" in missing_parts(app, person)  # the meetings are there, the reflection report is not
    report = {"text": "Reflectie op de intervisie.", "meeting_id": meeting_ids[0]}
    ok(app.put("portfolio/cycles/current/parts/A3", person, json=report))
    assert set(missing_parts(app, person)) == {"B"}

    for amount, days_ago in ((45, 30), (30, 60)):
        activity = record(app, person, 1, amount, days_ago=days_ago)
        ok(upload(app, person, activity["id"], PDF + str(amount).encode()), 201)
    eventually(lambda: not missing_parts(app, person), what="a ready portfolio")


class Office:
    """The staff of Noloc and DNV, logged in through the gateway."""

    def __init__(self, system: System, app: Frontend):
        self.system, self.app = system, app
        admin_email = unique_email("admin")
        result = subprocess.run(
            [sys.executable, "-m", "recert_identity", "create-admin", admin_email, "Ada Beheer",
             "--password-stdin"], input=PASSWORD, env=system.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        self.admin = app.login(Person(admin_email, PASSWORD))
        self.dnv = self.staff("dnv_officer", "Dirk van DNV")
        self.assessors = [self.staff("assessor", f"Anne Beoordelaar {n}") for n in (1, 2)]

    def staff(self, role: str, name: str) -> Person:
        person = Person(unique_email(role), PASSWORD)
        person.account = ok(self.app.post("admin/accounts", self.admin, json={
            "email": person.email, "full_name": name, "password": PASSWORD, "roles": [role]}), 201)
        return self.app.login(person)

    # -- certificates ----------------------------------------------------------------------------------------
    def certify(self, person: Person, valid_until: date) -> str:
        """Load the jobcoach's certificate as Noloc's administrator does, by CSV; returns its number."""
        number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
        row = (f"{person.account['membership_number']},{number},{valid_until.isoformat()},{person.email},"
               f"{person.account['full_name']}")
        csv = f"noloc_number,certificate_number,valid_until,email,name\n{row}\n"
        ok(self.app.post("certificates/import", self.admin, data=csv.encode(),
                         headers={"Content-Type": "text/csv"}))
        eventually(lambda: self.app.get("portfolio/cycles/current", person).status_code == 200,
                   what="the portfolio cycle")
        eventually(lambda: ok(self.app.get("pe/summary", person))["period"]["source"] == "certificate",
                   what="the PE period")
        return number

    def register(self, number: str) -> dict:
        """The public register's entry, without a token."""
        return ok(self.app.get(f"register/{number}"))

    # -- the case ----------------------------------------------------------------------------------------
    def case_of(self, person: Person, count: int = 1) -> dict:
        """The jobcoach's newest case, once ``count`` cases exist."""
        def found():
            items = ok(self.app.get("cases", self.dnv, params={"account_id": person.id}))["items"]
            return items if len(items) >= count else None
        return max(eventually(found, what="the case"), key=lambda case: case["opened_at"])

    def case(self, case_id: str) -> dict:
        return ok(self.app.get(f"cases/{case_id}", self.dnv))

    def pe_check(self, case: dict, *, passed: bool = True, findings: tuple[str, ...] = ()) -> dict:
        """DNV completes the PE check: passed, or failed with ``findings`` (their texts)."""
        return ok(self.app.post(f"cases/{case['id']}/pe-check", self.dnv,
                                json={"passed": passed, "findings": [{"text": text} for text in findings]}))

    def pay(self, person: Person, kind: str) -> dict:
        """The payment provider reports the open invoice of ``kind`` paid, signed with the shared secret."""
        invoice = eventually(lambda: next(iter(ok(self.app.get(
            "invoices", person, params={"kind": kind, "state": "open"}))["items"]), None),
            what=f"an open {kind} invoice")
        body, headers = payment_notification(invoice)
        answer = ok(self.app.post("payments/webhook", data=body, headers=headers))
        assert answer["status"] == "paid", answer
        return invoice

    def ready_for_assessor(self, person: Person, count: int = 1) -> dict:
        case = self.case_of(person, count)
        self.pe_check(case)
        self.pay(person, "recertification")
        eventually(lambda: self.case(case["id"])["state"] == "ready_for_assignment", what="payment applied")
        return self.case(case["id"])

    def assign(self, case: dict, assessor: Person):
        return self.app.post(f"cases/{case['id']}/assessor", self.dnv, json={"assessor_id": assessor.id})

    def advise(self, case: dict, assessor: Person, body: dict):
        return self.app.post(f"cases/{case['id']}/advice", assessor, json=body)

    def decide(self, case: dict, decision: str, reason: str | None = None) -> dict:
        return ok(self.app.post(f"cases/{case['id']}/decision", self.dnv,
                                json={"decision": decision, **({"reason": reason} if reason else {})}), 201)

    def decide_objection(self, case: dict, objection: dict, outcome: str, reason: str) -> dict:
        """DNV's outcome of the jobcoach's ``objection`` (upheld or rejected), with its reason."""
        return ok(self.app.post(f"cases/{case['id']}/objections/{objection['id']}/outcome", self.dnv,
                                json={"outcome": outcome, "reason": reason}))
