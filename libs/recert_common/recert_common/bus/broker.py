"""Reaching the broker: one node, or the nodes of a cluster in turn.

``RECERT_AMQP_URL`` may list a cluster's nodes separated by ``;`` (kombu's failover syntax,
``amqp://u:p@a:5672/recert;amqp://u:p@b:5672/recert``). A kombu ``Connection`` built from it connects to the
first node and, when an attempt fails, moves on to the next without pausing until it has tried them all; a
process whose node goes away reconnects to another the same way, without a restart (ADR 0032).
"""
from __future__ import annotations

from amqp.exceptions import PreconditionFailed
from kombu import Connection


def connect(connection: Connection) -> Connection:
    """Connect, trying each node once and, after a short pause, the first once more (with one node: two
    attempts, as before there were clusters). Raises the last error when none answers."""
    return connection.ensure_connection(max_retries=max(len(connection.alt), 1))


class QueueTypeMismatch(PreconditionFailed):
    """A queue exists with another type than RECERT_QUEUE_TYPE asks for: RabbitMQ cannot change a queue's
    type in place, so it refuses the declaration (``PRECONDITION_FAILED``). Still a channel error: a
    consumer that meets it keeps retrying (and logging this) as it does for any other, rather than ending
    its thread."""


def queue_type_mismatch(exc: Exception, queue: str, wanted: str) -> QueueTypeMismatch | None:
    """The operator's explanation of ``exc``, when it is the broker refusing another queue type."""
    if not isinstance(exc, PreconditionFailed) or "x-queue-type" not in str(exc):
        return None
    return QueueTypeMismatch(
        f"queue {queue!r} exists with another type than RECERT_QUEUE_TYPE={wanted} ({exc}). A queue's type "
        "cannot change in place: keep the existing type (set RECERT_QUEUE_TYPE to it), or stop the service's "
        "workers and run `python -m recert_<service> migrate --change-queue-type`, which moves the messages "
        "over (docs/operations.md, 'Moving to quorum queues').")
