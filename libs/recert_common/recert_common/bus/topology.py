"""Names and shapes on the broker: the topic exchange, and per consumer a durable queue, its retry queues
and its dead-letter queue, all of one type (``x-queue-type``): quorum queues, replicated over a cluster's
nodes, or classic ones (ADR 0032).

Retries wait in one queue per attempt (``<queue>.retry.<n>``) whose TTL doubles with ``n`` and whose
expired messages are dead-lettered back to the consumer's queue through the default exchange. One queue
per attempt, rather than per-message TTLs in a single queue, because RabbitMQ only expires messages at the
head of a queue: a short delay would otherwise wait behind a long one. A quorum retry queue dead-letters
at least once (``x-dead-letter-strategy``, which needs ``x-overflow: reject-publish``): by default a quorum
queue's dead-lettering is at most once, and a retry could be lost when a node dies as it expires.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Queue, binding

from recert_common.bus.broker import queue_type_mismatch


def events_exchange(name: str) -> Exchange:
    return Exchange(name, type="topic", durable=True)


def ensure_exchange(connection: Connection, name: str) -> None:
    """Make sure the events exchange exists: checked passively, declared only when missing.

    A passive check needs no configure permission, and in a provisioned vhost (``access``) the services have
    none on the exchange, so they cannot delete or redefine it; provisioning made it. Where it is missing (the
    test suite's per-run exchanges, a broker without provisioning) it is declared, which needs that right.
    Each attempt has a channel of its own: a failed check closes its channel.
    """
    channel = connection.channel()
    try:
        events_exchange(name)(channel).declare(passive=True)
    except NotFound:
        channel = connection.channel()
        events_exchange(name)(channel).declare()
    finally:
        with contextlib.suppress(Exception):
            channel.close()


@dataclass(frozen=True)
class ConsumerTopology:
    exchange: str
    queue: str
    routing_keys: tuple[str, ...]
    max_retries: int = 5
    retry_base_ms: int = 1000
    expires_ms: int = 0
    queue_type: str = "quorum"

    def _arguments(self, **extra) -> dict:
        # Always named, classic too: a declaration that says its type fails loudly on a queue of another type
        # (PRECONDITION_FAILED) instead of quietly using it; a classic queue declared before the argument
        # existed accepts "classic".
        arguments = {"x-queue-type": self.queue_type, **extra}
        if self.expires_ms:
            arguments["x-expires"] = self.expires_ms
        return arguments

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dead"

    def retry_queue(self, attempt: int) -> str:
        return f"{self.queue}.retry.{attempt}"

    def retry_delay_ms(self, attempt: int) -> int:
        return self.retry_base_ms * 2 ** (attempt - 1)

    def main(self) -> Queue:
        # Bound to, never declared here: declaring needs a right the services lack (see ensure_exchange).
        exchange = Exchange(self.exchange, type="topic", durable=True, no_declare=True)

        return Queue(
            self.queue, exchange=exchange, durable=True,
            bindings=[binding(exchange, routing_key=key) for key in self.routing_keys],
            queue_arguments=self._arguments(),
        )

    def retries(self) -> list[Queue]:
        at_least_once = ({"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
                         if self.queue_type == "quorum" else {})
        return [
            Queue(self.retry_queue(n), durable=True, queue_arguments=self._arguments(**{
                "x-message-ttl": self.retry_delay_ms(n),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queue,
                **at_least_once,
            }))
            for n in range(1, self.max_retries + 1)
        ]

    def dead(self) -> Queue:
        return Queue(self.dead_letter_queue, durable=True, queue_arguments=self._arguments())

    def all_queue_names(self) -> list[str]:
        retries = [self.retry_queue(n) for n in range(1, self.max_retries + 1)]
        return [self.queue, self.dead_letter_queue, *retries]

    def declare(self, channel) -> None:
        """The queues and bindings; the exchange must exist (``ensure_exchange``). Raises
        ``QueueTypeMismatch`` when a queue exists with another type."""
        for queue in [self.main(), self.dead(), *self.retries()]:
            try:
                queue(channel).declare()
            except Exception as exc:
                mismatch = queue_type_mismatch(exc, queue.name, self.queue_type)
                if mismatch is None:
                    raise
                raise mismatch from exc
