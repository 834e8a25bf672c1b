"""Readiness checks every service's ``/readyz`` runs: does the broker answer (the database has
``Database.ping``, object storage ``ObjectStore.ping``)."""
from __future__ import annotations

from collections.abc import Callable

from kombu import Connection


def broker(amqp_url: str, timeout: float = 2.0) -> Callable[[], None]:
    def check() -> None:
        with Connection(amqp_url, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)

    return check
