"""Prometheus metrics of a service's worker: what an operator must see of the events that have not moved yet.

A web process counts its requests (``recert_common.metrics``); the worker owns the outbox relay, the consumers
and the schedules, so it reports them: ``python -m recert_<svc> worker`` serves ``GET /metrics`` on
``RECERT_WORKER_METRICS_PORT`` (0, the default, serves nothing: ``make dev`` runs six workers on one host),
answering only callers from ``RECERT_INTERNAL_NETWORKS`` as the web processes do (ADR 0035).

Most values are read from the database and the broker when Prometheus scrapes, not counted in memory: the
outbox backlog and the age of its oldest row, the messages waiting in each consumer's queue (its lag) and in
its dead-letter queue. They are the same whichever worker replica answers, and true right after a restart.
The consumers' and the relay's own counts are counters of this process. A service adds collectors of its own
state through its ``ServiceSpec.metrics`` (assessment's overdue cases, notifications' e-mails).
"""
from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from amqp.exceptions import NotFound
from kombu import Connection
from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from recert_common.config import Network
from recert_common.db import Database

log = logging.getLogger(__name__)

_OUTBOX = """
    SELECT count(*) AS pending,
           coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) AS oldest
    FROM outbox WHERE published_at IS NULL
"""


class StateGauges:
    """Gauges of a service's own state, read from its database at scrape time: ``read(conn)`` returns a value
    per name in ``gauges`` (name -> help text). A failing database yields none of them (the worker's
    ``recert_worker_dependency_up{dependency="database"}`` says why)."""

    def __init__(self, db: Database, gauges: Mapping[str, str], read: Callable[[Any], Mapping[str, float]]):
        self.db = db
        self.gauges = dict(gauges)
        self.read = read

    def collect(self) -> Iterator[Metric]:
        try:
            with self.db.transaction() as conn:
                values = self.read(conn)
        except Exception as exc:  # noqa: BLE001 - a scrape must answer; the outage shows as missing series
            log.warning("metrics: database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            return
        for name, text in self.gauges.items():
            yield GaugeMetricFamily(name, text, value=float(values[name]))


class WorkerCollector:
    """The outbox, the consumers' queues and the counts of one worker (``recert_common.worker.Worker``)."""

    def __init__(self, worker: Any, *, broker_timeout: float = 2.0):
        self.worker = worker
        self.broker_timeout = broker_timeout

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("recert_worker_dependency_up",
                               "1 when the worker reached the dependency during this scrape, else 0.",
                               labels=["dependency"])
        yield from self._outbox(up)
        yield from self._queues(up)
        yield up
        yield from self._counts()

    def _outbox(self, up: GaugeMetricFamily) -> Iterator[Metric]:
        try:
            with self.worker.db.transaction() as conn:
                row = conn.execute(_OUTBOX).fetchone()
        except Exception as exc:  # noqa: BLE001 - reported as the gauge below
            log.warning("metrics: database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            yield GaugeMetricFamily("recert_outbox_pending_events",
                                    "Events in the outbox not yet confirmed by the broker.",
                                    value=row["pending"])
            yield GaugeMetricFamily("recert_outbox_oldest_pending_age_seconds",
                                    "Age of the oldest event not yet published (0 when none waits).",
                                    value=float(row["oldest"]))

    def _queues(self, up: GaugeMetricFamily) -> Iterator[Metric]:
        ready = GaugeMetricFamily("recert_queue_messages_ready",
                                  "Messages waiting in a consumer's queue: its lag.", labels=["queue"])
        consumers = GaugeMetricFamily("recert_queue_consumers",
                                      "Consumers attached to a consumer's queue.", labels=["queue"])
        dead = GaugeMetricFamily("recert_dead_letter_messages",
                                 "Messages in a consumer's dead-letter queue (<queue>.dead), waiting for "
                                 "an operator.", labels=["queue"])
        try:
            with Connection(self.worker.settings.amqp_url, connect_timeout=self.broker_timeout) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0)  # a scrape does not wait
                for consumer in self.worker.consumers:
                    topology = consumer.topology
                    main = _depth(connection, topology.queue)
                    if main is not None:
                        ready.add_metric([topology.queue], main[0])
                        consumers.add_metric([topology.queue], main[1])
                    letters = _depth(connection, topology.dead_letter_queue)
                    if letters is not None:
                        dead.add_metric([topology.queue], letters[0])
        except Exception as exc:  # noqa: BLE001 - reported as the gauge below
            log.warning("metrics: broker unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            up.add_metric(["broker"], 0)
        else:
            up.add_metric(["broker"], 1)
            yield from (ready, consumers, dead)

    def _counts(self) -> Iterator[Metric]:
        families = {
            "handled": CounterMetricFamily("recert_consumer_handled_events",
                                           "Events a consumer handled (first delivery of each id).",
                                           labels=["queue"]),
            "retried": CounterMetricFamily("recert_consumer_retried_events",
                                           "Handler failures sent to a retry queue.", labels=["queue"]),
            "dead_lettered": CounterMetricFamily("recert_consumer_dead_lettered_events",
                                                 "Messages a consumer sent to its dead-letter queue "
                                                 "(retries used up, unreadable or refused).",
                                                 labels=["queue"]),
            "refused": CounterMetricFamily("recert_consumer_refused_events",
                                           "Events refused as not from their producer (also dead-lettered).",
                                           labels=["queue"]),
        }
        for consumer in self.worker.consumers:
            for attribute, family in families.items():
                family.add_metric([consumer.name], getattr(consumer, attribute))
        yield from families.values()
        if self.worker.relay is not None:
            yield CounterMetricFamily("recert_outbox_published_events",
                                      "Events the relay published and the broker confirmed.",
                                      value=self.worker.relay.published)


def _depth(connection: Connection, queue: str) -> tuple[int, int] | None:
    """(messages ready, consumers) of ``queue``, asked passively; None when it does not exist."""
    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
        return messages, consumers
    except NotFound:  # the broker closed this channel; the connection goes on
        return None
    finally:
        with contextlib.suppress(Exception):
            channel.close()


def worker_registry(worker: Any, extra: Sequence[Collector] = ()) -> CollectorRegistry:
    """The registry a worker serves: its ``WorkerCollector`` and the service's own collectors."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in (WorkerCollector(worker), *extra):
        registry.register(collector)
    return registry


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # a scrape every few seconds: not worth a log line


def serve_metrics(registry: CollectorRegistry, port: int, networks: Sequence[Network], *,
                  host: str = "") -> tuple[WSGIServer, threading.Thread]:
    """Serve ``registry`` at ``GET /metrics`` on ``port`` (all interfaces) in a daemon thread. Like a web
    process's ``/metrics`` it answers only callers from ``networks``; anyone else gets 404."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            caller = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            caller = None
        allowed = caller is not None and any(caller in network for network in networks)
        if not allowed or environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        return metrics(environ, start_response)

    server = make_server(host, port, app, _Server, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    return server, thread
