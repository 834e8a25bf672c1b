"""What assessment's integration tests share on top of service_harness: people of any role, other services'
events, the steps of a case, and the state a refused request must leave unchanged."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from recert_assessment.schedule import Scheduler

from journeys import POSITIVE_FORM  # the assessor's form, as the end-to-end tests fill it in
from service_harness import Clock, ServiceHarness

PRODUCERS = {"identity": "identity", "pe": "pe-registry", "portfolio": "portfolio", "billing": "billing"}
HEADER = "noloc_number,certificate_number,valid_until,email,name\n"


@dataclass
class Person:
    account_id: uuid.UUID
    token: str
    name: str
    membership_number: str | None

    @property
    def email(self) -> str:
        return f"{self.account_id}@example.org"

    @property
    def holder(self) -> str:
        """The import's holder columns for this person: ``,email,name`` (Noloc's record of them)."""
        return f",{self.email},{self.name}"


def _number() -> str:
    return str(uuid.uuid4().int % 90_000_000 + 10_000_000)


def account_registered(person: Person, role: str = "jobcoach") -> dict[str, Any]:
    """The data of identity's ``identity.account.registered`` for ``person``."""
    return {"account_id": person.account_id, "email": person.email, "full_name": person.name, "roles": [role],
            "membership_kind": "member" if person.membership_number else None,
            "membership_number": person.membership_number, "preferred_language": "nl"}


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def form(advice: str, *, failing: tuple[str, ...] = (), supplements: tuple[str, ...] = ()) -> dict[str, Any]:
    parts = {part: ({"verdict": "does_not_meet", "findings": f"{part} voldoet niet: te summier."}
                    if part in failing else value) for part, value in POSITIVE_FORM["parts"].items()}
    body = {**POSITIVE_FORM, "advice": advice, "parts": parts}
    if supplements:
        body["supplements"] = [{"part": p, "assignment": f"Werk {p} opnieuw uit."} for p in supplements]
    return body


class Harness(ServiceHarness):
    producers = PRODUCERS

    def __init__(self, *, clock: Clock, **parts):
        super().__init__(clock=clock, **parts)
        self.scheduler = Scheduler(clock)
        self.officer = self.staff("dnv_officer")
        self.admin = self.staff("noloc_admin")

    # --- tokens and HTTP ---------------------------------------------------------------------------------

    def staff(self, role: str) -> Person:
        account_id = uuid.uuid4()
        return Person(account_id, self.token(account_id, role), f"{role} {str(account_id)[:4]}", None)

    def ok(self, response, status: int = 200) -> Any:
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    # --- events ------------------------------------------------------------------------------------------

    def person(self, role: str = "jobcoach", *, name: str | None = None, register: bool = True) -> Person:
        account_id = uuid.uuid4()
        number = _number() if role == "jobcoach" else None
        person = Person(account_id, self.token(account_id, role),
                        name or f"{'Jet' if role == 'jobcoach' else 'Ad'} {str(account_id)[:8]}", number)
        if register:
            self.register_account(person, role)
        return person

    def register_account(self, person: Person, role: str = "jobcoach") -> None:
        self.publish("identity.account.registered", account_registered(person, role),
                     subject=person.account_id)

    def pe_activity(self, coach: Person, points: str, category: str = "1", *, evidence: bool = True
                    ) -> uuid.UUID:
        activity_id = uuid.uuid4()
        self.publish("pe.activity.recorded", {
            "activity_id": activity_id, "account_id": coach.account_id, "category": category,
            "title": "Training motiverende gespreksvoering", "completed_on": date(2025, 3, 1), "unit": "sbu",
            "amount": Decimal(points), "points": Decimal(points), "source": "manual"},
            subject=coach.account_id)
        if evidence:
            self.publish("pe.evidence.attached", {
                "evidence_id": uuid.uuid4(), "activity_id": activity_id, "account_id": coach.account_id,
                "sha256": uuid.uuid4().hex * 2, "size": 1234, "content_type": "application/pdf",
                "filename": "certificaat.pdf"}, subject=coach.account_id)
        return activity_id

    def pay(self, coach: Person, *, submission_id, kind: str = "recertification", case_id=None):
        return self.publish("billing.invoice.paid", {
            "invoice_id": uuid.uuid4(), "number": f"DNV-2027-{uuid.uuid4().int % 10000:04d}", "issuer": "DNV",
            "account_id": coach.account_id, "kind": kind, "submission_id": submission_id, "case_id": case_id,
            "amount": {"amount": Decimal("242.00"), "currency": "EUR"}, "paid_on": self.clock()},
            subject=coach.account_id)

    # --- certificates ------------------------------------------------------------------------------------

    def import_csv(self, text: str, token: str | None = None, content_type: str = "text/csv"):
        return self.post("/v1/certificates/import", token or self.admin.token, data=text.encode(),
                         headers={"Content-Type": content_type})

    def certificate(self, coach: Person, valid_until: date) -> dict:
        """Load the coach's existing certificate by CSV; return it as DNV sees it."""
        number = f"RJ-{uuid.uuid4().hex[:10].upper()}"
        line = f"{coach.membership_number},{number},{valid_until}{coach.holder}\n"
        result = self.ok(self.import_csv(HEADER + line))
        assert result["created"] == 1, result
        page = self.ok(self.get(f"/v1/certificates?number={number}", self.officer.token))
        return page["items"][0]

    def register(self, text: str) -> list[dict]:
        return self.ok(self.get("/v1/register", query_string={"q": text}))["items"]

    def register_entry(self, number: str) -> dict:
        return self.ok(self.get(f"/v1/register/{number}"))

    def deadline_missed(self, coach: Person, certificate: dict):
        """Portfolio's word that the certificate period's last day to submit passed with nothing submitted
        (ADR 0042)."""
        valid_until = date.fromisoformat(certificate["valid_until"])
        return self.publish("portfolio.deadline.missed", {
            "cycle_id": uuid.uuid4(), "account_id": coach.account_id, "certificate_id": certificate["id"],
            "kind": "regular", "expires_on": valid_until, "submit_by": valid_until}, subject=coach.account_id)

    def supplement_missed(self, coach: Person, case: dict):
        """Portfolio's word that the case's supplement was not handed in by its due date (ADR 0042)."""
        return self.publish("portfolio.supplement.missed", {
            "supplement_id": uuid.uuid4(), "case_id": case["id"], "cycle_id": case["cycle_id"],
            "submission_id": case["submission_id"], "account_id": coach.account_id,
            "due_on": date.fromisoformat(case["supplement_due_on"])}, subject=coach.account_id)

    def run_schedule(self):
        return self.scheduler.run(self.db)

    # --- the steps of a case -----------------------------------------------------------------------------

    def submit(self, coach: Person, certificate: dict, *, submitted_on: date | None = None,
               activities: list[uuid.UUID] | None = None, after_negative: bool = False) -> dict:
        """Publish portfolio.submitted; return the case assessment opened for it (as DNV sees it)."""
        if activities is None:
            activities = [self.pe_activity(coach, "45"), self.pe_activity(coach, "30")]
        submission_id = uuid.uuid4()
        self.publish("portfolio.submitted", {
            "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
            "account_id": coach.account_id, "certificate_id": certificate["id"],
            "certificate_expires_on": date.fromisoformat(certificate["valid_until"]),
            "submitted_at": at(submitted_on or self.clock()), "snapshot_hash": uuid.uuid4().hex * 2,
            "pe_activity_ids": activities, "pe_points_counted": Decimal(75), "reflection_meetings": 4,
            "is_new_portfolio_after_negative": after_negative}, subject=coach.account_id)
        return self.case_of_submission(submission_id)

    def supplement(self, coach: Person, case: dict, submitted_on: date, parts: list[str]):
        return self.publish("portfolio.supplement.submitted", {
            "supplement_id": uuid.uuid4(), "case_id": case["id"], "portfolio_id": case["portfolio_id"],
            "submission_id": case["submission_id"], "account_id": coach.account_id, "parts": parts,
            "submitted_at": at(submitted_on), "snapshot_hash": uuid.uuid4().hex * 2},
            subject=coach.account_id)

    def case_of_submission(self, submission_id) -> dict:
        case_id = self.scalar("SELECT id FROM cases WHERE submission_id = %s", submission_id)
        return self.case(case_id)

    def case(self, case_id, token: str | None = None) -> dict:
        return self.ok(self.get(f"/v1/cases/{case_id}", token or self.officer.token))

    def complete_pe_check(self, case: dict, passed: bool = True, findings: list | None = None):
        return self.post(f"/v1/cases/{case['id']}/pe-check", self.officer.token,
                         json={"passed": passed, "findings": findings or []})

    def pe_check(self, case: dict, passed: bool = True, findings: list | None = None) -> dict:
        return self.ok(self.complete_pe_check(case, passed, findings))

    def assign(self, case: dict, assessor: Person):
        return self.post(f"/v1/cases/{case['id']}/assessor", self.officer.token,
                         json={"assessor_id": str(assessor.account_id)})

    def advise(self, case: dict, assessor: Person, body: dict):
        return self.post(f"/v1/cases/{case['id']}/advice", assessor.token, json=body)

    def decide(self, case: dict, decision: str, reason: str | None = None):
        return self.post(f"/v1/cases/{case['id']}/decision", self.officer.token,
                         json={"decision": decision, **({"reason": reason} if reason else {})})

    def ready_for_assessor(self, coach: Person, certificate: dict, **submit) -> dict:
        """Submitted, PE check passed and the recertification invoice paid."""
        case = self.submit(coach, certificate, **submit)
        self.pe_check(case)
        self.pay(coach, submission_id=case["submission_id"])
        case = self.case(case["id"])
        assert case["state"] == "ready_for_assignment", case
        return case

    def assessed(self, coach: Person, certificate: dict, assessor: Person, body: dict, **submit) -> dict:
        case = self.ready_for_assessor(coach, certificate, **submit)
        self.ok(self.assign(case, assessor))
        self.ok(self.advise(case, assessor, body), 201)
        return self.case(case["id"])

    # --- looking inside ----------------------------------------------------------------------------------

    def events(self, subject) -> list[str]:
        return [b["type"] for b in self.outbox(subject=subject)]

    def state(self) -> dict[str, Any]:
        """Everything a refused request must leave as it was."""
        tables = ("certificates", "cases", "pe_check_rejections", "pe_checks", "advices", "decisions",
                  "objections", "supplements", "mentorships", "audit_trail", "expiry_notices", "outbox")
        counts: dict[str, Any] = {t: self.scalar(f"SELECT count(*) FROM {t}") for t in tables}
        counts["cases_rows"] = self.rows("SELECT id, state, assessor_id, due_on, paid_at, supplement_due_on "
                                         "FROM cases ORDER BY id")
        counts["certificate_rows"] = self.rows("SELECT id, number, account_id, valid_from, valid_until, "
                                               "state FROM certificates ORDER BY id")
        return counts

