"""What the worker does on a timer: expiry reminders, lapsing expired certificates, reporting overdue cases.

Safe with any number of workers running it at once, and after restarts: every reminder and overdue report
is a row with a primary key, inserted in the unit of work that publishes its event, so only one transaction
ever records it; a lapse is an update guarded by ``state = 'active'`` on a row locked with SKIP LOCKED.
Each certificate and case is handled in a unit of work of its own, so one failure does not hold up the rest.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from recert_assessment import certificates
from recert_assessment.domain import SYSTEM, expiry_notice_due
from recert_assessment.service import record_audit
from recert_assessment.states import is_open, stage
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.db import Database
from recert_common.rules import add_months, submission_window
from recert_common.uow import UnitOfWork

_log = logging.getLogger(__name__)


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
            listed = work.certificates.to_remind(today, horizon)
            sent_before = work.certificates.expiry_notices_sent(today, horizon)
        # Reminders sent in earlier passes are skipped here, so a quiet pass costs two queries rather than a
        # transaction per certificate; the per-certificate check below still guards two workers racing.
        candidates = [c.id for c in listed if (months := expiry_notice_due(c.valid_until, today)) is not None
                      and (c.id, months, c.valid_until) not in sent_before]
        sent = 0
        for certificate_id in candidates:
            with uow() as work:
                certificate = work.certificates.get(certificate_id)
                months = expiry_notice_due(certificate.valid_until, today)
                if months is None or certificate.account_id is None \
                        or work.cases.open_for_period(certificate.id, certificate.valid_until):
                    continue
                if not work.certificates.add_expiry_notice(certificate.id, months, certificate.valid_until):
                    continue
                window = submission_window(certificate.valid_until)
                work.publish("certification.certificate.expiring", {
                    "certificate_id": certificate.id, "certificate_number": certificate.number,
                    "account_id": certificate.account_id, "months_before": months,
                    "valid_until": certificate.valid_until, "window_opens_on": window.first,
                    "window_open": today in window,
                }, subject=certificate.account_id)
                sent += 1
        return sent

    def lapse_expired(self, uow: Callable[[], UnitOfWork], today: date) -> int:
        with uow() as work:
            candidates = [c.id for c in work.certificates.expired(today)]
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
