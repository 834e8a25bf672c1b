"""The events assessment consumes, each handled in a unit of work that joins the consumer's transaction (the
bus dedupes event ids with its inbox row in that same transaction).

All arrive on one queue, ``assessment.events``, so one producer's events are handled in the order they were
published (a portfolio is submitted before its withdrawal is asked). An event about a case not known yet
raises ``NotYetKnown`` and is retried with back-off. A payment may come before its case: it is kept and
applied when the case opens.
"""
from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from recert_assessment import certificates
from recert_assessment.domain import SYSTEM, Case, Supplement, case_due_on, opened_case
from recert_assessment.service import move, payment_received, record_audit
from recert_assessment.settings import AssessmentSettings
from recert_assessment.states import CASE_MACHINE, SUPPLEMENT_STATES, CaseAction, CaseState
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.bus import Subscription
from recert_common.clock import local_day, utcnow
from recert_common.db import Database
from recert_common.domain_errors import NotYetKnown
from recert_common.events import Event
from recert_common.rules import normalise_registration_number
from recert_common.uow import handled_in

_log = logging.getLogger(__name__)


class Handlers:
    def __init__(self, zone: ZoneInfo, *, now: Callable[[], datetime] = utcnow,
                 today: Callable[[], date] | None = None):
        self.zone = zone
        self.now = now
        # The service's calendar day (a fixed one in demonstrations), as the timer reads it.
        self.today = today or (lambda: local_day(self.now(), self.zone))

    # --- read models -----------------------------------------------------------------------------------

    def on_account(self, uow: Any, event: Event) -> None:
        """Names and roles for assignments, and the link of an imported certificate whose holder data (number
        and e-mail address) are this verified account's. An older update arriving after a newer one
        changes nothing (the newer one linked already)."""
        data = event.data
        number = data["membership_number"]
        number = normalise_registration_number(number) if number else None
        if uow.accounts.upsert(data["account_id"], data["full_name"], number, data["roles"], data["email"],
                               occurred_at=event.occurred_at):
            certificates.link_known_account(uow, data["account_id"], number, data["email"], self.now())

    # Events about one activity may arrive out of order (a retry goes to the back of the queue, an operator
    # replays a dead letter): the repository keeps the newest and never brings back what was removed, since
    # the copy is what DNV's PE check weighs (ADR 0044, amended).

    def on_pe_activity(self, uow: Any, event: Event) -> None:
        if not uow.pe_activities.upsert(event.data, event.occurred_at):
            _log.info("late PE activity event ignored", extra={
                "activity_id": str(event.data["activity_id"]), "event_type": event.type})

    def on_pe_activity_removed(self, uow: Any, event: Event) -> None:
        data = event.data
        uow.pe_activities.delete(data["activity_id"], data["account_id"], event.occurred_at)

    def on_pe_evidence(self, uow: Any, event: Event) -> None:
        if not uow.pe_activities.add_evidence(event.data):
            _log.info("PE evidence event ignored: known, or removed already",
                      extra={"evidence_id": str(event.data["evidence_id"])})

    def on_pe_evidence_removed(self, uow: Any, event: Event) -> None:
        data = event.data
        uow.pe_activities.delete_evidence(data["evidence_id"], data["account_id"], event.occurred_at)

    # --- cases -----------------------------------------------------------------------------------------

    def on_submitted(self, uow: Any, event: Event) -> Case | None:
        """portfolio.submitted: a case with a due date 8 weeks after submission. None when it exists."""
        data, now = event.data, self.now()
        if uow.cases.by_submission(data["submission_id"]) is not None:
            return None
        case = opened_case(
            case_id=uuid.uuid4(), account_id=data["account_id"], certificate_id=data["certificate_id"],
            portfolio_id=data["portfolio_id"], cycle_id=data["cycle_id"], submission_id=data["submission_id"],
            submitted_at=data["submitted_at"],
            submitted_on=local_day(data["submitted_at"], self.zone),
            certificate_expires_on=data["certificate_expires_on"],
            is_new_portfolio_after_negative=data["is_new_portfolio_after_negative"],
            pe_activity_ids=data["pe_activity_ids"], pe_points_claimed=data["pe_points_counted"],
            reflection_meetings=data["reflection_meetings"], snapshot_hash=data["snapshot_hash"],
            opened_at=now)
        if not uow.cases.add(case):
            return None
        record_audit(uow, case.id, "case_opened", actor=None, role=SYSTEM, at=now,
                     submission_id=case.submission_id, due_on=case.due_on,
                     is_new_portfolio_after_negative=case.is_new_portfolio_after_negative)
        uow.publish("assessment.case.opened", {
            "case_id": case.id, "account_id": case.account_id, "portfolio_id": case.portfolio_id,
            "submission_id": case.submission_id, "due_on": case.due_on,
        }, subject=case.account_id)
        if uow.paid_invoices.recertification_paid(case.submission_id):
            uow.cases.update(case.id, paid_at=now)
            record_audit(uow, case.id, "invoice_paid", actor=None, role=SYSTEM, at=now,
                         kind="recertification")
        return case

    def on_deadline_missed(self, uow: Any, event: Event) -> None:
        """portfolio.deadline.missed: the last day to submit passed with nothing submitted, so no portfolio
        submitted in time is still on its way, and the certificate lapses unless a case holds it (ADR 0042).
        The word is kept with the certificate: should assessment's calendar not have reached the day after
        expiry yet (a clock behind portfolio's), the timer's next pass lapses it. Nothing happens when the
        announcement is about another period (renewed meanwhile) or another account than the
        certificate's."""
        data = event.data
        certificate = uow.certificates.get(data["certificate_id"], for_update=True)
        if certificate is None or certificate.valid_until != data["expires_on"] \
                or certificate.account_id != data["account_id"]:
            return
        uow.certificates.note_deadline_missed(certificate.id, certificate.valid_until)
        noted = dataclasses.replace(certificate, deadline_missed_for=certificate.valid_until)
        certificates.lapse_if_due(uow, noted, self.today(), self.now())

    def on_withdrawal_requested(self, uow: Any, event: Event) -> None:
        """portfolio.withdrawal.requested: assessment decides, since it assigns the assessors (ADR 0041).
        Granted until an assessor is assigned (``assessment.case.withdrawn``), refused after that
        (``assessment.withdrawal.refused``); portfolio acts on the answer. The case row's lock orders this
        against an assignment of the same case."""
        data, now = event.data, self.now()
        case = uow.cases.by_submission(data["submission_id"], for_update=True)
        if case is None:
            raise NotYetKnown(f"submission {data['submission_id']}")
        if case.state == CaseState.WITHDRAWN:
            return  # granted already
        facts = {"case_id": case.id, "account_id": case.account_id, "submission_id": case.submission_id}
        if CASE_MACHINE.allows(case.state, CaseAction.WITHDRAW):
            move(uow, case, CaseAction.WITHDRAW)
            record_audit(uow, case.id, "case_withdrawn", actor=None, role=SYSTEM, at=now,
                         reason=data.get("reason"))
            uow.publish("assessment.case.withdrawn", {**facts, "reason": data.get("reason")},
                        subject=case.account_id)
        else:
            record_audit(uow, case.id, "withdrawal_refused", actor=None, role=SYSTEM, at=now,
                         stage=str(case.state))
            uow.publish("assessment.withdrawal.refused", {**facts, "stage": str(case.state)},
                        subject=case.account_id)

    def on_supplement_missed(self, uow: Any, event: Event) -> None:
        """portfolio.supplement.missed: nothing was handed in by the due date, so no supplement is still on
        its way and DNV may decide without it (ADR 0042). Kept once, for the case's current term only."""
        data, now = event.data, self.now()
        case = uow.cases.get(data["case_id"], for_update=True)
        if case is None:
            raise NotYetKnown(f"case {data['case_id']}")
        if case.state not in SUPPLEMENT_STATES or case.supplement_due_on != data["due_on"] \
                or case.submission_id != data["submission_id"] or case.supplement_missed_at is not None:
            return
        uow.cases.update(case.id, supplement_missed_at=now)
        record_audit(uow, case.id, "supplement_missed", actor=None, role=SYSTEM, at=now,
                     due_on=case.supplement_due_on)

    def on_supplement(self, uow: Any, event: Event) -> None:
        """portfolio.supplement.submitted. Portfolio opens the supplement only on DNV's postponed decision,
        so the case waits for it. A supplement for B after a failed PE check brings the activities the check
        is done again on."""
        data, now = event.data, self.now()
        case = uow.cases.get(data["case_id"], for_update=True)
        if case is None:
            raise NotYetKnown(f"case {data['case_id']}")
        if case.state not in SUPPLEMENT_STATES:
            _log.warning("supplement for a case that does not wait for one",
                         extra={"case_id": str(case.id), "state": str(case.state)})
            return
        supplement = Supplement(supplement_id=data["supplement_id"], case_id=case.id,
                                submission_id=data["submission_id"], parts=tuple(data["parts"]),
                                submitted_at=data["submitted_at"], snapshot_hash=data["snapshot_hash"],
                                supplement_submission_id=data.get("supplement_submission_id"))
        if not uow.supplements.add(supplement):
            return
        record_audit(uow, case.id, "supplement_submitted", actor=None, role=SYSTEM, at=now,
                     supplement_id=supplement.supplement_id, parts=list(supplement.parts))
        if case.state == CaseState.PE_SUPPLEMENT_DUE and data.get("pe_activity_ids") is not None:
            uow.cases.update(case.id, pe_activity_ids=list(data["pe_activity_ids"]),
                             pe_points_claimed=data["pe_points_counted"])
            case = uow.cases.get(case.id, for_update=True)
        self._supplement_received(uow, case, supplement, now)

    def _supplement_received(self, uow: Any, case: Case, supplement: Supplement, now: datetime) -> None:
        """A supplement after DNV's postponed decision: a new due date, and on once the reassessment is
        paid."""
        if not CASE_MACHINE.allows(case.state, CaseAction.RECEIVE_SUPPLEMENT):
            return
        move(uow, case, CaseAction.RECEIVE_SUPPLEMENT,
             due_on=case_due_on(local_day(supplement.submitted_at, self.zone)))
        case = uow.cases.get(case.id)
        if case.reassessment_paid_at is None \
                and uow.paid_invoices.reassessment_paid(case.id, case.submission_id):
            uow.cases.update(case.id, reassessment_paid_at=now)
            case = uow.cases.get(case.id)
        if case.reassessment_paid_at is not None:
            _reassessment_paid(uow, case, now)

    def on_mentorship_started(self, uow: Any, event: Event) -> None:
        """A mentor of the jobcoach: never their assessor (ADR 0028)."""
        data = event.data
        uow.cases.mentorship_started(mentorship_id=data["mentorship_id"], account_id=data["account_id"],
                                     mentor_id=data["mentor_id"], started_at=data["started_at"])

    def on_mentorship_ended(self, uow: Any, event: Event) -> None:
        """A past mentor stays excluded for the certificate period the mentorship ran in."""
        data = event.data
        uow.cases.mentorship_ended(mentorship_id=data["mentorship_id"], account_id=data["account_id"],
                                   mentor_id=data["mentor_id"], started_at=data["started_at"],
                                   ended_at=data["ended_at"])

    def on_invoice_paid(self, uow: Any, event: Event) -> None:
        """billing.invoice.paid: DNV's recertification fee lets the case go to an assessor, the reassessment
        fee lets the supplement go back to the assessor. Kept when the case is not there yet."""
        data, now = event.data, self.now()
        if data["issuer"] != "DNV" or data["kind"] not in ("recertification", "reassessment"):
            return
        if not uow.paid_invoices.add(data):
            return
        if data["kind"] == "recertification":
            case = uow.cases.by_submission(data["submission_id"], for_update=True) \
                if data.get("submission_id") else None
            if case is None or case.paid_at is not None:
                return
            uow.cases.update(case.id, paid_at=now)
            record_audit(uow, case.id, "invoice_paid", actor=None, role=SYSTEM, at=now,
                         kind="recertification", invoice_id=data["invoice_id"])
            payment_received(uow, case, now)
            return
        case = uow.cases.get(data["case_id"], for_update=True) if data.get("case_id") else None
        if case is None and data.get("submission_id"):
            case = uow.cases.by_submission(data["submission_id"], for_update=True)
        if case is None or case.reassessment_paid_at is not None:
            return
        uow.cases.update(case.id, reassessment_paid_at=now)
        record_audit(uow, case.id, "invoice_paid", actor=None, role=SYSTEM, at=now, kind="reassessment",
                     invoice_id=data["invoice_id"])
        _reassessment_paid(uow, case, now)

    def table(self) -> dict[str, Callable[[Any, Event], None]]:
        """Event type -> the method that handles it with a unit of work."""
        return {
            "identity.account.registered": self.on_account,
            "identity.account.updated": self.on_account,
            "pe.activity.recorded": self.on_pe_activity,
            "pe.activity.updated": self.on_pe_activity,
            "pe.activity.removed": self.on_pe_activity_removed,
            "pe.evidence.attached": self.on_pe_evidence,
            "pe.evidence.removed": self.on_pe_evidence_removed,
            "portfolio.submitted": self.on_submitted,
            "portfolio.withdrawal.requested": self.on_withdrawal_requested,
            "portfolio.deadline.missed": self.on_deadline_missed,
            "portfolio.supplement.submitted": self.on_supplement,
            "portfolio.supplement.missed": self.on_supplement_missed,
            "billing.invoice.paid": self.on_invoice_paid,
            "portfolio.mentorship.started": self.on_mentorship_started,
            "portfolio.mentorship.ended": self.on_mentorship_ended,
        }


def _reassessment_paid(uow: Any, case: Case, now: datetime) -> None:
    """The supplement goes back to the same assessor, or (a supplement for B after a failed PE check) to
    DNV's PE check again."""
    if CASE_MACHINE.allows(case.state, CaseAction.REASSESSMENT_PAID):
        state = move(uow, case, CaseAction.REASSESSMENT_PAID)
        if state == CaseState.OPENED:
            record_audit(uow, case.id, "supplement_to_pe_check", actor=None, role=SYSTEM, at=now)
        else:
            record_audit(uow, case.id, "supplement_to_assessor", actor=None, role=SYSTEM, at=now,
                         assessor_id=case.assessor_id)


def subscriptions(settings: AssessmentSettings, db: Database, *, today: Callable[[], date] | None = None
                  ) -> Sequence[Subscription]:
    """``today``: the clock the integration tests set (the settings' calendar otherwise)."""
    h = Handlers(settings.zone, today=today or settings.calendar_today())
    return (Subscription("events", {event_type: handled_in(SqlAssessmentUnitOfWork.joining, handler)
                                    for event_type, handler in h.table().items()}),)
