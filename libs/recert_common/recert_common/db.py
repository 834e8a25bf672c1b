"""PostgreSQL access for one service: a connection pool, transactions, database creation and migrations.

Each service owns one database. Migrations are numbered SQL files (``0001_accounts.sql``) applied in order,
each in its own transaction, under an advisory lock so that two processes starting together do not race.
Why a small runner instead of a library: see ``docs/adr/0002-migrations.md``.
"""
from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

COMMON_MIGRATIONS = Path(__file__).parent / "bus" / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_MIGRATION_LOCK = 0x7265636572  # "recer": one advisory lock id for every service's migrations


RECONNECT_TIMEOUT_SECONDS = 10.0

# A process cut off from the database (a network partition) or hung leaves its open transaction, and the
# locks it holds (a consumer's batch lock, ADR 0040), in place until PostgreSQL ends its session. PostgreSQL
# notices a vanished client by TCP keepalives, which with the kernel's defaults take two hours. Each session
# of a service therefore asks for keepalives after 30 s of silence, every 10 s, given up after 3 unanswered
# (about a minute), and ends a transaction left idle for 5 minutes. No use case holds a transaction across
# a client's or the object store's I/O (uploads and downloads stream outside their units of work), so the
# timeout ends no healthy one. Options in the database URL come after these and win.
SESSION_SETTINGS: dict[str, str] = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
    "idle_in_transaction_session_timeout": "5min",
}


def session_options(url: str, settings: dict[str, str] | None = None) -> str:
    """libpq's ``options`` for a service session: ``SESSION_SETTINGS`` (with ``settings`` over them), then
    whatever ``options`` the URL names."""
    wanted = {**SESSION_SETTINGS, **(settings or {})}
    ours = " ".join(f"-c {name}={value}" for name, value in wanted.items())
    theirs = conninfo_to_dict(url).get("options")
    return f"{ours} {theirs}" if theirs else ours


class Database:
    """A pool of connections to one service database; rows come back as dicts. ``session_settings`` change
    PostgreSQL settings of its sessions from ``SESSION_SETTINGS``."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, name: str | None = None,
                 timeout: float = 10.0, session_settings: dict[str, str] | None = None):
        self.url = url
        self.options = session_options(url, session_settings)
        self.pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, name=name, open=False, timeout=timeout,
            kwargs={"row_factory": dict_row, "autocommit": False, "options": self.options},
            check=ConnectionPool.check_connection,
            # psycopg_pool doubles the wait between attempts to replace a lost connection without a cap, so
            # after a long database outage a worker could wait minutes for a slot. Giving an attempt up
            # early frees the slot, and the next request starts a fresh attempt at once.
            reconnect_timeout=RECONNECT_TIMEOUT_SECONDS,
        )

    @classmethod
    def from_settings(cls, settings, name: str, *, max_size: int | None = None) -> Database:
        """The pool of a service process, sized and timed by ``RECERT_DB_POOL_*``; opened."""
        return cls(settings.database_url, name=name, max_size=max_size or settings.db_pool_size,
                   timeout=settings.db_pool_timeout_seconds).open(wait=False)

    def open(self, wait: bool = False) -> Database:
        self.pool.open(wait=wait)
        return self

    def close(self) -> None:
        self.pool.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One transaction: commits when the block ends, rolls back when it raises."""
        with self.pool.connection() as conn:
            yield conn

    def listener(self) -> psycopg.Connection:
        """A connection of its own outside the pool, in autocommit, for ``LISTEN`` and session locks; the
        caller closes it. Its session has the pool's settings, so a partition ends it as it ends theirs."""
        return psycopg.connect(self.url, autocommit=True, options=self.options)

    def ping(self) -> None:
        with self.pool.connection(timeout=2.0) as conn:
            conn.execute("SELECT 1")


def transaction_lock(conn: psycopg.Connection, name: str) -> None:
    """Wait for the lock called ``name``, then hold it until ``conn``'s transaction ends.

    For two transactions that each write a row and then look for the other's: under READ COMMITTED both
    could look before the other committed and miss it. Taking the lock of their shared key before they look,
    the second waits for the first's commit and then sees its row. The name is hashed to PostgreSQL's 64-bit
    advisory lock key, so names need only be unique per purpose (``"<purpose>:<key>"``). Each lock takes a
    slot of PostgreSQL's shared lock table until the transaction ends, and the table holds a few thousand in
    all (``max_locks_per_transaction`` x ``max_connections``): take a few per transaction, never one per row
    of a batch of any size.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))


def database_name(url: str) -> str:
    return conninfo_to_dict(url)["dbname"]


def server_url(url: str, dbname: str = "postgres") -> str:
    return make_conninfo(url, dbname=dbname)


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` when it does not exist. Returns whether it was created."""
    name = database_name(url)
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            # Another process created it between our check and our create (PostgreSQL reports the race
            # as either error, depending on where the two collide).
            return False
        log.info("created database", extra={"database": name})
        return True


def drop_database(url: str) -> None:
    name = database_name(url)
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _migration_files(directory: Path) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(Path(directory).glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path}")
        found.append((int(match.group(1)), path.name, path))
    numbers = [number for number, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise ValueError(f"two migrations share a number in {directory}")
    return found


def migrate(url: str, sets: Iterable[tuple[str, Path]], *, create: bool = True) -> list[str]:
    """Apply every pending migration of each ``(component, directory)`` set, in order.

    The shared library's own tables (outbox, inbox) are a set of their own, ``recert_common``, listed first
    by ``migrate_service``. Returns the names of the files applied.
    """
    if create:
        ensure_database(url)
    applied: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       component text NOT NULL,
                       number integer NOT NULL,
                       name text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now(),
                       PRIMARY KEY (component, number))"""
            )
            for component, directory in sets:
                done = {row[0] for row in conn.execute(
                    "SELECT number FROM schema_migrations WHERE component = %s", (component,))}
                for number, name, path in _migration_files(directory):
                    if number in done:
                        continue
                    with conn.transaction():
                        conn.execute(path.read_text())
                        conn.execute(
                            "INSERT INTO schema_migrations (component, number, name) VALUES (%s, %s, %s)",
                            (component, number, name),
                        )
                    applied.append(f"{component}/{name}")
                    log.info("applied migration", extra={"migration": f"{component}/{name}"})
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return applied


def migrate_service(url: str, service: str, directory: Path) -> list[str]:
    """The shared tables first, then the service's own migrations."""
    return migrate(url, [("recert_common", COMMON_MIGRATIONS), (service, directory)])
