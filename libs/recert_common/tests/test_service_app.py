"""create_service_app: the app of a service with a database, the broker and maybe an object store."""
from __future__ import annotations

import logging

import pytest
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields

from recert_common.auth import StaticKeySource, TokenVerifier, generate_ed25519_jwk
from recert_common.config import ServiceSettings
from recert_common.schemas import Strict
from recert_common.web import create_service_app

_, PUBLIC = generate_ed25519_jwk("service-app-test")


@pytest.fixture(autouse=True)
def restore_root_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class FakeDatabase:
    def __init__(self, up: bool = True):
        self.up = up

    def ping(self) -> None:
        if not self.up:
            raise ConnectionError("database down")


class FakeService:
    def __init__(self, database_up: bool = True):
        self.db = FakeDatabase(database_up)


things = Blueprint("things", __name__, url_prefix="/v1/things")


@things.route("/service")
def which_service():
    return {"is_the_service": current_app.extensions["things"] is current_app.config["EXPECTED"]}


class Priced(Strict):
    name = fields.String(required=True)
    price = fields.Decimal(as_string=True, required=True)


@things.route("/echo", methods=["POST"])
@things.arguments(Priced)
@things.response(200, Priced)
def echo(body):
    return body


def make_app(service, **options):
    # The broker check talks to the local RabbitMQ (RECERT_AMQP_URL's default).
    settings = ServiceSettings.from_env("things", env={})
    verifier = TokenVerifier(StaticKeySource([PUBLIC]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    app = create_service_app(settings, service, title="Things", extension="things", blueprints=[things],
                             verifier=verifier, **options)
    app.config["EXPECTED"] = service
    return app


def test_the_views_find_the_service_and_the_blueprints_are_documented():
    client = make_app(FakeService()).test_client()
    assert client.get("/v1/things/service").get_json() == {"is_the_service": True}
    document = client.get("/v1/openapi.json").get_json()
    assert document["info"] == {"title": "Things", "version": "1.0.0"}
    assert "/v1/things/service" in document["paths"]


def test_ready_means_database_and_broker_answer():
    response = make_app(FakeService()).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_a_service_with_files_is_ready_only_when_its_storage_is():
    response = make_app(FakeService(), storage=lambda: False).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json(force=True)["checks"] == {"database": "ok", "broker": "ok", "storage": "failed"}


def test_a_database_down_makes_the_service_not_ready():
    response = make_app(FakeService(database_up=False), storage=lambda: True).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json(force=True)["checks"]["database"] == "failed: ConnectionError"


@pytest.mark.parametrize("request_args, field", [
    ({"json": {"name": "a\x00b", "price": "1.00"}}, "name"),
    ({"json": {"name": "ok", "price": "1.00"}, "query_string": {"q": "x\x00"}}, "q"),
])
def test_a_nul_character_anywhere_in_the_input_is_a_422_naming_the_field(request_args, field):
    client = make_app(FakeService()).test_client()
    response = client.post("/v1/things/echo", headers={"Accept-Language": "en"}, **request_args)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {field: ["Contains an invalid character (NUL)."]}


def test_malformed_json_is_still_a_400_and_clean_input_passes():
    client = make_app(FakeService()).test_client()
    broken = client.post("/v1/things/echo", data="{not json", content_type="application/json")
    assert broken.status_code == 400
    assert client.post("/v1/things/echo", json={"name": "ok", "price": "1.50"}).get_json() == {
        "name": "ok", "price": "1.50"}


@pytest.mark.parametrize("body, status", [
    (b"[" * 50_000 + b"]" * 50_000, 400),  # Python's parser: RecursionError
    (b'{"name": ' + b"[" * 65 + b"]" * 65 + b', "price": "1.00"}', 400),  # deeper than MAX_JSON_DEPTH
    (b'{"name": "a\\ud800b", "price": "1.00"}', 422),  # a lone surrogate
    (b'{"name": "ok", "price": "1.00", "\\udc00": 1}', 422),  # ... in a key
])
def test_deep_json_and_lone_surrogates_are_client_errors_in_every_service(body, status):
    client = make_app(FakeService()).test_client()
    response = client.post("/v1/things/echo", data=body, content_type="application/json",
                           headers={"Accept-Language": "en"})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    if status == 422:
        assert list(response.get_json()["errors"].values()) == [
            ["Contains an invalid character (a lone UTF-16 surrogate)."]]


def test_metrics_and_readiness_answer_only_internal_callers_without_a_proxy():
    client = make_app(FakeService()).test_client()
    assert client.get("/readyz").status_code == 200  # the test client calls from 127.0.0.1
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 404
    outside = {"REMOTE_ADDR": "203.0.113.1"}
    assert client.get("/readyz", environ_base=outside).status_code == 404
    assert client.get("/healthz", environ_base=outside).status_code == 200


def test_every_answer_carries_the_security_headers():
    response = make_app(FakeService()).test_client().get("/v1/things/service")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    secure = make_app(FakeService()).test_client().get("/v1/things/service", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_decimal_sent_as_a_string_is_documented_as_a_string():
    document = make_app(FakeService()).test_client().get("/v1/openapi.json").get_json()
    assert document["components"]["schemas"]["Priced"]["properties"]["price"]["type"] == "string"


def test_a_service_keeps_verified_tokens_and_still_asks_for_revocations():
    """ADR 0037: a service checks a token's signature and claims once, and whether its session ended on
    every request (``DatabaseRevocations``, ADR 0019)."""
    from recert_common.auth import TOKEN_CACHE_SIZE
    from recert_common.revocation import DatabaseRevocations

    settings = ServiceSettings.from_env("things", env={})
    app = create_service_app(settings, FakeService(), title="Things", extension="things", blueprints=[things])
    verifier: TokenVerifier = app.extensions["recert_auth"]
    assert verifier.cache is not None and verifier.cache.max_size == TOKEN_CACHE_SIZE
    assert isinstance(verifier.revocations, DatabaseRevocations)
