"""Readiness checks every service's ``/readyz`` runs: does the broker answer, any node of a cluster; does
object storage answer with the service's buckets (the database has ``Database.ping``)."""
from __future__ import annotations

from collections.abc import Callable

from kombu import Connection

from recert_common.bus.broker import connect


def broker(amqp_url: str, timeout: float = 2.0) -> Callable[[], None]:
    def check() -> None:
        with Connection(amqp_url, connect_timeout=timeout) as connection:
            connect(connection)

    return check


def storage(*stores) -> Callable[[], bool]:
    """Ready when every ``ObjectStore`` answers and its bucket exists. Buckets are made by ``migrate``
    (``recert_common.runtime``), not here: a missing bucket is a deployment that was not migrated, and
    readiness says so instead of hiding it."""

    def check() -> bool:
        return all([store.ping() for store in stores])  # every one asked, so each failure is logged

    return check
