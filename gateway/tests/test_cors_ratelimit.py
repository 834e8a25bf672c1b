from __future__ import annotations

import hashlib
import json

import pytest
import requests

APP = "https://app.example.nl"


@pytest.fixture
def gateway(start_gateway):
    return start_gateway(RECERT_GATEWAY_CORS_ORIGINS=f"{APP}, http://localhost:5173")


def preflight(gateway, path, origin, method="POST", headers="authorization, content-type, x-request-id"):
    return requests.options(gateway + path, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def test_preflight_from_an_allowed_origin_is_answered_without_token_or_service(gateway, identity):
    service, _ = identity
    response = preflight(gateway, "/api/v1/accounts/me", APP, method="PATCH")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    allowed_headers = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed_headers
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert service.requests_to("/v1/") == []


@pytest.mark.parametrize("origin, method, headers", [
    ("https://evil.example", "POST", "authorization"),
    ("https://app.example.nl.evil.example", "POST", "authorization"),
    (APP, "TRACE", "authorization"),
    (APP, "POST", "authorization, x-made-up"),
])
def test_preflight_refused(gateway, identity, origin, method, headers):
    service, _ = identity
    response = preflight(gateway, "/api/v1/accounts/me", origin, method, headers)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert service.requests_to("/v1/") == []


def test_responses_to_allowed_origins_are_marked_and_others_not(gateway, maker):
    auth = {"Authorization": f"Bearer {maker.token()}"}
    allowed = requests.get(gateway + "/api/v1/accounts/me", headers={**auth, "Origin": APP})
    assert allowed.headers["Access-Control-Allow-Origin"] == APP
    assert "X-Request-ID" in allowed.headers["Access-Control-Expose-Headers"]
    # A refusal is readable by the app too, so it can show why.
    refused = requests.get(gateway + "/api/v1/accounts/me", headers={"Origin": APP})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == APP
    other = requests.get(gateway + "/api/v1/accounts/me", headers={**auth, "Origin": "https://evil.example"})
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


def test_without_configured_origins_no_cross_origin_access(start_gateway):
    gateway = start_gateway()
    response = preflight(gateway, "/api/v1/auth/login", APP)
    assert response.status_code == 403


def test_login_is_rate_limited_per_client_address(start_gateway, identity):
    service, _ = identity
    gateway = start_gateway(RECERT_GATEWAY_AUTH_RATE_LIMIT="3/minute")
    statuses = [requests.post(gateway + "/api/v1/auth/login", json={}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = requests.post(gateway + "/api/v1/auth/login", json={}, headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["title"] == "Too many requests"
    assert len(service.requests_to("/v1/auth/login")) == 3
    # Each limited request has its own budget; other requests are not limited at all.
    assert requests.post(gateway + "/api/v1/auth/login/verify", json={}).status_code == 200
    assert requests.post(gateway + "/api/v1/accounts", json={}).status_code == 200
    assert all(requests.post(gateway + "/api/v1/auth/refresh", json={}).status_code == 200 for _ in range(5))


def test_a_client_behind_a_trusted_proxy_is_told_apart_by_x_forwarded_for(start_gateway, identity):
    gateway = start_gateway(RECERT_GATEWAY_AUTH_RATE_LIMIT="2/minute",
                            RECERT_GATEWAY_TRUSTED_PROXIES="127.0.0.1")

    def login(client):
        return requests.post(gateway + "/api/v1/accounts", json={}, headers={"X-Forwarded-For": client})

    assert [login("203.0.113.1").status_code for _ in range(3)] == [200, 200, 429]
    assert login("203.0.113.2").status_code == 200
    seen = identity[0].requests_to("/v1/accounts")[-1]
    assert seen.headers["X-Forwarded-For"] == "203.0.113.2, 127.0.0.1"


def test_x_forwarded_for_is_ignored_without_trusted_proxies(start_gateway):
    gateway = start_gateway(RECERT_GATEWAY_AUTH_RATE_LIMIT="2/minute")
    statuses = [requests.post(gateway + "/api/v1/accounts", json={},
                              headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(3)]
    assert statuses == [200, 200, 429]


def test_login_is_limited_per_account_from_every_address_together(start_gateway, identity):
    service, _ = identity
    gateway = start_gateway(RECERT_GATEWAY_AUTH_RATE_LIMIT="10/minute",
                            RECERT_GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT="3/minute",
                            RECERT_GATEWAY_TRUSTED_PROXIES="127.0.0.1")

    def login(email, source):
        return requests.post(gateway + "/api/v1/auth/login", json={"email": email, "password": "x"},
                             headers={"X-Forwarded-For": source})

    # Three addresses guessing one account's password share its budget; the address is not the key.
    statuses = [login("Jet@Example.nl", f"203.0.113.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert login(" jet@example.NL ", "198.51.100.7").status_code == 429  # the same account, written otherwise
    refused = login("jet@example.nl", "198.51.100.8")
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    # Another account from the same addresses is not affected; the body arrived whole at identity.
    assert login("kees@example.nl", "203.0.113.1").status_code == 200
    seen = service.requests_to("/v1/auth/login")
    sent = json.dumps({"email": "kees@example.nl", "password": "x"}).encode()
    assert len(seen) == 4 and seen[-1].body_sha256 == hashlib.sha256(sent).hexdigest()


def test_a_login_body_too_big_to_name_its_account_is_refused_not_passed_on(start_gateway, identity):
    """Padding the body past what the gateway reads (or sending it chunked) must not skip the account's
    limit: such a body is refused, and a chunked one small enough still counts for its account."""
    service, _ = identity
    gateway = start_gateway(RECERT_GATEWAY_AUTH_RATE_LIMIT="10/minute",
                            RECERT_GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT="2/minute",
                            RECERT_GATEWAY_TRUSTED_PROXIES="127.0.0.1")
    guess = json.dumps({"email": "jet@example.nl", "password": "x"}).encode()
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}

    def chunked(body: bytes):
        return requests.post(gateway + "/api/v1/auth/login", data=iter([body[:10], body[10:]]),
                             headers={**headers, "X-Forwarded-For": "203.0.113.9"})

    padded = requests.post(gateway + "/api/v1/auth/login", data=guess + b" " * 17_000,
                           headers={**headers, "X-Forwarded-For": "203.0.113.1"})
    assert padded.status_code == 413
    assert padded.headers["Content-Type"] == "application/problem+json"
    assert padded.json()["max_bytes"] == 16 * 1024
    assert chunked(guess + b" " * 17_000).status_code == 413
    assert service.requests_to("/v1/auth/login") == []
    assert [chunked(guess).status_code for _ in range(3)] == [200, 200, 429]
    assert len(service.requests_to("/v1/auth/login")) == 2


def test_without_the_shared_store_limited_requests_are_refused_and_others_pass(start_gateway, maker):
    gateway = start_gateway(RECERT_GATEWAY_RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0")
    refused = requests.post(gateway + "/api/v1/auth/login", json={"email": "a@example.nl", "password": "x"})
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "5"
    assert requests.post(gateway + "/api/v1/accounts", json={}).status_code == 503
    # What is not rate limited does not need the store.
    assert requests.post(gateway + "/api/v1/auth/refresh", json={}).status_code == 200
    assert requests.get(gateway + "/api/v1/accounts/me",
                        headers={"Authorization": f"Bearer {maker.token()}"}).status_code == 200
