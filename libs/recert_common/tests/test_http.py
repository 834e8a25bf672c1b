"""The service-to-service client against a real HTTP server."""
from __future__ import annotations

import socket
import threading
import time

import pytest
from flask import Flask, request
from gateway_fakes import port_echo_server
from werkzeug.serving import make_server

from recert_common.context import correlation
from recert_common.errors import PROBLEM_JSON, NotFound, problem_response, register_error_handlers
from recert_common.http import (
    InvalidServiceResponse,
    ServiceClient,
    ServiceResponseError,
    ServiceTimeout,
    ServiceUnreachable,
)


def upstream_app() -> Flask:
    app = Flask(__name__)
    register_error_handlers(app)

    @app.get("/v1/echo")
    def echo():
        return {
            "request_id": request.headers.get("X-Request-ID"),
            "authorization": request.headers.get("Authorization"),
            "query": request.args.to_dict(),
        }

    @app.post("/v1/items")
    def create():
        return {"received": request.get_json()}, 201

    @app.delete("/v1/items/1")
    def delete():
        return "", 204

    @app.get("/v1/missing")
    def missing():
        return problem_response(NotFound(detail="no such case"), "en")

    @app.get("/v1/broken")
    def broken():
        raise RuntimeError("upstream bug")

    @app.get("/v1/slow")
    def slow():
        time.sleep(0.5)
        return {"late": True}

    @app.get("/v1/html")
    def html():
        return "<html>maintenance</html>"

    return app


@pytest.fixture(scope="module")
def upstream():
    server = make_server("127.0.0.1", 0, upstream_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def client(upstream):
    return ServiceClient(upstream + "/", service="assessment", timeout=2.0)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_get_returns_parsed_json_and_forwards_request_id_and_token(client):
    with correlation("req-abc-1"):
        body = client.get("/v1/echo", params={"q": "x"}, token="tok.en.value")
    assert body == {"request_id": "req-abc-1", "authorization": "Bearer tok.en.value", "query": {"q": "x"}}


def test_without_correlation_or_token_nothing_is_invented(client):
    assert client.get("v1/echo") == {"request_id": None, "authorization": None, "query": {}}


def test_post_sends_json(client):
    assert client.post("/v1/items", json={"points": "12.5"}) == {"received": {"points": "12.5"}}


def test_empty_answer_is_none(client):
    assert client.delete("/v1/items/1") is None


def test_error_status_raises_with_the_upstream_problem(client):
    with pytest.raises(ServiceResponseError) as caught:
        client.get("/v1/missing")
    error = caught.value
    assert error.status == 404
    assert error.problem["type"].endswith("/not-found")
    assert error.problem["detail"] == "no such case"
    assert error.service == "assessment"


def test_upstream_500_raises_and_maps_to_502(client):
    with pytest.raises(ServiceResponseError) as caught:
        client.get("/v1/broken")
    assert caught.value.status == 500
    assert caught.value.to_problem().status == 502


def test_timeout_raises_service_timeout(client):
    with pytest.raises(ServiceTimeout):
        client.get("/v1/slow", timeout=0.1)


def test_refused_connection_raises_service_unreachable():
    with pytest.raises(ServiceUnreachable):
        ServiceClient(closed_port_url(), service="billing", timeout=1.0).get("/v1/anything")


def test_non_json_answer_raises(client):
    with pytest.raises(InvalidServiceResponse):
        client.get("/v1/html")


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/v1/slow", 504, "De dienst assessment antwoordde niet op tijd."),
        ("/v1/broken", 502, "De dienst assessment gaf een onverwacht antwoord (status 500)."),
        (None, 503, "De dienst assessment is niet bereikbaar."),
    ],
)
def test_uncaught_call_errors_become_gateway_problems(upstream, path, status, detail):
    base_url = upstream if path else closed_port_url()
    downstream = Flask(__name__)
    register_error_handlers(downstream)

    @downstream.get("/dashboard")
    def dashboard():
        return ServiceClient(base_url, service="assessment", timeout=0.2).get(path or "/v1/echo")

    response = downstream.test_client().get("/dashboard")
    assert response.status_code == status
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json(force=True)["detail"] == detail


def test_a_pooled_connection_is_reused_until_it_has_been_idle_too_long():
    from recert_common.http import pooled_session

    server = port_echo_server()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    session = pooled_session(idle_seconds=0.3)
    try:
        first = session.get(url, timeout=5).text
        assert session.get(url, timeout=5).text == first  # kept alive and reused
        time.sleep(0.4)
        fresh = session.get(url, timeout=5).text
        assert fresh != first  # idle 0.4 s > 0.3 s: a new connection, not one the server may be closing
        assert session.get(url, timeout=5).text == fresh
    finally:
        session.close()
        server.shutdown()
        server.server_close()


def test_a_connection_pool_keeps_the_same_idle_rule():
    """The gateway forwards through ``connection_pool`` (urllib3 without requests): no reuse of a connection
    idle for too long there either."""
    from recert_common.http import connection_pool

    server = port_echo_server()
    pool = connection_pool(f"http://127.0.0.1:{server.server_address[1]}", idle_seconds=0.3)

    def port() -> bytes:
        response = pool.urlopen("GET", "/", retries=False)
        return response.data

    try:
        first = port()
        assert port() == first
        time.sleep(0.4)
        fresh = port()
        assert fresh != first
        assert port() == fresh
    finally:
        pool.close()
        server.shutdown()
        server.server_close()


def test_our_servers_keep_idle_connections_longer_than_our_clients_reuse_them():
    from recert_common.http import (
        CLIENT_IDLE_SECONDS,
        SERVER_KEEPALIVE_SECONDS,
        connection_pool,
        pooled_session,
    )

    assert SERVER_KEEPALIVE_SECONDS >= 2 * CLIENT_IDLE_SECONDS
    adapter = pooled_session().get_adapter("http://service/")
    pool = adapter.poolmanager.connection_from_url("http://service/")
    assert pool.idle_seconds == CLIENT_IDLE_SECONDS
    assert connection_pool("http://service/").idle_seconds == CLIENT_IDLE_SECONDS
