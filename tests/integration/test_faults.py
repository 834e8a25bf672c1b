"""Faults against the running services: the broker gone for 10 seconds during a stream of changes, a worker
killed with SIGKILL in the middle of a batch, PostgreSQL gone and back. Nothing may be lost or doubled, and
everything must recover on its own.

The services reach PostgreSQL and RabbitMQ through TCP proxies that the tests cut: to the services that is
the server going away (open connections dropped, new ones refused), without disturbing the other tests
that share the machine's servers.
"""
from __future__ import annotations

import functools
import threading
import time
from datetime import timedelta
from decimal import Decimal

import psycopg

from recert_common.clock import platform_today

import journeys
from e2e_fixtures import app_fixture, system_fixture
from frontend import Frontend, Person
from processes import System

TODAY = platform_today()


system = system_fixture(["identity", "pe-registry", "portfolio"], proxied=True, extra_env={
    "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off", "RECERT_DB_POOL_TIMEOUT_SECONDS": "2",
    "RECERT_CONSUMER_RETRY_BASE_MS": "200"})
app = app_fixture()
# Recovering from a fault takes longer than an event takes to travel; polling less often spares the services.
eventually = functools.partial(journeys.eventually, timeout=60.0, interval=0.2)


def scalar(system: System, service: str, sql: str, *params):
    # Straight to the server, not through the proxy the test may have cut.
    url = system.infra.postgres_url.rstrip("/") + "/" + psycopg.conninfo.conninfo_to_dict(
        system.database_url(service))["dbname"]
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def certified_coach(app: Frontend, system: System) -> Person:
    return journeys.certified_coach(app, system, TODAY + timedelta(days=500), timeout=60.0)


def portfolio_knows(system: System, person: Person) -> int:
    return scalar(system, "portfolio", "SELECT count(*) FROM pe_activities WHERE account_id = %s", person.id)


def test_broker_gone_for_ten_seconds_during_a_stream_of_changes_loses_and_doubles_nothing(app, system):
    person = certified_coach(app, system)
    recorded: list[str] = []
    stop = threading.Event()

    def stream():
        n = 0
        while not stop.is_set():
            response = app.post("pe/activities", person, json={
                "title": f"Leesuur {n}", "provider": "Zelfstudie", "category": 6, "unit": "sbu",
                "amount": "1", "completed_on": str(TODAY - timedelta(days=1))})
            assert response.status_code == 201, response.text
            recorded.append(response.json()["id"])
            n += 1
            time.sleep(0.05)

    writer = threading.Thread(target=stream)
    writer.start()
    try:
        eventually(lambda: len(recorded) >= 20, what="the stream running")
        system.proxies["rabbitmq"].cut()
        cut_at = len(recorded)
        time.sleep(10)
        during = len(recorded) - cut_at
        system.proxies["rabbitmq"].restore()
        time.sleep(2)
    finally:
        stop.set()
        writer.join()

    assert during > 50  # the service kept taking changes while the broker was gone
    total = len(recorded)
    eventually(lambda: portfolio_knows(system, person) >= total, what=f"{total} activities in portfolio")
    time.sleep(1)
    assert portfolio_knows(system, person) == total
    assert scalar(system, "pe-registry", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


def test_a_worker_killed_mid_batch_gives_every_effect_exactly_once_after_restart(app, system):
    person = certified_coach(app, system)
    number = person.account["membership_number"]
    count = 2000
    system.publish_many("noloc.academy.activity.completed", [{
        "external_id": f"kill-{n}", "membership_number": number, "title": f"Webinar {n}",
        "provider": "Noloc Academie", "completed_on": TODAY - timedelta(days=2), "amount": Decimal("1"),
        "unit": "sbu"} for n in range(count)])

    def imported() -> int:
        return scalar(system, "pe-registry", "SELECT count(*) FROM activities WHERE account_id = %s",
                      person.id)

    eventually(lambda: imported() >= 100, what="the worker busy with the batch")
    worker = next(p for p in system.processes if p.name == "pe-registry-worker")
    worker.kill()
    killed_at = imported()
    assert killed_at < count, "the batch finished before the kill; the test proves nothing"
    restarted = system.start_worker("pe-registry")
    system.wait_for_line(restarted, '"worker started"')

    eventually(lambda: imported() >= count, what=f"{count} imported activities")
    eventually(lambda: portfolio_knows(system, person) >= count, what="portfolio caught up")
    time.sleep(1)
    assert imported() == count
    assert portfolio_knows(system, person) == count
    assert scalar(system, "pe-registry", "SELECT count(*) FROM noloc_imports WHERE account_id = %s",
                  person.id) == count


def test_postgres_gone_and_back_answers_503_meanwhile_and_recovers_on_its_own(app, system):
    person = certified_coach(app, system)
    assert app.get("pe/summary", person).status_code == 200

    system.proxies["postgres"].cut()
    try:
        started = time.monotonic()
        during = app.get("pe/summary", person)
        assert during.status_code == 503, during.text
        assert during.headers["Content-Type"].startswith("application/problem+json")
        assert time.monotonic() - started < 10
        ready = app.get("pe/summary", person)
        assert ready.status_code == 503
    finally:
        system.proxies["postgres"].restore()

    # Back without any restart: the web process answers again and the workers carry events again.
    eventually(lambda: app.get("pe/summary", person).status_code == 200, what="pe-registry answering")
    activity = app.post("pe/activities", person, json={
        "title": "Na de storing", "provider": "Opleider", "category": 1, "unit": "sbu", "amount": "3",
        "completed_on": str(TODAY - timedelta(days=1))})
    assert activity.status_code == 201, activity.text
    eventually(lambda: portfolio_knows(system, person) == 1, what="the event after the outage delivered")
    running = {process.name: process for process in system.processes}  # the latest of each name
    for process in running.values():
        assert process.popen.poll() is None, f"{process.name} died:\n{process.tail()}"
