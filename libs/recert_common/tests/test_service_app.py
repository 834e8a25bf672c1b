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


def test_a_decimal_sent_as_a_string_is_documented_as_a_string():
    document = make_app(FakeService()).test_client().get("/v1/openapi.json").get_json()
    assert document["components"]["schemas"]["Priced"]["properties"]["price"]["type"] == "string"
