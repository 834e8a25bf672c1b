"""The command line every service shares: ``python -m recert_<name> migrate|web|worker|openapi``.

A service describes itself once in a ``ServiceSpec`` (its ``__main__.py``); this module turns that into the
same processes for every service, so the dev runner, docker compose and the tests start them all alike.

Every worker also runs what every service shares: the consumer of identity's session events that feeds the
revocation read model (``recert_common.revocation``; not in identity, which writes its own) and that
model's purge.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recert_common.config import ServiceSettings
from recert_common.db import Database, migrate_service
from recert_common.http import SERVER_KEEPALIVE_SECONDS


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    settings_cls: type[ServiceSettings]
    create_app: Callable[[ServiceSettings], object]
    migrations: Path | None = None
    # Built from the settings and the database: the consumers and schedules of the worker.
    subscriptions: Callable[[ServiceSettings, Database], Sequence] = lambda settings, db: ()
    schedules: Callable[[ServiceSettings, Database], Sequence] = lambda settings, db: ()
    # Collectors of the service's own state, served by its worker beside the outbox and queue metrics
    # (``recert_common.worker_metrics``): prometheus_client collectors, e.g. ``StateGauges``.
    metrics: Callable[[ServiceSettings, Database], Sequence] = lambda settings, db: ()
    default_port: int = 8000
    commands: dict[str, Callable[[ServiceSettings, list[str]], int]] = field(default_factory=dict)
    # False for identity, the producer of the session events: it writes its read model itself.
    consumes_revocations: bool = True
    # The buckets the service keeps files in, by role (``{"evidence": settings.evidence_bucket}``):
    # ``migrate`` creates them, as it declares queues; the backup (``recert_common.backup``) copies them and
    # a restore maps each role onto the target's bucket.
    buckets: Callable[[ServiceSettings], dict[str, str]] = lambda settings: {}
    # Per bucket role, the query listing every key the database names: the backup reports rows whose file
    # it did not find in the store (deleted after the database's snapshot, or lost before).
    object_keys: dict[str, str] = field(default_factory=dict)

    def settings(self) -> ServiceSettings:
        return self.settings_cls.from_env(self.name)

    def all_subscriptions(self, settings: ServiceSettings, db: Database) -> list:
        """The service's own consumers and the shared ones."""
        from recert_common import revocation

        shared = [revocation.SUBSCRIPTION] if self.consumes_revocations else []
        return [*self.subscriptions(settings, db), *shared]

    def all_schedules(self, settings: ServiceSettings, db: Database) -> list:
        """The service's own schedules and the shared ones."""
        return [*self.schedules(settings, db), _revocation_purge()]


def _revocation_purge():
    from recert_common import revocation
    from recert_common.clock import utcnow
    from recert_common.worker import Schedule

    def job(db: Database) -> dict[str, int]:
        with db.transaction() as conn:
            return revocation.purge(conn, utcnow())

    return Schedule("revocations.purge", 3600.0, job)


def run_migrations(spec: ServiceSpec, settings: ServiceSettings,
                   change_queue_type: bool = False) -> list[str]:
    """The database's migrations, then the consumers' queues (see ``worker.declare_queues``; with
    ``change_queue_type``, queues of another type than RECERT_QUEUE_TYPE are given that type) and the
    object-storage buckets (``ensure_buckets``)."""
    from recert_common.worker import declare_queues

    if spec.migrations is None:
        return []
    applied = migrate_service(settings.database_url, spec.name, spec.migrations)
    db = Database(settings.database_url, max_size=1, name=f"{spec.name}-migrate")
    try:
        queues = declare_queues(settings, spec.all_subscriptions(settings, db), change_type=change_queue_type)
    finally:
        db.close()
    return ([f"applied {name}" for name in applied] + [f"declared queue {name}" for name in queues]
            + ensure_buckets(settings, list(spec.buckets(settings).values())))


def ensure_buckets(settings: ServiceSettings, buckets: Sequence[str]) -> list[str]:
    """Create the service's buckets unless they exist, so that ``/readyz`` (which asks whether they are
    there) is ready before the first upload; on the filesystem, also remove what uploads killed more than
    a day ago left behind (MinIO does that itself)."""
    from recert_common.storage import FileObjectStore, ObjectStore

    done = []
    for bucket in buckets:
        store = ObjectStore.from_settings(settings, bucket)
        store.ensure_bucket()
        done.append(f"bucket {bucket} ready")
        if isinstance(store, FileObjectStore):
            done += [f"removed incomplete upload {name}" for name in store.discard_incomplete()]
    return done


def run_worker(spec: ServiceSpec, settings: ServiceSettings) -> int:
    from recert_common.logging import configure_logging
    from recert_common.worker import Worker

    configure_logging(spec.name, settings.log_level)
    db = Database.from_settings(settings, f"{spec.name}-worker")
    subscriptions, schedules = spec.all_subscriptions(settings, db), spec.all_schedules(settings, db)
    # Each consumer thread, schedule thread and the relay holds at most one connection at a time: a pool
    # smaller than that makes them queue for connections, and after a database outage the pool's reconnect
    # back-off then keeps the threads waiting for a minute or more.
    # The metrics server's scrapes take one more.
    threads = len(subscriptions) + len(schedules) + 1 + (1 if settings.worker_metrics_port else 0)
    if db.pool.max_size < threads:
        db.pool.resize(min_size=db.pool.min_size, max_size=threads)
    worker = Worker(settings, db, subscriptions, schedules)
    if settings.worker_metrics_port:
        from recert_common.worker_metrics import serve_metrics, worker_registry

        registry = worker_registry(worker, spec.metrics(settings, db))
        serve_metrics(registry, settings.worker_metrics_port, settings.internal_networks)
    worker.run_forever()
    db.close()
    return 0


def run_web(spec: ServiceSpec, settings: ServiceSettings, host: str, port: int, workers: int,
            threads: int) -> int:
    """Serve the app with gunicorn (threaded workers, so a slow streamed upload holds a thread, not a
    process; ``web_worker`` answers what gunicorn cannot read as problem+json). Its processes count their
    requests together (``metrics.use_multiprocess_dir``)."""
    import shutil

    from gunicorn.app.base import BaseApplication

    from recert_common.metrics import use_multiprocess_dir
    from recert_common.web_worker import WORKER_CLASS

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", WORKER_CLASS)
            self.cfg.set("timeout", 120)
            # Longer than any client of ours keeps an idle connection (recert_common.http).
            self.cfg.set("keepalive", SERVER_KEEPALIVE_SECONDS)
            self.cfg.set("accesslog", None)
            # Our access log is JSON from the app; gunicorn's control socket is one path per user, which
            # several services on one machine would fight over.
            self.cfg.set("control_socket_disable", True)

        def load(self):
            return spec.create_app(settings)

    metrics_dir = use_multiprocess_dir()
    try:
        _App().run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def main(spec: ServiceSpec, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m recert_{spec.name.replace('-', '_')}")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate", help="create the database when missing and apply pending migrations")
    migrate.add_argument("--change-queue-type", action="store_true",
                         help="give queues of another type than RECERT_QUEUE_TYPE that type, keeping their "
                              "messages (stop the service's workers first; docs/operations.md)")
    web = sub.add_parser("web", help="serve the HTTP API")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=spec.default_port)
    web.add_argument("--workers", type=int, default=1)
    web.add_argument("--threads", type=int, default=8)
    sub.add_parser("worker", help="run the outbox relay, the consumers and the schedules")
    sub.add_parser("openapi", help="print the service's OpenAPI document")
    for name in spec.commands:
        extra = sub.add_parser(name)
        extra.add_argument("args", nargs=argparse.REMAINDER)
    # Options of a service's own commands (``rotate-keys --immediately``) are theirs to parse.
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in spec.commands:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    settings = spec.settings()
    if args.command == "migrate":
        for name in run_migrations(spec, settings, args.change_queue_type):
            print(name)
        return 0
    if args.command == "web":
        return run_web(spec, settings, args.host, args.port, args.workers, args.threads)
    if args.command == "worker":
        return run_worker(spec, settings)
    if args.command == "openapi":
        # Log lines go to stdout by design (12-factor); here stdout is the document, so logs go aside.
        with contextlib.redirect_stdout(sys.stderr):
            document = spec.create_app(settings).test_client().get("/v1/openapi.json").get_json()
        json.dump(document, sys.stdout, indent=2)
        print()
        return 0
    return spec.commands[args.command](settings, [*args.args, *rest])
