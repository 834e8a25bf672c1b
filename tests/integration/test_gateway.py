"""The gateway as it runs in production: ``python -m recert_gateway web`` (gunicorn), in front of an
identity-like service served over HTTP by this test process.

What only a real process can show: bodies of 30 MiB stream through with the gateway worker's resident memory
growing far less than the body, timeouts hold under gunicorn, and the command line works.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from gateway_fakes import FakeService, TokenMaker, pattern_bytes, pattern_sha256, serve, unused_url

from recert_gateway.routes import ROUTES

from ports import free_port
from processes import Process, wait_serving

OTHER_SERVICES = [name for name in ROUTES.services() if name != "identity"]

MiB = 1024 * 1024
BIG = 30 * MiB
# Growth of the worker's peak resident memory allowed while 30 MiB pass; buffering a body would take 30 MiB.
RSS_BOUND = 12 * MiB
READ_TIMEOUT = 1.0

OPENAPI = {
    "openapi": "3.0.3", "info": {"title": "Identity", "version": "1"},
    "paths": {"/v1/accounts": {"post": {"responses": {"201": {"description": "created"}}}},
              "/v1/auth/login": {"post": {"responses": {"200": {"description": "ok"}}}}},
    "components": {"schemas": {"Account": {"type": "object"}}},
}


def start_gateway(log_dir: Path, name: str, **env: str) -> tuple[str, Process]:
    port = free_port()
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("RECERT_")}
    # Rate-limit counters of its own in the shared Redis, unless the test shares them on purpose.
    process_env.update({"RECERT_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
                        "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"test-{uuid.uuid4()}", **env})
    log = log_dir / f"{name}.log"
    with open(log, "ab") as handle:
        popen = subprocess.Popen(
            [sys.executable, "-m", "recert_gateway", "web", "--port", str(port), "--threads", "8"],
            env=process_env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    process = Process(name, popen, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(process, url, timeout=30)
    except RuntimeError:
        process.stop()
        raise
    return url, process


def worker_pid(master_pid: int) -> int:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    assert len(children) == 1, f"expected one gunicorn worker, found {children}"
    return int(children[0])


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def maker() -> TokenMaker:
    return TokenMaker()


@pytest.fixture(scope="module")
def identity(maker) -> Iterator[tuple[FakeService, str]]:
    service = FakeService("identity", jwks=maker.jwks, openapi=OPENAPI)
    with serve(service) as url:
        try:
            yield service, url
        finally:
            service.release.set()


@pytest.fixture(scope="module")
def gateway(identity, tmp_path_factory) -> Iterator[tuple[str, Process]]:
    _, identity_url = identity
    url, process = start_gateway(
        tmp_path_factory.mktemp("gateway"), "gateway",
        RECERT_IDENTITY_URL=identity_url,
        # The other routed services are not running here: nothing answers on these ports.
        **{f"RECERT_{name.upper().replace('-', '_')}_URL": unused_url() for name in OTHER_SERVICES},
        RECERT_JWKS_URL=f"{identity_url}/v1/.well-known/jwks.json",
        RECERT_GATEWAY_READ_TIMEOUT=str(READ_TIMEOUT),
        RECERT_MAX_BODY_BYTES=str(64 * MiB),  # room for the 30 MiB bodies on identity's routes
        RECERT_GATEWAY_CORS_ORIGINS="https://app.example.nl",
        RECERT_GATEWAY_AUTH_RATE_LIMIT="5/minute",
    )
    yield url, process
    process.stop()


@pytest.fixture
def auth(maker) -> dict[str, str]:
    return {"Authorization": f"Bearer {maker.token()}"}


def test_migrate_is_a_harmless_no_op():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECERT_")}
    result = subprocess.run([sys.executable, "-m", "recert_gateway", "migrate"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "applied" not in result.stdout


def test_forwards_with_token_request_id_and_prefix_stripped(gateway, identity, auth):
    url, _ = gateway
    response = requests.get(url + "/api/v1/accounts/me?full=1", headers={**auth, "X-Request-ID": "it-1"})
    assert response.status_code == 200
    seen = response.json()
    assert (seen["path"], seen["query"]) == ("/v1/accounts/me", "full=1")
    assert seen["headers"]["Authorization"] == auth["Authorization"]
    assert seen["headers"]["X-Request-Id"] == "it-1" == response.headers["X-Request-ID"]

    refused = requests.get(url + "/api/v1/accounts/me", headers={"Authorization": "Bearer x.y.z"})
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"


def test_readiness_merged_openapi_docs_and_cors(gateway):
    url, _ = gateway
    assert requests.get(url + "/readyz").json()["checks"] == {"identity": "ok"}
    merged = requests.get(url + "/api/v1/openapi.json").json()
    assert sorted(merged["paths"]) == ["/api/v1/accounts", "/api/v1/auth/login", "/api/v1/dashboard",
                                       "/api/v1/my-data/archive", "/api/v1/overview", "/api/v1/worklist"]
    assert sorted(merged["x-unavailable-services"]) == sorted(OTHER_SERVICES)
    assert requests.get(url + "/api/v1/docs").status_code == 200
    assert requests.get(url + "/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    preflight = requests.options(url + "/api/v1/accounts/me", headers={
        "Origin": "https://app.example.nl", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example.nl"


def test_registration_is_rate_limited(gateway):
    url, _ = gateway
    statuses = [requests.post(url + "/api/v1/accounts", json={}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_rate_limits_are_exact_across_two_gateway_processes_sharing_redis(identity, tmp_path):
    _, identity_url = identity
    env = {
        "RECERT_IDENTITY_URL": identity_url,
        **{f"RECERT_{name.upper().replace('-', '_')}_URL": unused_url() for name in OTHER_SERVICES},
        "RECERT_JWKS_URL": f"{identity_url}/v1/.well-known/jwks.json",
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "6/minute",
        "RECERT_GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT": "4/minute",
        "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"test-{uuid.uuid4()}",  # the same for both: one deployment
    }
    first, first_process = start_gateway(tmp_path, "gateway-1", **env)
    second, second_process = start_gateway(tmp_path, "gateway-2", **env)
    try:
        # Registration from one address, alternating between the processes: 6 in all, not 6 each.
        statuses = [requests.post((first, second)[i % 2] + "/api/v1/accounts", json={}).status_code
                    for i in range(10)]
        assert statuses == [200] * 6 + [429] * 4

        # Logins to one account, all at once through both processes: exactly 4 pass.
        def login(i: int) -> int:
            return requests.post((first, second)[i % 2] + "/api/v1/auth/login",
                                 json={"email": "jet@example.nl", "password": f"guess-{i}"}).status_code

        with ThreadPoolExecutor(8) as pool:
            logins = list(pool.map(login, range(8)))
        assert sorted(logins) == [200] * 4 + [429] * 4, logins
        refused = requests.post(second + "/api/v1/auth/login", json={"email": "jet@example.nl"})
        assert refused.status_code == 429 and refused.headers["Content-Type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    finally:
        first_process.stop()
        second_process.stop()


def test_slow_service_gives_504_within_the_timeout(gateway, auth):
    url, _ = gateway
    started = time.monotonic()
    response = requests.get(url + "/api/v1/accounts/slow?seconds=10", headers=auth)
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["Content-Type"] == "application/problem+json"
    assert READ_TIMEOUT <= elapsed < READ_TIMEOUT + 1.0


def test_unreachable_service_gives_503_and_not_ready(tmp_path):
    url, process = start_gateway(tmp_path, "gateway-alone", RECERT_IDENTITY_URL=unused_url())
    try:
        response = requests.post(url + "/api/v1/auth/login", json={})
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/problem+json"
        assert requests.get(url + "/readyz").status_code == 503
    finally:
        process.stop()


def test_a_service_refusing_a_large_upload_is_heard(gateway, auth):
    # The service stops reading after 1 MiB and answers 413; that answer, not a broken connection, comes back.
    url, _ = gateway
    response = requests.post(url + "/api/v1/accounts/me/refuse", data=pattern_bytes(20 * MiB), headers=auth)
    assert response.status_code == 413
    assert response.json()["title"] == "too large"


def _upload(url: str, auth: dict[str, str], size: int) -> dict:
    response = requests.post(url + "/api/v1/accounts/me/files", data=pattern_bytes(size), headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def _download(url: str, auth: dict[str, str], size: int) -> tuple[int, str]:
    digest, total = hashlib.sha256(), 0
    with requests.get(url + f"/api/v1/accounts/download?bytes={size}", headers=auth, stream=True) as response:
        assert response.status_code == 200
        for chunk in response.iter_content(64 * 1024):
            digest.update(chunk)
            total += len(chunk)
    return total, digest.hexdigest()


def test_30_mib_streams_both_ways_with_bounded_worker_memory(gateway, auth):
    url, process = gateway
    worker = worker_pid(process.popen.pid)
    # Warm up every code path first, so that what is measured is the growth due to the size of the bodies.
    for _ in range(2):
        _upload(url, auth, 2 * MiB)
        _download(url, auth, 2 * MiB)
    before = peak_rss(worker)

    seen = _upload(url, auth, BIG)
    assert (seen["body_bytes"], seen["body_sha256"]) == (BIG, pattern_sha256(BIG))
    assert seen["headers"]["Transfer-Encoding"] == "chunked"
    assert _download(url, auth, BIG) == (BIG, pattern_sha256(BIG))

    growth = peak_rss(worker) - before
    assert growth < RSS_BOUND, f"the worker's peak RSS grew by {growth / MiB:.1f} MiB for 30 MiB bodies"


def test_an_idle_keep_alive_connection_outlives_what_clients_reuse(gateway):
    """gunicorn's default closes an idle connection after 2 s, racing a client that reuses it at that moment
    (a reset, which the gateway would answer with 502): ours keep it longer than our clients' idle limit."""
    import http.client
    url, _ = gateway
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        socket_before = connection.sock
        time.sleep(3.5)  # past gunicorn's default of 2 s and its 1 s sweep
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert connection.sock is socket_before  # the same connection, still open
    finally:
        connection.close()


def _raw(url: str, head: str) -> tuple[str, dict[str, str], bytes]:
    """Send ``head`` (a request line and headers) as it is; the answer's status line, headers and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n")
        answer = conn.makefile("rb").read()
    top, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = top.decode("latin-1").split("\r\n")
    return status_line, {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


@pytest.mark.parametrize("head, status", [
    ("POST /api/v1/auth/login HTTP/1.1\nHost: x\nTransfer-Encoding: \n", 400),  # gunicorn: 501
    ("POST /api/v1/auth/login HTTP/1.1\nHost: x\nTransfer-Encoding: gzip2\n", 400),
    ("POST /api/v1/auth/login HTTP/1.1\nHost: x\nTransfer-Encoding: gzip2, chunked\n", 400),
    ("GET /api/v1/healthz HTTP/1.1\nHost: x\nBad Header: 1\n", 400),
    (f"GET /api/v1/{'x' * 5000} HTTP/1.1\nHost: x\n", 414),
    ("POST /api/v1/auth/login HTTP/1.1\nHost: x\nExpect: 200-ok\nContent-Length: 2\n", 417),
    (f"GET /api/v1/healthz HTTP/1.1\nHost: x\nX-Big: {'x' * 9000}\n", 431),
    ("GET /api/v1/healthz HTTP/1.1\nHost: x\n" + "".join(f"X-{n}: 1\n" for n in range(120)), 431),
])
def test_a_request_the_server_cannot_read_gets_a_problem_document(gateway, head, status):
    """What gunicorn refuses before the app sees it is answered as the app answers (web_worker)."""
    url, _ = gateway
    status_line, headers, body = _raw(url, head)
    assert status_line.split()[1] == str(status), status_line
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    # The type the gateway's OpenAPI document names for that status on every operation.
    assert problem["status"] == status
    slug = {400: "bad-request", 414: "uri-too-long", 417: "expectation-failed",
            431: "header-fields-too-large"}
    assert problem["type"] == f"https://recert.noloc.nl/problems/{slug[status]}"
    assert problem["title"] and headers["content-language"] == "nl"
