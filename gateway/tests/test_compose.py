from __future__ import annotations

import time

import pytest
from gateway_fakes import FakeService, serve, unused_url

from recert_common.context import correlation
from recert_common.http import ServiceClient
from recert_gateway.compose import Call, Composer


@pytest.fixture
def services():
    fast, slow = FakeService("fast"), FakeService("slow")
    with serve(fast) as fast_url, serve(slow) as slow_url:
        yield {"fast": fast_url, "slow": slow_url, "down": unused_url()}
        slow.release.set()


def test_returns_what_arrived_and_names_what_did_not(services):
    clients = {name: ServiceClient(url, service=name) for name, url in services.items()}
    composer = Composer(clients, timeout=0.5)
    calls = {
        "profile": Call("fast", "/v1/accounts/me", params={"x": "1"}),
        "missing": Call("fast", "/v1/things/problem"),
        "certificate": Call("slow", "/v1/certificates/slow", params={"seconds": "5"}),
        "invoices": Call("down", "/v1/invoices"),
    }
    started = time.monotonic()
    with correlation("req-42"):
        result = composer.fetch(calls, token="tok")
    elapsed = time.monotonic() - started
    composer.close()

    assert elapsed < 1.5
    assert set(result.documents) == {"profile"}
    assert result.missing == {"missing": "status 404", "certificate": "timeout", "invoices": "unreachable"}
    seen = result.documents["profile"]
    assert (seen["path"], seen["query"]) == ("/v1/accounts/me", "x=1")
    assert seen["headers"]["Authorization"] == "Bearer tok"
    assert seen["headers"]["X-Request-Id"] == "req-42"  # the request id travels into the pool's threads


def test_calls_run_concurrently(services):
    composer = Composer({"slow": ServiceClient(services["slow"], service="slow")}, timeout=3)
    calls = {f"c{i}": Call("slow", "/v1/x/slow", params={"seconds": "0.4"}) for i in range(5)}
    started = time.monotonic()
    result = composer.fetch(calls)
    elapsed = time.monotonic() - started
    composer.close()
    assert len(result.documents) == 5 and not result.missing
    assert elapsed < 1.5  # one after another it would take 2 s


def test_unknown_service_is_a_programming_error():
    composer = Composer({})
    with pytest.raises(ValueError, match="nowhere"):
        composer.fetch({"x": Call("nowhere", "/v1/x")})
    composer.close()
