"""The worker process every service runs beside its web process: the outbox relay, the service's consumers
and its schedules, each in a thread, stopped together on SIGTERM or SIGINT.

A service does not start it itself: its ``ServiceSpec`` (``__main__.py``) names ``handlers.subscriptions``
and ``worker.schedules``, each ``(settings, db) -> [...]``, and ``python -m recert_<svc> worker`` runs
``recert_common.runtime.run_worker``, which adds the shared consumers and schedules (the revocation read
model) and sizes the database pool for every thread.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from kombu import Connection

from recert_common.bus import ConsumerTopology, EventConsumer, OutboxRelay, Subscription
from recert_common.bus.broker import connect
from recert_common.bus.retype import change_queue_type
from recert_common.bus.topology import ensure_exchange
from recert_common.bus.trust import BusTrust
from recert_common.config import ServiceSettings
from recert_common.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """A job run every ``every_seconds``; it must be safe to run in two workers at once."""

    name: str
    every_seconds: float
    job: Callable[[Database], object]


def consumer_topology(settings: ServiceSettings, subscription: Subscription) -> ConsumerTopology:
    return ConsumerTopology(
        exchange=settings.exchange, queue=settings.queue(subscription.purpose),
        routing_keys=tuple(sorted(subscription.handlers)), max_retries=settings.consumer_max_retries,
        retry_base_ms=settings.consumer_retry_base_ms, expires_ms=settings.queue_expires_ms,
        queue_type=settings.queue_type,
    )


def declare_queues(settings: ServiceSettings, subscriptions: Sequence[Subscription], *,
                   change_type: bool = False) -> list[str]:
    """Declare the consumers' queues and bindings without consuming.

    A topic exchange drops what no queue is bound to, so a service's queues must exist before any other
    service publishes what it needs: on a fresh deployment its worker may start after theirs. The
    ``migrate`` command calls this, and every deployment runs all migrations before any process starts.

    A queue of another type than ``settings.queue_type`` raises ``QueueTypeMismatch``; with ``change_type``
    (``migrate --change-queue-type``, the service's workers stopped) it is given the new type with every
    message kept (``bus.retype``).
    """
    if change_type:
        trust = BusTrust.from_settings(settings, Connection(settings.amqp_url).userid)
        for subscription in subscriptions:
            change_queue_type(settings.amqp_url, consumer_topology(settings, subscription), trust)
    declared = []
    with Connection(settings.amqp_url, connect_timeout=10) as connection:
        connect(connection)
        ensure_exchange(connection, settings.exchange)
        channel = connection.channel()
        for subscription in subscriptions:
            topology = consumer_topology(settings, subscription)
            topology.declare(channel)
            declared.append(topology.queue)
    return declared


class Worker:
    def __init__(self, settings: ServiceSettings, db: Database, subscriptions: Sequence[Subscription] = (),
                 schedules: Sequence[Schedule] = (), *, relay: bool = True,
                 today: Callable[[], date] | None = None):
        self.settings = settings
        self.today = today
        self.db = db
        self.stop_event = threading.Event()
        self.relay = OutboxRelay(db, settings.amqp_url, settings.exchange,
                                 poll_seconds=settings.relay_poll_seconds) if relay else None
        self.consumers = [self._consumer(s) for s in subscriptions]
        self.schedules = list(schedules)
        self._threads: list[threading.Thread] = []

    def topology(self, subscription: Subscription) -> ConsumerTopology:
        return consumer_topology(self.settings, subscription)

    def _consumer(self, subscription: Subscription) -> EventConsumer:
        connection = Connection(self.settings.amqp_url, transport_options={"confirm_publish": True},
                                heartbeat=30)
        return EventConsumer(connection, self.db, self.topology(subscription), subscription.handlers,
                             trust=BusTrust.from_settings(self.settings, connection.userid, self.today),
                             prefetch=self.settings.consumer_prefetch)

    def _run_schedule(self, schedule: Schedule) -> None:
        while not self.stop_event.is_set():
            try:
                schedule.job(self.db)
            except Exception:
                log.exception("schedule failed", extra={"schedule": schedule.name})
            self.stop_event.wait(schedule.every_seconds)

    def _spawn(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def start(self) -> Worker:
        if self.relay is not None:
            self._spawn("relay", self.relay.run, self.stop_event)
        for consumer in self.consumers:
            self._spawn(f"consumer:{consumer.name}", consumer.run)
        for schedule in self.schedules:
            self._spawn(f"schedule:{schedule.name}", self._run_schedule, schedule)
        return self

    def wait_ready(self, timeout: float = 30.0) -> Worker:
        """Block until every consumer has declared its queues and is consuming."""
        for consumer in self.consumers:
            if not consumer.ready.wait(timeout):
                raise TimeoutError(f"consumer {consumer.name} did not start within {timeout}s")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        for consumer in self.consumers:
            consumer.should_stop = True
        for thread in self._threads:
            thread.join(timeout)
        for consumer in self.consumers:
            consumer.connection.release()

    def run_forever(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop_event.set())
        self.start()
        # "started" means consuming: the queues are declared and bound, so no event published from now
        # on can miss them (the tests and the dev runner wait for this line).
        while not self.stop_event.is_set():
            try:
                self.wait_ready(timeout=5)
                break
            except TimeoutError:
                log.warning("worker: consumers not ready yet (is the broker up?)")
        log.info("worker started", extra={"consumers": [c.name for c in self.consumers],
                                          "schedules": [s.name for s in self.schedules]})
        self.stop_event.wait()
        self.stop()
        log.info("worker stopped")
