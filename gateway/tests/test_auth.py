"""Tokens are checked at the gateway before anything reaches a service."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from gateway_fakes import TokenMaker, unused_url

PROTECTED = "/api/v1/accounts/me"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def tampered(maker: TokenMaker) -> str:
    header, payload, signature = maker.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["noloc_admin"]
    return f"{header}.{_b64(claims)}.{signature}"


def alg_none(maker: TokenMaker) -> str:
    claims = json.loads(base64.urlsafe_b64decode(maker.token().split(".")[1] + "=="))
    return f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': maker.kid})}.{_b64(claims)}."


def unknown_key(maker: TokenMaker) -> str:
    return TokenMaker(kid="not-published").token()


def expired(maker: TokenMaker) -> str:
    return maker.token(issued=datetime.now(UTC) - timedelta(hours=1), ttl=timedelta(minutes=5))


def wrong_audience(maker: TokenMaker) -> str:
    return maker.token(aud="somebody-else")


def wrong_issuer(maker: TokenMaker) -> str:
    return maker.token(iss="evil-identity")


def same_kid_other_key(maker: TokenMaker) -> str:
    return TokenMaker(kid=maker.kid).token()


@pytest.mark.parametrize("make, detail_code_word", [
    (tampered, "ongeldig"), (alg_none, "ongeldig"), (unknown_key, "ongeldig"), (expired, "verlopen"),
    (wrong_audience, "ongeldig"), (wrong_issuer, "ongeldig"), (same_kid_other_key, "ongeldig"),
])
def test_bad_tokens_are_refused_with_401_problem_and_never_forwarded(start_gateway, identity, maker, make,
                                                                     detail_code_word):
    service, _ = identity
    gateway = start_gateway()
    # A good token first, so the key set is loaded and a refusal cannot be blamed on a missing key set.
    good = requests.get(gateway + PROTECTED, headers={"Authorization": f"Bearer {maker.token()}"})
    assert good.status_code == 200
    response = requests.get(gateway + PROTECTED, headers={"Authorization": f"Bearer {make(maker)}"})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    problem = response.json()
    assert problem["type"] == "https://recert.noloc.nl/problems/unauthorized"
    assert detail_code_word in problem["detail"]
    assert len(service.requests_to("/v1/accounts/me")) == 1  # only the good one


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwdw==", "Bearer ", "Bearer not-a-jwt"])
def test_missing_or_malformed_authorization_is_refused(start_gateway, identity, authorization):
    service, _ = identity
    gateway = start_gateway()
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(gateway + PROTECTED, headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Authentication required"
    assert service.requests_to("/v1/accounts") == []


def test_valid_token_is_forwarded_unchanged(start_gateway, identity, maker):
    service, _ = identity
    gateway = start_gateway()
    token = maker.token(roles=("assessor",))
    response = requests.get(gateway + PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["headers"]["Authorization"] == f"Bearer {token}"


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/accounts"), ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/login/verify"),
    ("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/auth/logout"),
])
def test_public_routes_need_no_token(start_gateway, identity, method, path):
    service, _ = identity
    gateway = start_gateway()
    response = requests.request(method, gateway + path, json={"email": "a@example.nl"})
    assert response.status_code == 200
    assert response.json()["path"] == path.removeprefix("/api")


def test_jwks_is_public_and_comes_from_identity(start_gateway, maker):
    gateway = start_gateway()
    response = requests.get(gateway + "/api/v1/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.json() == maker.jwks


def test_public_route_with_other_method_needs_a_token(start_gateway, identity):
    service, _ = identity
    gateway = start_gateway()
    assert requests.get(gateway + "/api/v1/auth/login").status_code == 401
    assert requests.delete(gateway + "/api/v1/accounts").status_code == 401
    assert service.requests_to("/v1/") == []


def test_keys_unavailable_is_503_not_401(start_gateway, identity, maker):
    service, _ = identity
    gateway = start_gateway(jwks_url=unused_url() + "/v1/.well-known/jwks.json")
    response = requests.get(gateway + PROTECTED, headers={"Authorization": f"Bearer {maker.token()}"})
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"]
    assert service.requests_to("/v1/accounts") == []


def test_a_token_is_checked_once_and_a_tampered_copy_of_it_still_refused(identity, maker):
    """The gateway keeps verified tokens until they expire (ADR 0037): by the whole token, so a copy with
    other claims and the same signature is checked in full and refused."""
    from recert_common.auth import TokenVerifier
    from recert_gateway.app import TOKEN_CACHE_SIZE, create_app
    from recert_gateway.settings import GatewaySettings

    _, identity_url = identity
    settings = GatewaySettings.from_env("gateway", env={
        "RECERT_JWKS_URL": f"{identity_url}/v1/.well-known/jwks.json", "RECERT_LOG_LEVEL": "WARNING",
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"}, service_urls={"identity": identity_url})
    app = create_app(settings)
    verifier: TokenVerifier = app.extensions["recert_auth"]
    assert verifier.cache is not None and verifier.cache.max_size == TOKEN_CACHE_SIZE
    client = app.test_client()
    token = maker.token(roles=("jobcoach",))
    for _ in range(2):
        assert client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert len(verifier.cache) == 1
    header, _, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = f"{header}.{_b64({**claims, 'roles': ['noloc_admin']})}.{signature}"
    assert client.get(PROTECTED, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert len(verifier.cache) == 1
