"""The events portfolio consumes, each handled in a unit of work joining the consumer's transaction (the bus
dedupes event ids).

All of them arrive on one queue, ``portfolio.events``, so that one producer's events are handled in the
order they were published (a case is opened before its assessor is assigned). An event that needs
something not known yet (a decision about a case whose opening has not arrived) raises ``NotYetKnown`` and
is retried with back-off, which also covers the rare reordering after a retry.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from recert_common.bus import Subscription
from recert_common.clock import local_day, utcnow
from recert_common.db import Database
from recert_common.domain_errors import NotYetKnown
from recert_common.events import Event
from recert_common.storage import ObjectStore, StorageError
from recert_common.uow import handled_in
from recert_portfolio import mentoring
from recert_portfolio.domain import (
    AnnulmentSkip,
    Case,
    Cycle,
    CycleDates,
    CycleKind,
    NolocAttendance,
    PeActivity,
    SupplementAssignment,
    after_negative_decision,
    annul_for_upheld_objection,
    awaits_annulment,
    carried_over,
    lapse_closes,
    objection_annuls_supplement,
    regular_cycle_dates,
    supplement_for_decision,
)
from recert_portfolio.settings import PortfolioSettings
from recert_portfolio.store import SqlPortfolioUnitOfWork

_log = logging.getLogger(__name__)

PortfolioUnitOfWork = Any  # store.SqlPortfolioUnitOfWork, or the tests' fake


class Handlers:
    def __init__(self, zone: ZoneInfo, proofs: ObjectStore, *, now: Callable[[], datetime] = utcnow):
        self.zone = zone
        self.proofs = proofs
        self.now = now

    def _day(self, event: Event) -> date:
        """The calendar day the event happened on, where the jobcoach lives."""
        return local_day(event.occurred_at, self.zone)

    # --- identity ----------------------------------------------------------------------------------------

    def on_account(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """identity announces verified accounts only; Noloc's meetings for the number go to the account when
        it holds the number's certificate (``AccountRepository.holder_of_number``). An older update arriving
        after a newer one changes nothing."""
        data = event.data
        account_id, number = data["account_id"], data["membership_number"]
        if uow.accounts.upsert(account_id, number, data["roles"], event.occurred_at,
                               full_name=data["full_name"], membership_kind=data["membership_kind"]):
            self._claim_attendance(uow, account_id, number)

    def on_account_disabled(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """A closed (or disabled) account ends its mentorships, as jobcoach and as mentor: a jobcoach who
        closed her account cannot log in to end a mentor's reading of her drafts during the 30 days before
        erasure (ADR 0028). Ended ones are left alone, so a redelivery ends nothing twice."""
        account_id = event.data["account_id"]
        as_jobcoach = [m for m in uow.mentors.of_jobcoach(account_id) if m.active]
        for found in as_jobcoach + uow.mentors.of_mentor(account_id):
            mentorship = uow.mentors.get(found.id, for_update=True)
            if mentorship is not None and mentorship.active:
                mentoring.end(uow, mentorship, by=account_id, now=event.occurred_at)

    def on_account_erased(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """Forget the person (ADR 0020): cycles, parts, meetings, snapshots, the read models, and the proof
        files. The objects go inside the handler's transaction: should it then fail, the redelivered event
        deletes again (a missing object is no error)."""
        keys = uow.retention.forget_account(event.data["account_id"])
        for key in keys:
            try:
                self.proofs.delete(key)
            except StorageError:
                _log.exception("could not delete a proof object", extra={"object_key": key})
        _log.info("account forgotten", extra={"account_id": str(event.data["account_id"]),
                                              "objects": len(keys)})

    def _claim_attendance(self, uow: PortfolioUnitOfWork, account_id: UUID, number: str | None) -> None:
        if number is not None and uow.accounts.holder_of_number(number) == account_id \
                and uow.attendance.claim(number, account_id):
            self._apply_attendance(uow, account_id, self.now())

    # --- Noloc -------------------------------------------------------------------------------------------

    def on_meeting_attended(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        fact = NolocAttendance(external_id=data["external_id"], membership_number=data["membership_number"],
                               met_on=data["met_on"], kind=data["kind"], group_name=data.get("group_name"),
                               supervisor_name=data.get("supervisor_name"),
                               duration_minutes=data.get("duration_minutes"))
        if not uow.attendance.add(fact):
            return  # the same meeting sent again under a new event id
        account_id = uow.accounts.holder_of_number(fact.membership_number)
        if account_id is None:
            _log.info("Noloc meeting parked until the holder of its membership number is known",
                      extra={"external_id": fact.external_id})
            return
        uow.attendance.claim(fact.membership_number, account_id)
        self._apply_attendance(uow, account_id, self.now())

    @staticmethod
    def _apply_attendance(uow: PortfolioUnitOfWork, account_id: UUID, now: datetime) -> int:
        """Turn the account's Noloc facts that fit its current cycle into meetings. Returns how many."""
        cycle = uow.cycles.current(account_id)
        if cycle is None:
            return 0
        applied = 0
        supplement = uow.supplements.latest(cycle.id)
        for fact in uow.attendance.unapplied(account_id):
            meeting = fact.meeting_in(cycle, supplement, now)
            if meeting is not None and uow.meetings.add(meeting):
                uow.attendance.mark_applied(fact.external_id, meeting.id)
                applied += 1
        return applied

    # --- pe-registry -------------------------------------------------------------------------------------

    # Events about one activity may arrive out of order (a retry goes to the back of the queue, an operator
    # replays a dead letter): the repository keeps the newest and never brings back what was removed, since
    # the copy is what pe-registry's hold compares a submission with (ADR 0044, amended).

    def on_pe_activity(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        if not uow.pe.upsert_activity(data["account_id"], PeActivity(
                activity_id=data["activity_id"], category=data["category"], title=data["title"],
                completed_on=data["completed_on"], points=data["points"], source=data["source"]),
                event.occurred_at):
            _log.info("late PE activity event ignored", extra={"activity_id": str(data["activity_id"]),
                                                               "event_type": event.type})

    def on_pe_activity_removed(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        uow.pe.remove_activity(data["activity_id"], data["account_id"], event.occurred_at)

    def on_pe_evidence(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        if not uow.pe.add_evidence(data["evidence_id"], data["activity_id"], data["account_id"],
                                   data["sha256"]):
            _log.info("PE evidence event ignored: known, or removed already",
                      extra={"evidence_id": str(data["evidence_id"])})

    def on_pe_evidence_removed(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        uow.pe.remove_evidence(data["evidence_id"], data["account_id"], event.occurred_at)

    # --- certificates ------------------------------------------------------------------------------------

    def _open_cycle(self, uow: PortfolioUnitOfWork, *, account_id: UUID, certificate_id: UUID,
                    kind: CycleKind, dates: CycleDates, now: datetime, previous: Cycle | None = None) -> None:
        """Open a cycle (the caller closed the account's current one) and announce it; nothing when this
        certificate period had its cycle of this kind already."""
        cycle = Cycle.opened(account_id=account_id, certificate_id=certificate_id, kind=kind, dates=dates,
                             now=now, previous=previous)
        if not uow.cycles.add(cycle):
            return
        if previous is not None and kind == CycleKind.AFTER_NEGATIVE:
            meetings, parts = carried_over(uow.parts.of_cycle(previous.id).values(),
                                           uow.meetings.of_cycle(previous.id), cycle, now)
            for meeting in meetings:
                uow.meetings.add(meeting)
            for part in parts:
                uow.parts.save(cycle.id, part)
        uow.publish("portfolio.cycle.opened", {
            "cycle_id": cycle.id, "account_id": account_id, "certificate_id": certificate_id,
            "kind": str(kind), "expires_on": cycle.expires_on, "window_opens_on": cycle.window_opens_on,
            "submit_by": cycle.submit_by, "pe_period_starts_on": cycle.starts_on,
        }, subject=account_id)
        self._apply_attendance(uow, account_id, now)

    def _start_regular_cycle(self, uow: PortfolioUnitOfWork, data: dict, decided_on: date | None) -> None:
        account_id, certificate_id = data["account_id"], data["certificate_id"]
        dates = regular_cycle_dates(data["valid_until"], valid_from=data["valid_from"], decided_on=decided_on)
        if uow.cycles.for_period(certificate_id, dates.expires_on, CycleKind.REGULAR) is not None:
            return  # this period has its cycle already (the event was sent again)
        now = self.now()
        current = uow.cycles.current(account_id, for_update=True)
        if current is not None:
            uow.cycles.save(current.close(now))
        self._open_cycle(uow, account_id=account_id, certificate_id=certificate_id, kind=CycleKind.REGULAR,
                         dates=dates, now=now)

    def on_certificate_registered(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """The account holds its certificate now: its cycle opens (taken over, so no decision here), and
        Noloc's meetings for its number that waited for their holder are its own."""
        self._start_regular_cycle(uow, event.data, None)
        account_id = event.data["account_id"]
        self._claim_attendance(uow, account_id, uow.accounts.membership_number_of(account_id))

    def on_certificate_renewed(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """Renewed or reactivated: the next cycle starts the day after the positive decision."""
        decided_on = uow.cases.decision_day(event.data["decision_id"]) or self._day(event)
        self._start_regular_cycle(uow, event.data, decided_on)

    def on_certificate_lapsed(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        current = uow.cycles.current(data["account_id"], for_update=True)
        if lapse_closes(current, certificate_id=data["certificate_id"], reason=data["reason"]):
            uow.cycles.save(current.close(self.now()))

    # --- assessment --------------------------------------------------------------------------------------

    def on_case_opened(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        data = event.data
        uow.cases.upsert(data["case_id"], data["account_id"], submission_id=data["submission_id"])

    def on_assessor_assigned(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """The assessor reads the case's snapshot from now until the decision (ADR 0017). A reassignment
        replaces the assessor; an older assignment handled after it (retried or replayed) changes nothing."""
        data = event.data
        uow.cases.upsert(data["case_id"], data["account_id"], assessor_id=data["assessor_id"],
                         assigned_at=event.occurred_at)
        uow.cases.set_access(data["case_id"], open_=True, at=event.occurred_at)

    def on_case_withdrawn(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """assessment.case.withdrawn: assessment granted the jobcoach's request (ADR 0041). The submission is
        withdrawn and everyone else hears ``portfolio.withdrawn``; the cycle reopens unless a lapse or a new
        certificate period closed it meanwhile."""
        data, now = event.data, self.now()
        submission_id = data["submission_id"]
        cycle = uow.cycles.of_submission(submission_id, for_update=True)
        request = uow.submissions.withdrawal_request(submission_id)
        # The request committed with the event assessment answers, so it is missing only when the account
        # was erased meanwhile; and assessment answers a request once.
        if cycle is None or request is None or uow.submissions.get(submission_id).withdrawn_at is not None:
            _log.warning("withdrawal granted for no pending request",
                         extra={"submission_id": str(submission_id)})
            return
        uow.submissions.withdraw(submission_id, now, request.reason)
        reopened = cycle.withdraw(submission_id)
        if reopened is not None:
            uow.cycles.save(reopened)
        else:
            _log.warning("withdrawal granted for a cycle that no longer waits on it",
                         extra={"submission_id": str(submission_id), "state": str(cycle.state)})
        uow.publish("portfolio.withdrawn", {
            "portfolio_id": cycle.portfolio_id, "cycle_id": cycle.id, "submission_id": submission_id,
            "account_id": cycle.account_id, "reason": request.reason,
        }, subject=cycle.account_id)

    def on_withdrawal_refused(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """assessment.withdrawal.refused: the case was past assignment; the submission stands."""
        data = event.data
        if not uow.submissions.refuse_withdrawal(data["submission_id"], event.occurred_at, data["stage"]):
            _log.warning("withdrawal refused for no pending request",
                         extra={"submission_id": str(data["submission_id"])})

    @staticmethod
    def _cycle_of_case(uow: PortfolioUnitOfWork, case_id: UUID) -> tuple[Case, Cycle]:
        case = uow.cases.get(case_id)
        if case is None or case.submission_id is None:
            raise NotYetKnown(f"case {case_id}")
        cycle = uow.cycles.of_submission(case.submission_id, for_update=True)
        if cycle is None:
            raise NotYetKnown(f"submission {case.submission_id}")
        return case, cycle

    def _open_supplement(self, uow: PortfolioUnitOfWork, data: dict) -> None:
        case, cycle = self._cycle_of_case(uow, data["case_id"])
        supplement = supplement_for_decision(
            cycle, case_id=data["case_id"], case_submission_id=case.submission_id,
            assignments=[SupplementAssignment(s["part"], s["assignment"]) for s in data["supplements"]],
            due_on=data["supplement_due_on"], now=self.now(), decision_id=data["decision_id"])
        if supplement is None:
            in_force = uow.supplements.of_case(case.case_id)
            if awaits_annulment(cycle, in_force, decision_id=data["decision_id"]):
                raise NotYetKnown(f"the annulment of the supplement of decision {in_force.decision_id}")
            _log.warning("postponed decision for a cycle that is not waiting for it",
                         extra={"case_id": str(data["case_id"]), "state": str(cycle.state)})
            return
        if uow.supplements.add(supplement):
            uow.cycles.save(cycle.open_supplement())
            # The period now runs to the supplement's deadline: Noloc meetings dated after the expiry date
            # that were waiting for that join the cycle. Should an upheld objection annul the supplement
            # later (on_objection_decided), they stay in the cycle; only the extension itself ends.
            self._apply_attendance(uow, cycle.account_id, supplement.opened_at)

    def on_decision_made(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """The case is decided: the assessor's access to its snapshot ends (a supplement's submission opens
        it again). A postponed decision opens the supplement; a negative one closes the cycle."""
        data = event.data
        uow.cases.set_access(data["case_id"], open_=False, at=event.occurred_at)
        decided_on = self._day(event)
        uow.cases.add_decision(data["decision_id"], data["case_id"], data["decision"], decided_on)
        if data["decision"] == "postponed":
            self._open_supplement(uow, data)
            return
        if data["decision"] != "negative":
            return  # positive: certificate.renewed/reactivated follows and opens the next cycle
        _, cycle = self._cycle_of_case(uow, data["case_id"])
        now = self.now()
        outcome = after_negative_decision(cycle, decided_on=decided_on,
                                          new_portfolio_deadline=data["new_portfolio_deadline"], now=now)
        if outcome is None:
            return
        uow.cycles.save(outcome.closed)
        if outcome.new_cycle_dates is not None:
            self._open_cycle(uow, account_id=cycle.account_id, certificate_id=data["certificate_id"],
                             kind=CycleKind.AFTER_NEGATIVE, dates=outcome.new_cycle_dates, now=now,
                             previous=cycle)

    def on_objection_decided(self, uow: PortfolioUnitOfWork, event: Event) -> None:
        """assessment.objection.decided. Only an objection upheld against DNV's postponed decision taken on
        the failed PE check alone (``next_step`` pe_check, ADR 0011 amended) changes anything here: that
        decision is annulled with the supplement it asked for, so the supplement is no longer due (a hand-in
        is refused, the deadline check passes it by, the API shows it annulled) and the cycle is submitted
        again, its submission waiting for DNV's PE check. Rejected objections and those followed by a new
        decision change nothing: that decision's own event says what follows.

        The case, its cycle and the objected decision come before the objection; should one not be here yet
        (its event is being retried), this event waits for it (``NotYetKnown``). A supplement handed in as the
        uphold crossed it is annulled too (warned: assessment ignores it, billing's reassessment invoice for
        it is credited by hand), and one annulled already changes nothing. The Noloc meetings that joined the
        cycle because the supplement extended its period (``_apply_attendance`` when it opened) are left in
        it; from now on the annulled supplement extends the period no further (``domain.pe_period``).
        pe-registry's own extension of the PE period is its concern."""
        data = event.data
        if not objection_annuls_supplement(data["outcome"], data.get("next_step")):
            return
        case, cycle = self._cycle_of_case(uow, data["case_id"])
        objected = uow.cases.decision_kind(data["decision_id"])
        if objected is None:
            raise NotYetKnown(f"decision {data['decision_id']}")
        annulment = annul_for_upheld_objection(cycle, uow.supplements.of_case(case.case_id),
                                               objected_decision=objected, now=self.now(),
                                               objected_decision_id=data["decision_id"])
        facts = {"case_id": str(case.case_id), "decision_id": str(data["decision_id"])}
        if annulment.skipped == AnnulmentSkip.NOT_POSTPONED:
            _log.warning("upheld objection back to the PE check against a decision that was not postponed; "
                         "nothing changes in portfolio", extra={**facts, "decision": objected})
            return
        if annulment.skipped is not None:
            _log.info("upheld objection annuls no supplement", extra={**facts,
                                                                       "reason": str(annulment.skipped)})
            return
        if annulment.supplement.submitted_at is not None:
            # Billing invoiced the reassessment for the hand-in; DNV credits it (ADR 0011, amended).
            _log.warning("upheld objection annuls a supplement handed in as it crossed the uphold",
                         extra={**facts, "supplement_id": str(annulment.supplement.id)})
        uow.supplements.save_annulled(annulment.supplement)
        if annulment.cycle is not None:
            uow.cycles.save(annulment.cycle)
        else:
            _log.warning("supplement annulled in a cycle that no longer has it open",
                         extra={**facts, "state": str(cycle.state)})
        _log.info("supplement annulled: the case is back at the PE check", extra=facts)

    def table(self) -> dict[str, Callable[[PortfolioUnitOfWork, Event], None]]:
        """Event type -> the method that handles it with a unit of work."""
        return {
            "identity.account.registered": self.on_account,
            "identity.account.updated": self.on_account,
            "identity.account.disabled": self.on_account_disabled,
            "identity.account.erased": self.on_account_erased,
            "noloc.meeting.attended": self.on_meeting_attended,
            "pe.activity.recorded": self.on_pe_activity,
            "pe.activity.updated": self.on_pe_activity,
            "pe.activity.removed": self.on_pe_activity_removed,
            "pe.evidence.attached": self.on_pe_evidence,
            "pe.evidence.removed": self.on_pe_evidence_removed,
            "certification.certificate.registered": self.on_certificate_registered,
            "certification.certificate.renewed": self.on_certificate_renewed,
            "certification.certificate.reactivated": self.on_certificate_renewed,
            "certification.certificate.lapsed": self.on_certificate_lapsed,
            "certification.decision.made": self.on_decision_made,
            "assessment.case.opened": self.on_case_opened,
            "assessment.assessor.assigned": self.on_assessor_assigned,
            "assessment.case.withdrawn": self.on_case_withdrawn,
            "assessment.withdrawal.refused": self.on_withdrawal_refused,
            "assessment.objection.decided": self.on_objection_decided,
        }


def subscriptions(settings: PortfolioSettings, db: Database) -> Sequence[Subscription]:
    h = Handlers(settings.zone, ObjectStore.from_settings(settings, settings.proof_bucket))
    return (Subscription("events", {event_type: handled_in(SqlPortfolioUnitOfWork.joining, handler)
                                    for event_type, handler in h.table().items()}),)
