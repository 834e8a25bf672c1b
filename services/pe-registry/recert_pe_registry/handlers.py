"""The events the PE registry consumes. Each handler runs in a unit of work joining the consumer's
transaction (the bus records the event id in the inbox in that same transaction, so a redelivery has no
second effect).

Read models: accounts (membership number -> account, for Noloc), certificate periods, case assignments with
their submission and whether they are being assessed (an assessor's access), and submission locks. Noloc
Academie completions become activities of the number's holder: the verified account that gives the number
and holds a certificate (ADR 0018). One for a number without such a holder is parked and applied when the
holder is known (the account registers, changes to the number, or gets its certificate).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from uuid import UUID

from recert_common.bus import Subscription
from recert_common.clock import local_day
from recert_common.db import Database
from recert_common.events import Event
from recert_common.rules import load_framework, pe_period_first_day
from recert_common.storage import ObjectStore
from recert_common.uow import UnitOfWork, handled_in
from recert_pe_registry.domain import CertificatePeriod, noloc_study_load
from recert_pe_registry.service import discard_objects, import_noloc_activity, normalised_number
from recert_pe_registry.settings import PeRegistrySettings
from recert_pe_registry.store import SqlPeRegistryUnitOfWork

_log = logging.getLogger(__name__)

FINAL_DECISIONS = frozenset({"positive", "negative"})  # a postponed decision is followed by another


class Handlers:
    def __init__(self, settings: PeRegistrySettings, evidence: ObjectStore):
        self.settings = settings
        self.evidence = evidence

    def on_account(self, uow: UnitOfWork, event: Event) -> None:
        """identity.account.registered / updated (identity announces verified accounts only): remember the
        account's membership number, and import what Noloc sent for that number before, when the account
        holds the number's certificate."""
        data = event.data
        number = normalised_number(data["membership_number"])
        if number is not None:
            uow.noloc.lock_membership_number(number)
        if not uow.accounts.upsert(data["account_id"], number, event.occurred_at) or number is None:
            return
        _apply_parked(uow, data["account_id"], number)

    def on_noloc_activity_completed(self, uow: UnitOfWork, event: Event) -> None:
        data = event.data
        # Judged before parking: an implausible study load fails here (and ends in the dead-letter queue for
        # an operator) instead of failing the account's registration later.
        noloc_study_load(amount=data.get("amount"), unit=data.get("unit"), points=data.get("points"),
                         framework=load_framework(data["completed_on"].year))
        number = normalised_number(data["membership_number"])
        uow.noloc.lock_membership_number(number)
        account_id = uow.accounts.holder_of(number)
        if account_id is None:
            uow.noloc.park(number, data["external_id"], event.id, data)
            _log.info("Noloc activity parked until its account is known",
                      extra={"external_id": data["external_id"], "event_id": str(event.id)})
            return
        import_noloc_activity(uow, account_id, data, event.id)

    def on_certificate(self, uow: UnitOfWork, event: Event) -> None:
        """certification.certificate.registered / renewed / reactivated: the jobcoach's current PE period;
        the account holds a certificate now, so what Noloc sent for its number before is imported.

        The period's first day is ``recert_common.rules.pe_period_first_day``: a registered certificate was
        taken over without a decision here (its period starts on its ``valid_from``); a renewal or
        reactivation follows a decision taken the day the event was published (its period starts the day
        after), a day in the service's time zone."""
        data = event.data
        imported = event.type == "certification.certificate.registered"
        decided_on = None if imported else local_day(event.occurred_at, self.settings.zone)
        number = uow.accounts.membership_number_of(data["account_id"])
        if number is not None:
            uow.noloc.lock_membership_number(number)
        uow.periods.upsert(CertificatePeriod(
            account_id=data["account_id"], certificate_id=data["certificate_id"],
            starts_on=pe_period_first_day(valid_from=data["valid_from"], decided_on=decided_on),
            valid_from=data["valid_from"], valid_until=data["valid_until"], extended_until=None,
            occurred_at=event.occurred_at))
        if number is not None:
            _apply_parked(uow, data["account_id"], number)

    def on_case_opened(self, uow: UnitOfWork, event: Event) -> None:
        """assessment.case.opened: which submission (and so which snapshot of activities) the case is
        about."""
        data = event.data
        uow.cases.record_case(case_id=data["case_id"], submission_id=data["submission_id"],
                              account_id=data["account_id"])

    def on_decision_made(self, uow: UnitOfWork, event: Event) -> None:
        """certification.decision.made: the case is decided, so the assessor's access ends (the supplement
        reopens it). A postponed decision lets the period run to the supplement deadline, a negative one to
        the deadline of a whole new portfolio (``rules.pe_period_last_day``), so activities dated after the
        expiry date count for the supplement or the new portfolio. Positive: the renewal's own event starts
        the next period. A final decision (positive or negative) starts the evidence's retention period
        (ADR 0020)."""
        data = event.data
        uow.cases.set_access(data["case_id"], open_=False, at=event.occurred_at)
        if data["decision"] in FINAL_DECISIONS:
            uow.retention.note_final_decision(data["decision_id"], data["account_id"], event.occurred_at)
        until = {"postponed": data.get("supplement_due_on"),
                 "negative": data.get("new_portfolio_deadline")}.get(data["decision"])
        if until is None:
            return
        if not uow.periods.extend(account_id=data["account_id"], certificate_id=data["certificate_id"],
                                  until=until):
            _log.info("decision about a certificate that is not the account's current one", extra={
                "decision_id": str(data["decision_id"]), "certificate_id": str(data["certificate_id"])})

    def on_assessor_assigned(self, uow: UnitOfWork, event: Event) -> None:
        """The assessor reads the case's snapshot from now until the decision."""
        data = event.data
        uow.cases.upsert_assignment(case_id=data["case_id"], account_id=data["account_id"],
                                    assessor_id=data["assessor_id"], assigned_at=event.occurred_at)
        uow.cases.set_access(data["case_id"], open_=True, at=event.occurred_at)

    def on_supplement_submitted(self, uow: UnitOfWork, event: Event) -> None:
        """The supplement is reassessed by the same assessor: access to the case's snapshots returns. With
        Part B supplemented, its activities (those added since the submission among them) are locked as the
        supplement's submission, which becomes part of the case, so that the assessor reads them and the
        jobcoach can no longer change them (ADR 0043)."""
        data = event.data
        uow.cases.set_access(data["case_id"], open_=True, at=event.occurred_at)
        if data.get("pe_activity_ids") is None:
            return
        # An event of an older portfolio has no supplement_submission_id: the case's own submission stands in.
        submission_id = data.get("supplement_submission_id") or data["submission_id"]
        uow.cases.record_case(case_id=data["case_id"], submission_id=submission_id,
                              account_id=data["account_id"])
        if not uow.activities.lock_for_submission(submission_id=submission_id, account_id=data["account_id"],
                                                  activity_ids=data["pe_activity_ids"]):
            _log.info("supplement of a withdrawn submission: nothing locked", extra={
                "submission_id": str(submission_id), "event_id": str(event.id)})

    def on_portfolio_submitted(self, uow: UnitOfWork, event: Event) -> None:
        """Lock the snapshot's activities for good, unless the submission was withdrawn already: then this
        event is a late one (retried or replayed after the withdrawal was handled) and locks nothing, since
        no withdrawal would come again to release the locks."""
        data = event.data
        if not uow.activities.lock_for_submission(submission_id=data["submission_id"],
                                                  account_id=data["account_id"],
                                                  activity_ids=data["pe_activity_ids"]):
            _log.info("late portfolio.submitted of a withdrawn submission: nothing locked", extra={
                "submission_id": str(data["submission_id"]), "event_id": str(event.id)})

    def on_portfolio_withdrawn(self, uow: UnitOfWork, event: Event) -> None:
        """Release the submission's locks and remember it as withdrawn (a withdrawal is final)."""
        data = event.data
        uow.activities.release_submission(data["submission_id"], account_id=data["account_id"],
                                          withdrawn_at=event.occurred_at)

    def on_account_erased(self, uow: UnitOfWork, event: Event) -> None:
        """identity.account.erased: forget the person (ADR 0020): every row about them, and their evidence
        files. The objects go first, inside the handler's transaction: should the transaction then fail, the
        redelivered event finds the rows and deletes again (a missing object is no error)."""
        keys = uow.retention.forget_account(event.data["account_id"])
        discard_objects(self.evidence, keys)
        _log.info("account forgotten", extra={"account_id": str(event.data["account_id"]),
                                              "objects": len(keys)})

    def on_mentorship_started(self, uow: UnitOfWork, event: Event) -> None:
        """The mentor reads the jobcoach's PE summary from now on (ADR 0028)."""
        data = event.data
        uow.mentorships.started(mentorship_id=data["mentorship_id"], account_id=data["account_id"],
                                mentor_id=data["mentor_id"], started_at=data["started_at"])

    def on_mentorship_ended(self, uow: UnitOfWork, event: Event) -> None:
        """The mentor reads nothing of the jobcoach any more."""
        data = event.data
        uow.mentorships.ended(mentorship_id=data["mentorship_id"], account_id=data["account_id"],
                              mentor_id=data["mentor_id"], started_at=data["started_at"],
                              ended_at=data["ended_at"])

    def table(self) -> dict[str, Callable[[UnitOfWork, Event], None]]:
        """Event type -> the method that handles it with a unit of work."""
        return {
            "identity.account.registered": self.on_account,
            "identity.account.updated": self.on_account,
            "identity.account.erased": self.on_account_erased,
            "noloc.academy.activity.completed": self.on_noloc_activity_completed,
            "certification.certificate.registered": self.on_certificate,
            "certification.certificate.renewed": self.on_certificate,
            "certification.certificate.reactivated": self.on_certificate,
            "assessment.case.opened": self.on_case_opened,
            "assessment.assessor.assigned": self.on_assessor_assigned,
            "certification.decision.made": self.on_decision_made,
            "portfolio.supplement.submitted": self.on_supplement_submitted,
            "portfolio.submitted": self.on_portfolio_submitted,
            "portfolio.withdrawn": self.on_portfolio_withdrawn,
            "portfolio.mentorship.started": self.on_mentorship_started,
            "portfolio.mentorship.ended": self.on_mentorship_ended,
        }


def _apply_parked(uow: UnitOfWork, account_id: UUID, number: str) -> None:
    """What Noloc sent for ``number`` before its holder was known, imported for ``account_id`` when that
    account is the holder (see ``AccountRepository.holder_of``)."""
    if uow.accounts.holder_of(number) != account_id:
        return
    for parked in uow.noloc.take_parked(number):
        activity = import_noloc_activity(uow, account_id, parked.data, parked.event_id)
        _log.info("parked Noloc activity applied", extra={
            "account_id": str(account_id), "external_id": parked.external_id,
            "activity_id": str(activity.id) if activity else None})


def subscriptions(settings: PeRegistrySettings, db: Database) -> Sequence[Subscription]:
    """One consumer, queue ``pe-registry.events``: every handler is small and ordering across types matters
    little (each read model is guarded against late events by its own timestamps)."""
    handlers = Handlers(settings, ObjectStore.from_settings(settings, settings.evidence_bucket))
    return (Subscription("events", {
        event_type: handled_in(SqlPeRegistryUnitOfWork.joining, handler)
        for event_type, handler in handlers.table().items()}),)
