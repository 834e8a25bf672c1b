"""Database creation and the migration runner against the real PostgreSQL."""
from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from recert_common import db


@pytest.fixture
def url(infra):
    url = f"{infra.postgres_url}/t{infra.run_id}_db_{uuid.uuid4().hex[:6]}"
    infra.databases.append(url)
    return url


def _write(directory, name, text):
    (directory / name).write_text(text)


def test_ensure_database_creates_once(url):
    assert db.ensure_database(url) is True
    assert db.ensure_database(url) is False


def test_migrations_apply_once_in_order_and_record_themselves(url, tmp_path):
    _write(tmp_path, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    _write(tmp_path, "0002_more.sql", "ALTER TABLE things ADD COLUMN name text;")
    applied = db.migrate_service(url, "svc", tmp_path)
    assert applied == ["recert_common/0001_outbox_inbox.sql", "recert_common/0002_revocations.sql",
                       "recert_common/0003_outbox_notify_only_a_sleeping_relay.sql",
                       "svc/0001_things.sql", "svc/0002_more.sql"]
    assert db.migrate_service(url, "svc", tmp_path) == []
    _write(tmp_path, "0003_index.sql", "CREATE INDEX things_name ON things (name);")
    assert db.migrate_service(url, "svc", tmp_path) == ["svc/0003_index.sql"]
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT component, number FROM schema_migrations ORDER BY 1, 2").fetchall()
    assert rows == [("recert_common", 1), ("recert_common", 2), ("recert_common", 3),
                    ("svc", 1), ("svc", 2), ("svc", 3)]


def test_a_failing_migration_leaves_nothing_of_itself(url, tmp_path):
    _write(tmp_path, "0001_ok.sql", "CREATE TABLE ok (id int);")
    _write(tmp_path, "0002_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(psycopg.errors.UndefinedFunction):
        db.migrate_service(url, "svc", tmp_path)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)
        applied = conn.execute("SELECT max(number) FROM schema_migrations WHERE component = 'svc'").fetchone()
        assert applied == (1,)


def test_badly_named_or_duplicate_migrations_are_refused(url, tmp_path):
    _write(tmp_path, "1_bad.sql", "SELECT 1;")
    with pytest.raises(ValueError, match="0001_name.sql"):
        db.migrate_service(url, "svc", tmp_path)
    (tmp_path / "1_bad.sql").unlink()
    _write(tmp_path, "0001_a.sql", "SELECT 1;")
    _write(tmp_path, "0001_b.sql", "SELECT 1;")
    with pytest.raises(ValueError, match="share a number"):
        db.migrate_service(url, "svc", tmp_path)


def test_two_processes_migrating_at_once_apply_each_file_once(url, tmp_path):
    _write(tmp_path, "0001_counter.sql", "CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);")
    errors = []

    def run():
        try:
            db.migrate_service(url, "svc", tmp_path)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM counter").fetchone() == (1,)


def test_transaction_rolls_back_on_error(url, tmp_path):
    _write(tmp_path, "0001_t.sql", "CREATE TABLE t (id int);")
    db.migrate_service(url, "svc", tmp_path)
    database = db.Database(url).open(wait=True)
    try:
        with pytest.raises(RuntimeError):
            with database.transaction() as conn:
                conn.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("boom")
        with database.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (2)")
        with database.transaction() as conn:
            assert [r["id"] for r in conn.execute("SELECT id FROM t")] == [2]
    finally:
        database.close()


NAMES = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count",
         "idle_in_transaction_session_timeout")


def test_service_sessions_bound_a_vanished_or_idle_client(url):
    """Server-side keepalives and the idle-in-transaction timeout are asked for by every pooled session,
    and an option the URL names comes after them and wins."""
    db.ensure_database(url)
    database = db.Database(f"{url}?options=-c%20tcp_keepalives_count%3D5", min_size=1).open(wait=True)
    try:
        with database.transaction() as conn:
            shown = {name: conn.execute(f"SHOW {name}").fetchone()[name] for name in NAMES}
        with database.listener() as listener:  # the relay's LISTEN connection, outside the pool
            listening = {name: listener.execute(f"SHOW {name}").fetchone()[0] for name in NAMES}
    finally:
        database.close()
    assert shown == listening == {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10",
                                  "tcp_keepalives_count": "5", "idle_in_transaction_session_timeout": "5min"}


def test_a_transaction_left_idle_is_ended_and_its_locks_released(url):
    """What a hung worker's batch would hold (ADR 0040): its lock goes when PostgreSQL ends the idle
    transaction, here after 1 s, and the pool hands out a working connection afterwards."""
    db.ensure_database(url)
    database = db.Database(url, min_size=1, max_size=1,
                           session_settings={"idle_in_transaction_session_timeout": "1s"}).open(wait=True)
    try:
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout), database.transaction() as conn:
            db.transaction_lock(conn, "consumer:test.idle")
            with psycopg.connect(url, autocommit=True) as other:
                def take() -> bool:
                    return other.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                                         ("consumer:test.idle",)).fetchone()[0]
                taken = take()
                assert taken is False  # held while the transaction is alive
                deadline = time.monotonic() + 10
                while not taken and time.monotonic() < deadline:
                    time.sleep(0.2)
                    taken = take()
                assert taken is True
            conn.execute("SELECT 1")  # the session is gone
        with database.transaction() as conn:
            assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1
    finally:
        database.close()
