"""What portfolio's integration tests share on top of service_harness: jobcoaches, other services' events, a
whole portfolio, and counts of everything a refused request must leave unchanged."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from recert_common.clock import utcnow
from recert_common.rules import add_years

from service_harness import ServiceHarness

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(64)
PRODUCERS = {"identity": "identity", "noloc": "noloc", "pe": "pe-registry", "assessment": "assessment",
             "certification": "assessment"}


@dataclass
class Coach:
    account_id: uuid.UUID
    token: str
    membership_number: str


class PeRegistryAgrees:
    """pe-registry's half of a submission (ADR 0044) for portfolio alone: every hold is granted and kept in
    ``held``. The real exchange is tested against pe-registry (``pe_registry/test_submission_holds.py``) and
    end to end; here pe-registry's copy of the activities is the events these tests publish."""

    def __init__(self) -> None:
        self.held: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
        self.released: list[uuid.UUID] = []

    def hold(self, submission_id, period, activities, activity_ids, *, token: str) -> None:
        self.held.append((submission_id, list(activity_ids)))

    def release(self, submission_id, *, token: str) -> None:
        self.released.append(submission_id)


class Harness(ServiceHarness):
    producers = PRODUCERS

    # --- tokens and HTTP ---------------------------------------------------------------------------------

    def staff(self, role: str) -> tuple[uuid.UUID, str]:
        account_id = uuid.uuid4()
        return account_id, self.token(account_id, role)

    # --- events ------------------------------------------------------------------------------------------

    def coach(self, *, register: bool = True) -> Coach:
        coach = Coach(uuid.uuid4(), "", str(uuid.uuid4().int % 90_000_000 + 10_000_000))
        coach.token = self.token(coach.account_id, "jobcoach")
        if register:
            self.register_account(coach)
        return coach

    def register_account(self, coach: Coach) -> None:
        self.publish("identity.account.registered", {
            "account_id": coach.account_id, "email": f"{coach.membership_number}@example.org",
            "full_name": "Jet Coach", "roles": ["jobcoach"], "membership_kind": "member",
            "membership_number": coach.membership_number, "preferred_language": "nl"},
            subject=coach.account_id)

    def certificate(self, coach: Coach, valid_until: date, *, certificate_id=None) -> dict:
        """Register a certificate expiring on ``valid_until`` (certified 4 years before); return its
        cycle."""
        certificate_id = certificate_id or uuid.uuid4()
        self.publish("certification.certificate.registered", {
            "certificate_id": certificate_id, "certificate_number": f"RJ-{str(certificate_id)[:8]}",
            "account_id": coach.account_id, "valid_from": add_years(valid_until, -4),
            "valid_until": valid_until}, subject=coach.account_id)
        return self.current(coach)

    def current(self, coach: Coach) -> dict:
        response = self.get("/v1/portfolio/cycles/current", coach.token)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def noloc_meeting(self, coach: Coach, met_on: date, *, external_id: str | None = None,
                      kind: str = "intervision", wait: bool = True):
        return self.publish("noloc.meeting.attended", {
            "external_id": external_id or f"noloc-{uuid.uuid4()}",
            "membership_number": coach.membership_number, "met_on": met_on, "kind": kind,
            "group_name": "Intervisiegroep Utrecht", "duration_minutes": 120},
            wait=wait)

    def pe_activity(self, coach: Coach, completed_on: date, points: str, category: str = "1",
                    activity_id=None, *, evidence: bool = True, source: str = "manual") -> uuid.UUID:
        """An activity as pe-registry reports it, with one evidence file unless ``evidence`` is False (an
        activity entered by hand counts only with evidence)."""
        activity_id = activity_id or uuid.uuid4()
        self.publish("pe.activity.recorded", {
            "activity_id": activity_id, "account_id": coach.account_id, "category": category,
            "title": "Training motiverende gespreksvoering", "completed_on": completed_on, "unit": "sbu",
            "amount": Decimal(points), "points": Decimal(points), "source": source,
            "external_id": f"academy-{activity_id}" if source == "noloc_academy" else None},
            subject=coach.account_id)
        if evidence:
            self.pe_evidence(coach, activity_id, hashlib.sha256(str(activity_id).encode()).hexdigest())
        return activity_id

    def pe_evidence(self, coach: Coach, activity_id: uuid.UUID, sha256: str) -> uuid.UUID:
        evidence_id = uuid.uuid4()
        self.publish("pe.evidence.attached", {
            "evidence_id": evidence_id, "activity_id": activity_id, "account_id": coach.account_id,
            "sha256": sha256, "size": 1234, "content_type": "application/pdf", "filename": "certificaat.pdf"},
            subject=coach.account_id)
        return evidence_id

    def case_opened(self, coach: Coach, submission: dict) -> uuid.UUID:
        case_id = uuid.uuid4()
        self.publish("assessment.case.opened", {
            "case_id": case_id, "account_id": coach.account_id, "portfolio_id": submission["portfolio_id"],
            "submission_id": submission["id"], "due_on": self.clock() + timedelta(weeks=8)},
            subject=coach.account_id)
        return case_id

    def assign(self, coach: Coach, case_id: uuid.UUID, assessor_id: uuid.UUID, previous=None) -> None:
        self.publish("assessment.assessor.assigned", {
            "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor_id,
            "previous_assessor_id": previous, "due_on": self.clock() + timedelta(weeks=8)},
            subject=coach.account_id)

    def withdrawal_answered(self, coach: Coach, case_id: uuid.UUID, submission: dict, *,
                            refused_at_stage: str | None = None) -> None:
        """Assessment's answer to the request to withdraw (ADR 0041): granted, or refused at a stage."""
        facts = {"case_id": case_id, "account_id": coach.account_id, "submission_id": submission["id"]}
        if refused_at_stage is None:
            self.publish("assessment.case.withdrawn", {**facts, "reason": None}, subject=coach.account_id)
        else:
            self.publish("assessment.withdrawal.refused", {**facts, "stage": refused_at_stage},
                         subject=coach.account_id)

    def open_supplement(self, coach: Coach, *, parts: tuple[str, ...], due_on: date) -> uuid.UUID:
        """Open a supplement on the coach's submitted cycle as portfolio's handler does (its repositories),
        whichever event triggers it (an advice or DNV's postponed decision): these tests are about what
        the open supplement means for dates, not about when it opens."""
        from recert_portfolio.domain import Supplement, SupplementAssignment
        from recert_portfolio.store import SqlPortfolioUnitOfWork

        with SqlPortfolioUnitOfWork(self.service.db) as uow:
            cycle = uow.cycles.current(coach.account_id, for_update=True)
            supplement = Supplement(
                id=uuid.uuid4(), cycle_id=cycle.id, case_id=uuid.uuid4(), submission_id=cycle.submission_id,
                parts=parts, assignments=tuple(SupplementAssignment(p, f"Vul {p} aan.") for p in parts),
                due_on=due_on, opened_at=utcnow())
            assert uow.supplements.add(supplement)
            uow.cycles.save(cycle.open_supplement())
        return supplement.id

    # --- the whole portfolio -----------------------------------------------------------------------------

    def fill_portfolio(self, coach: Coach, cycle: dict, *, meetings_on: list[date], pe_on: date) -> None:
        """Everything a complete portfolio holds: texts, declaration, Noloc meetings, A3 report, 75 PE."""
        for part, text in (("A1", "Loopbaan in vogelvlucht; de laatste vier jaar in detail."),
                           ("A2", "Terugblik op het ontwikkelplan."), ("A4", "Mijn nieuwe ontwikkelplan.")):
            a1_declarations = {"executive_jobcoach_declared": True,
                               "currently_executive_jobcoach_declared": True}
            body = {"text": text, **(a1_declarations if part == "A1" else {})}
            response = self.put(f"/v1/portfolio/cycles/current/parts/{part}", coach.token, json=body)
            assert response.status_code == 200, response.get_json()
        for day in meetings_on:
            self.noloc_meeting(coach, day)
        meetings = self.current(coach)["meetings"]
        assert len(meetings) >= len(meetings_on)
        response = self.put("/v1/portfolio/cycles/current/parts/A3", coach.token,
                            json={"text": "Reflectie op de intervisie.", "meeting_id": meetings[0]["id"]})
        assert response.status_code == 200, response.get_json()
        self.pe_activity(coach, pe_on, "45", "1")
        self.pe_activity(coach, pe_on, "30", "1")

    # --- looking inside ----------------------------------------------------------------------------------

    def objects(self) -> list[str]:
        client, bucket = self.service.proofs.client, self.settings.proof_bucket
        if not client.bucket_exists(bucket):
            return []
        return sorted(o.object_name for o in client.list_objects(bucket, recursive=True))

    def state(self) -> dict[str, Any]:
        """Everything a refused request must leave as it was."""
        tables = ("cycles", "parts", "meetings", "proofs", "submissions", "withdrawals",
                  "withdrawal_requests", "supplements", "outbox")
        counts = {t: self.scalar(f"SELECT count(*) FROM {t}") for t in tables}
        counts["parts_content"] = self.rows("SELECT cycle_id, part, text, declared_at, "
                                            "works_now_declared_at, meeting_id, updated_at FROM parts"
                                            " ORDER BY cycle_id, part")
        counts["cycle_states"] = self.rows("SELECT id, state, submission_id FROM cycles ORDER BY id")
        counts["meeting_proofs"] = self.rows("SELECT id, proof_id FROM meetings ORDER BY id")
        counts["objects"] = self.objects()
        return counts

