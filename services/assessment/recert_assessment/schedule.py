"""What the worker does on a timer: expiry reminders, lapsing expired certificates, reporting overdue cases.

Safe with any number of workers running it at once, and after restarts: every reminder and overdue report
is a row with a primary key, inserted in the transaction that writes its event to the outbox, so only one
transaction ever records it; a lapse is an update guarded by ``state = 'active'`` on a row locked with SKIP
LOCKED. Reminders are recorded set-based, a batch of up to ``NOTICE_BATCH`` in one statement and their
events in one more (ADR 0038): the first pass over an imported register sends thousands. Which reminder is
due is the domain's rule (``domain.expiry_notice``), decided here in Python, never in SQL. Each certificate
to lapse and each overdue case is handled in a unit of work of its own, so one failure does not hold up the
rest. A certificate with an account and no negative decision is not the timer's to lapse until portfolio has
said that nothing was submitted in time, or 7 days after expiry (ADR 0042): the store leaves the others out
of its candidates, and the domain decides on each locked row.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from recert_assessment import certificates
from recert_assessment.domain import (
    EXPIRY_NOTICE_MONTHS,
    PORTFOLIO_SILENCE_DAYS,
    SYSTEM,
    Certificate,
    ExpiryNotice,
    expiry_notice,
)
from recert_assessment.service import record_audit
from recert_assessment.states import is_open, stage
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.db import Database
from recert_common.rules import add_months
from recert_common.uow import UnitOfWork

_log = logging.getLogger(__name__)

NOTICE_BATCH = 1000  # reminders recorded per transaction
EXPIRING = "certification.certificate.expiring"


def expiring_event_data(certificate: Certificate, notice: ExpiryNotice) -> dict[str, Any]:
    """The data of ``certification.certificate.expiring`` for ``notice``."""
    return {"certificate_id": certificate.id, "certificate_number": certificate.number,
            "account_id": certificate.account_id, "months_before": notice.months_before,
            "valid_until": notice.valid_until, "window_opens_on": notice.window_opens_on,
            "window_open": notice.window_open}


@dataclass(frozen=True)
class ScheduleReport:
    expiring: int = 0
    lapsed: int = 0
    overdue: int = 0


class Scheduler:
    def __init__(self, today: Callable[[], date], now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.today = today
        self.now = now

    def run(self, db: Database) -> ScheduleReport:
        """One pass on the service's database (the worker's schedule job)."""
        return self.run_in(lambda: SqlAssessmentUnitOfWork(db))

    def run_in(self, uow: Callable[[], UnitOfWork]) -> ScheduleReport:
        today = self.today()
        report = ScheduleReport(expiring=self.send_expiry_notices(uow, today),
                                lapsed=self.lapse_expired(uow, today),
                                overdue=self.report_overdue(uow, today))
        if report != ScheduleReport():
            _log.info("schedule ran", extra={"today": today.isoformat(), **report.__dict__})
        return report

    def send_expiry_notices(self, uow: Callable[[], UnitOfWork], today: date) -> int:
        """The reminder 12, 6, 3 or 1 month(s) before expiry whose moment has come, once. None while a
        portfolio for the period is being assessed: the jobcoach has acted already."""
        # 13 months: month-end clamping can make a 12-month moment fall a day or two beyond 12 months.
        horizon = add_months(today, 13)
        with uow() as work:
            unsent = work.certificates.reminders_unsent(today, horizon, EXPIRY_NOTICE_MONTHS)
        # The store narrows the certificates down to those with a reminder to send, so that a quiet pass
        # reads nothing; which reminder is due stays the domain's to say. The store records them in batches
        # of one statement each, checking the certificate, its open cases and the reminders recorded
        # meanwhile by another worker again in that statement.
        due = [notice for certificate_id, valid_until, _ in unsent
               if (notice := expiry_notice(certificate_id, valid_until, today)) is not None]
        sent = 0
        for first in range(0, len(due), NOTICE_BATCH):
            with uow() as work:
                recorded = work.certificates.add_expiry_notices(due[first:first + NOTICE_BATCH])
                work.publish_many(EXPIRING, [
                    (expiring_event_data(certificate, notice), certificate.account_id)
                    for notice, certificate in recorded])
                sent += len(recorded)
        return sent

    def lapse_expired(self, uow: Callable[[], UnitOfWork], today: date) -> int:
        """Certificates the timer lapses on assessment's own knowledge. One with an account and no
        negative decision waits for portfolio.deadline.missed (ADR 0042), up to ``PORTFOLIO_SILENCE_DAYS``."""
        with uow() as work:
            silence_from = today - timedelta(days=PORTFOLIO_SILENCE_DAYS)
            candidates = [c.id for c in work.certificates.lapse_candidates(today, silence_from)]
        lapsed = 0
        for certificate_id in candidates:
            with uow() as work:
                certificate = work.certificates.lock_active(certificate_id)
                if certificate is None:
                    continue  # lapsed or being handled by another worker
                lapsed += certificates.lapse_if_due(work, certificate, today, self.now())
        return lapsed

    def report_overdue(self, uow: Callable[[], UnitOfWork], today: date) -> int:
        with uow() as work:
            cases = [c.id for c in work.cases.open_due_by(today - timedelta(days=1))]
        reported = 0
        for case_id in cases:
            with uow() as work:
                case = work.cases.get(case_id, for_update=True)
                if not is_open(case.state) or case.due_on >= today \
                        or not work.cases.add_overdue_notice(case.id, case.due_on):
                    continue
                record_audit(work, case.id, "case_overdue", actor=None, role=SYSTEM, at=self.now(),
                             due_on=case.due_on, stage=stage(case.state))
                work.publish("assessment.case.overdue", {
                    "case_id": case.id, "account_id": case.account_id, "due_on": case.due_on,
                    "stage": stage(case.state), "assessor_id": case.assessor_id,
                }, subject=case.account_id)
                reported += 1
        return reported
