"""What the PE registry's worker runs besides the outbox relay and the consumer of ``handlers``
(``python -m recert_pe_registry worker``; the loop itself is ``recert_common.runtime.run_worker``): the
retention of evidence after a final decision (ADR 0020), and the reading of uploaded documents (ADR 0027).
Parked Noloc completions need no schedule: they are applied by the account event they wait for."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import psycopg

from recert_common.db import Database
from recert_common.worker import Schedule
from recert_pe_registry.service import PeRegistryService, build_service
from recert_pe_registry.settings import PeRegistrySettings
from recert_pe_registry.store import READINGS_CHANNEL

_log = logging.getLogger(__name__)


def schedules(settings: PeRegistrySettings, db: Database) -> Sequence[Schedule]:
    service = build_service(settings, db)
    return (Schedule("pe-registry.evidence-retention", settings.retention_interval_seconds,
                     lambda _db: service.purge_expired_evidence()),
            Schedule("pe-registry.readings", 0.0,
                     ReadingLoop(service, settings.reading_poll_seconds)))


class ReadingLoop:
    """One turn of the reading worker: read what is due, then sleep until an upload's NOTIFY (sent when
    its transaction commits) or ``poll_seconds`` (the fallback that also picks up retries and leases run
    out). Several workers may run it: each claims its rows with SKIP LOCKED."""

    def __init__(self, service: PeRegistryService, poll_seconds: float):
        self.service = service
        self.poll_seconds = poll_seconds
        self._listener: psycopg.Connection | None = None

    def __call__(self, db: Database) -> int:
        try:
            if self._listener is None:
                self._listener = db.listener()
                self._listener.execute(f"LISTEN {READINGS_CHANNEL}")
            done = self.service.read_pending()
            for _ in self._listener.notifies(timeout=self.poll_seconds, stop_after=1):
                pass
            return done
        except Exception:
            # The database or the object store is away: the schedule calls again at once, so wait here.
            _log.exception("readings: reading paused")
            self.close()
            time.sleep(self.poll_seconds)
            return 0

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
