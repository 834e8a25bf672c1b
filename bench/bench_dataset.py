"""A seeded data set: the PE summary over 20,000 jobcoaches with 50 activities each, and the expiry
scheduler's pass over 20,000 certificates.

PE summary. pe-registry's schema (its own migrations) is seeded with COPY, straight into the tables the
service reads: ``activities`` and the ``certificate_periods`` read model. Activities are written activity
by activity across all jobcoaches (the first of every jobcoach, then the second...), so each jobcoach's 50
rows lie on 50 different heap pages, as rows recorded over four years would; a jobcoach's rows written
together would make every summary read one page. pe-registry's web process (gunicorn, as in production)
answers ``GET /v1/pe/summary`` for 500 jobcoaches chosen at random, one request at a time, with tokens
signed by a key the bench serves as the JWKS.
Baseline: the same request for one jobcoach with 50 activities, answered by a second pe-registry process
whose database holds nothing else; the two alternate in rounds, so that whatever else the machine does
falls on both alike. Beside them, the service's own SQL (the repositories of ``recert_pe_registry.store``,
run under EXPLAIN ANALYZE) with its plan, which must use an index.

Expiry scheduler. assessment's schema is seeded with active, linked certificates whose expiry dates are
spread evenly over the next four years, and the worker's schedule job (``worker.schedules(settings, db)``)
is run once and then again: the first pass sends the reminders that are due, the second finds them sent,
as every pass after it does once a minute in production. Baselines: a pass over an empty table and over
1,000 certificates.
"""
from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import psycopg  # noqa: E402
import requests  # noqa: E402

import recert_assessment  # noqa: E402
import recert_pe_registry  # noqa: E402
from recert_assessment.domain import EXPIRY_NOTICE_MONTHS  # noqa: E402
from recert_assessment.settings import AssessmentSettings  # noqa: E402
from recert_assessment.store import CertificateRepository  # noqa: E402
from recert_assessment.worker import schedules  # noqa: E402
from recert_common import db  # noqa: E402
from recert_common.auth import access_token_claims, generate_ed25519_jwk, sign_token  # noqa: E402
from recert_common.crypto import new_key  # noqa: E402
from recert_common.rules import add_months, add_years, load_framework  # noqa: E402
from recert_pe_registry import store as pe_store  # noqa: E402

from common import child_pids, drop_databases, goal, percentile, write_result  # noqa: E402
from conftest import _from_local_machine  # noqa: E402
from frontend import Frontend  # noqa: E402
from journeys import Office  # noqa: E402
from ports import free_port  # noqa: E402
from processes import System  # noqa: E402

PE_MIGRATIONS = Path(recert_pe_registry.__file__).parent / "migrations"
ASSESSMENT_MIGRATIONS = Path(recert_assessment.__file__).parent / "migrations"
ISSUER, AUDIENCE = "recert-identity", "recert"
COPY_BLOCK = 5000  # rows per write to the COPY stream



# --- memory -----------------------------------------------------------------------------------------------


def _status_mb(pid: int) -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {f"{key.lower()}_mb": round(int(fields[key].split()[0]) / 1024, 1) for key in ("VmRSS", "VmHWM")}


def process_memory(pid: int) -> dict:
    """Resident memory now (VmRSS) and at its peak (VmHWM) of a process and of each of its children
    (gunicorn's master and worker), in MB."""
    return {"process": _status_mb(pid), "children": [_status_mb(child) for child in child_pids(pid)]}


# --- seeding pe-registry ----------------------------------------------------------------------------------


def periods(accounts: list[uuid.UUID], today: date, rng: random.Random) -> dict[uuid.UUID, tuple[date, date]]:
    """Each jobcoach's current period (first day, expiry): expiries spread over the next four years."""
    found = {}
    for account in accounts:
        valid_until = today + timedelta(days=rng.randint(30, 4 * 365))
        found[account] = (add_years(valid_until, -4), valid_until)
    return found


def copy_lines(conn: psycopg.Connection, statement: str, lines: Iterator[str]) -> int:
    count = 0
    with conn.cursor().copy(statement) as copy:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) == COPY_BLOCK:
                copy.write("".join(block))
                count += len(block)
                block = []
        if block:
            copy.write("".join(block))
            count += len(block)
    return count


def seed_pe(url: str, accounts: list[uuid.UUID], period: dict, per_account: int, today: date,
            rng: random.Random) -> dict:
    """The periods by COPY; the activities made by PostgreSQL itself (``INSERT ... SELECT``, one statement
    per activity number across all jobcoaches): 10,000,000 rows written from Python would take minutes.
    The table's primary key and indexes are dropped during the load and built again afterwards, as a
    restore does (the migrations' own definitions, read from the catalogue): 10,000,000 random UUIDs
    inserted one by one into a primary key larger than shared_buffers cost minutes more."""
    started = time.perf_counter()
    occurred = datetime.now(UTC)
    versions = {year: load_framework(year).version for year in range(today.year - 5, today.year + 1)}
    with psycopg.connect(url) as conn:
        copy_lines(conn, "COPY certificate_periods (account_id, certificate_id, starts_on, valid_from, "
                         "valid_until, occurred_at) FROM STDIN",
                   (f"{a}\t{uuid.uuid4()}\t{period[a][0]}\t{period[a][0]}\t{period[a][1]}\t{occurred}\n"
                    for a in accounts))
        conn.execute("CREATE TEMP TABLE seed_accounts (account_id uuid, first date)")
        copy_lines(conn, "COPY seed_accounts FROM STDIN", (f"{a}\t{period[a][0]}\n" for a in accounts))
        conn.execute("CREATE TEMP TABLE seed_versions (year integer PRIMARY KEY, version text)")
        for year, version in versions.items():
            conn.execute("INSERT INTO seed_versions VALUES (%s, %s)", (year, version))
        # The table's keys and indexes (and the foreign keys that need its primary key), as the migrations
        # made them: dropped for the load and made again afterwards from these definitions.
        foreign = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE confrelid = 'activities'::regclass AND contype = 'f'").fetchall()
        keys = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'activities'::regclass AND contype IN ('p', 'u')").fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'activities' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'activities'::regclass)").fetchall()
        for table, name, _ in foreign:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in keys:
            conn.execute(f"ALTER TABLE activities DROP CONSTRAINT {name}")
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("SELECT setseed(%s)", (rng.random(),))
        conn.commit()
        for n in range(per_account):
            # Activity n of every jobcoach, then n + 1: each jobcoach's rows lie on as many heap pages as it
            # has activities, as rows recorded over four years would.
            conn.execute(
                """INSERT INTO activities (id, account_id, title, provider, completed_on, category, amount,
                                           unit, points, source, framework_version, created_at, updated_at)
                   SELECT gen_random_uuid(), a.account_id, 'Activiteit ' || %(n)s, 'Opleider', r.completed_on,
                          %(category)s, r.amount, 'sbu', r.amount, 'manual', v.version,
                          (r.completed_on + time '12:00') AT TIME ZONE 'UTC',
                          (r.completed_on + time '12:00') AT TIME ZONE 'UTC'
                   FROM seed_accounts a
                   CROSS JOIN LATERAL (
                       SELECT a.first + floor(random() * (%(today)s::date - a.first + 1))::integer
                                  AS completed_on,
                              1 + floor(random() * 16)::integer AS amount OFFSET 0) r
                   JOIN seed_versions v ON v.year = extract(year FROM r.completed_on)""",
                {"n": str(n), "category": n % 6 + 1, "today": today})
            conn.commit()
        inserted = time.perf_counter() - started
        conn.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in keys:
            conn.execute(f"ALTER TABLE activities ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            conn.execute(definition)
        for table, name, definition in foreign:
            conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        conn.commit()
        rows = conn.execute("SELECT count(*) FROM activities").fetchone()[0]
    indexed = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE activities")
        conn.execute("VACUUM ANALYZE certificate_periods")
        # The bulk load's dirty pages are written now, not by a checkpoint during the measurement.
        conn.execute("CHECKPOINT")
    return {"activities": rows, "insert_seconds": round(inserted, 1), "with_index_seconds": round(indexed, 1),
            "with_vacuum_analyze_checkpoint_seconds": round(time.perf_counter() - started, 1)}


# --- the service's SQL under EXPLAIN ----------------------------------------------------------------------


class Explaining:
    """A connection that EXPLAINs each statement instead of running it, so the plans are those of the
    service's own SQL (``store`` repositories), not of a copy of it."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.plans: list[dict] = []

    def execute(self, query: str, params=None):
        text = self.conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params).fetchall()
        plan = self.conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query, params).fetchone()[0][0]
        self.plans.append({"query": " ".join(query.split()), "text": [row[0] for row in text],
                           "execution_ms": round(plan["Execution Time"], 3),
                           "indexes": sorted(_indexes(plan))})
        return self

    def fetchone(self):
        return None

    def fetchall(self):
        return []


def _indexes(plan: dict) -> set[str]:
    node = plan.get("Plan", plan)
    found = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", ()):
        found |= _indexes(child)
    return found


def explain_summary(url: str, account: uuid.UUID, period: tuple[date, date]) -> list[dict]:
    with psycopg.connect(url) as conn:
        explaining = Explaining(conn)
        pe_store.CertificatePeriodRepository(explaining).get(account)
        pe_store.ActivityRepository(explaining).summary_items(account, period[0], period[1])
        conn.rollback()
    return explaining.plans


# --- pe-registry's web process ----------------------------------------------------------------------------


@contextlib.contextmanager
def jwks_server(public_jwk: dict) -> Iterator[str]:
    body = json.dumps({"keys": [public_jwk]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def pe_web(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with open(log, "ab") as handle:
        process = subprocess.Popen([sys.executable, "-m", "recert_pe_registry", "web", "--port", str(port)],
                                   env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pe-registry web did not come up:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def summary_latencies(base: str, tokens: list[str]) -> list[float]:
    """One request at a time, each with its own jobcoach's token: milliseconds per request."""
    session, found = requests.Session(), []
    for token in tokens:
        started = time.perf_counter()
        response = session.get(f"{base}/v1/pe/summary", headers={"Authorization": f"Bearer {token}"},
                                timeout=30)
        found.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"summary: {response.status_code} {response.text[:300]}")
    return found


def latency(values: list[float]) -> dict:
    return {"requests": len(values), "p50": round(percentile(values, 50), 2),
            "p99": round(percentile(values, 99), 2), "max": round(max(values), 2)}


def pe_summary(infra, logs: Path, *, jobcoaches: int, per_account: int, sample: int, rounds: int,
               rng: random.Random) -> dict:
    base_env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECERT_")},
                **infra.settings_env("pe-registry")}
    # The two processes differ only in their database.
    envs = {name: {**base_env, "RECERT_PE_REGISTRY_DATABASE_URL": infra.database_url(f"pe_registry_{name}")}
            for name in ("baseline", "seeded")}
    urls = {name: env["RECERT_PE_REGISTRY_DATABASE_URL"] for name, env in envs.items()}
    today = date.today()
    accounts = [uuid.uuid4() for _ in range(jobcoaches)]
    period = periods(accounts, today, rng)
    lone = accounts[0]
    private, public = generate_ed25519_jwk(f"bench-{uuid.uuid4().hex[:6]}")

    def token(account: uuid.UUID) -> str:
        claims = access_token_claims(account, ["jobcoach"], issuer=ISSUER, audience=AUDIENCE,
                                     ttl=timedelta(hours=1))
        return sign_token(private, private["kid"], claims)

    try:
        for url in urls.values():
            db.migrate_service(url, "pe-registry", PE_MIGRATIONS)
        seed_pe(urls["baseline"], [lone], period, per_account, today, rng)
        seeding = seed_pe(urls["seeded"], accounts, period, per_account, today, rng)
        chosen = rng.sample(accounts[1:], sample + 50)
        tokens = [token(account) for account in chosen]
        lone_token = token(lone)
        with jwks_server(public) as jwks_url, contextlib.ExitStack() as stack:
            bases, pids = {}, {}
            for name, env in envs.items():
                env.update({"RECERT_JWKS_URL": jwks_url, "RECERT_JWT_ISSUER": ISSUER,
                            "RECERT_JWT_AUDIENCE": AUDIENCE, "RECERT_LOG_LEVEL": "INFO",
                            "PYTHONUNBUFFERED": "1"})
                bases[name], pids[name] = stack.enter_context(pe_web(env, logs / f"pe-registry-{name}.log"))
            ways = {"baseline": (bases["baseline"], [lone_token] * sample),
                    "seeded_random": (bases["seeded"], tokens[50:]),
                    "seeded_one_repeated": (bases["seeded"], [lone_token] * sample)}
            summary_latencies(bases["baseline"], [lone_token] * 50)  # warm-up: pool, JWKS, caches
            summary_latencies(bases["seeded"], tokens[:50])
            found: dict[str, list[float]] = {way: [] for way in ways}
            step = sample // rounds
            for n in range(rounds):
                # Alternating in rounds, so whatever else the machine does falls on every way alike.
                for way, (base, way_tokens) in ways.items():
                    found[way] += summary_latencies(base, way_tokens[n * step:(n + 1) * step])
            memory = {f"pe_registry_web_{name}": process_memory(pid) for name, pid in pids.items()}
            body = requests.get(f"{bases['seeded']}/v1/pe/summary", timeout=30,
                                headers={"Authorization": f"Bearer {tokens[-1]}"}).json()
        sql = {"baseline": explain_summary(urls["baseline"], lone, period[lone]),
               "seeded": explain_summary(urls["seeded"], chosen[-1], period[chosen[-1]])}
        with psycopg.connect(urls["seeded"]) as conn:
            rows = conn.execute("SELECT count(*) FROM activities").fetchone()[0]
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('activities'))").fetchone()[0]
        query = sql["seeded"][-1]
        if "activities_by_account" not in query["indexes"]:
            raise RuntimeError("the summary's query does not use an index:\n" + "\n".join(query["text"]))
        # No evidence is seeded: every activity is listed as one without evidence rather than counted.
        activities_in_summary = sum(category["activities"] for category in body["categories"]) \
            + len(body["activities_without_evidence"])
        if activities_in_summary != per_account:
            raise RuntimeError(f"the summary counted {activities_in_summary} activities, not {per_account}: "
                               f"{json.dumps(body)[:1500]}")
    finally:
        drop_databases(urls.values())

    latencies = {way: latency(values) for way, values in found.items()}
    seeded, baseline = latencies["seeded_random"], latencies["baseline"]
    return {
        "jobcoaches": jobcoaches, "activities_per_jobcoach": per_account, "activity_rows": rows,
        "activities_table_size": size, "seeding": seeding,
        "baseline_one_jobcoach_in_empty_database_ms": latencies["baseline"],
        "seeded_random_jobcoaches_ms": latencies["seeded_random"],
        "seeded_one_jobcoach_repeated_ms": latencies["seeded_one_repeated"],
        "p50_ratio_seeded_to_baseline": round(seeded["p50"] / baseline["p50"], 2),
        "p99_ratio_seeded_to_baseline": round(seeded["p99"] / baseline["p99"], 2),
        "sql_baseline": sql["baseline"], "sql_seeded": sql["seeded"], "memory": memory,
    }


# --- the expiry scheduler ---------------------------------------------------------------------------------


def seed_certificates(url: str, count: int, today: date) -> None:
    """``count`` active certificates, each with an account, expiring evenly over the next four years."""
    registered = datetime.now(UTC)

    def lines() -> Iterator[str]:
        for n in range(count):
            valid_until = today + timedelta(days=1 + n * (4 * 365) // count)
            yield (f"{uuid.uuid4()}\tRJ-B{n:07d}\t{10_000_000 + n}\t{uuid.uuid4()}"
                   f"\t{add_years(valid_until, -4)}\t{valid_until}\tactive\t{registered}\n")

    with psycopg.connect(url) as conn:
        copy_lines(conn, "COPY certificates (id, number, membership_number, account_id, valid_from, "
                         "valid_until, state, registered_at) FROM STDIN", lines())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE certificates")
        conn.execute("CHECKPOINT")


def one_pass(job: Callable, database: db.Database, url: str) -> dict:
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        certificates = conn.execute("SELECT count(*) FROM certificates").fetchone()[0]
    started = time.perf_counter()
    report = job(database)
    seconds = time.perf_counter() - started
    with psycopg.connect(url) as conn:
        events = conn.execute("SELECT count(*) FROM outbox").fetchone()[0] - before
    return {"certificates": certificates, "seconds": round(seconds, 3),
            "certificates_per_second": round(certificates / seconds, 1) if certificates else None,
            "events_written": events, "report": report.__dict__}


def expiry_scheduler(infra, *, sizes: dict[str, int]) -> dict:
    """The schedule job's first and second pass over each of ``sizes`` (name: certificates), an empty
    table first. Run in a process of its own (``scheduler_in_own_process``), whose peak memory is the
    job's."""
    url = infra.database_url("assessment")
    try:
        db.migrate_service(url, "assessment", ASSESSMENT_MIGRATIONS)
        settings = AssessmentSettings.from_env("assessment", env={}, database_url=url,
                                               amqp_url=infra.amqp_url, log_level="WARNING",
                                               secrets_key=new_key())
        database = db.Database(url, max_size=4).open(wait=True)
        try:
            (schedule,) = schedules(settings, database)
            today = date.today()
            result: dict = {"empty_table": one_pass(schedule.job, database, url)}
            for name, count in sizes.items():
                with psycopg.connect(url) as conn:
                    conn.execute("TRUNCATE certificates, outbox CASCADE")
                started = time.perf_counter()
                seed_certificates(url, count, today)
                seeding = round(time.perf_counter() - started, 1)
                with psycopg.connect(url) as conn:
                    candidates = conn.execute(
                        "SELECT count(*) FROM certificates WHERE valid_until BETWEEN %s AND %s",
                        (today, add_months(today, 13))).fetchone()[0]
                result[name] = {"certificates": count, "seeding_seconds": seeding,
                                "within_13_months": candidates,
                                "first_pass": one_pass(schedule.job, database, url),
                                "second_pass": one_pass(schedule.job, database, url)}
                with psycopg.connect(url) as conn:
                    explaining = Explaining(conn)
                    CertificateRepository(explaining).reminders_unsent(today, add_months(today, 13),
                                                                       EXPIRY_NOTICE_MONTHS)
                    conn.rollback()
                result[name]["quiet_pass_query"] = explaining.plans[0]
        finally:
            database.close()
    finally:
        drop_databases([url])
    result["memory"] = {"scheduler_process": _status_mb(os.getpid())}
    return result


def scheduler_in_own_process(infra, sizes: dict[str, int]) -> dict:
    """``expiry_scheduler`` in a fresh Python process (spawned, not forked), so that its VmHWM is the job's
    and not the bench's."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(expiry_scheduler, (infra,), {"sizes": sizes})


# --- DNV's overview ---------------------------------------------------------------------------------------

OPEN_STATES = ("opened", "awaiting_payment", "ready_for_assignment", "assigned", "advised", "supplement_due",
               "supplement_received", "reassessing", "reassessed", "objection_upheld", "pe_check_failed",
               "pe_supplement_due", "pe_supplement_received")
OLD_OVERVIEW_STATES = (*OPEN_STATES, "decided", "withdrawn")


def seed_cases(url: str, count: int, today: date, rng: random.Random) -> None:
    """``count`` open cases of as many jobcoaches (with their names in the accounts read model), spread over
    the open states, submitted over the last 8 weeks: each is due 8 weeks after submission, so a quarter is
    due within the 14 days that make a case "due soon"."""
    submitted = [today - timedelta(days=rng.randint(0, 55)) for _ in range(count)]
    accounts = [uuid.uuid4() for _ in range(count)]
    with psycopg.connect(url) as conn:
        copy_lines(conn, "COPY accounts (account_id, full_name, membership_number, roles) FROM STDIN",
                   (f"{a}\tJet {n}\t{20_000_000 + n}\t{{jobcoach}}\n" for n, a in enumerate(accounts)))
        copy_lines(conn, "COPY cases (id, account_id, certificate_id, portfolio_id, cycle_id, submission_id, "
                         "submitted_at, certificate_expires_on, is_new_portfolio_after_negative, "
                         "pe_activity_ids, pe_points_claimed, reflection_meetings, snapshot_hash, state, "
                         "due_on, opened_at) FROM STDIN",
                   (f"{uuid.uuid4()}\t{a}\t{uuid.uuid4()}\t{uuid.uuid4()}\t{uuid.uuid4()}\t{uuid.uuid4()}"
                    f"\t{day} 10:00+00\t{add_months(day, 2)}\tf\t{{}}\t75\t4\tx"
                    f"\t{OPEN_STATES[n % len(OPEN_STATES)]}\t{day + timedelta(weeks=8)}\t{day} 10:00+00\n"
                    for n, (a, day) in enumerate(zip(accounts, submitted, strict=True))))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cases")
        conn.execute("VACUUM ANALYZE accounts")


def timed(get: Callable[[], requests.Response], count: int) -> list[float]:
    found = []
    for _ in range(count):
        started = time.perf_counter()
        response = get()
        found.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
    return found


def overview_figures(system: System, token: str, requests_: int) -> dict:
    """GET /api/v1/overview through the gateway, one at a time; beside it the counts endpoint and the 16
    calls the overview made before it (a page of one of each state, the PE checks, the overdue cases), at
    once from 16 threads as the gateway's composer made them, straight to assessment."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    assessment = system.url("assessment")

    def overview() -> requests.Response:
        return session.get(f"{system.gateway}/api/v1/overview", headers=headers, timeout=30)

    def counts() -> requests.Response:
        return session.get(f"{assessment}/v1/cases/counts", headers=headers, timeout=30)

    old_calls = [(f"{assessment}/v1/cases", {"state": state, "page_size": 100 if state == "opened" else 1})
                 for state in OLD_OVERVIEW_STATES] + [(f"{assessment}/v1/cases/overdue", {})]
    pool = ThreadPoolExecutor(len(old_calls))

    def old_way() -> requests.Response:
        answers = list(pool.map(lambda call: requests.get(call[0], params=call[1], headers=headers,
                                                          timeout=30), old_calls))
        return next((a for a in answers if a.status_code != 200), answers[0])

    try:
        for get in (overview, counts, old_way):
            timed(get, 5)  # warm-up
        body = overview().json()
        if body["partial"]:
            raise RuntimeError(f"the overview is partial: {body['missing']}")
        return {"overview_ms": latency(timed(overview, requests_)),
                "counts_endpoint_ms": latency(timed(counts, requests_)),
                "the_16_calls_before_ms": latency(timed(old_way, max(requests_ // 2, 10))),
                "open_cases": sum(n for state, n in body["cases_by_state"].items()
                                  if state not in ("decided", "withdrawn")),
                "overdue_items": len(body["overdue"]["items"]),
                "answer_bytes": len(overview().content)}
    finally:
        pool.shutdown()


def dnv_overview(infra, logs: Path, *, cases: int, requests_: int, rng: random.Random) -> dict:
    system = System(infra, ["identity", "assessment"], logs,
                    extra_env={"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"})
    try:
        system.start()
        office = Office(system, Frontend(system.gateway))
        token = office.dnv.access_token
        empty = overview_figures(system, token, requests_)
        seed_cases(system.database_url("assessment"), cases, date.today(), rng)
        seeded = overview_figures(system, token, requests_)
        named = {process.name: process for process in system.processes}
        memory = {name: process_memory(named[name].popen.pid)
                  for name in ("gateway-web", "assessment-web", "identity-web") if name in named}
    finally:
        system.stop()
    ratios = {f"{q}_ratio_seeded_to_baseline": round(seeded["overview_ms"][q] / empty["overview_ms"][q], 2)
              for q in ("p50", "p99")}
    return {"open_cases": cases, "baseline_empty": empty, "seeded": seeded, **ratios, "memory": memory}


def goals(summary: dict, scheduler: dict, overview: dict) -> list[dict]:
    seeded = summary["seeded_random_jobcoaches_ms"]
    base = summary["baseline_one_jobcoach_in_empty_database_ms"]
    first = scheduler["seeded"]["first_pass"]["seconds"]
    found = [
        goal(f"PE summary p99, {summary['jobcoaches']:,} jobcoaches x {summary['activities_per_jobcoach']} "
             "(baseline: one jobcoach, empty database)", "<= 10 ms", seeded["p99"], base["p99"], "ms",
             met=seeded["p99"] <= 10),
        goal(f"expiry scheduler, first pass over {scheduler['seeded']['certificates']:,} certificates "
             f"(baseline: {scheduler['baseline']['certificates']:,})", "<= 1 s", first,
             scheduler["baseline"]["first_pass"]["seconds"], "s", met=first <= 1),
    ]
    if overview:
        figure = overview["seeded"]["overview_ms"]["p50"]
        found.append(goal(f"DNV's overview p50, {overview['open_cases']:,} open cases (baseline: no case)",
                          "<= 100 ms", figure, overview["baseline_empty"]["overview_ms"]["p50"], "ms",
                          met=figure <= 100))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true",
                        help="a tenth of the register (20,000 jobcoaches, 20,000 certificates at most)")
    parser.add_argument("--jobcoaches", type=int, default=None, help="default 200,000 (20,000 with --small)")
    parser.add_argument("--activities", type=int, default=50, help="activities per jobcoach")
    parser.add_argument("--sample", type=int, default=500, help="summary requests per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternations between baseline and seeded")
    parser.add_argument("--certificates", type=int, default=20_000, help="the scheduler's first-pass goal")
    parser.add_argument("--baseline-certificates", type=int, default=1_000)
    parser.add_argument("--large-certificates", type=int, default=None,
                        help="the register's size for the quiet pass: default the number of jobcoaches")
    parser.add_argument("--cases", type=int, default=10_000, help="open cases for DNV's overview")
    parser.add_argument("--overview-requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20_000)
    parser.add_argument("--out", default="bench-results/dataset.json")
    args = parser.parse_args()
    jobcoaches = args.jobcoaches or (20_000 if args.small else 200_000)
    large = args.large_certificates or jobcoaches
    sizes = {"baseline": args.baseline_certificates, "seeded": args.certificates}
    if large > args.certificates:
        sizes["large"] = large

    started = time.perf_counter()
    load_before = os.getloadavg()
    rng = random.Random(args.seed)
    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as logs:
        try:
            summary = pe_summary(infra, Path(logs), jobcoaches=jobcoaches, per_account=args.activities,
                                 sample=args.sample, rounds=args.rounds, rng=rng)
            load_after_summary = os.getloadavg()
            scheduler = scheduler_in_own_process(infra, sizes)
            load_after_scheduler = os.getloadavg()
            overview = dnv_overview(infra, Path(logs) / "system", cases=args.cases,
                                    requests_=args.overview_requests, rng=rng)
        finally:
            drop_databases(infra.databases)

    write_result(args.out, "dataset", {
        "load_average_before": load_before, "load_average_after_summary": load_after_summary,
        "load_average_after_scheduler": load_after_scheduler, "load_average_after": os.getloadavg(),
        "seconds": round(time.perf_counter() - started, 1),
        "goals": goals(summary, scheduler, overview),
        "pe_summary": summary, "expiry_scheduler": scheduler, "dnv_overview": overview,
        "bench_process_memory": _status_mb(os.getpid())})
    return 0


if __name__ == "__main__":
    sys.exit(main())
