"""The app factory pieces: request id, JSON logs, probes, metrics, OpenAPI, body limit."""
from __future__ import annotations

import gc
import io
import json
import logging
import threading
import time
import uuid
import weakref

import pytest
from flask_smorest import Blueprint
from prometheus_client.parser import text_string_to_metric_families

from recert_common.auth import (
    StaticKeySource,
    TokenVerifier,
    access_token_claims,
    generate_ed25519_jwk,
    require_auth,
    sign_token,
)
from recert_common.config import ServiceSettings
from recert_common.context import get_correlation_id
from recert_common.errors import PROBLEM_JSON, Conflict, NotFound, extension_members
from recert_common.logging import configure_logging
from recert_common.web import RecertFlask, answers, create_base_app

PRIVATE, PUBLIC = generate_ed25519_jwk("web-test")


@pytest.fixture(autouse=True)
def restore_root_logging():
    # create_base_app configures the root logger for the whole process; leave it as we found it.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class Taken(Conflict):
    slug, title_code = "thing-taken", "problem.conflict"
    members = extension_members(owner="string")


def make_app(service="webtest", readiness=None, readiness_timeout=2.0):
    settings = ServiceSettings.from_env(service, env={}, max_body_bytes=512)
    verifier = TokenVerifier(StaticKeySource([PUBLIC]), issuer=settings.jwt_issuer,
                             audience=settings.jwt_audience)
    app, api = create_base_app(settings, title="Web test", version="2.1.0", readiness=readiness or {},
                               verifier=verifier, readiness_timeout=readiness_timeout)
    blp = Blueprint("things", __name__, url_prefix="/v1/things")

    @blp.route("/<int:thing_id>")
    def get_thing(thing_id):
        logging.getLogger("recert.test").info("looking at thing", extra={"thing_id": thing_id})
        return {"thing_id": thing_id, "correlation_id": get_correlation_id()}

    @blp.route("/mine")
    @require_auth
    def mine():
        return {"ok": True}

    @blp.route("/echo", methods=["POST"])
    def echo():
        from flask import request

        return {"size": len(request.get_data())}

    @blp.route("/boom")
    def boom():
        raise ValueError("secret detail 4711")

    @blp.route("/<int:thing_id>/claim", methods=["POST"])
    @answers(Taken, 415)
    @require_auth
    def claim(thing_id):
        raise Taken()

    api.register_blueprint(blp)
    return app, settings


@pytest.fixture
def app():
    return make_app()[0]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def log_lines(app):
    # After the app: create_base_app configures logging to stdout, and this must replace that.
    stream = io.StringIO()
    handler = configure_logging("webtest", "INFO", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


# --- X-Request-ID ----------------------------------------------------------------------------------------


def test_request_id_is_made_when_absent_and_echoed(client):
    response = client.get("/v1/things/1")
    request_id = response.headers["X-Request-ID"]
    assert uuid.UUID(request_id)
    assert response.get_json()["correlation_id"] == request_id
    assert client.get("/v1/things/1").headers["X-Request-ID"] != request_id


def test_request_id_from_the_request_is_kept(client):
    response = client.get("/v1/things/1", headers={"X-Request-ID": "gw-7f3a.42"})
    assert response.headers["X-Request-ID"] == "gw-7f3a.42"
    assert response.get_json()["correlation_id"] == "gw-7f3a.42"


@pytest.mark.parametrize("incoming", ["x" * 129, "has space", "quote\"and{json}", ""])
def test_unsafe_request_id_is_replaced(client, incoming):
    response = client.get("/v1/things/1", headers={"X-Request-ID": incoming})
    assert uuid.UUID(response.headers["X-Request-ID"])


def test_correlation_id_is_unbound_after_the_request(client):
    client.get("/v1/things/1", headers={"X-Request-ID": "abc-123"})
    assert get_correlation_id() is None


def test_error_responses_carry_the_request_id_too(client):
    response = client.get("/v1/nowhere", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "req-404"
    assert response.get_json(force=True)["request_id"] == "req-404"


# --- logs ------------------------------------------------------------------------------------------------


def test_every_log_line_of_a_request_has_its_request_id(client, log_lines):
    response = client.get("/v1/things/5", headers={"X-Request-ID": "trace-5"})
    assert response.status_code == 200
    lines = [line for line in log_lines() if line["request_id"] == "trace-5"]
    own = next(line for line in lines if line["message"] == "looking at thing")
    assert own["level"] == "INFO" and own["logger"] == "recert.test" and own["service"] == "webtest"
    assert own["thing_id"] == 5
    assert own["timestamp"].endswith("Z") and "T" in own["timestamp"]
    access = next(line for line in lines if line["logger"] == "recert.access")
    assert (access["method"], access["path"], access["status"]) == ("GET", "/v1/things/5", 200)
    assert access["duration_ms"] >= 0


def test_generated_request_id_reaches_the_log(client, log_lines):
    request_id = client.get("/v1/things/6").headers["X-Request-ID"]
    assert any(line["message"] == "looking at thing" and line["request_id"] == request_id
               for line in log_lines())


def test_unexpected_exception_is_logged_with_request_id_and_traceback_but_not_answered(client, log_lines):
    response = client.get("/v1/things/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    body = response.get_json(force=True)
    assert "4711" not in response.get_data(as_text=True)
    assert "boom-1" in body["detail"]  # the reference a jobcoach can quote
    [logged] = [line for line in log_lines() if line["message"] == "unhandled exception"]
    assert logged["request_id"] == "boom-1"
    assert logged["level"] == "ERROR"
    assert "ValueError: secret detail 4711" in logged["exc_info"]


def test_log_lines_outside_a_request_have_no_request_id(log_lines):
    logging.getLogger("recert.test").warning("between requests")
    [line] = [line for line in log_lines() if line["message"] == "between requests"]
    assert line["request_id"] is None


def test_configure_logging_twice_keeps_one_handler():
    first = configure_logging("a", stream=io.StringIO())
    second = configure_logging("b", stream=io.StringIO())
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_recert_json", False)]
    assert ours == [second] and first is not second
    logging.getLogger().removeHandler(second)


# --- probes ----------------------------------------------------------------------------------------------


def test_healthz_needs_no_dependency():
    def broken():
        raise ConnectionError("db down")

    app, _ = make_app(readiness={"database": broken})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_every_check_passes():
    calls = []
    app, _ = make_app(readiness={"database": lambda: calls.append("db"),
                                 "broker": lambda: calls.append("mq")})
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
    assert sorted(calls) == ["db", "mq"]


def test_readyz_is_503_problem_naming_what_failed():
    def database():
        raise ConnectionError("connection refused")

    app, _ = make_app(readiness={"database": database, "broker": lambda: None, "storage": lambda: False})
    response = app.test_client().get("/readyz", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON
    body = response.get_json(force=True)
    assert body["type"].endswith("/service-unavailable")
    assert body["checks"] == {"database": "failed: ConnectionError", "broker": "ok", "storage": "failed"}
    assert body["detail"] == "Not ready: database, storage."


def test_readyz_does_not_wait_for_a_hanging_check():
    release = threading.Event()
    calls = []

    def hanging():
        calls.append(1)
        release.wait(5)

    app, _ = make_app(readiness={"broker": hanging, "database": lambda: None}, readiness_timeout=0.2)
    client = app.test_client()
    try:
        started = time.monotonic()
        first = client.get("/readyz")
        second = client.get("/readyz")
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert first.status_code == second.status_code == 503
    assert first.get_json(force=True)["checks"] == {"broker": "timeout", "database": "ok"}
    assert elapsed < 2
    assert len(calls) == 1  # the hanging check was not started a second time


# --- metrics ---------------------------------------------------------------------------------------------


def _samples(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_count_and_time_requests_by_route_template(client):
    client.get("/v1/things/1")
    client.get("/v1/things/2")
    client.get("/v1/things/mine")
    samples = _samples(client)
    ok = (("endpoint", "/v1/things/<int:thing_id>"), ("method", "GET"), ("status", "200"))
    assert samples[("http_requests_total", ok)] == 2
    assert samples[("http_request_duration_seconds_count", ok)] == 2
    refused = (("endpoint", "/v1/things/mine"), ("method", "GET"), ("status", "401"))
    assert samples[("http_requests_total", refused)] == 1


def test_two_apps_in_one_process_have_their_own_metrics():
    first, _ = make_app("first")
    second, _ = make_app("second")
    first.test_client().get("/v1/things/1")
    labels = (("endpoint", "/v1/things/<int:thing_id>"), ("method", "GET"), ("status", "200"))
    key = ("http_requests_total", labels)
    assert _samples(first.test_client())[key] == 1
    assert key not in _samples(second.test_client())


# --- OpenAPI, auth and limits ----------------------------------------------------------------------------


def test_openapi_document_is_served_with_bearer_scheme_and_problem_errors(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.0.3"
    assert spec["info"] == {"title": "Web test", "version": "2.1.0"}
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert spec["paths"]["/v1/things/mine"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/v1/things/{thing_id}"]["get"]
    mine = spec["paths"]["/v1/things/mine"]["get"]["responses"]
    assert sorted(mine) == ["401", "403", "503"]  # no catch-all "default" (and no @response here)
    assert list(mine["401"]["content"]) == [PROBLEM_JSON]
    assert mine["401"]["x-problem-types"] == [
        {"type": "https://recert.noloc.nl/problems/unauthorized", "title": "Authentication required",
         "members": []}]
    assert sorted(spec["paths"]["/v1/things/{thing_id}"]["get"]["responses"]) == ["404", "503"]


def test_answers_declares_the_types_an_operation_adds_to_what_its_shape_implies(client):
    spec = client.get("/v1/openapi.json").get_json()
    responses = spec["paths"]["/v1/things/{thing_id}/claim"]["post"]["responses"]
    assert sorted(responses) == ["401", "403", "404", "409", "415", "503"]
    assert [t["type"].rsplit("/", 1)[1] for t in responses["409"]["x-problem-types"]] == ["thing-taken"]
    assert responses["409"]["x-problem-types"][0]["members"] == ["owner"]
    assert [t["type"].rsplit("/", 1)[1] for t in responses["415"]["x-problem-types"]] == [
        "unsupported-media-type"]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert problem["owner"] == {"type": "string", "description": "Given by: thing-taken"}


def test_one_slug_is_one_refusal():
    class Again(Conflict):
        slug, title_code = "thing-taken", "problem.conflict"
    with pytest.raises(ValueError, match="one type is one refusal"):
        class Other(NotFound):
            slug, title_code = "thing-taken", "problem.not_found"


def test_verifier_given_to_the_factory_protects_views(app, client):
    assert client.get("/v1/things/mine").status_code == 401
    settings = app.extensions["recert_settings"]
    token = sign_token(PRIVATE, "web-test", access_token_claims(
        uuid.uuid4(), ["jobcoach"], issuer=settings.jwt_issuer, audience=settings.jwt_audience))
    assert client.get("/v1/things/mine", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_body_limit_comes_from_settings(client):
    assert client.post("/v1/things/echo", data=b"x" * 512).get_json() == {"size": 512}
    response = client.post("/v1/things/echo", data=b"x" * 513)
    assert response.status_code == 413
    assert response.mimetype == PROBLEM_JSON


def test_computed_values_are_documented_as_their_shape_and_always_sent_fields_as_required():
    """Issue 13: a method's value has the type its ``shown_as`` field says; ``always_sent`` marks every
    field required (but those it is told); a nested schema that may be null is that schema or null."""
    from marshmallow import Schema, fields

    from recert_common.schemas import Computed, always_sent

    class InnerSchema(Schema):
        name = fields.String(required=True)

    @always_sent(except_=("extra",))
    class OuterSchema(Schema):
        flag = Computed("_flag", fields.Boolean(), metadata={"description": "A flag."})
        inner = Computed("_inner", fields.Nested(InnerSchema), allow_none=True)
        many = Computed("_many", fields.Dict(keys=fields.String(), values=fields.Nested(InnerSchema)))
        maybe = fields.Nested(InnerSchema, allow_none=True, metadata={"description": "Or none."})
        extra = fields.String()

        def _flag(self, obj):
            return obj["flag"]

        def _inner(self, obj):
            return None

        def _many(self, obj):
            return {"a": {"name": "A"}}

    app, api = create_base_app(ServiceSettings.from_env("webtest", env={}), title="Web test")
    blp = Blueprint("outer", __name__, url_prefix="/v1/outer")

    @blp.route("/")
    @blp.response(200, OuterSchema)
    def outer():
        return {"flag": "yes", "maybe": None, "extra": "x"}

    api.register_blueprint(blp)
    client = app.test_client()
    # The wire is the methods' values, untouched (a Boolean field would have refused "yes").
    assert client.get("/v1/outer/").get_json() == {"flag": "yes", "inner": None, "many": {"a": {"name": "A"}},
                                                   "maybe": None, "extra": "x"}
    schema = client.get("/v1/openapi.json").get_json()["components"]["schemas"]["Outer"]
    properties = schema["properties"]
    assert properties["flag"]["type"] == "boolean" and properties["flag"]["description"] == "A flag."
    assert properties["inner"]["allOf"] == [{"$ref": "#/components/schemas/Inner"}]
    assert properties["inner"]["nullable"] is True and "anyOf" not in properties["inner"]
    assert properties["many"]["additionalProperties"] == {"$ref": "#/components/schemas/Inner"}
    assert properties["maybe"]["allOf"] == [{"$ref": "#/components/schemas/Inner"}]
    assert properties["maybe"]["nullable"] is True
    assert sorted(schema["required"]) == ["flag", "inner", "many", "maybe"]
    with pytest.raises(ValueError, match="no field"):
        always_sent(except_=("nothing",))(InnerSchema)


def test_whether_a_function_is_a_coroutine_function_is_asked_once(monkeypatch):
    from flask import Flask

    asked = []
    flask_answer = Flask.ensure_sync

    def counting(self, func):
        asked.append(func)
        return flask_answer(self, func)

    monkeypatch.setattr(Flask, "ensure_sync", counting)
    app = RecertFlask(__name__)

    def view():
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view
    assert asked == [view]


def test_functions_asked_about_are_not_kept_alive():
    app = RecertFlask(__name__)

    def once():
        return "ok"

    gone = weakref.ref(once)
    assert app.ensure_sync(once) is once
    del once
    gc.collect()
    assert gone() is None


def test_a_series_is_found_once_per_label_values_and_counts_into_its_metric():
    from prometheus_client import CollectorRegistry, Counter

    from recert_common.metrics import Series

    registry = CollectorRegistry()
    counted = Series(Counter("things_total", "Things.", ["kind"], registry=registry))
    assert counted("a") is counted("a") and counted("a") is not counted("b")
    counted("a").inc()
    counted("a").inc()
    counted("b").inc()
    assert registry.get_sample_value("things_total", {"kind": "a"}) == 2
    assert registry.get_sample_value("things_total", {"kind": "b"}) == 1
