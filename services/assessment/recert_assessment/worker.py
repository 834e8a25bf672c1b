"""What assessment's worker runs besides the outbox relay (``python -m recert_assessment worker``; the loop
is ``recert_common.runtime.run_worker``): the consumer of ``handlers.subscriptions`` and one schedule, which
sends expiry reminders, lapses expired certificates and reports overdue cases (see ``schedule``)."""
from __future__ import annotations

from collections.abc import Sequence

from recert_assessment.schedule import Scheduler
from recert_assessment.settings import AssessmentSettings
from recert_common.db import Database
from recert_common.worker import Schedule


def schedules(settings: AssessmentSettings, db: Database) -> Sequence[Schedule]:
    scheduler = Scheduler(settings.calendar_today())
    return (Schedule("assessment.certificates", settings.schedule_seconds, scheduler.run),)
