"""Routing, headers and failures of forwarded requests, against real HTTP servers."""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from gateway_fakes import FakeService, closing_server, port_echo_server, serve, unused_url

from recert_gateway.app import create_app, gateway_of
from recert_gateway.routes import ROUTES, Route, RouteTable
from recert_gateway.settings import GatewaySettings


@pytest.fixture
def auth(maker):
    return {"Authorization": f"Bearer {maker.token()}"}


def raw_request(base: str, method: str, target: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A request whose target is sent exactly as written (requests would normalise it)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_routes_by_prefix_and_strips_api(start_gateway, identity, auth):
    service, _ = identity
    gateway = start_gateway()
    body = json.dumps({"name": "Jan"}).encode()
    response = requests.post(gateway + "/api/v1/admin/accounts/7/roles?x=1&y=a%20b", data=body,
                             headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 200
    seen = response.json()
    assert (seen["method"], seen["path"]) == ("POST", "/v1/admin/accounts/7/roles")
    assert seen["query"] == "x=1&y=a%20b"
    assert seen["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["headers"]["Content-Length"] == str(len(body))
    assert seen["headers"]["Content-Type"] == "application/json"


def test_longest_prefix_decides_the_service(start_gateway, identity, auth):
    other = FakeService("portfolio")
    with serve(other) as other_url:
        routes = RouteTable([*ROUTES, Route("admin", "portfolio")])
        gateway = start_gateway(routes=routes, services={"portfolio": other_url})
        assert requests.get(gateway + "/api/v1/admin/cases", headers=auth).status_code == 200
        assert requests.get(gateway + "/api/v1/admin/accounts", headers=auth).status_code == 200
    assert [seen.path for seen in other.seen] == ["/v1/admin/cases"]
    assert [seen.path for seen in identity[0].requests_to("/v1/admin")] == ["/v1/admin/accounts"]


def test_unrouted_and_unclean_paths(start_gateway, identity, auth):
    service, _ = identity
    gateway = start_gateway()
    response = requests.get(gateway + "/api/v1/nothing/here", headers=auth)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    for target in ("/api/v1/auth/login/../../admin/accounts", "/api/v1/auth/%2e%2e/admin/accounts"):
        status, headers, _ = raw_request(gateway, "POST", target)
        assert status == 400, target
        assert headers["Content-Type"] == "application/problem+json"
    assert service.requests_to("/v1/") == []


def test_request_id_is_made_forwarded_and_echoed(start_gateway, auth):
    gateway = start_gateway()
    made = requests.get(gateway + "/api/v1/accounts/me", headers=auth)
    request_id = made.headers["X-Request-ID"]
    assert uuid.UUID(request_id)
    assert made.json()["headers"]["X-Request-Id"] == request_id

    given = requests.get(gateway + "/api/v1/accounts/me", headers={**auth, "X-Request-ID": "trace-123.a"})
    assert given.headers["X-Request-ID"] == "trace-123.a"
    assert given.json()["headers"]["X-Request-Id"] == "trace-123.a"

    forged = requests.get(gateway + "/api/v1/accounts/me", headers={**auth, "X-Request-ID": "x\u00e9 y"})
    assert forged.json()["headers"]["X-Request-Id"] == forged.headers["X-Request-ID"] != "x\u00e9 y"


def test_hop_by_hop_headers_are_not_forwarded_and_forwarding_headers_are_ours(start_gateway, auth):
    gateway = start_gateway()
    response = requests.get(gateway + "/api/v1/accounts/me", headers={
        **auth, "Connection": "keep-alive, X-Secret", "X-Secret": "s", "Keep-Alive": "300",
        "Proxy-Authorization": "Basic eA==", "X-Forwarded-For": "6.6.6.6", "X-Custom": "kept"})
    headers = response.json()["headers"]
    for name in ("X-Secret", "Keep-Alive", "Proxy-Authorization"):
        assert name not in headers
    assert headers["X-Custom"] == "kept"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Host"] == urlsplit(gateway).netloc


def test_answers_pass_through_unchanged(start_gateway, identity, auth):
    service, identity_url = identity
    gateway = start_gateway()
    direct = requests.get(identity_url + "/v1/accounts/problem")
    problem = requests.get(gateway + "/api/v1/accounts/problem", headers=auth)
    assert problem.status_code == 404
    assert problem.headers["Content-Type"] == "application/problem+json"
    assert problem.content == direct.content

    cookies = requests.get(gateway + "/api/v1/accounts/cookies", headers=auth, stream=True)
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]

    zipped = requests.get(gateway + "/api/v1/accounts/gzip", headers={**auth, "Accept-Encoding": "gzip"},
                          stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.raw.read(decode_content=False))) == {"zipped": True}

    created = requests.post(gateway + "/api/v1/accounts/created", headers=auth, allow_redirects=False)
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/things/1"


def test_head_and_empty_bodies(start_gateway, auth):
    gateway = start_gateway()
    head = requests.head(gateway + "/api/v1/accounts/download?bytes=1000&length=1", headers=auth)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == "1000"
    delete = requests.delete(gateway + "/api/v1/accounts/me", headers=auth)
    assert delete.json()["body_bytes"] == 0
    assert "Transfer-Encoding" not in delete.json()["headers"]


def test_unreachable_service_is_503_with_retry_after(start_gateway, auth):
    gateway = start_gateway(services={"identity": unused_url()}, jwks_url=None)
    started = time.monotonic()
    response = requests.post(gateway + "/api/v1/auth/login", json={})
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert "identity" in response.json()["detail"]


def test_service_that_breaks_the_exchange_is_502(start_gateway):
    with closing_server() as url:
        gateway = start_gateway(services={"identity": url})
        response = requests.post(gateway + "/api/v1/auth/login", json={})
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "application/problem+json"


def test_slow_service_is_504_within_the_read_timeout(start_gateway, auth):
    gateway = start_gateway(RECERT_GATEWAY_READ_TIMEOUT="0.5")
    started = time.monotonic()
    response = requests.get(gateway + "/api/v1/accounts/slow?seconds=10", headers=auth)
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["Content-Type"] == "application/problem+json"
    assert 0.5 <= elapsed < 1.5


def test_probes_and_metrics(start_gateway, auth):
    gateway = start_gateway()
    assert requests.get(gateway + "/healthz").json() == {"status": "ok"}
    ready = requests.get(gateway + "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"identity": "ok"}
    requests.get(gateway + "/api/v1/accounts/me", headers=auth)
    metrics = requests.get(gateway + "/metrics").text
    assert 'gateway_upstream_requests_total{outcome="200",service="identity"} 1.0' in metrics


def test_readiness_fails_when_a_service_is_down(start_gateway):
    gateway = start_gateway(services={"identity": unused_url()})
    ready = requests.get(gateway + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["identity"].startswith("failed")


@pytest.mark.parametrize("failure, status", [
    (urllib3.exceptions.ConnectTimeoutError("connect timed out"), 503),
    (urllib3.exceptions.NewConnectionError(None, "connection refused"), 503),
    (urllib3.exceptions.ReadTimeoutError(None, "/v1/auth/login", "read timed out"), 504),
    (urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError()), 502),
    (ConnectionResetError("reset"), 502),
])
def test_each_kind_of_failure_has_its_status(identity, failure, status):
    _, identity_url = identity
    # Counters of its own: the login is rate limited in the shared Redis, and five runs of this test in a
    # minute (or another checkout's) would otherwise be answered 429 before the failure is reached.
    settings = GatewaySettings.from_env("gateway", env={
        "RECERT_LOG_LEVEL": "WARNING", "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"test-{uuid.uuid4()}"},
        service_urls={"identity": identity_url})
    app = create_app(settings)

    def fail(*args, **kwargs):
        raise failure

    pool, _ = gateway_of(app).forwarder.pool(identity_url)
    pool.urlopen = fail
    response = app.test_client().post("/api/v1/auth/login", json={})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"


def test_forwarded_requests_reuse_the_connection_to_the_service(identity):
    """urllib3's pool gives the connection back once the answer is read (ADR 0037): the second request goes
    over the first one's connection, not a new one per request."""
    server = port_echo_server()
    _, identity_url = identity
    try:
        settings = GatewaySettings.from_env("gateway", env={
            "RECERT_LOG_LEVEL": "WARNING", "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
            "RECERT_JWKS_URL": f"{identity_url}/v1/.well-known/jwks.json"},
            service_urls={"identity": f"http://127.0.0.1:{server.server_address[1]}"})
        client = create_app(settings).test_client()
        ports = [client.post("/api/v1/auth/login", json={}).get_data() for _ in range(3)]
        assert ports[0] == ports[1] == ports[2]
    finally:
        server.shutdown()
        server.server_close()
