"""What the service-level integration tests share: one service's app and worker on a fresh, migrated database
of its own, bound to the run's exchange with a queue prefix of its own, its consumer running in-thread; a
settable "today"; tokens minted by a test key the service trusts; raw events published as another service
would, and a wait until the consumer has handled them; and a look into the database and the outbox.

Each service's ``*_support`` module adds the steps its own tests take on top of ``ServiceHarness``.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer

from recert_common.auth import (
    StaticKeySource,
    TokenVerifier,
    access_token_claims,
    generate_ed25519_jwk,
    sign_token,
)
from recert_common.db import Database, migrate_service
from recert_common.events import Event, new_event
from recert_common.worker import Worker

from waiting import wait_for  # noqa: F401  (the service tests import it from here)


class Clock:
    """The service's "today"; tests move it onto the edges of windows, deadlines and expiry dates."""

    def __init__(self):
        self.day = date.today()

    def __call__(self) -> date:
        return self.day


def problem(response, status: int, slug: str | None = None) -> dict:
    """Assert a problem+json answer with ``status`` (and type ``slug``); return its body."""
    body = response.get_json(force=True)
    assert response.status_code == status, (response.status_code, body)
    assert response.mimetype == "application/problem+json"
    if slug is not None:
        assert body["type"] == f"https://recert.noloc.nl/problems/{slug}", body
    return body


# --- setting a service up ---------------------------------------------------------------------------------


def fresh_database(infra, service: str, package) -> tuple[str, str]:
    """A new database for ``service`` with its migrations (next to ``package``) applied: (tag, url).

    The tag is unique to this test module; settings use it too, so that nothing is shared with other modules.
    """
    tag = uuid.uuid4().hex[:6]
    url = infra.database_url(f"{service.replace('-', '_')}_{tag}")
    migrate_service(url, service, Path(package.__file__).parent / "migrations")
    return tag, url


def bus_settings(infra, database_url: str, tag: str, **overrides) -> dict[str, Any]:
    """The settings every service's tests give: the run's broker and exchange, queues of this module only
    (expiring, in case a run dies before it deletes them; classic, on the machine's one node), a short
    back-off, and quiet logs."""
    return {"database_url": database_url, "amqp_url": infra.amqp_url, "exchange": infra.exchange,
            "queue_prefix": f"{infra.queue_prefix}{tag}.", "queue_expires_ms": 600_000,
            "queue_type": "classic", "consumer_max_retries": 4, "consumer_retry_base_ms": 200,
            "log_level": "WARNING", "bus_trusted_users": infra.amqp_user, **overrides}


def signing_keys(settings, kid: str) -> tuple[dict, TokenVerifier]:
    """A test key pair: the private key mints tokens, the verifier (given to the app) trusts only it."""
    private_jwk, public_jwk = generate_ed25519_jwk(kid)
    verifier = TokenVerifier(StaticKeySource([public_jwk]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    return private_jwk, verifier


def mint_token(settings, private_jwk: dict, account_id: uuid.UUID, roles, *,
               ttl: timedelta | None = None) -> str:
    extra = {} if ttl is None else {"ttl": ttl}
    claims = access_token_claims(account_id, roles, issuer=settings.jwt_issuer,
                                 audience=settings.jwt_audience, **extra)
    return sign_token(private_jwk, private_jwk["kid"], claims)


@contextmanager
def worker_running(infra, worker: Worker) -> Iterator[Worker]:
    """The worker's consumers started in-thread and ready; its queues left for the run to delete."""
    for consumer in worker.consumers:
        infra.queues.update(consumer.topology.all_queue_names())
    worker.start().wait_ready()
    try:
        yield worker
    finally:
        worker.stop()


@contextmanager
def running_service(infra, settings, *, build_service, create_app, worker_parts: Callable[..., tuple],
                    pool_size: int = 8) -> Iterator[dict[str, Any]]:
    """App, service and worker of one service on ``settings`` with a settable "today"; yields what a
    ``ServiceHarness`` is made of. ``worker_parts(db, service, clock)`` gives the worker's subscriptions (and
    schedules)."""
    db = Database(settings.database_url, max_size=pool_size).open(wait=True)
    try:
        clock = Clock()
        service = build_service(settings, db, today=clock)
        private_jwk, verifier = signing_keys(settings, f"test-{uuid.uuid4().hex[:6]}")
        app = create_app(settings, service=service, verifier=verifier)
        worker = Worker(settings, db, *worker_parts(db, service, clock), relay=False, today=clock)
        with worker_running(infra, worker):
            yield {"app": app, "service": service, "settings": settings, "db": db, "amqp_url": infra.amqp_url,
                   "private_jwk": private_jwk, "clock": clock}
    finally:
        db.close()


def real_today_fixture(harness_fixture: str):
    """An autouse fixture that puts the harness's clock back on the real date before every test that uses
    it; a test that needs another day sets it."""

    @pytest.fixture(autouse=True)
    def _today_is_real(request):
        if harness_fixture in request.fixturenames:
            request.getfixturevalue(harness_fixture).clock.day = Clock().day

    return _today_is_real


# --- events -----------------------------------------------------------------------------------------------


def publish_raw(amqp_url: str, exchange: str, body: str, routing_key: str) -> None:
    """``body`` on the exchange as it is, confirmed by the broker, as a producer's relay sends it."""
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            body, exchange=Exchange(exchange, type="topic", durable=True), routing_key=routing_key,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2, user_id=conn.userid)


def select_bodies(bodies: list[dict], type_: str | None = None, subject=None) -> list[dict]:
    """The outbox bodies of ``type_`` about ``subject`` (either may be None: any)."""
    return [b for b in bodies if (type_ is None or b["type"] == type_)
            and (subject is None or b["subject"] == str(subject))]


# --- the harness ------------------------------------------------------------------------------------------


class ServiceHarness:
    """One running service of a test module, as its tests reach it: HTTP through the app's test client with
    tokens the app trusts, events in through the broker, and its database to look into."""

    # The producing service of each event family, as the envelopes of the real producers name it.
    producers: dict[str, str] = {}

    def __init__(self, *, app, service, settings, db, amqp_url, private_jwk, clock: Clock):
        self.app = app
        self.http = app.test_client()
        self.service = service
        self.settings = settings
        self.db = db
        self.amqp_url = amqp_url
        self.private_jwk = private_jwk
        self.clock = clock

    # --- tokens and HTTP -------------------------------------------------------------------------------

    def token(self, account_id: uuid.UUID, *roles: str) -> str:
        return mint_token(self.settings, self.private_jwk, account_id, roles)

    def request(self, method: str, path: str, token: str | None, *, json: Any = None, data: Any = None,
                headers: dict[str, str] | None = None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.open(path, method=method, json=json, data=data, headers=headers, **kwargs)

    def get(self, path, token=None, **kwargs):
        return self.request("GET", path, token, **kwargs)

    def post(self, path, token, **kwargs):
        return self.request("POST", path, token, **kwargs)

    def put(self, path, token, **kwargs):
        return self.request("PUT", path, token, **kwargs)

    def delete(self, path, token, **kwargs):
        return self.request("DELETE", path, token, **kwargs)

    # --- events ----------------------------------------------------------------------------------------

    def publish(self, type_: str, data: dict, *, subject=None, wait: bool = True) -> Event:
        """Publish as the producing service would; wait until this service's consumer has handled it."""
        event = new_event(type_, data, producer=self.producers[type_.split(".")[0]], subject=subject)
        self.publish_raw(event.to_json(), type_)
        if wait:
            self.wait_handled(event.id)
        return event

    def publish_raw(self, body: str, routing_key: str) -> None:
        publish_raw(self.amqp_url, self.settings.exchange, body, routing_key)

    def wait_handled(self, *event_ids: uuid.UUID) -> None:
        wanted = [str(i) for i in event_ids]
        wait_for(lambda: self.scalar("SELECT count(*) FROM inbox WHERE event_id::text = ANY(%s)", wanted)
                 == len(wanted), message=f"events {wanted} handled")

    # --- looking inside --------------------------------------------------------------------------------

    def rows(self, sql: str, *params) -> list[dict]:
        with self.db.transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params):
        with self.db.transaction() as conn:
            row = conn.execute(sql, params).fetchone()
        return next(iter(row.values())) if row else None

    def outbox(self, type_: str | None = None, subject=None) -> list[dict]:
        return select_bodies([r["body"] for r in self.rows("SELECT body FROM outbox ORDER BY seq")],
                             type_, subject)
