"""What identity's worker runs besides the outbox relay (``python -m recert_identity worker``; the loop
itself is ``recert_common.runtime.run_worker``): a schedule that purges expired login challenges and
sessions and drops the private halves of retired signing keys, and one that erases closed accounts after
their grace period (``IdentityService.erase_closed_accounts``, ADR 0020)."""
from __future__ import annotations

from collections.abc import Sequence

from recert_common.db import Database
from recert_common.worker import Schedule
from recert_identity.service import build_service
from recert_identity.settings import IdentitySettings

PURGE_EVERY_SECONDS = 3600.0


def schedules(settings: IdentitySettings, db: Database) -> Sequence[Schedule]:
    service = build_service(settings, db)
    return (Schedule("identity.purge-expired", PURGE_EVERY_SECONDS, lambda _db: service.purge_expired()),
            Schedule("identity.erase-closed", PURGE_EVERY_SECONDS,
                     lambda _db: service.erase_closed_accounts()))
