"""What the PE registry's worker runs besides the outbox relay and the consumer of ``handlers``
(``python -m recert_pe_registry worker``; the loop itself is ``recert_common.runtime.run_worker``): the
retention of evidence after a final decision (ADR 0020). Parked Noloc completions need no schedule: they are
applied by the account event they wait for."""
from __future__ import annotations

from collections.abc import Sequence

from recert_common.db import Database
from recert_common.worker import Schedule
from recert_pe_registry.service import build_service
from recert_pe_registry.settings import PeRegistrySettings


def schedules(settings: PeRegistrySettings, db: Database) -> Sequence[Schedule]:
    service = build_service(settings, db)
    return (Schedule("pe-registry.evidence-retention", settings.retention_interval_seconds,
                     lambda _db: service.purge_expired_evidence()),)
