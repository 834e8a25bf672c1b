"""The whole system with a person of every kind logged in and a real resource of every kind to act on: what
the fuzzing and authorization tests work against.

``start_system`` runs all six services, their workers and the gateway on free ports. ``populate`` then goes
through the platform as its users do, only by HTTP through the gateway (the first Noloc admin excepted, who
comes from identity's ``create-admin`` command as an operator makes one):

- the Noloc admin creates an assessor, a second assessor and a DNV officer with identity's admin API; every
  person logs in with password and TOTP;
- two jobcoaches register; the DNV officer loads their certificates by CSV import;
- ``jobcoach`` builds a complete portfolio (parts, reflection meetings with proof, PE activities with
  evidence), submits it, withdraws it (its invoice is cancelled with a credit note) and submits it again;
  the DNV officer passes the PE check, the payment provider's signed webhook pays the invoice, the DNV
  officer assigns ``assessor``, who advises "postponed", the DNV officer decides so, and the jobcoach
  objects: a case in ``supplement_due`` with a form, a decision, an objection and a supplement;
- ``jobcoach`` (and ``draft_jobcoach``) invited ``mentor`` with consent (ADR 0028); a spare mentor waits;
- ``draft_jobcoach`` has a cycle in progress with spare resources that may be changed or deleted;
  ``visitor`` (a jobcoach without certificate) is the one the tests of login, refresh and logout use.

``World.resources`` names every id the tests put into paths. ``OPERATIONS`` holds one well-formed request
for every operation of the API, which both tests send (the matrix as each kind of caller).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from recert_billing import signature
from recert_common.clock import platform_today

from frontend import (
    PASSWORD,
    RESET_PASSWORD,
    VERIFY_EMAIL,
    Frontend,
    Person,
    outbox_tokens,
    unique_email,
    unique_member_number,
)
from ports import free_port
from processes import System
from waiting import wait_for

SERVICES = ("identity", "portfolio", "pe-registry", "assessment", "notifications", "billing")
# The day the module was imported: for inputs (when an activity was done, when a certificate expires). A date
# the platform derives from the moment of a request is expected as ``platform_today()`` at the assertion: a
# run may cross midnight in Amsterdam.
TODAY = platform_today()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV_HEADER = "noloc_number,certificate_number,valid_until,email,name\n"


def start_system(infra, log_dir: Path, **extra_env: str) -> System:
    """Every service with its worker, and the gateway, started; the caller stops it.

    Each system gets databases of its own: the run's (``infra.database_url(service)``) are shared by every
    system of the run, and another module's identity would have left signing keys there encrypted with a
    secrets key this system does not have.
    """
    tag = uuid.uuid4().hex[:6]
    env = {
        **{f"RECERT_{name.upper().replace('-', '_')}_DATABASE_URL": infra.database_url(f"{name}-{tag}")
           for name in SERVICES},
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_BILLING_WEBHOOK_SECRET": uuid.uuid4().hex,
        # The tokens made at the start must last a module's run (the default, 15 minutes, is production's).
        "RECERT_IDENTITY_ACCESS_TOKEN_TTL_SECONDS": "3600",
        # No mail server listens here: every e-mail fails for good at its first try, so that an operator's
        # list of failed e-mails has something in it.
        "RECERT_SMTP_PORT": str(free_port()),
        "RECERT_SMTP_TIMEOUT_SECONDS": "1",
        "RECERT_NOTIFICATIONS_SEND_MAX_ATTEMPTS": "1",
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.5",
        **extra_env,
    }
    system = System(infra, list(SERVICES), log_dir, extra_env=env)
    try:
        return system.start()
    except Exception:
        print(system.logs())
        system.stop()
        raise


def eventually(check: Callable[[], Any], timeout: float = 30.0, what: str = "the expected state") -> Any:
    """Events take a moment to travel: poll ``check`` until it returns something truthy."""
    return wait_for(check, timeout=timeout, interval=0.1, message=what)


def signed(secret: str, document: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A payment provider's webhook body and its headers."""
    body = json.dumps(document).encode()
    return body, {"Content-Type": "application/json", signature.HEADER: signature.sign(secret, body)}


def _ok(response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), \
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:500]}"
    return response.json() if response.content else {}


@dataclass
class World:
    """The running system, its people (logged in, by name) and the ids of their resources."""

    system: System
    app: Frontend
    people: dict[str, Person] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    # The visitor's session, which the refresh test rotates from person to person.
    refresh_token: str | None = None

    @property
    def webhook_secret(self) -> str:
        return self.system.env["RECERT_BILLING_WEBHOOK_SECRET"]

    def token(self, name: str) -> str:
        return self.people[name].access_token

    def person(self, name: str) -> Person:
        return self.people[name]

    # --- people --------------------------------------------------------------------------------------

    def create_first_admin(self) -> Person:
        """The first Noloc admin, as an operator makes one: identity's command line."""
        person = Person(unique_email("admin"), PASSWORD)
        result = subprocess.run(
            [sys.executable, "-m", "recert_identity", "create-admin", person.email, "Noor Beheer",
             "--password-stdin"], input=PASSWORD + "\n", env=self.system.env, capture_output=True,
            text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        person.account = {"id": json.loads(result.stdout)["account_id"]}
        return self.app.login(person)

    def create_staff(self, role: str, name: str, *, login: bool = True) -> Person:
        person = Person(unique_email(role), PASSWORD)
        person.account = _ok(self.app.post("admin/accounts", self.people["noloc_admin"], json={
            "email": person.email, "full_name": name, "password": PASSWORD, "roles": [role]}), 201)
        return self.app.login(person) if login else person

    def register_jobcoach(self, name: str) -> Person:
        return self.app.login(self.app.register(full_name=name, number=unique_member_number()))

    def load_certificate(self, person: Person, valid_until: date) -> str:
        """The DNV officer imports the jobcoach's certificate; portfolio opens the cycle as a result."""
        number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
        csv = (f"{CSV_HEADER}{person.account['membership_number']},{number},{valid_until.isoformat()},"
               f"{person.email},{person.account['full_name']}\n")
        _ok(self.app.post("certificates/import", self.people["dnv_officer"], data=csv.encode(),
                          headers={"Content-Type": "text/csv"}))
        eventually(lambda: self.app.get("portfolio/cycles/current", person).status_code == 200,
                   what="a cycle for the imported certificate")
        eventually(lambda: self.app.get("pe/summary", person).json()["period"]["source"] == "certificate",
                   what="the PE period of the certificate")
        return number

    def load_waiting_certificate(self) -> str:
        """A certificate whose holder (Noloc's address) has no account: it waits; its id."""
        number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
        csv = (f"{CSV_HEADER}{unique_member_number()},{number},{(TODAY + timedelta(days=500)).isoformat()},"
               f"{unique_email('holder')},Wachtende Houder\n")
        _ok(self.app.post("certificates/import", self.people["dnv_officer"], data=csv.encode(),
                          headers={"Content-Type": "text/csv"}))
        return _ok(self.app.get("certificates", self.people["dnv_officer"], params={"number": number})
                   )["items"][0]["id"]

    # --- resources -----------------------------------------------------------------------------------

    def record_activity(self, person: Person, points: int, category: int = 1) -> dict[str, Any]:
        return _ok(self.app.post("pe/activities", person, json={
            "title": f"Training categorie {category}", "provider": "Opleider B.V.", "category": category,
            "completed_on": str(TODAY - timedelta(days=30)), "amount": str(points), "unit": "sbu"}), 201)

    def upload_evidence(self, person: Person, activity_id: str, salt: bytes) -> dict[str, Any]:
        return _ok(self.app.post(f"pe/activities/{activity_id}/evidence", person, data=PDF + salt, headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": 'attachment; filename="certificaat.pdf"'}), 201)

    def add_meeting(self, person: Person, days_ago: int, *, proof: bool = True) -> dict[str, Any]:
        meeting = _ok(self.app.post("portfolio/cycles/current/meetings", person, json={
            "met_on": str(TODAY - timedelta(days=days_ago)), "kind": "intervision",
            "group_name": "Intervisiegroep Oost"}), 201)
        if proof:
            _ok(self.app.post(f"portfolio/meetings/{meeting['id']}/proof", person,
                              data=PDF + str(days_ago).encode(),
                              headers={"Content-Type": "application/pdf",
                                       "Content-Disposition": 'attachment; filename="verslag.pdf"'}), 201)
        return meeting

    def complete_portfolio(self, person: Person) -> list[dict[str, Any]]:
        """Parts, the required reflection meetings with proof and 75 PE points: ready to submit."""
        for part, text in (("A1", "Mijn loopbaan; de laatste vier jaar in detail."), ("A2", "Terugblik."),
                           ("A4", "Ontwikkelplan voor de komende jaren.")):
            a1_declarations = {"executive_jobcoach_declared": True,
                               "currently_executive_jobcoach_declared": True}
            body = {"text": text, **(a1_declarations if part == "A1" else {})}
            _ok(self.app.put(f"portfolio/cycles/current/parts/{part}", person, json=body))
        readiness = _ok(self.app.get("portfolio/cycles/current/readiness", person))
        required = readiness["required_reflection_meetings"]
        meetings = [self.add_meeting(person, 40 + n) for n in range(required)]
        _ok(self.app.put("portfolio/cycles/current/parts/A3", person, json={
            "text": "Reflectie op de intervisie.", "meeting_id": meetings[0]["id"]}))
        activities = [self.record_activity(person, 45), self.record_activity(person, 30)]
        self.upload_evidence(person, activities[0]["id"], b"first")
        self.upload_evidence(person, activities[1]["id"], b"second")  # only activities with evidence count
        eventually(lambda: not any(
            body["missing"] for body in self.app.get("portfolio/cycles/current/readiness", person)
            .json()["parts"].values()), what="a complete portfolio")
        return meetings

    def case_of(self, person: Person, state: str | None = None) -> dict[str, Any]:
        """The jobcoach's newest case as the DNV officer lists it (in ``state``, when given)."""
        def find():
            page = self.app.get("cases", self.people["dnv_officer"],
                                params={"account_id": person.id}).json()
            items = [case for case in page["items"] if state is None or case["state"] == state]
            return items[0] if items else None
        return eventually(find, what=f"a case in state {state or 'any'}")

    def invoice_of(self, person: Person, submission_id: str) -> dict[str, Any]:
        def find():
            items = self.app.get("invoices", person, params={"kind": "recertification"}).json()["items"]
            return next((i for i in items if i["submission_id"] == submission_id), None)
        return eventually(find, what="the recertification invoice")

    def pay(self, invoice: dict[str, Any]) -> None:
        body, headers = signed(self.webhook_secret, {
            "id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "invoice_number": invoice["number"],
            "amount": invoice["gross"]["amount"], "currency": "EUR",
            "paid_at": datetime.now(UTC).isoformat()})
        _ok(self.app.post("payments/webhook", data=body, headers=headers), 200)


def populate(system: System) -> World:
    """People of every kind, logged in, and a resource of every kind (see the module's docstring)."""
    world = World(system, Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity"))))
    app, people, res = world.app, world.people, world.resources
    people["noloc_admin"] = world.create_first_admin()
    people["assessor"] = world.create_staff("assessor", "Bram Beoordelaar")
    people["other_assessor"] = world.create_staff("assessor", "Ria Beoordelaar")
    people["dnv_officer"] = dnv = world.create_staff("dnv_officer", "Dirk Visser")
    people["mentor"] = world.create_staff("mentor", "Mila Mentor")
    people["dnv_support"] = world.create_staff("dnv_support", "Sam Support")
    people["jobcoach"] = coach = world.register_jobcoach("Anna de Vries")
    people["draft_jobcoach"] = draft = world.register_jobcoach("Piet Concept")
    # Logs in and refreshes on behalf of the tests of the login endpoints, so that nobody else's session
    # is touched by them.
    people["visitor"] = world.register_jobcoach("Vera Bezoeker")
    # Closes their account (POST /accounts/me/close), so that nobody else's is closed by a test.
    people["closing_jobcoach"] = world.register_jobcoach("Kim Opzegger")
    # Forgets her password over and over for the tests of the password reset.
    people["reset_target"] = world.register_jobcoach("Rita Vergeetachtig")
    world.refresh_token = people["visitor"].refresh_token
    res["certificate_number"] = world.load_certificate(coach, TODAY + timedelta(days=60))
    world.load_certificate(draft, TODAY + timedelta(days=400))
    res["waiting_certificate_id"] = world.load_waiting_certificate()

    meetings = world.complete_portfolio(coach)
    res["meeting_id"] = meetings[0]["id"]
    activities = _ok(app.get("pe/activities", coach))["items"]
    res["activity_id"] = activities[0]["id"]
    res["evidence_id"] = next(a for a in activities if a["evidence"])["evidence"][0]["id"]

    # Submitted, withdrawn (its invoice is cancelled with a credit note) and submitted again.
    first = _ok(app.post("portfolio/cycles/current/submit", coach), 201)
    res["cancelled_invoice_id"] = world.invoice_of(coach, first["id"])["id"]
    world.case_of(coach, "opened")
    _ok(app.post("portfolio/cycles/current/withdraw", coach, json={"reason": "Nog een bijlage vergeten."}),
        202)  # asked: assessment grants it, and then portfolio.withdrawn cancels the invoice
    cancelled = f"invoices/{res['cancelled_invoice_id']}"
    eventually(lambda: app.get(cancelled, coach).json()["state"] == "cancelled",
               what="the invoice cancelled after the withdrawal")
    submission = _ok(app.post("portfolio/cycles/current/submit", coach), 201)
    res["submission_id"] = submission["id"]
    res["cycle_id"] = _ok(app.get("portfolio/cycles/current", coach))["id"]

    case = eventually(lambda: next((c for c in app.get("cases", dnv, params={"account_id": coach.id})
                                    .json()["items"] if c["submission_id"] == submission["id"]), None),
                      what="the case of the second submission")
    res["case_id"] = case_id = case["id"]
    res["certificate_id"] = case["certificate_id"]
    _ok(app.post(f"cases/{case_id}/pe-check", dnv, json={"passed": True}))
    invoice = world.invoice_of(coach, submission["id"])
    res["invoice_id"] = invoice["id"]
    world.pay(invoice)
    world.case_of(coach, "ready_for_assignment")
    # Assessment knows assessors from identity's events, which may still be on their way.
    eventually(lambda: app.post(f"cases/{case_id}/assessor", dnv,
                                json={"assessor_id": people["assessor"].id}).status_code == 200,
               what="the assessor assigned")
    eventually(lambda: app.get(f"portfolio/submissions/{submission['id']}", people["assessor"])
               .status_code == 200, what="portfolio learning of the assignment")
    eventually(lambda: app.get(f"pe/activities/{res['activity_id']}", people["assessor"]).status_code == 200,
               what="the PE registry learning of the assignment")
    _ok(app.post(f"cases/{case_id}/advice", people["assessor"], json=POSTPONED_ADVICE), 201)
    _ok(app.post(f"cases/{case_id}/decision", dnv, json={"decision": "postponed"}), 201)
    eventually(lambda: app.get("portfolio/cycles/current/supplement", coach).status_code == 200,
               what="the supplement in the portfolio")
    res["objection_id"] = _ok(app.post(f"cases/{case_id}/objections", coach,
                                       json={"reason": "Mijn cv was volledig."}), 201)["id"]

    # The draft jobcoach's resources, which the tests change, and spare ones they delete.
    res["draft_activity_id"] = world.record_activity(draft, 5)["id"]
    res["spare_activity_id"] = world.record_activity(draft, 3)["id"]
    res["spare_evidence_id"] = world.upload_evidence(draft, res["draft_activity_id"], b"spare")["id"]
    res["draft_meeting_id"] = world.add_meeting(draft, 10, proof=False)["id"]
    res["spare_meeting_id"] = world.add_meeting(draft, 11, proof=False)["id"]
    res["spare_account_id"] = world.create_staff("assessor", "Reserve Een", login=False).id
    # Logged in once, so that it has an authenticator app to reset.
    res["second_spare_account_id"] = world.create_staff("assessor", "Reserve Twee").id
    res["draft_part"], res["supplement_part"] = "A2", "A1"
    # Evidence read for the jobcoach (issue 14): documents of the draft jobcoach, read by pe-registry's
    # worker; one to look at, one to confirm, one to dismiss.
    for name in ("reading_id", "confirm_reading_id", "dismiss_reading_id"):
        res[name] = _ok(app.post("pe/readings", draft, data=PDF + name.encode(), headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": 'attachment; filename="certificaat.pdf"'}), 202)["id"]

    # Mentors (ADR 0028): ``mentor`` is the jobcoach's mentor, invited with her consent (and the draft
    # jobcoach's, whose mentorship a test ends); a spare mentor whom both may still invite.
    consent = {"drafts": True, "meetings": True, "pe_summary": True}
    for name, key in (("jobcoach", "mentorship_id"), (D, "spare_mentorship_id")):
        res[key] = eventually(lambda name=name: (r := app.post("portfolio/mentorships", people[name], json={
            "mentor_id": people["mentor"].id, "consent": consent})).status_code == 201 and r.json()["id"],
            what="the mentor known to portfolio")
    eventually(lambda: app.get(f"pe/accounts/{coach.id}/summary", people["mentor"]).status_code == 200,
               what="the PE registry learning of the mentorship")
    res["spare_mentor_id"] = world.create_staff("mentor", "Reserve Mentor", login=False).id
    eventually(lambda: any(m["account_id"] == res["spare_mentor_id"] for m in app.get(
        "portfolio/mentors", coach).json()["items"]), what="the spare mentor known to portfolio")

    res["message_id"] = eventually(lambda: (app.get("messages", coach).json()["items"] or [{}])[0].get("id"),
                                   what="a message in the jobcoach's inbox")
    res["failed_email_id"] = eventually(
        lambda: (app.get("messages/failed", people["noloc_admin"]).json()["items"] or [{}])[0].get("id"),
        what="an e-mail that failed for good")

    # The service desk (issue 14, ADR 0029): the jobcoach's request with an attachment, and a logged-out
    # person's request confirmed by the link in its e-mail, whose confirmation gives a link to its thread.
    request = _ok(app.post("desk/requests", coach, json={"subject": "Inloggen", "text": "Het lukt niet."}),
                  201)
    res["desk_request_id"] = request["request"]["id"]
    attach = _upload("desk/requests/{desk_request_id}/attachments")(world, "jobcoach")
    res["desk_attachment_id"] = _ok(attach.send(world, coach.access_token), 201)["id"]
    res["desk_link_token"] = _ok(_desk_confirm(world, None).send(world, None))["token"]
    return world


POSTPONED_ADVICE = {
    "parts": {"A1": {"verdict": "does_not_meet", "findings": "A1 is te summier."},
              "A3": {"verdict": "meets", "findings": "Een diepgaande reflectie."},
              "B": {"verdict": "meets", "findings": "Ruim voldoende PE."}},
    "development_advice": "Verdiep je in arbeidsrecht.", "advice": "postponed",
    "supplements": [{"part": "A1", "assignment": "Werk de laatste vier jaar uit."}],
}


# --- one well-formed request per operation ---------------------------------------------------------------


@dataclass
class Call:
    """One request to the gateway (``path`` after ``/api/v1/``); ``after`` sees its answer."""

    method: str
    path: str
    json: Any = None
    data: bytes | None = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after: Callable[[Any], None] | None = None

    def send(self, world: World, token: str | None):
        kwargs: dict[str, Any] = {"headers": dict(self.headers)}
        for name in ("json", "data", "params"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        response = world.app.call(self.method, self.path, token=token, **kwargs)
        if self.after is not None:
            self.after(response)
        return response


@dataclass(frozen=True)
class Operation:
    """How to ask for one operation well.

    The path is the operation's own, each ``{name}`` filled with the world's resource of that name, or of
    the name ``ids`` gives for it (``{"activity_id": "spare_activity_id"}``); ``people`` names the person
    whose account id fills a ``{name}`` instead. ``json`` and ``params`` may be functions of the world;
    ``build`` replaces all of this for the requests that need more. ``owner`` is the jobcoach whose
    resource the operation acts on (for one's own things: the jobcoach whose things they are); ``persona``
    is someone who may do it (None: anybody).
    """

    owner: str = "jobcoach"
    persona: str | None = "jobcoach"
    ids: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    json: Any = None
    params: Any = None
    build: Callable[[World, str | None], Call] | None = None

    def call(self, world: World, label: str, who: str | None) -> Call:
        """The request ``who`` (a person's name, None for nobody) sends for the operation ``label``."""
        if self.build is not None:
            return self.build(world, who)
        method, path = label.split(" ", 1)

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name in self.people:
                return world.people[self.people[name]].id
            return str(world.resources[self.ids.get(name, name)])

        given = {key: item(world) if callable(item) else item
                 for key, item in (("json", self.json), ("params", self.params)) if item is not None}
        return Call(method, re.sub(r"\{(\w+)\}", value, path).removeprefix("/"), **given)


def _calendar_feed(world: World, who: str | None) -> Call:
    """The jobcoach's calendar feed at its current secret address; public: the token is the secret. Once her
    session has ended (the tests after the matrix), the address last seen."""
    answer = world.app.get("portfolio/wegwijzer/calendar", world.person("jobcoach"))
    if answer.status_code == 200:
        world.resources["calendar_feed_path"] = answer.json()["path"]
    path = world.resources["calendar_feed_path"]
    route, _, token = path.removeprefix("/api/v1/").partition("?token=")
    return Call("GET", route, params={"token": token})


def _verify_email(world: World, who: str | None) -> Call:
    """A fresh registration's link (each token works once), as its owner opens it."""
    body = _registration(world)
    _ok(world.app.post("accounts", json=body), 202)
    return Call("POST", "accounts/verify-email", json={"token": world.app.mail(body["email"], VERIFY_EMAIL),
                                                       "password": body["password"]})


def _reset_password(world: World, who: str | None) -> Call:
    """A fresh link for a jobcoach kept for this (every session of theirs ends), and a new password."""
    target = world.people["reset_target"]
    _ok(world.app.post("auth/password-reset", json={"email": target.email}), 202)
    token = world.app.mail(target.email, RESET_PASSWORD)
    return Call("POST", "auth/password-reset/confirm",
                json={"token": token, "new_password": f"nieuw wachtwoord {uuid.uuid4().hex[:8]}"})


def _change_password(world: World, who: str | None) -> Call:
    person = world.people.get(who) if who else None
    current = person.password if person else PASSWORD
    new = f"{current}!"

    def remember(response) -> None:
        if person is not None and response.status_code == 204:
            person.password = new
    return Call("POST", "accounts/me/password", json={"current_password": current, "new_password": new},
                after=remember)


def _close_account(world: World, who: str | None) -> Call:
    """With the caller's own (current) password."""
    person = world.people.get(who) if who else None
    return Call("POST", "accounts/me/close", json={"password": person.password if person else PASSWORD})


def _verify(world: World, who: str | None) -> Call:
    """Step 1 for the visitor now; step 2 with one of their recovery codes (a TOTP code works once per
    30 s)."""
    visitor = world.people["visitor"]
    challenge = _ok(world.app.login_step1(visitor))
    return Call("POST", "auth/login/verify", json={"challenge_id": challenge["challenge_id"],
                                                   "code": visitor.recovery_codes.pop()})


def _refresh(world: World, who: str | None) -> Call:
    def rotate(response) -> None:
        if response.status_code == 200:
            world.refresh_token = response.json()["refresh_token"]
    return Call("POST", "auth/refresh", json={"refresh_token": world.refresh_token}, after=rotate)


def _import(world: World, who: str | None) -> Call:
    line = (f"{unique_member_number()},RJ-{uuid.uuid4().hex[:8].upper()},{TODAY + timedelta(days=900)},"
            f"{unique_email('holder')},Hanna Houder\n")
    return Call("POST", "certificates/import", data=(CSV_HEADER + line).encode(),
                headers={"Content-Type": "text/csv"})


def _webhook(world: World, who: str | None) -> Call:
    """Signed, for an invoice nobody issued: kept for a person to look at (202)."""
    body, headers = signed(world.webhook_secret, {
        "id": f"evt_{uuid.uuid4().hex}", "type": "payment.succeeded", "invoice_number": "DNV-1999-999999",
        "amount": "242.00", "currency": "EUR", "paid_at": "2026-01-01T10:00:00Z"})
    return Call("POST", "payments/webhook", data=body, headers=headers)


def _upload(path: str) -> Callable[[World, str | None], Call]:
    def build(world: World, who: str | None) -> Call:
        return Call("POST", path.format(**world.resources), data=PDF + uuid.uuid4().bytes, headers={
            "Content-Type": "application/pdf", "Content-Disposition": 'attachment; filename="bewijs.pdf"'})
    return build


def _credential_verification(world: World, who: str | None) -> Call:
    """The verification of the jobcoach's credential, made by their download the first time it is asked
    for (while their session lives) and remembered."""
    if "credential_id" not in world.resources:
        credential = _ok(world.app.get("certificates/mine/credential", world.people["jobcoach"]))
        world.resources["credential_id"] = credential["id"]
    return Call("GET", f"credentials/{world.resources['credential_id']}/verification")


def _registration(world: World) -> dict[str, Any]:
    return {"email": unique_email(), "full_name": "Nieuwe Jobcoach", "password": PASSWORD,
            "membership_number": unique_member_number()}


def _staff_account(world: World) -> dict[str, Any]:
    return {"email": unique_email("staff"), "full_name": "Nieuwe Beoordelaar", "password": PASSWORD,
            "roles": ["assessor"]}


def _visitor_login(world: World) -> dict[str, Any]:
    return {"email": world.people["visitor"].email, "password": world.people["visitor"].password}


def _desk_request(world: World) -> dict[str, Any]:
    return {"email": unique_email("zonder"), "name": "Rosa Zonder Login", "subject": "Telefoon kwijt",
            "text": "Ik kan niet inloggen."}


def _desk_confirm(world: World, who: str | None) -> Call:
    """A fresh logged-out request's confirmation link (each works once), read from the e-mail notifications
    made (there is no mailbox here)."""
    body = _desk_request(world)
    _ok(world.app.post("desk/public/requests", json=body), 202)
    with psycopg.connect(world.system.database_url("notifications")) as conn:
        row = conn.execute("SELECT body_text FROM messages WHERE email_address = %s "
                           "AND template = 'desk_confirm'", (body["email"],)).fetchone()
    token = re.search(r"/hulp/bevestigen\?token=([A-Za-z0-9_-]+)", row[0]).group(1)
    return Call("POST", "desk/public/confirm", json={"token": token})


DNV, ADMIN, D = "dnv_officer", "noloc_admin", "draft_jobcoach"
SUPPORT = "dnv_support"
DRAFT = {"owner": D, "persona": D}
# Keyed by "METHOD path" as the merged OpenAPI document has it, without its /api/v1 prefix.
OPERATIONS: dict[str, Operation] = {
    # identity
    "GET /.well-known/jwks.json": Operation(persona=None),
    "GET /support": Operation(persona=None),
    "POST /accounts": Operation(persona=None, json=_registration),
    "POST /accounts/verify-email": Operation(persona=None, build=_verify_email),
    "GET /accounts/me": Operation(),
    "PATCH /accounts/me": Operation(json={"preferred_language": "nl"}),
    "POST /accounts/me/password": Operation(build=_change_password),
    "GET /admin/accounts": Operation(persona=ADMIN, params={"role": "assessor"}),
    "POST /admin/accounts": Operation(persona=ADMIN, json=_staff_account),
    "GET /admin/accounts/{account_id}": Operation(persona=ADMIN, people={"account_id": "jobcoach"}),
    "POST /admin/accounts/{account_id}/disable": Operation(
        persona=ADMIN, ids={"account_id": "spare_account_id"}, json={"reason": "Uit dienst."}),
    "POST /admin/accounts/{account_id}/totp-reset": Operation(
        persona=ADMIN, ids={"account_id": "second_spare_account_id"}, json={"reason": "Nieuwe telefoon."}),
    "POST /auth/login": Operation(persona=None, json=_visitor_login),
    "POST /auth/login/verify": Operation(persona=None, build=_verify),
    # An unknown refresh token ends nothing and is no error (RFC 7009).
    "POST /auth/logout": Operation(persona=None, json=lambda w: {"refresh_token": uuid.uuid4().hex}),
    "POST /auth/refresh": Operation(persona=None, build=_refresh),
    "POST /auth/password-reset": Operation(persona=None,
                                           json=lambda w: {"email": w.people["reset_target"].email}),
    "POST /auth/password-reset/confirm": Operation(persona=None, build=_reset_password),
    # assessment: cases
    "GET /cases": Operation(persona=DNV),
    "GET /cases/counts": Operation(persona=DNV),
    "GET /cases/overdue": Operation(persona=DNV),
    "GET /cases/{case_id}": Operation(persona=DNV),
    "POST /cases/{case_id}/advice": Operation(persona="assessor", json=POSTPONED_ADVICE),
    "POST /cases/{case_id}/assessor": Operation(persona=DNV, json=lambda w: {
        "assessor_id": w.people["assessor"].id}),
    "GET /cases/{case_id}/assessors": Operation(persona=DNV),
    "GET /cases/{case_id}/audit": Operation(persona=DNV),
    "POST /cases/{case_id}/decision": Operation(persona=DNV, json={"decision": "negative"}),
    "GET /cases/{case_id}/form": Operation(persona=DNV),
    "GET /cases/{case_id}/form.pdf": Operation(persona=DNV),
    "POST /cases/{case_id}/objections": Operation(json={"reason": "Nog een bezwaar."}),
    "POST /cases/{case_id}/objections/{objection_id}/outcome": Operation(
        persona=DNV, json={"outcome": "rejected", "reason": "Het besluit blijft staan."}),
    "GET /cases/{case_id}/pe-check": Operation(persona=DNV),
    "POST /cases/{case_id}/pe-check": Operation(persona=DNV, json={"passed": True}),
    "POST /cases/{case_id}/pe-check/rejections": Operation(persona=DNV, json=lambda w: {
        "activity_id": w.resources["activity_id"], "reason": "Geen bewijs."}),
    "DELETE /cases/{case_id}/pe-check/rejections/{activity_id}": Operation(persona=DNV),
    # assessment: certificates and the register
    "GET /certificates": Operation(persona=DNV),
    "POST /certificates/import": Operation(persona=DNV, build=_import),
    "GET /certificates/mine": Operation(),
    "GET /certificates/{certificate_id}": Operation(),
    # a certificate whose holder has no account with Noloc's address: a code lets them claim it
    "POST /certificates/{certificate_id}/claim-codes": Operation(
        persona=DNV, ids={"certificate_id": "waiting_certificate_id"}),
    # a wrong code (422) shows the jobcoach got past the authorization without claiming anything
    "POST /certificates/claim": Operation(json={"code": "0000-0000-0000"}),
    "GET /register": Operation(persona=None, params=lambda w: {"q": w.resources["certificate_number"]}),
    "GET /register/{certificate_number}": Operation(persona=None),
    # the gateway's composed answers
    "GET /dashboard": Operation(),
    "GET /worklist": Operation(persona="assessor"),
    "GET /overview": Operation(persona=DNV),
    # billing
    "GET /invoices": Operation(),
    "GET /invoices/{invoice_id}": Operation(),
    "GET /invoices/{invoice_id}/pdf": Operation(),
    "GET /invoices/{invoice_id}/credit-note/pdf": Operation(ids={"invoice_id": "cancelled_invoice_id"}),
    "POST /payments/webhook": Operation(persona=None, build=_webhook),
    # notifications
    "GET /messages": Operation(),
    "GET /messages/unread-count": Operation(),
    "POST /messages/read-all": Operation(),
    "GET /messages/failed": Operation(persona=ADMIN),
    "GET /messages/{message_id}": Operation(),
    "POST /messages/{message_id}/read": Operation(),
    "POST /messages/{message_id}/retry": Operation(persona=ADMIN, ids={"message_id": "failed_email_id"}),
    # notifications: the service desk (issue 14, ADR 0029)
    "POST /desk/requests": Operation(json={"subject": "Vraag", "text": "Hoe voeg ik een bijlage toe?"}),
    "GET /desk/requests": Operation(),
    "GET /desk/requests/{request_id}": Operation(ids={"request_id": "desk_request_id"}),
    "POST /desk/requests/{request_id}/replies": Operation(ids={"request_id": "desk_request_id"},
                                                          json={"text": "Nog een vraag."}),
    "POST /desk/requests/{request_id}/attachments": Operation(
        build=_upload("desk/requests/{desk_request_id}/attachments")),
    "GET /desk/requests/{request_id}/attachments/{attachment_id}": Operation(
        ids={"request_id": "desk_request_id", "attachment_id": "desk_attachment_id"}),
    "GET /desk/attachment-rules": Operation(),
    "POST /desk/public/requests": Operation(persona=None, json=_desk_request),
    "POST /desk/public/confirm": Operation(persona=None, build=_desk_confirm),
    "POST /desk/public/thread": Operation(persona=None,
                                          json=lambda w: {"token": w.resources["desk_link_token"]}),
    "POST /desk/public/replies": Operation(persona=None, json=lambda w: {
        "token": w.resources["desk_link_token"], "text": "Dank je wel."}),
    "GET /desk/queue": Operation(persona=SUPPORT, params={"state": "open"}),
    "GET /desk/queue/{request_id}": Operation(persona=SUPPORT, ids={"request_id": "desk_request_id"}),
    "POST /desk/queue/{request_id}/answers": Operation(persona=SUPPORT, ids={"request_id": "desk_request_id"},
                                                       json={"text": "Kies Bijlage toevoegen."}),
    "POST /desk/queue/{request_id}/state": Operation(persona=SUPPORT, ids={"request_id": "desk_request_id"},
                                                     json={"state": "open"}),
    "GET /desk/queue/{request_id}/attachments/{attachment_id}": Operation(
        persona=SUPPORT, ids={"request_id": "desk_request_id", "attachment_id": "desk_attachment_id"}),
    # pe-registry
    "GET /pe/categories": Operation(),
    "GET /pe/evidence-rules": Operation(),
    "GET /portfolio/meetings/proof-rules": Operation(),
    "GET /pe/summary": Operation(),
    "GET /pe/activities": Operation(),
    "POST /pe/activities": Operation(**DRAFT, json={
        "title": "Webinar gespreksvoering", "provider": "Noloc Academie", "category": 1,
        "completed_on": str(TODAY - timedelta(days=3)), "amount": "2", "unit": "sbu"}),
    "GET /pe/activities/{activity_id}": Operation(),
    "PATCH /pe/activities/{activity_id}": Operation(**DRAFT, ids={"activity_id": "draft_activity_id"},
                                                    json={"title": "Webinar, verbeterde titel"}),
    "DELETE /pe/activities/{activity_id}": Operation(**DRAFT, ids={"activity_id": "spare_activity_id"}),
    "POST /pe/activities/{activity_id}/evidence": Operation(
        **DRAFT, build=_upload("pe/activities/{draft_activity_id}/evidence")),
    "GET /pe/evidence/{evidence_id}": Operation(),
    "GET /pe/evidence/{evidence_id}/content": Operation(),
    "DELETE /pe/evidence/{evidence_id}": Operation(**DRAFT, ids={"evidence_id": "spare_evidence_id"}),
    "GET /pe/accounts/{account_id}/activities": Operation(persona=DNV, people={"account_id": "jobcoach"}),
    "GET /pe/accounts/{account_id}/summary": Operation(persona=DNV, people={"account_id": "jobcoach"}),
    "GET /pe/access-log": Operation(),
    # pe-registry: evidence read for the jobcoach (issue 14)
    "GET /pe/reading-rules": Operation(),
    "POST /pe/readings": Operation(**DRAFT, build=_upload("pe/readings")),
    "GET /pe/readings": Operation(**DRAFT),
    "GET /pe/readings/{reading_id}": Operation(**DRAFT),
    "POST /pe/readings/{reading_id}/confirm": Operation(
        **DRAFT, ids={"reading_id": "confirm_reading_id"}, json={
            "title": "Webinar gelezen", "provider": "Opleider B.V.",
            "completed_on": str(TODAY - timedelta(days=5)), "category": 1, "amount": "2", "unit": "sbu"}),
    "DELETE /pe/readings/{reading_id}": Operation(**DRAFT, ids={"reading_id": "dismiss_reading_id"}),
    "GET /my-data/archive": Operation(),
    "POST /accounts/me/close": Operation(owner="closing_jobcoach", persona="closing_jobcoach",
                                         build=_close_account),
    "GET /portfolio/access-log": Operation(),
    # portfolio: the current cycle
    "GET /portfolio/cycles/current": Operation(),
    "PUT /portfolio/cycles/current/parts/{part}": Operation(
        **DRAFT, ids={"part": "draft_part"}, json={"text": "Terugblik op mijn ontwikkelplan."}),
    "GET /portfolio/cycles/current/meetings": Operation(**DRAFT),
    "POST /portfolio/cycles/current/meetings": Operation(**DRAFT, json={
        "met_on": str(TODAY - timedelta(days=2)), "kind": "coaching", "supervisor_name": "Coach"}),
    "GET /portfolio/cycles/current/readiness": Operation(),
    "POST /portfolio/cycles/current/submit": Operation(**DRAFT),
    "POST /portfolio/cycles/current/withdraw": Operation(**DRAFT, json={"reason": "Toch niet."}),
    "GET /portfolio/cycles/current/supplement": Operation(),
    "PUT /portfolio/cycles/current/supplement/parts/{part}": Operation(ids={"part": "supplement_part"}, json={
        "text": "Mijn loopbaan, de laatste vier jaar uitgewerkt.", "executive_jobcoach_declared": True,
        "currently_executive_jobcoach_declared": True}),
    "POST /portfolio/cycles/current/supplement/submit": Operation(),
    # portfolio: by id
    "GET /portfolio/cycles": Operation(),
    "GET /portfolio/cycles/{cycle_id}": Operation(),
    "GET /portfolio/meetings/{meeting_id}": Operation(),
    "DELETE /portfolio/meetings/{meeting_id}": Operation(**DRAFT, ids={"meeting_id": "spare_meeting_id"}),
    "GET /portfolio/meetings/{meeting_id}/proof": Operation(),
    "POST /portfolio/meetings/{meeting_id}/proof": Operation(
        **DRAFT, build=_upload("portfolio/meetings/{draft_meeting_id}/proof")),
    "GET /portfolio/submissions": Operation(),
    "GET /portfolio/submissions/{submission_id}": Operation(),
    "GET /portfolio/submissions/{submission_id}/meetings/{meeting_id}/proof": Operation(),
    # verifiable credentials (issue 14, ADR 0030)
    "GET /certificates/mine/credential": Operation(),
    "GET /certificates/mine/credential.pdf": Operation(),
    "POST /certificates/{certificate_id}/credential/revoke": Operation(persona=DNV),
    "GET /credentials/keys": Operation(persona=None),
    "GET /credentials/issuer": Operation(persona=None),
    "GET /credentials/status/{number}": Operation(persona=None, build=lambda w, who: Call(
        "GET", "credentials/status/1")),
    "POST /credentials/verify": Operation(persona=None, json={"credential": "geen credential"}),
    "GET /credentials/{credential_id}/verification": Operation(persona=None, build=_credential_verification),
    "POST /credentials/keys/rotate": Operation(persona=ADMIN),
    # issue 14, the wegwijzer (ADR 0026)
    "GET /portfolio/wegwijzer": Operation(),
    "GET /portfolio/wegwijzer/calendar": Operation(),
    "POST /portfolio/wegwijzer/calendar/renew": Operation(),
    "GET /portfolio/calendar": Operation(persona=None, build=_calendar_feed),
    # portfolio: mentors (ADR 0028); ``mentor`` is the jobcoach's mentor
    "GET /portfolio/mentors": Operation(),
    "GET /portfolio/mentors/{mentor_id}": Operation(persona="mentor", people={"mentor_id": "mentor"}),
    "PUT /portfolio/mentors/{mentor_id}": Operation(persona="mentor", people={"mentor_id": "mentor"}, json={
        "region": "Gelderland", "about": "Jobcoach sinds 2010; ik lees graag mee met je reflectie."}),
    "GET /portfolio/mentorships": Operation(),
    "POST /portfolio/mentorships": Operation(json=lambda w: {
        "mentor_id": w.resources["spare_mentor_id"],
        "consent": {"drafts": True, "meetings": True, "pe_summary": True}}),
    "GET /portfolio/mentorships/{mentorship_id}/portfolio": Operation(persona="mentor"),
    "GET /portfolio/mentorships/{mentorship_id}/comments": Operation(),
    "POST /portfolio/mentorships/{mentorship_id}/comments": Operation(persona="mentor", json={
        "part": "A2", "text": "Wat heb je van dat doel echt gedaan?"}),
    "GET /portfolio/mentor-comments": Operation(params={"part": "A2"}),
    "POST /portfolio/mentorships/{mentorship_id}/end": Operation(
        **DRAFT, ids={"mentorship_id": "spare_mentorship_id"}),
}


def world_fixture(logs: str):
    """A module-scoped ``world``: every service as a process, populated by ``populate``; the processes' logs
    are printed when populating fails."""

    @pytest.fixture(scope="module")
    def world(infra, tmp_path_factory):
        system = start_system(infra, tmp_path_factory.mktemp(logs))
        try:
            yield populate(system)
        except Exception:
            print(system.logs())
            raise
        finally:
            system.stop()

    return world
