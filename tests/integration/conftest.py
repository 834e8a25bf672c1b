"""Where the integration tests get PostgreSQL, RabbitMQ and S3 storage from: the one place that decides.

1. Environment variables, when set: ``RECERT_TEST_POSTGRES_URL`` (a server URL, no database),
   ``RECERT_TEST_AMQP_URL``, ``RECERT_TEST_S3_ENDPOINT`` with ``RECERT_TEST_S3_ACCESS_KEY`` and
   ``RECERT_TEST_S3_SECRET_KEY``.
2. Otherwise testcontainers, when a Docker engine answers a ping.
3. Otherwise the machine's own PostgreSQL (127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672), and an
   S3-compatible server started here (moto's ThreadedMotoServer).

Every run gets fresh database names and its own exchange and queue names, and removes them afterwards.
A service that cannot be reached fails the run with a message saying how to start it: never a silent skip.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psycopg
import pytest
from kombu import Connection

from recert_common import db

from ports import free_port

HOW_TO_START = {
    "postgres": "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "rabbitmq": "start it with: rabbitmq-server -detached",
}


@dataclass
class Infrastructure:
    postgres_url: str
    amqp_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    source: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: list[str] = field(default_factory=list)
    queues: set[str] = field(default_factory=set)
    exchanges: set[str] = field(default_factory=set)

    @property
    def amqp_user(self) -> str:
        """The run's one broker user, believed by the harness for every producer (``bus_trusted_users``)."""
        return Connection(self.amqp_url).userid

    @property
    def broker_admin_url(self) -> str:
        """RabbitMQ's management API, as the broker's administrator (``RECERT_TEST_BROKER_ADMIN_URL``, else
        the AMQP user on port 15672): the trust tests create a vhost and users of their own through it."""
        if os.environ.get("RECERT_TEST_BROKER_ADMIN_URL"):
            return os.environ["RECERT_TEST_BROKER_ADMIN_URL"]
        amqp = Connection(self.amqp_url)
        return f"http://{amqp.userid}:{amqp.password}@{amqp.hostname}:15672"

    @property
    def exchange(self) -> str:
        return f"recert.events.t{self.run_id}"

    @property
    def queue_prefix(self) -> str:
        return f"t{self.run_id}."

    def database_url(self, name: str) -> str:
        """A fresh database for this run; dropped when the run ends."""
        url = f"{self.postgres_url.rstrip('/')}/t{self.run_id}_{name.replace('-', '_')}"
        db.ensure_database(url)
        self.databases.append(url)
        return url

    def settings_env(self, name: str, tag: str = "") -> dict[str, str]:
        """Environment for a service process (or ``ServiceSettings.from_env``) inside this run; ``tag``
        gives the service a database of its own beside others of the same service in this run."""
        upper = name.upper().replace("-", "_")
        return {
            "RECERT_POSTGRES_URL": self.postgres_url,
            f"RECERT_{upper}_DATABASE_URL": self.database_url(f"{tag}_{name}" if tag else name),
            "RECERT_AMQP_URL": self.amqp_url,
            "RECERT_EXCHANGE": self.exchange,
            "RECERT_QUEUE_PREFIX": self.queue_prefix,
            "RECERT_QUEUE_EXPIRES_MS": "600000",
            # The machine's one broker node: classic queues, as `make dev` (ADR 0032). Quorum queues are
            # tested on a cluster of their own (test_broker_cluster.py) and in test_bus.py.
            "RECERT_QUEUE_TYPE": "classic",
            # The suite runs every service as the one broker user of the run (guest): the harness opts in
            # to believing that user for every producer. The strict per-producer mapping is tested with
            # real users in test_bus_trust.py and is what compose and `make dev` run.
            "RECERT_BUS_TRUSTED_USERS": self.amqp_user,
            "RECERT_S3_ENDPOINT": self.s3_endpoint,
            "RECERT_S3_ACCESS_KEY": self.s3_access_key,
            "RECERT_S3_SECRET_KEY": self.s3_secret_key,
            "RECERT_S3_SECURE": "false",
        }


def _require_postgres(url: str) -> None:
    try:
        with psycopg.connect(db.server_url(url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.exit(f"PostgreSQL at {url} does not answer ({exc}); {HOW_TO_START['postgres']}", returncode=3)


def _require_rabbitmq(url: str) -> None:
    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises several kinds here
        pytest.exit(f"RabbitMQ at {url} does not answer ({exc}); {HOW_TO_START['rabbitmq']}", returncode=3)


def _docker_answers() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


@contextlib.contextmanager
def _from_environment():
    yield Infrastructure(
        postgres_url=os.environ["RECERT_TEST_POSTGRES_URL"],
        amqp_url=os.environ.get("RECERT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
        s3_endpoint=os.environ["RECERT_TEST_S3_ENDPOINT"],
        s3_access_key=os.environ.get("RECERT_TEST_S3_ACCESS_KEY", "recert"),
        s3_secret_key=os.environ.get("RECERT_TEST_S3_SECRET_KEY", "recert-secret"),
        source="environment",
    )


@contextlib.contextmanager
def _from_testcontainers():
    from testcontainers.minio import MinioContainer
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with PostgresContainer("postgres:15", driver=None) as pg, \
            RabbitMqContainer("rabbitmq:3.13-management") as mq, MinioContainer() as minio:
        params = mq.get_connection_params()
        s3 = minio.get_config()
        yield Infrastructure(
            postgres_url=pg.get_connection_url().rsplit("/", 1)[0],
            amqp_url=f"amqp://guest:guest@{params.host}:{params.port}//",
            s3_endpoint=s3["endpoint"], s3_access_key=s3["access_key"], s3_secret_key=s3["secret_key"],
            source="testcontainers",
        )


@contextlib.contextmanager
def _from_local_machine():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Infrastructure(
            postgres_url=os.environ.get("RECERT_LOCAL_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
            amqp_url=os.environ.get("RECERT_LOCAL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
            s3_endpoint=f"127.0.0.1:{port}", s3_access_key="recert", s3_secret_key="recert-secret",
            source="local",
        )
    finally:
        server.stop()


def _choose():
    if os.environ.get("RECERT_TEST_POSTGRES_URL") and os.environ.get("RECERT_TEST_S3_ENDPOINT"):
        return _from_environment()
    if _docker_answers():
        return _from_testcontainers()
    return _from_local_machine()


def _remove_broker_names(infra: Infrastructure) -> None:
    with Connection(infra.amqp_url, connect_timeout=5) as conn:
        channel = conn.channel()
        for queue in sorted(infra.queues):
            with contextlib.suppress(Exception):
                channel.queue_delete(queue)
        for exchange in sorted(infra.exchanges | {infra.exchange}):
            with contextlib.suppress(Exception):
                channel.exchange_delete(exchange)


def _drop_quietly(url: str) -> None:
    with contextlib.suppress(psycopg.Error):
        db.drop_database(url)


@pytest.fixture(scope="session")
def infra():
    with _choose() as infrastructure:
        _require_postgres(infrastructure.postgres_url)
        _require_rabbitmq(infrastructure.amqp_url)
        yield infrastructure
        # Side by side: each DROP DATABASE waits for a checkpoint, and PostgreSQL serves drops that wait
        # together with one. Forty databases of the bus's tables took 5.5 s one after the other, 3.6 s so.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(_drop_quietly, infrastructure.databases))
        with contextlib.suppress(Exception):
            _remove_broker_names(infrastructure)


# The portal's whole system, one per worker for every module that asks (portal_system.py says why).
from portal_system import portal_app, portal_mailbox, portal_office, portal_system  # noqa: E402,F401

# The test modules that take longest, longest first (figures of a full run on 2 workers). Under
# `--dist loadfile --no-loadscope-reorder` (the Makefile's) a worker takes the modules in the order below:
# these first, then the other integration modules, then the fast modules of the services and libraries,
# which fill the gaps at the end; a long module started last would leave the other worker idle for minutes.
SLOWEST_FIRST = ("test_fuzz_openapi.py", "test_fuzz_staff.py", "test_backup_restore.py", "test_soak.py",
                 "test_authz_matrix.py", "test_dev_data.py", "test_broker_cluster.py", "test_faults.py",
                 "test_portal_desk.py", "test_e2e_fees_register.py", "test_e2e_recertification.py",
                 "test_portal_story.py", "test_demo.py", "test_bus.py", "test_e2e_composed.py",
                 "test_observability.py")


def pytest_collection_modifyitems(session, config, items):
    integration = os.path.dirname(__file__)
    rank = {name: place for place, name in enumerate(SLOWEST_FIRST)}

    def place(item) -> tuple[int, int]:
        if str(item.path).startswith(integration):
            return (0, rank.get(item.path.name, len(rank)))
        return (1, 0)

    items.sort(key=place)  # stable: each module's tests keep their order
