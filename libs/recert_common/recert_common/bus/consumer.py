"""The idempotent consumer: one durable queue per consumer, handlers run in a transaction that also records
the event id in the ``inbox`` table, and the message is acknowledged only after that transaction commits.

Messages are taken in batches: up to ``batch_size`` (the prefetch by default, at most 60) that have arrived,
or fewer when no other arrives within ``batch_idle_seconds``. The batch's events are handled in one
transaction, which commits once, and then the batch's messages are acknowledged together: the batch's inbox
rows are written by one statement, then the handlers run. One commit for many events, and still exactly one
effect per event: an effect and its inbox row commit together or not at all, and a crash before the
acknowledgement redelivers messages whose ids the inbox has only if their effects were committed (ADR 0036).
A handler that raises rolls the batch back, and the batch is handled again without its event: the others
commit, and only the failed event is retried.

Copies of a worker share the consumer's queue, but their batches are handled one at a time: each batch's
transaction first takes a lock of the consumer's name, so a handler always sees what the batch before it
committed, whichever copy handled that (ADR 0040). A second copy stands by rather than adding throughput.

A redelivered event finds its id in the inbox and has no second effect. A handler that raises is retried
through the retry queues (see ``topology``) with doubling delays; after the last retry the message goes to the
consumer's dead-letter queue with the error in its headers. A message that cannot be read as an event goes
there at once: retrying it cannot help. So does an event the consumer must not believe (``trust``: sent by a
broker user that is not its producer's, or claiming what its producer may not): it has no effect and is not
retried, and the reason is in its headers. A database outage is not the message's fault: the message is put
back on the queue after a pause and does not use up its retries (in a batch: every message of the batch,
whose transaction did not commit).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
import psycopg_pool
from kombu import Connection, Producer
from kombu.mixins import ConsumerMixin

from recert_common.bus.topology import ConsumerTopology, ensure_exchange
from recert_common.bus.trust import ORIGINAL_USER_HEADER, RETRIES_HEADER, BusTrust
from recert_common.context import correlation
from recert_common.db import Database, transaction_lock
from recert_common.events import CONTENT_TYPE, Event, InvalidEvent, load_event

log = logging.getLogger(__name__)

Handler = Callable[[psycopg.Connection, Event], None]
_INFRASTRUCTURE_ERRORS = (psycopg.OperationalError, psycopg_pool.PoolTimeout)
MAX_BATCH = 60


class _HandlerFailed(Exception):
    """A handler of a batch raised: ``position`` in the batch, ``error`` what it raised."""

    def __init__(self, position: int, error: Exception):
        super().__init__(position, error)
        self.position = position
        self.error = error


@dataclass(frozen=True)
class Subscription:
    """What one consumer of a service listens to: ``purpose`` names its queue ``<service>.<purpose>``."""

    purpose: str
    handlers: dict[str, Handler] = field(default_factory=dict)


def forwarded_headers(trust: BusTrust, user_id: str | None, headers: dict | None, routing_key: str | None, *,
                      retries: int, error: str, failed_at: datetime) -> dict:
    """The headers of a message this consumer sends on to a retry or dead-letter queue. The copy is sent by
    the consumer's own user, so who sent the original is kept in a header, and so is the routing key it
    came with. Both are believed from an earlier forward only on a message from the consumer's own user (see
    ``trust``); from anyone else they are what the broker says."""
    forwarded = dict(headers or {})
    own = user_id == trust.own_user
    forwarded[ORIGINAL_USER_HEADER] = trust.sender(user_id, forwarded) or ""
    forwarded.update({
        RETRIES_HEADER: retries,
        "x-last-error": error[:1000],
        "x-failed-at": failed_at.isoformat(),
        "x-original-routing-key": (own and forwarded.get("x-original-routing-key")) or routing_key,
    })
    return forwarded


class EventConsumer(ConsumerMixin):
    def __init__(self, connection: Connection, db: Database, topology: ConsumerTopology,
                 handlers: dict[str, Handler], *, trust: BusTrust, prefetch: int = 50,
                 batch_size: int | None = None, batch_idle_seconds: float = 0.005,
                 infrastructure_pause: float = 1.0):
        self.connection = connection
        self.trust = trust
        self.db = db
        self.topology = topology
        self.handlers = handlers
        self.prefetch = prefetch
        # More than the prefetch never arrive unacknowledged at once: a larger batch would only wait. The cap
        # bounds what a failing handler makes the others of its batch do again.
        self.batch_size = max(1, min(batch_size or prefetch, prefetch, MAX_BATCH))
        self.batch_idle_seconds = batch_idle_seconds
        self.infrastructure_pause = infrastructure_pause
        # Counts of this process, served by the worker's metrics (``recert_common.worker_metrics``).
        self.handled = 0
        self.retried = 0
        self.dead_lettered = 0
        self.refused = 0
        self.ready = threading.Event()
        self._producer: Producer | None = None
        self._batch: list[tuple[Event, object]] = []

    @property
    def name(self) -> str:
        return self.topology.queue

    def get_consumers(self, Consumer, channel):
        ensure_exchange(self.connection, self.topology.exchange)
        self.topology.declare(channel)
        # Retries and dead letters are published on a channel of their own, with confirms, before the
        # original is acknowledged: a crash in between redelivers the original rather than losing it.
        self._producer = Producer(self.connection.channel())
        # ``on_message`` takes each message as it came. Given ``callbacks`` instead, kombu decodes every body
        # first (a second JSON parse, through a Python hook per object, whose result went unused) and acks
        # and drops one it cannot decode, where the dead-letter queue is the place for it.
        return [Consumer(queues=[self.topology.main()], on_message=self.on_message,
                         prefetch_count=self.prefetch)]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.ready.set()

    def on_connection_revived(self):
        self._producer = None

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        """kombu's consuming loop (``ConsumerMixin.consume``), which also closes batches: a batch is handled
        when it is full, or when no message arrived for ``batch_idle_seconds`` while it was open."""
        with self.consumer_context(**kwargs) as (conn, _channel, _consumers):
            # Messages of a channel that is gone cannot be acknowledged on the new one: the broker
            # redelivers them.
            self._batch = []
            while not self.should_stop:
                self.on_iteration()
                try:
                    conn.drain_events(timeout=self.batch_idle_seconds if self._batch else safety_interval)
                except TimeoutError:
                    if self._batch:
                        self._handle_batch()
                    conn.heartbeat_check()
                except OSError:
                    if not self.should_stop:
                        raise
                else:
                    if len(self._batch) >= self.batch_size:
                        self._handle_batch()
                    yield

    # -- handling ------------------------------------------------------------------------------------
    def on_message(self, message) -> None:
        """Take one message: what must not be handled is dead-lettered now, the rest joins the batch."""
        try:
            if message.content_type != CONTENT_TYPE:
                raise InvalidEvent(f"content type {message.content_type!r}, not {CONTENT_TYPE}")
            event = load_event(message.body)
        except InvalidEvent as exc:
            self._forward(message, self.topology.dead_letter_queue, retries=self._retries(message),
                          error=f"unreadable event: {exc}")
            self.dead_lettered += 1
            message.ack()
            return
        user_id = message.properties.get("user_id")
        refusal = self.trust.refusal(event, user_id, message.headers)
        if refusal is not None:
            log.warning("consumer: event refused, dead-lettered", extra={
                "consumer": self.name, "event_id": str(event.id), "event_type": event.type,
                "user_id": user_id, "reason": refusal})
            self._forward(message, self.topology.dead_letter_queue, retries=self._retries(message),
                          error=f"refused: {refusal}")
            self.refused += 1
            self.dead_lettered += 1
            message.ack()
            return
        self._batch.append((event, message))

    def _handle_batch(self) -> None:
        batch, self._batch = self._batch, []
        try:
            failures = self.handle_batch([event for event, _ in batch])
        except _INFRASTRUCTURE_ERRORS as exc:
            log.warning("consumer: database unavailable, requeueing", extra={
                "consumer": self.name, "event_ids": [str(event.id) for event, _ in batch], "error": str(exc)})
            time.sleep(self.infrastructure_pause)
            for _, message in batch:
                message.requeue()
            return
        # Only now, after the commit: a crash before this point redelivers the batch, and the inbox has the
        # ids of what was handled. A failed event's copy is forwarded (with confirms) before any
        # acknowledgement; then one acknowledgement with ``multiple`` takes the whole batch, whose delivery
        # tags are the channel's lowest unacknowledged ones (refused messages were acknowledged on arrival).
        for (event, message), failure in zip(batch, failures, strict=True):
            if failure is not None:
                self._retry_or_bury(message, event, failure)
        batch[-1][1].ack(multiple=True)

    def handle_batch(self, events: list[Event]) -> list[Exception | None]:
        """Handle ``events`` in one transaction; returns what each handler raised (None when it did not). A
        database outage raises: then nothing of the batch committed.

        Round trips, not rows, are what a batch costs on a busy server: the batch's inbox rows are inserted
        by one statement, and the handlers run one after the other with nothing in between. A handler that
        raises rolls the whole transaction back; the batch is then handled again without that event, and
        after a second failure one event per transaction, so a failing event costs the others a second run
        rather than every event a savepoint."""
        failures: list[Exception | None] = [None] * len(events)
        together = list(range(len(events)))
        try:
            for _ in range(2):  # the whole batch, then the batch without its first failure
                try:
                    self.handled += self._handle_together([events[n] for n in together])
                    return failures
                except _HandlerFailed as failed:
                    failures[together.pop(failed.position)] = failed.error
        except _INFRASTRUCTURE_ERRORS:
            raise
        except Exception:
            # The transaction failed outside any handler (at commit, say, a deferred constraint): which
            # event caused it is unknown, so each is handled again alone.
            log.warning("consumer: batch failed at commit, handling its events one at a time",
                        extra={"consumer": self.name, "events": len(events)}, exc_info=True)
        for n in together:
            failures[n] = self._handle_alone(events[n])
        return failures

    def _handle_together(self, events: list[Event]) -> int:
        """One transaction for ``events``: their inbox rows, then each new event's handler. Returns how many
        were new; a handler that raises is reported as ``_HandlerFailed`` with its position, and nothing of
        the transaction stays."""
        if not events:
            return 0
        handled = 0
        with self.db.transaction() as conn:
            # One batch at a time across the copies of this consumer (ADR 0040): a service's handlers each
            # write a row and then look for another's (an account and the certificate waiting for it, a
            # payment and its case), which two transactions at once would each miss.
            transaction_lock(conn, f"consumer:{self.name}")
            new = {row["event_id"] for row in conn.execute(
                "INSERT INTO inbox (consumer, event_id, event_type) SELECT %s, * "
                "FROM unnest(%s::uuid[], %s::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
                (self.name, [event.id for event in events], [event.type for event in events]),
            ).fetchall()}
            for position, event in enumerate(events):
                if event.id not in new:
                    continue  # handled before, or a second copy of one in this batch
                new.discard(event.id)
                handled += 1
                handler = self.handlers.get(event.type)
                if handler is None:
                    continue
                try:
                    with correlation(event.correlation_id):
                        handler(conn, event)
                except _INFRASTRUCTURE_ERRORS:
                    raise
                except Exception as exc:
                    raise _HandlerFailed(position, exc) from exc
        return handled

    def _handle_alone(self, event: Event) -> Exception | None:
        """``event`` in a transaction of its own; returns what its handler (or the commit) raised."""
        try:
            self.handled += self._handle_together([event])
        except _HandlerFailed as failed:
            return failed.error
        except _INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:
            return exc
        return None

    # -- failures ------------------------------------------------------------------------------------
    def _retries(self, message) -> int:
        return self.trust.retries(message.properties.get("user_id"), message.headers,
                                  self.topology.max_retries)

    def _retry_or_bury(self, message, event: Event, exc: Exception) -> None:
        retries = self._retries(message)
        error = f"{type(exc).__name__}: {exc}"
        if retries < self.topology.max_retries:
            log.warning("consumer: handler failed, will retry", extra={
                "consumer": self.name, "event_id": str(event.id), "retry": retries + 1, "error": error})
            self._forward(message, self.topology.retry_queue(retries + 1), retries=retries + 1, error=error)
            self.retried += 1
        else:
            log.error("consumer: handler failed for the last time, dead-lettered", extra={
                "consumer": self.name, "event_id": str(event.id), "error": error})
            self._forward(message, self.topology.dead_letter_queue, retries=retries, error=error)
            self.dead_lettered += 1

    def _forward(self, message, queue: str, *, retries: int, error: str) -> None:
        headers = forwarded_headers(self.trust, message.properties.get("user_id"), message.headers,
                                    message.delivery_info.get("routing_key"), retries=retries, error=error,
                                    failed_at=datetime.now(UTC))
        if self._producer is None:
            self._producer = Producer(self.connection.channel())
        self._producer.publish(
            message.body, exchange="", routing_key=queue, headers=headers, delivery_mode=2,
            content_type=message.content_type, content_encoding=message.content_encoding,
            message_id=message.properties.get("message_id"), user_id=self.trust.own_user, retry=True,
        )
