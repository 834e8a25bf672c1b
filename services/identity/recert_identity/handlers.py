"""The events identity consumes: none. Identity is the source of accounts and needs nobody's events; it
also produces the session and account events behind the revocation read model and writes its own read model
in the unit of work that ends the sessions (``ServiceSpec.consumes_revocations=False``)."""
from __future__ import annotations

from collections.abc import Sequence

from recert_common.bus import Subscription
from recert_common.config import ServiceSettings
from recert_common.db import Database

SUBSCRIPTIONS: Sequence[Subscription] = ()


def subscriptions(settings: ServiceSettings, db: Database) -> Sequence[Subscription]:
    return SUBSCRIPTIONS
