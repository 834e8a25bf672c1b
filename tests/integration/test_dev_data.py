"""`make dev`'s data (ADR 0031): evidence kept on disk survives a restart of the system, each checkout's
databases and broker names are its own, and `migrate` makes the buckets that `/readyz` asks for.

The system runs as `make dev` runs it: real processes (identity, pe-registry, portfolio and the gateway)
with the storage configuration `scripts/dev.py` gives them (``RECERT_STORAGE=filesystem``, a directory like
``.dev/objects``), on the run's PostgreSQL and RabbitMQ.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import requests

from recert_common import db
from recert_common.bus.access import parties
from recert_common.bus.provision import BrokerAdmin
from recert_common.runtime import ensure_buckets
from recert_common.storage import S3ObjectStore

from e2e_fixtures import app_fixture, running_system
from frontend import Frontend
from generated_files import generated_bytes
from journeys import PDF, TODAY, certified_coach, ok, record, upload
from processes import System

ROOT = Path(__file__).resolve().parents[2]


def _dev_script():
    """scripts/dev.py, the code `make dev` runs, imported by path."""
    spec = importlib.util.spec_from_file_location("recert_dev_script", ROOT / "scripts" / "dev.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


dev = _dev_script()
SERVICES = ["identity", "pe-registry", "portfolio"]


@pytest.fixture(scope="module")
def dev_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("checkout") / ".dev"


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, dev_dir):
    storage = dev.storage_environment(dev_dir)
    assert storage == {"RECERT_STORAGE": "filesystem", "RECERT_STORAGE_DIR": str(dev_dir / "objects")}
    with running_system(infra, tmp_path_factory, SERVICES,
                        extra_env={**storage, "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"}) as started:
        yield started


app = app_fixture()


def _restart(system: System) -> None:
    """What a Ctrl-C of `make dev` and a new `make dev` do to the services: every process stopped, then
    started again with the same configuration (and so the same storage directory). The services that keep
    files are migrated again first, as `make dev` does (their `migrate` touches the storage: it makes the
    buckets and clears stale uploads); identity's migrate has nothing to do with files and is left out."""
    running = list(system.processes)
    for process in running:
        process.ask_to_stop()
    for process in running:
        process.wait_stopped()
    system.processes.clear()
    with ThreadPoolExecutor() as pool:
        list(pool.map(system.migrate, ["pe-registry", "portfolio"]))
    webs = [(name, system.start_web(name)) for name in [*SERVICES, "gateway"]]
    workers = [system.start_worker(name) for name in SERVICES]
    for name, process in webs:
        system.wait_healthy(name, process)
    for process in workers:
        system.wait_for_line(process, '"worker started"')


def _ready(system: System, service: str) -> requests.Response:
    return requests.get(f"{system.url(service)}/readyz", timeout=10)


def test_migrate_made_the_buckets_so_the_services_are_ready_before_any_upload(system):
    for service in ("portfolio", "pe-registry"):
        answer = _ready(system, service)
        assert answer.status_code == 200, answer.text
        assert answer.json()["checks"]["storage"] == "ok"


def test_readiness_says_when_the_storage_is_gone_and_when_it_is_back(system, dev_dir):
    bucket = dev_dir / "objects" / "portfolio-proof"
    aside = bucket.with_name("portfolio-proof-aside")
    bucket.rename(aside)
    try:
        answer = _ready(system, "portfolio")
        assert answer.status_code == 503
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert "storage" in answer.text
    finally:
        aside.rename(bucket)
    assert _ready(system, "portfolio").status_code == 200


def test_evidence_survives_a_restart_of_the_dev_system_byte_for_byte(system, app: Frontend, dev_dir):
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    activity = record(app, person, 1, 10)
    files = {  # three types, one larger than an S3 part
        "certificaat.pdf": (PDF + b"% bewijs\n", "application/pdf"),
        "groot bewijs.pdf": (generated_bytes(PDF, 6 * 1024 * 1024 + 123, seed=11), "application/pdf"),
        "notities.txt": ("Intervisie – één verslag.\n".encode(), "text/plain"),
    }
    stored = {}
    for filename, (content, content_type) in files.items():
        answer = ok(upload(app, person, activity["id"], content, filename=filename,
                           content_type=content_type), 201)
        assert answer["sha256"] == hashlib.sha256(content).hexdigest()
        stored[answer["id"]] = content
    objects = [p for p in (dev_dir / "objects" / "pe-evidence").rglob("*")
               if p.is_file() and ".incoming" not in p.parts]
    assert len(objects) == len(files)  # on disk, under the checkout's .dev folder

    _restart(system)

    person = app.login(person)
    for evidence_id, content in stored.items():
        download = app.get(f"pe/evidence/{evidence_id}/content", person)
        assert download.status_code == 200, download.text
        assert download.content == content
    assert _ready(system, "pe-registry").status_code == 200


# -- dev data belongs to its checkout ------------------------------------------------------------------


def _databases(infra) -> set[str]:
    with psycopg.connect(db.server_url(infra.postgres_url)) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def _vhost_exists(admin: BrokerAdmin, vhost: str) -> bool:
    answer = admin.session.get(f"{admin.base}/api/vhosts/{quote(vhost, safe='')}", timeout=10)
    return answer.status_code == 200


def test_two_checkouts_have_their_own_names_and_a_reset_removes_only_its_own(infra, tmp_path, monkeypatch):
    monkeypatch.delenv("RECERT_STORAGE", raising=False)
    monkeypatch.setenv("RECERT_POSTGRES_URL", infra.postgres_url)
    monkeypatch.setenv("RECERT_BROKER_ADMIN_URL", infra.broker_admin_url)
    first, second = tmp_path / "first" / ".dev", tmp_path / "second" / ".dev"
    a, b = dev.Names.of(first), dev.Names.of(second)
    assert dev.Names.of(first) == a  # kept in the checkout's .dev: the same at every start
    assert a.checkout_id != b.checkout_id
    assert {a.database(s) for s in SERVICES}.isdisjoint({b.database(s) for s in SERVICES})
    assert (a.vhost, a.user_prefix) != (b.vhost, b.user_prefix)
    env = dev.environment(SERVICES, first)
    assert env["RECERT_PE_REGISTRY_DATABASE_URL"].endswith(f"/recert_{a.checkout_id}_pe_registry")
    assert env["RECERT_BROKER_USER_PREFIX"] == a.user_prefix
    assert env["RECERT_STORAGE_DIR"] == str(first / "objects")
    assert "RECERT_S3_ENDPOINT" not in env

    # Both checkouts' dev data as `make dev` names it: one database each and two broker users each stand
    # for all of them (fewer slow CREATE/DROP DATABASE and broker calls).
    admin = BrokerAdmin(infra.broker_admin_url)
    services, table = ["pe-registry"], parties()[:2]
    try:
        for n in (a, b):
            db.ensure_database(n.database_url(infra.postgres_url, "pe-registry"))
            admin.put_vhost(n.vhost)
            for party in table:
                admin.put_user(party.user(n.user_prefix), uuid.uuid4().hex)
        (second / "objects").mkdir()

        removed = dev.reset(first, services)

        assert f"database {a.database('pe-registry')}" in removed and f"vhost {a.vhost}" in removed
        databases = _databases(infra)
        assert a.database("pe-registry") not in databases and b.database("pe-registry") in databases
        assert not _vhost_exists(admin, a.vhost) and _vhost_exists(admin, b.vhost)
        users = admin.users()
        assert {p.user(a.user_prefix) for p in table}.isdisjoint(users)
        assert {p.user(b.user_prefix) for p in table} <= users
        assert not first.exists() and (second / "secrets.json").exists() and (second / "objects").is_dir()
        assert dev.reset(first, services) == []  # nothing of its own left, and nothing else touched
        assert b.database("pe-registry") in _databases(infra)
    finally:
        dev.reset(second, services)
        if first.exists():
            dev.reset(first, services)
    assert b.database("pe-registry") not in _databases(infra)


# -- migrate makes the buckets on S3 too -----------------------------------------------------------------

BUCKET_VARIABLES = {"portfolio": "RECERT_PORTFOLIO_PROOF_BUCKET",
                    "pe-registry": "RECERT_PE_REGISTRY_EVIDENCE_BUCKET",
                    "notifications": "RECERT_NOTIFICATIONS_DESK_BUCKET"}


@pytest.mark.parametrize("service", sorted(BUCKET_VARIABLES))
def test_every_service_that_keeps_files_has_migrate_make_its_bucket_on_s3(infra, service):
    """What ``run_migrations`` does after the database and the queues (the system above shows it for the
    filesystem through the real `migrate` command), here on S3 for each service's own bucket setting."""
    spec = importlib.import_module(f"recert_{service.replace('-', '_')}.__main__").SPEC
    bucket = f"t{infra.run_id}-{service}-migrated"
    settings = spec.settings_cls.from_env(service, env={
        "RECERT_S3_ENDPOINT": infra.s3_endpoint, "RECERT_S3_ACCESS_KEY": infra.s3_access_key,
        "RECERT_S3_SECRET_KEY": infra.s3_secret_key, BUCKET_VARIABLES[service]: bucket})
    store = S3ObjectStore(infra.s3_endpoint, infra.s3_access_key, infra.s3_secret_key, bucket)
    assert store.ping() is False
    try:
        buckets = list(spec.buckets(settings).values())
        assert ensure_buckets(settings, buckets) == [f"bucket {bucket} ready"]
        assert store.ping() is True
        assert ensure_buckets(settings, buckets) == [f"bucket {bucket} ready"]  # idempotent
    finally:
        store.client.remove_bucket(bucket)
