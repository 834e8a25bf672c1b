"""What the PE registry's worker runs besides the outbox relay and the consumer of ``handlers``
(``python -m recert_pe_registry worker``; the loop itself is ``recert_common.runtime.run_worker``): no
schedules. Parked Noloc completions need none: they are applied by the account event they wait for."""
from __future__ import annotations

from collections.abc import Sequence

from recert_common.db import Database
from recert_common.worker import Schedule
from recert_pe_registry.settings import PeRegistrySettings


def schedules(settings: PeRegistrySettings, db: Database) -> Sequence[Schedule]:
    return ()
