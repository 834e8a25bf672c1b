"""Backups that restore: every service's database and every file in its buckets, in one directory.

    python -m recert_common.backup backup DIR                 copy the system into DIR (new or empty)
    python -m recert_common.backup verify DIR                 DIR still holds what its manifest says
    python -m recert_common.backup verify DIR --system        the system holds what the manifest says
    python -m recert_common.backup restore DIR [--replace] [--republish-hours H]

The system is the one the environment names, with the variables the services' own processes read
(``RECERT_POSTGRES_URL`` or ``RECERT_<SERVICE>_DATABASE_URL``, ``RECERT_S3_*``, each bucket's variable):
``backup`` reads the system they name, ``restore`` writes into the one they name, which may have other
database and bucket names. A restore needs the secrets the backed-up system ran with
(``RECERT_IDENTITY_SECRETS_KEY``, ``RECERT_ASSESSMENT_SECRETS_KEY``, ...): the dumps hold data encrypted
with them.

What DIR holds:

- ``databases/<service>.dump``: ``pg_dump --format=custom`` of each service's database;
- ``objects/<sha256>``: the bytes of every object of every bucket, named by their hash (identical files are
  stored once);
- ``manifest.json``, written last (a directory without it is not a backup): per database its dump's hash,
  the row count of every table and the state of its outbox; per object its service, bucket role, key, size,
  SHA-256, type and filename.

Consistency (ADR 0034). Each database is dumped from one snapshot, and the snapshots of all databases are
taken one right after the other before any dump starts (``pg_export_snapshot``, then ``pg_dump
--snapshot``), so the dumps stand for the same moment give or take the few milliseconds the manifest records
as ``snapshot_spread_ms``. The table counts come from the same snapshots. A service's outbox and inbox are in
its own dump, with the state they belong to. Objects are copied after the snapshots: a file uploaded
meanwhile is in the backup without a row that names it (harmless); a file deleted meanwhile is missing.

Events in flight at backup time (published, not yet handled; in a queue or a dead-letter queue) live only in
the broker, which is not backed up. ``restore`` therefore marks the outbox rows published in the
``--republish-hours`` before the backup (24 by default) as unpublished: the restored relays publish them
again, every consumer handles what its inbox does not hold yet, and ignores the rest (inboxes are never
pruned). Subscribers outside the platform (DNV, Noloc) receive those events again, with their ids. An inbox
names its consumer by the queue, prefix included: a target with another ``RECERT_QUEUE_PREFIX`` gets its
inbox rows renamed to its own prefix, or it would handle every republished event a second time.

A restore refuses a target database that has tables or a target bucket that has objects, unless
``--replace`` is given, which drops the target's databases and empties its buckets first. After restoring it
checks the target against the manifest (``verify --system``). Then run every service's ``migrate`` (it
declares the consumers' queues, so nothing the relays publish is dropped) and start the services.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

from recert_common import db
from recert_common.config import ConfigError, ServiceSettings
from recert_common.runtime import ServiceSpec
from recert_common.storage import ObjectNotFound, ObjectStore

SERVICES = ("identity", "portfolio", "pe-registry", "assessment", "notifications", "billing")
FORMAT = 1
MANIFEST = "manifest.json"
DEFAULT_REPUBLISH_HOURS = 24.0
# Dumps and restores run this many databases side by side: each is mostly waiting for its server.
DATABASES_AT_ONCE = 3
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


class RestoreRefused(BackupError):
    """The target is not empty and ``replace`` was not asked for."""


# -- the services ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Service:
    """One service as the backup sees it: its database, its buckets (role -> bucket name) and the queries
    listing the keys its rows name (role -> SQL)."""

    name: str
    settings: ServiceSettings
    buckets: dict[str, str]
    object_keys: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def store(self, role: str) -> ObjectStore:
        return ObjectStore.from_settings(self.settings, self.buckets[role])


def spec_of(name: str) -> ServiceSpec:
    """The service's ``ServiceSpec`` (its ``__main__`` module; importing it runs nothing)."""
    return importlib.import_module(f"recert_{name.replace('-', '_')}.__main__").SPEC


def service(name: str, env: dict[str, str] | None = None) -> Service:
    spec = spec_of(name)
    settings = spec.settings_cls.from_env(name, env)
    return Service(name, settings, dict(spec.buckets(settings)), dict(spec.object_keys))


def installed_services() -> list[str]:
    return [name for name in SERVICES
            if importlib.util.find_spec(f"recert_{name.replace('-', '_')}") is not None]


# -- small helpers ---------------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _run_client(args: Sequence[str], url: str) -> None:
    """Run a PostgreSQL client program on the database ``url``, whose password (if any) travels in the
    environment: a command line is visible to every user of the machine."""
    params = conninfo.conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    result = subprocess.run([*args, "--no-password", f"--dbname={conninfo.make_conninfo(**params)}"],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client programs "
                          "(Debian: postgresql-client)")
    return path


def _user_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return [tuple(row) for row in conn.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")]


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Every user table's row count, as ``{"schema.table": n}``."""
    counts = {}
    for schema, table in _user_tables(conn):
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts


def outbox_state(conn: psycopg.Connection) -> dict[str, int] | None:
    """How many events the outbox holds and how many of them were not yet published."""
    if conn.execute("SELECT to_regclass('outbox')").fetchone()[0] is None:
        return None
    rows, unpublished = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE published_at IS NULL) FROM outbox").fetchone()
    return {"rows": rows, "unpublished": unpublished}


# -- backup ----------------------------------------------------------------------------------------------

@dataclass
class _Snapshot:
    service: Service
    conn: psycopg.Connection
    snapshot_id: str = ""
    taken_at: datetime | None = None


@contextlib.contextmanager
def _snapshots(services: Iterable[Service]):
    """One open repeatable-read transaction per database, whose snapshots are taken back to back."""
    taken: list[_Snapshot] = []
    try:
        for item in services:
            conn = psycopg.connect(item.database_url, connect_timeout=10)
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            taken.append(_Snapshot(item, conn))
        # Connections first, snapshots after: the snapshots are then only a round trip apart each.
        for snapshot in taken:
            snapshot.snapshot_id, snapshot.taken_at = snapshot.conn.execute(
                "SELECT pg_export_snapshot(), clock_timestamp()").fetchone()
        yield taken
    finally:
        for snapshot in taken:
            snapshot.conn.close()


def backup(directory: Path, services: Sequence[Service], *, log=print) -> dict:
    """Copy ``services``' databases and buckets into ``directory``; returns the manifest."""
    pg_dump = _require_tool("pg_dump")
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: a backup goes into a new directory")
    (directory / "databases").mkdir(parents=True, exist_ok=True)
    (directory / "objects").mkdir(exist_ok=True)
    started_at = _now()
    manifest: dict = {"format": FORMAT, "started_at": started_at.isoformat(), "databases": {}, "buckets": {},
                      "objects": [], "missing_objects": []}

    with _snapshots(services) as snapshots:
        instants = [s.taken_at for s in snapshots]
        manifest["snapshot_spread_ms"] = round((max(instants) - min(instants)).total_seconds() * 1000, 3)
        with ThreadPoolExecutor(DATABASES_AT_ONCE) as pool:
            for name, entry in pool.map(lambda snapshot: _dump(snapshot, directory, pg_dump, log), snapshots):
                manifest["databases"][name] = entry
        named = {(s.service.name, role): {row[0] for row in s.conn.execute(query)}
                 for s in snapshots for role, query in s.service.object_keys.items()}

    for item in services:
        for role, bucket in item.buckets.items():
            copied = _copy_bucket(item, role, directory / "objects")
            manifest["buckets"].setdefault(item.name, {})[role] = {"bucket": bucket, "objects": len(copied)}
            manifest["objects"].extend(copied)
            log(f"backup: {item.name}: {len(copied)} objects of bucket {bucket} ({role})")
            # A row whose file is not in the store: deleted after the snapshot, or lost before it. The backup
            # cannot have it; the manifest says which, so that nobody finds out on a download.
            missing = sorted(named.get((item.name, role), set()) - {entry["key"] for entry in copied})
            manifest["missing_objects"].extend(
                {"service": item.name, "bucket": role, "key": key} for key in missing)
            if missing:
                log(f"backup: {item.name}: {len(missing)} files its database names are not in {bucket}")

    manifest["finished_at"] = _now().isoformat()
    written = directory / f"{MANIFEST}.partial"
    written.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(written, directory / MANIFEST)
    return manifest


def _dump(snapshot: _Snapshot, directory: Path, pg_dump: str, log) -> tuple[str, dict]:
    name = snapshot.service.name
    path = directory / "databases" / f"{name}.dump"
    begun = time.monotonic()
    # The exporting transaction stays open until pg_dump has finished: its snapshot lives as long.
    _run_client([pg_dump, "--format=custom", f"--snapshot={snapshot.snapshot_id}", f"--file={path}"],
                snapshot.service.database_url)
    entry = {
        "database": db.database_name(snapshot.service.database_url),
        "file": f"databases/{name}.dump",
        "sha256": _file_sha256(path),
        "bytes": path.stat().st_size,
        "snapshot_at": snapshot.taken_at.isoformat(),
        "tables": table_counts(snapshot.conn),
        "outbox": outbox_state(snapshot.conn),
        # The inbox names each consumer by its queue, prefix included (see restore).
        "queue_prefix": snapshot.service.settings.queue_prefix,
    }
    log(f"backup: {name}: database dumped in {time.monotonic() - begun:.1f}s")
    return name, entry


def _copy_bucket(item: Service, role: str, objects: Path) -> list[dict]:
    store = item.store(role)
    copied = []
    for key in store.keys():
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=objects, delete=False) as handle:
            temporary = Path(handle.name)
            try:
                with store.stream(key, chunk_size=_CHUNK) as chunks:
                    info = chunks.info
                    for chunk in chunks:
                        digest.update(chunk)
                        handle.write(chunk)
                        size += len(chunk)
            except ObjectNotFound:
                # Deleted between the listing and now: as if it had gone before the backup began.
                temporary.unlink(missing_ok=True)
                continue
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
        sha256 = digest.hexdigest()
        os.replace(temporary, objects / sha256)
        copied.append({
            "service": item.name, "bucket": role, "bucket_name": store.bucket, "key": key, "size": size,
            "sha256": sha256, "content_type": info.content_type, "filename": info.filename,
            # What the store said the hash was: different from ours means the stored file changed.
            "stored_sha256": info.sha256,
        })
    return copied


# -- verify ----------------------------------------------------------------------------------------------

def load_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} does not exist: {directory} is not a finished backup")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r}, this program reads {FORMAT}")
    return manifest


def verify_files(directory: Path, manifest: dict) -> list[str]:
    """What is wrong with the backup directory: missing or changed dumps and objects."""
    directory = Path(directory)
    problems = []
    for name, entry in manifest["databases"].items():
        path = directory / entry["file"]
        if not path.exists():
            problems.append(f"{name}: {entry['file']} is missing")
        elif _file_sha256(path) != entry["sha256"]:
            problems.append(f"{name}: {entry['file']} does not match its SHA-256")
    for sha256 in sorted({entry["sha256"] for entry in manifest["objects"]}):
        path = directory / "objects" / sha256
        if not path.exists():
            problems.append(f"objects/{sha256} is missing")
        elif _file_sha256(path) != sha256:
            problems.append(f"objects/{sha256} does not match its name")
    for entry in manifest["objects"]:
        if entry["stored_sha256"] not in (None, entry["sha256"]):
            problems.append(f"{entry['service']} {entry['bucket']}/{entry['key']}: the store's SHA-256 "
                            f"{entry['stored_sha256']} differs from the bytes' {entry['sha256']}")
    return problems


def verify_system(manifest: dict, services: dict[str, Service]) -> list[str]:
    """What the system lacks of the backup: tables whose row counts differ, objects missing or changed.

    Meaningful right after a restore, before the services run (they change the counts at once)."""
    problems = []
    for name, entry in manifest["databases"].items():
        item = services[name]
        with psycopg.connect(item.database_url, connect_timeout=10) as conn:
            counts = table_counts(conn)
        for table, expected in entry["tables"].items():
            if counts.get(table) != expected:
                problems.append(f"{name}: {table} has {counts.get(table)} rows, the backup {expected}")
        for table in sorted(set(counts) - set(entry["tables"])):
            problems.append(f"{name}: {table} is not in the backup")
    stores: dict[tuple[str, str], ObjectStore] = {}
    for entry in manifest["objects"]:
        where = (entry["service"], entry["bucket"])
        if where not in stores:
            stores[where] = services[entry["service"]].store(entry["bucket"])
        store = stores[where]
        try:
            info = store.stat(entry["key"])
        except LookupError:
            problems.append(f"{entry['service']} {store.bucket}/{entry['key']} is missing")
            continue
        if (info.size, info.sha256) != (entry["size"], entry["sha256"]):
            problems.append(f"{entry['service']} {store.bucket}/{entry['key']}: {info.size} bytes, "
                            f"SHA-256 {info.sha256}; the backup has {entry['size']} bytes, {entry['sha256']}")
    return problems


# -- restore ---------------------------------------------------------------------------------------------

def _database_has_tables(url: str) -> bool | None:
    """None when the database does not exist, else whether it holds any table."""
    name = db.database_name(url)
    with psycopg.connect(db.server_url(url), autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            return None
    with psycopg.connect(url, connect_timeout=10) as conn:
        return bool(_user_tables(conn))


def _bucket_roles(manifest: dict) -> list[tuple[str, str]]:
    return [(name, role) for name, roles in sorted(manifest["buckets"].items()) for role in sorted(roles)]


def occupied(manifest: dict, services: dict[str, Service]) -> list[str]:
    """The target's databases that have tables and buckets that have objects."""
    found = []
    for name in manifest["databases"]:
        if _database_has_tables(services[name].database_url):
            found.append(f"database {db.database_name(services[name].database_url)} ({name}) has tables")
    for name, role in _bucket_roles(manifest):
        store = services[name].store(role)
        if next(iter(store.keys()), None) is not None:
            found.append(f"bucket {store.bucket} ({name} {role}) has objects")
    return found


def _rename_consumers(conn: psycopg.Connection, old: str, new: str) -> None:
    """A consumer's inbox rows carry its queue's name. Restored beside other systems with another queue
    prefix, the same consumer has another name: without renaming its rows it would take every event it
    handled before for a new one, and handle the republished events a second time."""
    if old != new:
        conn.execute("UPDATE inbox SET consumer = %s || substr(consumer, %s) WHERE left(consumer, %s) = %s",
                     (new, len(old) + 1, len(old), old))


def restore(directory: Path, services: dict[str, Service], *, replace: bool = False,
            republish_hours: float = DEFAULT_REPUBLISH_HOURS, log=print) -> dict:
    """Put the backup in ``directory`` into ``services``' databases and buckets; returns a summary."""
    pg_restore = _require_tool("pg_restore")
    directory = Path(directory)
    manifest = load_manifest(directory)
    missing = sorted(set(manifest["databases"]) - set(services))
    if missing:
        raise BackupError(f"the backup holds {', '.join(missing)}, which this installation does not have")
    problems = verify_files(directory, manifest)
    if problems:
        raise BackupError("the backup is damaged:\n  " + "\n  ".join(problems))
    in_the_way = occupied(manifest, services)
    if in_the_way and not replace:
        raise RestoreRefused("the target is not empty (restore with --replace to overwrite it):\n  "
                             + "\n  ".join(in_the_way))

    since = datetime.fromisoformat(manifest["started_at"]) - timedelta(hours=republish_hours)
    summary: dict = {"databases": {}, "objects": 0, "republish_since": since.isoformat()}

    def restore_database(name: str) -> None:
        entry, url = manifest["databases"][name], services[name].database_url
        if replace:
            db.drop_database(url)
        db.ensure_database(url)
        # One transaction: a restore that fails leaves an empty database, not half of one.
        _run_client([pg_restore, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
                     str(directory / entry["file"])], url)
        republished = 0
        if entry["outbox"] is not None:
            with psycopg.connect(url, connect_timeout=10) as conn:
                republished = conn.execute(
                    "UPDATE outbox SET published_at = NULL WHERE published_at >= %s", (since,)).rowcount
                _rename_consumers(conn, entry["queue_prefix"], services[name].settings.queue_prefix)
        summary["databases"][name] = {"republish": republished}
        log(f"restore: {name}: database restored; {republished} events will be published again")

    with ThreadPoolExecutor(DATABASES_AT_ONCE) as pool:
        list(pool.map(restore_database, manifest["databases"]))

    stores = {(name, role): services[name].store(role) for name, role in _bucket_roles(manifest)}
    for store in stores.values():
        store.ensure_bucket()
        if replace:
            for key in list(store.keys()):
                store.delete(key)
    for entry in manifest["objects"]:
        with open(directory / "objects" / entry["sha256"], "rb") as source:
            stores[entry["service"], entry["bucket"]].put_verbatim(
                entry["key"], source, entry["size"], content_type=entry["content_type"],
                filename=entry["filename"], sha256=entry["sha256"])
        summary["objects"] += 1
    log(f"restore: {summary['objects']} objects put back")
    if manifest["missing_objects"]:
        log(f"restore: note: {len(manifest['missing_objects'])} files the databases name were not in the "
            "store at backup time (verify lists them)")

    problems = verify_system(manifest, services)
    if problems:
        raise BackupError("the restored system differs from the backup:\n  " + "\n  ".join(problems))
    log("restore: the databases and buckets match the backup; run every service's migrate, then start them")
    return summary


# -- command line ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recert_common.backup",
                                     description="Back up and restore every service's database and files.")
    sub = parser.add_subparsers(dest="command", required=True)
    made = sub.add_parser("backup", help="copy the configured system into a new directory")
    made.add_argument("directory", type=Path)
    made.add_argument("--services", help="comma-separated (default: every installed service)")
    checked = sub.add_parser("verify", help="check a backup directory against its manifest")
    checked.add_argument("directory", type=Path)
    checked.add_argument("--system", action="store_true",
                         help="also check that the configured system holds what the manifest says")
    restored = sub.add_parser("restore", help="restore a backup into the configured (empty) system")
    restored.add_argument("directory", type=Path)
    restored.add_argument("--replace", action="store_true",
                          help="drop the target's databases and empty its buckets first if they hold data")
    restored.add_argument("--republish-hours", type=float, default=DEFAULT_REPUBLISH_HOURS,
                          help="publish again the events published this long before the backup "
                               f"(default {DEFAULT_REPUBLISH_HOURS:g})")
    args = parser.parse_args(argv)

    def err(text: str) -> None:
        print(text, file=sys.stderr)

    try:
        if args.command == "backup":
            names = args.services.split(",") if args.services else installed_services()
            manifest = backup(args.directory, [service(name) for name in names], log=err)
            objects = len(manifest["objects"])
            err(f"backup: {len(manifest['databases'])} databases and {objects} objects in {args.directory} "
                f"(snapshots {manifest['snapshot_spread_ms']} ms apart)")
            return 0
        manifest = load_manifest(args.directory)
        if args.command == "verify":
            problems = verify_files(args.directory, manifest)
            if args.system:
                problems += verify_system(manifest, {name: service(name) for name in manifest["databases"]})
            for problem in problems:
                err(f"verify: {problem}")
            for entry in manifest["missing_objects"]:
                err(f"verify: note: {entry['service']} names {entry['bucket']}/{entry['key']}, which was not "
                    "in the store at backup time")
            err(f"verify: {'the backup is sound' if not problems else f'{len(problems)} problems'}")
            return 1 if problems else 0
        services = {name: service(name) for name in manifest["databases"]}
        restore(args.directory, services, replace=args.replace, republish_hours=args.republish_hours, log=err)
        return 0
    except RestoreRefused as exc:
        err(f"restore refused: {exc}")
        return 2
    except (BackupError, ConfigError, ImportError) as exc:
        # ConfigError: a service's settings are incomplete (the backup reads them all, secrets included).
        err(f"{args.command} failed: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
