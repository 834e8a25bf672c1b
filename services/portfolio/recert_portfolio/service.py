"""Portfolio's use cases, each in one unit of work: the state change and its events commit together.

The jobcoach's use cases act on their current cycle (the one cycle not closed), locked for the unit of work
so that an edit and a submit cannot interleave. The rules are the domain's (``domain``, ``readiness``); a
use case loads what they need, lets them decide, stores the outcome and publishes what others must hear.

"Today" decides the submission window and which dates are in the future; it comes from an injectable
function so tests can stand on any day, and from the real calendar (in the configured zone) otherwise.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO
from uuid import UUID

from recert_common.access_log import Read
from recert_common.auth import Principal, Role
from recert_common.clock import utcnow
from recert_common.db import Database
from recert_common.domain_errors import NotFoundError
from recert_common.storage import ObjectChunks, ObjectStore, StorageError, UploadRefused
from recert_common.uow import UnitOfWork
from recert_portfolio import calendar_feed, snapshot, wegwijzer
from recert_portfolio.domain import (
    SOURCE_UPLOAD,
    UNCHANGED,
    CalendarFeed,
    CalendarUnavailable,
    Cycle,
    CycleState,
    CycleView,
    FieldRefusal,
    FieldRefused,
    Meeting,
    MeetingNotChangeable,
    MeetingRefusal,
    NoCurrentCycle,
    Part,
    PeActivity,
    PeChangedWhileSubmitting,
    Portfolio,
    Proof,
    ProofRefused,
    Submission,
    Supplement,
    SupplementState,
    check_editable,
    check_meeting_changeable,
    check_meeting_date,
    check_part_input,
)
from recert_portfolio.mentoring import MentoringUseCases
from recert_portfolio.pe_holds import PeHolds
from recert_portfolio.readiness import Readiness, assess
from recert_portfolio.settings import PortfolioSettings
from recert_portfolio.store import SqlPortfolioUnitOfWork

_log = logging.getLogger(__name__)

#: The unit of work with portfolio's repositories (``store.SqlPortfolioUnitOfWork`` or the tests' fake).
PortfolioUnitOfWork = Any


#: ``hold(readiness, cycle, activities)``, as ``PortfolioService._holding_pe`` yields it.
_HoldPe = Callable[[Readiness, Cycle, Sequence[PeActivity]], None]


class PortfolioService(MentoringUseCases):
    """``db`` is only for the app's readiness probe and revocation checks; use cases go through ``uow``."""

    def __init__(self, uow: Callable[[], UnitOfWork], settings: PortfolioSettings, proofs: ObjectStore, *,
                 today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow,
                 db: Database | None = None):
        self.uow = uow
        self.settings = settings
        self.proofs = proofs
        self.today = today or settings.calendar_today()
        self.now = now
        self.db = db
        # pe-registry holds a submission's activities before the snapshot is sealed (ADR 0044).
        self.pe_holds: Callable[[], PeHolds] = functools.cache(lambda: PeHolds(settings.pe_registry_url))

    # --- reading -----------------------------------------------------------------------------------------

    @staticmethod
    def _portfolio(uow: PortfolioUnitOfWork, cycle: Cycle) -> Portfolio:
        supplement = uow.supplements.latest(cycle.id)
        return Portfolio(cycle=cycle, parts=uow.parts.of_cycle(cycle.id),
                         meetings=uow.meetings.of_cycle(cycle.id), supplement=supplement,
                         withdrawal=uow.submissions.withdrawal_request(cycle.submission_id))

    @staticmethod
    def _current(uow: PortfolioUnitOfWork, account_id: UUID, *, for_update: bool = False) -> Cycle:
        cycle = uow.cycles.current(account_id, for_update=for_update)
        if cycle is None:
            raise NoCurrentCycle()
        return cycle

    @staticmethod
    def _assess(uow: PortfolioUnitOfWork, portfolio: Portfolio,
                activities: Sequence[PeActivity] | None = None) -> Readiness:
        if activities is None:
            activities = uow.pe.activities(portfolio.cycle.account_id)
        return assess(portfolio.cycle, portfolio.parts, portfolio.meetings, activities,
                      supplement=portfolio.supplement)

    def current(self, account_id: UUID) -> CycleView:
        with self.uow() as uow:
            return CycleView(self._portfolio(uow, self._current(uow, account_id)), self.today())

    def cycle(self, cycle_id: UUID) -> CycleView | None:
        """Any cycle by id; the caller checks who may see it."""
        with self.uow() as uow:
            found = uow.cycles.get(cycle_id)
            return None if found is None else CycleView(self._portfolio(uow, found), self.today())

    def list_cycles(self, *, account_id: UUID | None, page: int, page_size: int) -> tuple[list[Cycle], int]:
        with self.uow() as uow:
            return uow.cycles.page(account_id=account_id, page=page, page_size=page_size)

    def meetings(self, account_id: UUID) -> tuple[Meeting, ...]:
        with self.uow() as uow:
            return uow.meetings.of_cycle(self._current(uow, account_id).id)

    def meeting(self, meeting_id: UUID) -> Meeting | None:
        with self.uow() as uow:
            return uow.meetings.get(meeting_id)

    def readiness(self, account_id: UUID) -> tuple[CycleView, Readiness]:
        with self.uow() as uow:
            portfolio = self._portfolio(uow, self._current(uow, account_id))
            result = self._assess(uow, portfolio)
        return CycleView(portfolio, self.today()), result

    def supplement(self, account_id: UUID) -> Supplement:
        """The supplement asked of the jobcoach: the current cycle's latest, handed in or not. None was asked
        (NotFoundError) when there is none, or it was annulled with the postponed decision that asked for it
        (the cycle's view still shows it, annulled)."""
        with self.uow() as uow:
            supplement = uow.supplements.latest(self._current(uow, account_id).id)
        if supplement is None or supplement.state == SupplementState.ANNULLED:
            raise NotFoundError()
        return supplement

    # --- editing -----------------------------------------------------------------------------------------

    def _editable(self, uow: PortfolioUnitOfWork, cycle: Cycle, part: str) -> Supplement | None:
        """The open supplement (if any), after checking that ``part`` may be edited today."""
        supplement = uow.supplements.latest(cycle.id) if cycle.state == CycleState.SUPPLEMENT_OPEN else None
        check_editable(cycle, supplement, part, self.today())
        return supplement

    def save_part(self, account_id: UUID, part: str, *, text: str, declared: bool | None = None,
                  declared_now: bool | None = None, meeting_id: UUID | None = UNCHANGED,
                  supplement_only: bool = False) -> Part:
        """Save a draft of ``part`` (as often as wanted); see ``Part.saved`` for the declarations and the
        report's meeting. ``supplement_only``: only while a supplement is open (its own endpoint)."""
        check_part_input(part, declared=declared, declared_now=declared_now, meeting_id=meeting_id)
        now = self.now()
        with self.uow() as uow:
            cycle = self._current(uow, account_id, for_update=True)
            if supplement_only:
                cycle.check_supplement_open(uow.supplements.latest(cycle.id))
            supplement = self._editable(uow, cycle, part)
            if meeting_id is not UNCHANGED and meeting_id is not None:
                meeting = uow.meetings.get(meeting_id)
                if meeting is None or meeting.cycle_id != cycle.id:
                    raise FieldRefused("meeting_id", FieldRefusal.UNKNOWN_MEETING)
            current = uow.parts.of_cycle(cycle.id).get(part) or Part(part)
            saved = current.saved(text=text, declared=declared, declared_now=declared_now,
                                  meeting_id=meeting_id, now=now)
            uow.parts.save(cycle.id, saved)
            if supplement is not None:
                uow.supplements.mark_revised(supplement.id, part)
        return saved

    def add_meeting(self, account_id: UUID, *, met_on: date, kind: str, group_name: str | None = None,
                    supervisor_name: str | None = None, duration_minutes: int | None = None) -> Meeting:
        today = self.today()
        with self.uow() as uow:
            cycle = self._current(uow, account_id, for_update=True)
            self._editable(uow, cycle, "A3")
            check_meeting_date(cycle, met_on, today, uow.supplements.latest(cycle.id))
            meeting = Meeting(id=uuid.uuid4(), cycle_id=cycle.id, account_id=account_id, met_on=met_on,
                              kind=kind, group_name=group_name, supervisor_name=supervisor_name,
                              duration_minutes=duration_minutes, source=SOURCE_UPLOAD, external_id=None,
                              proof=None, created_at=self.now())
            uow.meetings.add(meeting)
        return meeting

    def _own_changeable_meeting(self, uow: PortfolioUnitOfWork, account_id: UUID, meeting_id: UUID
                                ) -> Meeting:
        meeting = uow.meetings.get(meeting_id)
        if meeting is None or meeting.account_id != account_id:
            raise NotFoundError()
        self._editable(uow, uow.cycles.get(meeting.cycle_id, for_update=True), "A3")
        check_meeting_changeable(meeting)
        return meeting

    def delete_meeting(self, account_id: UUID, meeting_id: UUID) -> None:
        with self.uow() as uow:
            meeting = self._own_changeable_meeting(uow, account_id, meeting_id)
            if uow.parts.report_is_about(meeting.id):
                raise MeetingNotChangeable(MeetingRefusal.IN_USE)
            # The proof object stays: a withdrawn submission's snapshot may still name it.
            uow.meetings.delete(meeting.id)

    # --- proof files -------------------------------------------------------------------------------------

    def upload_proof(self, account_id: UUID, meeting_id: UUID, stream: BinaryIO, *,
                     filename: str | None) -> Meeting:
        """Store the file streamed in as the meeting's proof. Checked before the upload (so a refused request
        sends nothing to storage) and again after it, in the unit of work that links the file."""
        with self.uow() as uow:
            self._own_changeable_meeting(uow, account_id, meeting_id)
        self.proofs.ensure_bucket()
        key = f"{account_id}/{meeting_id}/{uuid.uuid4()}"
        try:
            stored = self.proofs.put_stream(key, stream, max_bytes=self.settings.proof_max_bytes,
                                            filename=filename)
        except UploadRefused as refusal:
            raise ProofRefused(refusal) from None
        try:
            with self.uow() as uow:
                self._own_changeable_meeting(uow, account_id, meeting_id)
                proof = Proof(id=uuid.uuid4(), account_id=account_id, object_key=key, sha256=stored.sha256,
                              size=stored.size, content_type=stored.content_type, filename=stored.filename,
                              uploaded_at=self.now())
                uow.proofs.add(proof)
                uow.meetings.set_proof(meeting_id, proof.id)
                return uow.meetings.get(meeting_id)
        except BaseException:
            # Submitted meanwhile, or the database failed: keep no orphan object.
            try:
                self.proofs.delete(key)
            except Exception:
                _log.warning("could not remove the refused proof object", extra={"key": key})
            raise

    def open_proof(self, proof: Proof) -> ObjectChunks:
        return self.proofs.stream(proof.object_key)

    def proof(self, proof_id: UUID) -> Proof | None:
        with self.uow() as uow:
            return uow.proofs.get(proof_id)

    def submitted_proof(self, submission: Submission, meeting_id: UUID) -> Proof | None:
        """The meeting's proof file as ``submission``'s snapshot lists it (also after it was replaced)."""
        proof_id = snapshot.listed_proof_id(submission, meeting_id)
        return self.proof(proof_id) if proof_id else None

    # --- submitting --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _holding_pe(self, submission_id: UUID, token: str) -> Iterator[_HoldPe]:
        """Yields ``hold(readiness, cycle, activities)``, which asks pe-registry to hold the activities the
        snapshot names, provided that ``activities`` (the copy readiness was assessed on) is what it has
        (ADR 0044). Should the submission then not commit, the hold is let go of. Asked is not held for
        sure (a timeout may come after pe-registry committed), but a refusal says nothing was held."""
        holds = self.pe_holds()
        asked = False

        def hold(readiness: Readiness, cycle: Cycle, activities: Sequence[PeActivity]) -> None:
            nonlocal asked
            asked = True
            holds.hold(submission_id, readiness.period or cycle.period, activities,
                       [a.activity_id for a in readiness.pe_activities], token=token)

        try:
            yield hold
        except PeChangedWhileSubmitting:
            raise
        except BaseException:
            if asked:
                holds.release(submission_id, token=token)
            raise

    def submit(self, account_id: UUID, *, token: str) -> Submission:
        """Seal the snapshot and send the portfolio to DNV; ``token`` (the jobcoach's) asks pe-registry to
        hold the PE activities first."""
        today, now = self.today(), self.now()
        submission_id = uuid.uuid4()
        with self._holding_pe(submission_id, token) as hold_pe, self.uow() as uow:
            cycle = self._current(uow, account_id, for_update=True)
            portfolio = self._portfolio(uow, cycle)
            activities = uow.pe.activities(account_id)
            readiness = self._assess(uow, portfolio, activities)
            submitted = cycle.submit(submission_id, today=today, readiness=readiness)
            hold_pe(readiness, cycle, activities)
            submission = self._seal(uow, submission_id, "submission", portfolio, readiness, now)
            uow.cycles.save(submitted)
            uow.publish("portfolio.submitted", {
                "portfolio_id": cycle.portfolio_id, "cycle_id": cycle.id, "submission_id": submission.id,
                "account_id": account_id, "certificate_id": cycle.certificate_id,
                "certificate_expires_on": cycle.expires_on, "submitted_at": now,
                "snapshot_hash": submission.snapshot_hash,
                "pe_activity_ids": [a.activity_id for a in readiness.pe_activities],
                "pe_points_counted": readiness.pe.counted_total,
                "reflection_meetings": readiness.proven_meetings,
                "is_new_portfolio_after_negative": cycle.is_after_negative,
            }, subject=account_id)
        return submission

    @staticmethod
    def _seal(uow: PortfolioUnitOfWork, submission_id: UUID, kind: str, portfolio: Portfolio,
              readiness: Readiness, now: datetime, supplement: Supplement | None = None) -> Submission:
        cycle = portfolio.cycle
        document = snapshot.build(kind=kind, submission_id=submission_id, submitted_at=now, cycle=cycle,
                                  parts=portfolio.parts, meetings=portfolio.meetings, readiness=readiness,
                                  supplement=supplement)
        content, digest = snapshot.seal(document)
        submission = Submission(
            id=submission_id, kind=kind, cycle_id=cycle.id, portfolio_id=cycle.portfolio_id,
            account_id=cycle.account_id,
            about_submission_id=supplement.submission_id if supplement else submission_id,
            supplement_id=supplement.id if supplement else None, submitted_at=now, content=content,
            snapshot_hash=digest)
        uow.submissions.add(submission)
        return submission

    def withdraw(self, account_id: UUID, reason: str | None = None) -> CycleView:
        """Ask to withdraw the submitted portfolio. Assessment, which assigns assessors, decides (ADR 0041):
        the cycle stays submitted, with its request pending, until its answer comes back as an event."""
        now = self.now()
        with self.uow() as uow:
            cycle = self._current(uow, account_id, for_update=True)
            request = cycle.request_withdrawal(
                reason, now=now, assessor_assigned=uow.cases.assessor_assigned(cycle.submission_id),
                earlier=uow.submissions.withdrawal_request(cycle.submission_id))
            uow.submissions.request_withdrawal(request)
            uow.publish("portfolio.withdrawal.requested", {
                "portfolio_id": cycle.portfolio_id, "cycle_id": cycle.id,
                "submission_id": cycle.submission_id, "account_id": account_id, "requested_at": now,
                "reason": reason,
            }, subject=account_id)
            return CycleView(self._portfolio(uow, cycle), self.today())

    def submit_supplement(self, account_id: UUID, *, token: str) -> Submission:
        """Hand the supplement in; with Part B, pe-registry holds the PE activities first (ADR 0044)."""
        today, now = self.today(), self.now()
        submission_id = uuid.uuid4()
        with self._holding_pe(submission_id, token) as hold_pe, self.uow() as uow:
            cycle = self._current(uow, account_id, for_update=True)
            supplement = uow.supplements.latest(cycle.id)
            submitted = cycle.submit_supplement(supplement, today=today, zone=self.settings.zone)
            portfolio = self._portfolio(uow, cycle)
            activities = uow.pe.activities(account_id)
            readiness = self._assess(uow, portfolio, activities)
            if "B" in supplement.parts:
                hold_pe(readiness, cycle, activities)
            submission = self._seal(uow, submission_id, "supplement", portfolio, readiness, now, supplement)
            uow.supplements.save_submitted(supplement.submitted(submission.id, now))
            uow.cycles.save(submitted)
            # The same assessor reassesses: the case's snapshots are readable again until the decision.
            uow.cases.set_access(supplement.case_id, open_=True, at=now)
            uow.publish("portfolio.supplement.submitted", {
                "supplement_id": supplement.id, "case_id": supplement.case_id,
                "portfolio_id": cycle.portfolio_id, "submission_id": supplement.submission_id,
                "supplement_submission_id": submission.id, "account_id": account_id,
                "parts": list(supplement.parts), "submitted_at": now,
                "snapshot_hash": submission.snapshot_hash,
                # Part B supplemented: DNV's PE check is done again on these (ADR 0011).
                **({"pe_activity_ids": [a.activity_id for a in readiness.pe_activities],
                    "pe_points_counted": readiness.pe.counted_total} if "B" in supplement.parts else {}),
            }, subject=account_id)
        return submission

    # --- the wegwijzer (ADR 0026) ------------------------------------------------------------------------

    def _wegwijzer(self, uow: PortfolioUnitOfWork, cycle: Cycle, today: date) -> wegwijzer.Wegwijzer:
        portfolio = self._portfolio(uow, cycle)
        readiness = self._assess(uow, portfolio)
        return wegwijzer.compute(wegwijzer.situation(
            cycle, today, parts=portfolio.parts, missing=readiness.missing_codes, pe=readiness.pe,
            meetings_required=readiness.required_meetings, meetings_proven=readiness.proven_meetings,
            supplement=portfolio.supplement))

    def wegwijzer(self, account_id: UUID) -> wegwijzer.Wegwijzer:
        """The jobcoach's milestones, pace and next step today; NoCurrentCycle when there is no cycle."""
        with self.uow() as uow:
            return self._wegwijzer(uow, self._current(uow, account_id), self.today())

    def _calendar_secret(self) -> str:
        if not self.settings.calendar_secret:
            raise CalendarUnavailable()
        return self.settings.calendar_secret

    def calendar_feed(self, account_id: UUID) -> tuple[CalendarFeed, str]:
        """The jobcoach's feed and its token, made the first time it is asked for."""
        key = self._calendar_secret()
        with self.uow() as uow:
            feed = uow.calendar_feeds.get(account_id)
            if feed is None:
                made = CalendarFeed(account_id, calendar_feed.new_nonce(), self.now())
                feed = uow.calendar_feeds.add(
                    made, calendar_feed.token_hash(calendar_feed.feed_token(key, account_id, made.nonce)))
        return feed, calendar_feed.feed_token(key, account_id, feed.nonce)

    def renew_calendar_feed(self, account_id: UUID) -> tuple[CalendarFeed, str]:
        """A new address for the feed; the old one stops at once."""
        key = self._calendar_secret()
        feed = CalendarFeed(account_id, calendar_feed.new_nonce(), self.now())
        token = calendar_feed.feed_token(key, account_id, feed.nonce)
        with self.uow() as uow:
            uow.calendar_feeds.replace(feed, calendar_feed.token_hash(token))
        _log.info("calendar feed renewed", extra={"account_id": str(account_id)})
        return feed, token

    def calendar(self, token: str, language: str) -> bytes:
        """The feed of the token's owner (NotFoundError for a token that is not, or no longer, a feed's)."""
        self._calendar_secret()
        with self.uow() as uow:
            account_id = uow.calendar_feeds.owner_of(calendar_feed.token_hash(token))
            if account_id is None:
                raise NotFoundError()
            cycle = uow.cycles.current(account_id)
            found = self._wegwijzer(uow, cycle, self.today()) if cycle is not None else None
        return calendar_feed.render(found, now=self.now(), language=language)

    def nudge_behind(self) -> int:
        """The daily check: every milestone that is behind in a cycle where the jobcoach has work to do is
        announced once per cycle (portfolio.milestone.behind), in the unit of work that records it."""
        today, announced = self.today(), 0
        with self.uow() as uow:
            cycle_ids = uow.nudges.open_cycle_ids()
        for cycle_id in cycle_ids:
            with self.uow() as uow:
                cycle = uow.cycles.get(cycle_id)
                if cycle is None or cycle.state not in (CycleState.OPEN, CycleState.SUPPLEMENT_OPEN):
                    continue
                found = self._wegwijzer(uow, cycle, today)
                for milestone in found.behind:
                    if not uow.nudges.add(cycle.id, str(milestone.key), cycle.account_id, self.now()):
                        continue
                    uow.publish("portfolio.milestone.behind", {
                        "account_id": cycle.account_id, "cycle_id": cycle.id, "milestone": str(milestone.key),
                        "milestone_date": milestone.date, "case_state": str(found.case_state),
                        "deadline": found.deadline,
                        "estimate_hours": milestone.estimate.hours if milestone.estimate else None,
                        "estimate_weeks": milestone.estimate.weeks if milestone.estimate else None,
                        "pe_points_needed": found.pace.points_needed,
                        "pe_points_per_month": found.pace.points_per_month,
                        "meetings_required": found.meetings_required,
                        "meetings_proven": found.meetings_proven,
                    }, subject=cycle.account_id)
                    announced += 1
        if announced:
            _log.info("milestones behind announced", extra={"events": announced})
        return announced

    def announce_missed_deadlines(self) -> int:
        """The check of ADR 0042: every open cycle whose last day to submit has passed, and every supplement
        not handed in by its due date (an annulled one is not due), is announced once
        (portfolio.deadline.missed, portfolio.supplement.missed), in the unit of work that records it on the
        locked cycle row. A
        submission of either takes the same lock, so it either stands before the check (nothing to
        announce) or is refused after it: assessment may lapse the certificate, and DNV decide without the
        supplement, on these events alone. Returns the number of events."""
        today = self.today()
        with self.uow() as uow:
            due = [(cycle_id, self._missed_submission) for cycle_id in uow.cycles.past_deadline_ids(today)]
            due += [(cycle_id, self._missed_supplement)
                    for cycle_id in uow.supplements.past_due_cycle_ids(today)]
        announced = 0
        for cycle_id, announce in due:
            with self.uow() as uow:
                cycle = uow.cycles.get(cycle_id, for_update=True)
                if cycle is not None and announce(uow, cycle, today):
                    announced += 1
        if announced:
            _log.info("missed deadlines announced", extra={"events": announced})
        return announced

    def _missed_submission(self, uow: PortfolioUnitOfWork, cycle: Cycle, today: date) -> bool:
        missed = cycle.miss_deadline(today=today, now=self.now())
        if missed is None:
            return False
        uow.cycles.save(missed)
        uow.publish("portfolio.deadline.missed", {
            "cycle_id": missed.id, "account_id": missed.account_id, "certificate_id": missed.certificate_id,
            "kind": str(missed.kind), "expires_on": missed.expires_on, "submit_by": missed.submit_by,
        }, subject=missed.account_id)
        return True

    def _missed_supplement(self, uow: PortfolioUnitOfWork, cycle: Cycle, today: date) -> bool:
        supplement = uow.supplements.latest(cycle.id) if cycle.state == CycleState.SUPPLEMENT_OPEN else None
        missed = supplement.miss(today=today, now=self.now()) if supplement else None
        if missed is None:
            return False
        uow.supplements.save_missed(missed)
        uow.publish("portfolio.supplement.missed", {
            "supplement_id": missed.id, "case_id": missed.case_id, "cycle_id": cycle.id,
            "submission_id": missed.submission_id, "account_id": cycle.account_id, "due_on": missed.due_on,
        }, subject=cycle.account_id)
        return True

    # --- snapshots ---------------------------------------------------------------------------------------

    def submission(self, submission_id: UUID) -> Submission | None:
        with self.uow() as uow:
            return uow.submissions.get(submission_id)

    # --- retention (ADR 0020) -----------------------------------------------------------------------------

    def purge_expired_snapshots(self, today: date | None = None) -> tuple[int, int, int]:
        """Delete the submitted snapshots and proof files (rows, then objects) of every cycle whose final
        decision is more than the retention period ago; returns (decisions, snapshots, proof files). The
        cycle itself (its dates and state) stays."""
        cutoff = (today or self.today()) - timedelta(days=self.settings.retention_days)
        snapshots, keys = 0, []
        with self.uow() as uow:
            due = uow.cases.due_final_decisions(cutoff)
            for decision in due:
                count, proof_keys = uow.retention.purge_cycle_snapshots(decision.cycle_id)
                snapshots += count
                keys += proof_keys
                uow.cases.mark_purged(decision.decision_id, self.now())
        for key in keys:
            try:
                self.proofs.delete(key)
            except StorageError:  # an orphan object is logged; the rows are gone already
                _log.exception("could not delete a proof object", extra={"object_key": key})
        if due:
            _log.info("snapshots past their retention deleted", extra={
                "decisions": len(due), "snapshots": snapshots, "proofs": len(keys)})
        return len(due), snapshots, len(keys)

    def log_read(self, principal: Principal, owner_id: UUID, kind: str, object_id: UUID,
                 label: str | None = None) -> None:
        """Someone else's read of a jobcoach's cycle, proof or snapshot (ADR 0020). Called before anything is
        served: when the row cannot be written, the read fails."""
        if principal.account_id == owner_id:
            return
        with self.uow() as uow:
            uow.access_log.record(owner_id=owner_id, reader_id=principal.account_id,
                                  reader_roles=principal.roles, kind=kind, object_id=object_id, label=label)

    def access_log(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[Read], int]:
        """Who else read the jobcoach's cycles, proofs and snapshots, latest first."""
        with self.uow() as uow:
            return uow.access_log.page(account_id, page=page, page_size=page_size)

    def may_read(self, principal: Principal, submission: Submission) -> bool:
        """The owner, DNV officers, and the assessor of a case about this submission."""
        if principal.account_id == submission.account_id or principal.has_any_role(Role.DNV_OFFICER):
            return True
        if not principal.has_any_role(Role.ASSESSOR):
            return False
        with self.uow() as uow:
            return uow.cases.assessor_may_read(submission.about_submission_id, principal.account_id)

    def list_submissions(self, principal: Principal, *, account_id: UUID | None, cycle_id: UUID | None,
                         page: int, page_size: int) -> tuple[list[Submission], int]:
        """DNV officers see every submission, assessors those of their cases, a jobcoach their own."""
        scope: dict[str, Any] = {"account_id": account_id, "cycle_id": cycle_id}
        if not principal.has_any_role(Role.DNV_OFFICER):
            if principal.has_any_role(Role.ASSESSOR):
                scope["assessor_id"] = principal.account_id
            else:
                scope["account_id"] = principal.account_id
        with self.uow() as uow:
            return uow.submissions.page(**scope, page=page, page_size=page_size)


def build_service(settings: PortfolioSettings, db: Database | None = None, *,
                  today: Callable[[], date] | None = None, now: Callable[[], datetime] = utcnow
                  ) -> PortfolioService:
    db = db or Database.from_settings(settings, "portfolio-web")
    proofs = ObjectStore.from_settings(settings, settings.proof_bucket)
    return PortfolioService(lambda: SqlPortfolioUnitOfWork(db), settings, proofs, today=today, now=now, db=db)


__all__ = ["PortfolioService", "build_service"]
