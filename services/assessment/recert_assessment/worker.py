"""What assessment's worker runs besides the outbox relay (``python -m recert_assessment worker``; the loop
is ``recert_common.runtime.run_worker``): the consumer of ``handlers.subscriptions`` and one schedule, which
sends expiry reminders, lapses expired certificates and reports overdue cases (see ``schedule``); and, on
``RECERT_WORKER_METRICS_PORT``, the number of overdue cases, and of expired certificates and of cases past
their supplement's due date waiting for portfolio's word (ADR 0042), for the operators' alerts."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from recert_assessment.schedule import Scheduler
from recert_assessment.settings import AssessmentSettings
from recert_assessment.store import CaseRepository, CertificateRepository
from recert_common.db import Database
from recert_common.worker import Schedule
from recert_common.worker_metrics import StateGauges


def schedules(settings: AssessmentSettings, db: Database) -> Sequence[Schedule]:
    scheduler = Scheduler(settings.calendar_today())
    return (Schedule("assessment.certificates", settings.schedule_seconds, scheduler.run),)


OVERDUE_CASES = "recert_assessment_overdue_cases"
WAITING_FOR_PORTFOLIO = "recert_assessment_lapses_waiting_for_portfolio"
SUPPLEMENTS_WAITING = "recert_assessment_supplements_waiting_for_portfolio"


def metrics(settings: AssessmentSettings, db: Database, *,
            today: Callable[[], date] | None = None) -> Sequence[StateGauges]:
    today = today or settings.calendar_today()
    return (StateGauges(db, {OVERDUE_CASES: "Open cases whose result was due before today (6 to 8 weeks "
                                            "after submission).",
                             WAITING_FOR_PORTFOLIO: "Certificates with an account more than a day past "
                                                    "expiry that wait for portfolio.deadline.missed to "
                                                    "lapse (ADR 0042).",
                             SUPPLEMENTS_WAITING: "Cases more than a day past their supplement's due date "
                                                  "that wait for portfolio.supplement.missed before DNV "
                                                  "may decide (ADR 0042)."},
                        lambda conn: {OVERDUE_CASES: CaseRepository(conn).count_overdue(today()),
                                      WAITING_FOR_PORTFOLIO:
                                          CertificateRepository(conn).count_waiting_for_portfolio(today()),
                                      SUPPLEMENTS_WAITING:
                                          CaseRepository(conn).count_waiting_for_portfolio(today())}),)
