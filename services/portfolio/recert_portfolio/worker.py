"""What portfolio's worker runs besides the outbox relay (``python -m recert_portfolio worker``; the loop is
``recert_common.runtime.run_worker``): the consumer of ``handlers.subscriptions``, and the retention of
snapshots and proofs after a final decision (ADR 0020), the wegwijzer's daily nudge (ADR 0026): a
milestone that turned "behind" is announced once per cycle, and the deadline check (ADR 0042): a last day to
submit, or a supplement's due date, that passed with nothing handed in is announced once, and assessment
acts on it (lapses the certificate, lets DNV decide without the supplement)."""
from __future__ import annotations

from collections.abc import Sequence

from recert_common.db import Database
from recert_common.worker import Schedule
from recert_portfolio.service import build_service
from recert_portfolio.settings import PortfolioSettings


def schedules(settings: PortfolioSettings, db: Database) -> Sequence[Schedule]:
    service = build_service(settings, db)
    return (Schedule("portfolio.retention", settings.retention_interval_seconds,
                     lambda _db: service.purge_expired_snapshots()),
            Schedule("portfolio.wegwijzer-nudge", settings.wegwijzer_interval_seconds,
                     lambda _db: service.nudge_behind()),
            Schedule("portfolio.deadlines", settings.deadline_interval_seconds,
                     lambda _db: service.announce_missed_deadlines()))
