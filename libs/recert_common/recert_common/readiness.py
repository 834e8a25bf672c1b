"""Readiness checks every service's ``/readyz`` runs: does the broker answer, any node of a cluster (the
database has ``Database.ping``, object storage ``ObjectStore.ping``)."""
from __future__ import annotations

from collections.abc import Callable

from kombu import Connection

from recert_common.bus.broker import connect


def broker(amqp_url: str, timeout: float = 2.0) -> Callable[[], None]:
    def check() -> None:
        with Connection(amqp_url, connect_timeout=timeout) as connection:
            connect(connection)

    return check
