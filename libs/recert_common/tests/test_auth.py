"""Access-token verification against a JWKS served over real HTTP, and the Flask decorators."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask

from recert_common.auth import (
    ExpiredToken,
    InvalidToken,
    JWKSClient,
    KeysUnavailable,
    Principal,
    RevokedToken,
    StaticKeySource,
    TokenVerifier,
    UnknownKey,
    VerifiedTokens,
    access_token_claims,
    current_principal,
    ensure_owner_or_roles,
    generate_ed25519_jwk,
    init_auth,
    optional_principal,
    parse_jwks,
    require_auth,
    require_roles,
    sign_token,
)
from recert_common.errors import PROBLEM_JSON, register_error_handlers

ISSUER = "recert-identity"
AUDIENCE = "recert"


class JWKSServer:
    """identity's JWKS endpoint: a real HTTP server whose key set and status the test changes."""

    def __init__(self):
        self.document = {"keys": []}
        self.status = 200
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits += 1
                body = json.dumps(server.document).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1/.well-known/jwks.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def publish(self, *public_jwks):
        self.document = {"keys": list(public_jwks)}

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def jwks_server():
    server = JWKSServer()
    yield server
    server.close()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="module")
def k1():
    return generate_ed25519_jwk("k1")


@pytest.fixture(scope="module")
def k2():
    return generate_ed25519_jwk("k2")


def make_verifier(server, clock, **options):
    client = JWKSClient(server.url, timeout=1.0, cache_seconds=300, min_refetch_seconds=10, clock=clock,
                        **options)
    return TokenVerifier(client, issuer=ISSUER, audience=AUDIENCE)


def claims(account_id=None, roles=("jobcoach",), **overrides):
    base = access_token_claims(account_id or uuid.uuid4(), roles, issuer=ISSUER, audience=AUDIENCE)
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value) -> str:
    return b64(json.dumps(value).encode())


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


# --- verification ----------------------------------------------------------------------------------------


def test_valid_token_gives_the_principal(jwks_server, clock, k1):
    jwks_server.publish(k1[1])
    account_id = uuid.uuid4()
    token = sign_token(k1[0], "k1", claims(account_id, roles=["jobcoach", "assessor"], amr=["pwd", "otp"]))
    principal = make_verifier(jwks_server, clock).verify(token)
    assert principal.account_id == account_id
    assert principal.roles == frozenset({"jobcoach", "assessor"})
    assert principal.amr == frozenset({"pwd", "otp"})
    assert principal.token == token
    assert principal.claims["iss"] == ISSUER
    assert token not in repr(principal)


def test_rotation_fetches_the_new_kid_and_keeps_the_old_one_while_listed(jwks_server, clock, k1, k2):
    verifier = make_verifier(jwks_server, clock)
    jwks_server.publish(k1[1])
    verifier.verify(sign_token(k1[0], "k1", claims()))
    assert jwks_server.hits == 1

    clock.advance(60)  # identity rotates: k2 signs from now on, k1 stays listed for tokens in flight
    jwks_server.publish(k1[1], k2[1])
    verifier.verify(sign_token(k2[0], "k2", claims()))
    assert jwks_server.hits == 2
    verifier.verify(sign_token(k1[0], "k1", claims()))
    assert jwks_server.hits == 2  # from the cache

    jwks_server.publish(k2[1])  # k1 retired
    clock.advance(301)  # the cached set expires
    with pytest.raises(UnknownKey):
        verifier.verify(sign_token(k1[0], "k1", claims()))
    assert jwks_server.hits == 3
    verifier.verify(sign_token(k2[0], "k2", claims()))
    assert jwks_server.hits == 3


def test_a_flood_of_unknown_kids_costs_identity_one_request_per_interval(jwks_server, clock, k1):
    jwks_server.publish(k1[1])
    verifier = make_verifier(jwks_server, clock)
    verifier.verify(sign_token(k1[0], "k1", claims()))
    clock.advance(11)
    for n in range(50):
        with pytest.raises(UnknownKey):
            verifier.verify(sign_token(k1[0], f"made-up-{n}", claims()))
    assert jwks_server.hits == 2
    clock.advance(11)
    with pytest.raises(UnknownKey):
        verifier.verify(sign_token(k1[0], "made-up-again", claims()))
    assert jwks_server.hits == 3


def test_cached_keys_keep_working_while_identity_is_down(jwks_server, clock, k1):
    jwks_server.publish(k1[1])
    verifier = make_verifier(jwks_server, clock)
    verifier.verify(sign_token(k1[0], "k1", claims()))
    jwks_server.status = 500
    clock.advance(301)
    principal = verifier.verify(sign_token(k1[0], "k1", claims()))
    assert isinstance(principal, Principal)
    assert jwks_server.hits == 2  # it did try


def test_no_key_set_at_all_is_keys_unavailable_and_not_retried_at_once(jwks_server, clock, k1):
    jwks_server.publish(k1[1])
    jwks_server.status = 503
    verifier = make_verifier(jwks_server, clock)
    token = sign_token(k1[0], "k1", claims())
    with pytest.raises(KeysUnavailable):
        verifier.verify(token)
    with pytest.raises(KeysUnavailable):
        verifier.verify(token)
    assert jwks_server.hits == 1
    jwks_server.status = 200
    clock.advance(11)
    assert isinstance(verifier.verify(token), Principal)


def test_unreachable_identity_is_keys_unavailable(clock, k1):
    verifier = TokenVerifier(JWKSClient(closed_port_url(), timeout=0.5, clock=clock), issuer=ISSUER,
                             audience=AUDIENCE)
    with pytest.raises(KeysUnavailable):
        verifier.verify(sign_token(k1[0], "k1", claims()))


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["roles"] = ["noloc_admin"]
    return ".".join([header, b64json(body), signature])


def _alg_none(private, kid) -> str:
    return ".".join([b64json({"alg": "none", "typ": "at+jwt", "kid": kid}), b64json(claims()), ""])


def _hs256_with_public_key(secret: bytes, kid: str) -> str:
    signing_input = ".".join([b64json({"alg": "HS256", "typ": "at+jwt", "kid": kid}), b64json(claims())])
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def _hs256_with_x(private, kid) -> str:
    return _hs256_with_public_key(base64.urlsafe_b64decode(private["x"] + "=="), kid)


def _hs256_with_jwk_text(private, kid) -> str:
    public = {name: value for name, value in private.items() if name != "d"}
    return _hs256_with_public_key(json.dumps(public).encode(), kid)


def _es256(private, kid) -> str:
    return jwt.encode(claims(), generate_private_key(SECP256R1()), algorithm="ES256",
                      headers={"kid": kid, "typ": "at+jwt"})


def _other_key_same_kid(private, kid) -> str:
    stranger, _ = generate_ed25519_jwk(kid)
    return sign_token(stranger, kid, claims())


def _plain_jwt_type(private, kid) -> str:
    return jwt.encode(claims(), jwt.PyJWK(private, algorithm="EdDSA").key, algorithm="EdDSA",
                      headers={"kid": kid, "typ": "JWT"})


def _no_kid(private, kid) -> str:
    return jwt.encode(claims(), jwt.PyJWK(private, algorithm="EdDSA").key, algorithm="EdDSA",
                      headers={"typ": "at+jwt"})


def _signed(**overrides):
    return lambda private, kid: sign_token(private, kid, claims(**overrides))


def _in(seconds):
    return int((datetime.now(UTC) + timedelta(seconds=seconds)).timestamp())


REFUSED = {
    "tampered payload": lambda private, kid: _tampered(sign_token(private, kid, claims())),
    "alg none": _alg_none,
    "HS256 keyed with the raw public key": _hs256_with_x,
    "HS256 keyed with the public JWK": _hs256_with_jwk_text,
    "ES256": _es256,
    "signed by another key": _other_key_same_kid,
    "typ JWT instead of at+jwt": _plain_jwt_type,
    "no kid": _no_kid,
    "wrong audience": _signed(aud="someone-else"),
    "wrong issuer": _signed(iss="https://evil.example"),
    # The time is taken when the token is made, not when this table is: the suite may run long before this.
    "not yet valid": lambda private, kid: sign_token(private, kid, claims(nbf=_in(600))),
    "issued without exp": _signed(exp=None),
    "sub not a UUID": _signed(sub="admin"),
    "roles not a list": lambda private, kid: sign_token(private, kid, {**claims(), "roles": "noloc_admin"}),
    "garbage": lambda private, kid: "not.a.jwt",
}


@pytest.mark.parametrize("make_token", REFUSED.values(), ids=REFUSED.keys())
def test_refused_tokens(jwks_server, clock, k1, make_token):
    jwks_server.publish(k1[1])
    verifier = make_verifier(jwks_server, clock)
    verifier.verify(sign_token(k1[0], "k1", claims()))  # the key set is loaded and the verifier works
    with pytest.raises(InvalidToken):
        verifier.verify(make_token(k1[0], "k1"))


def test_expired_token_is_refused_as_expired(jwks_server, clock, k1):
    jwks_server.publish(k1[1])
    token = sign_token(k1[0], "k1", claims(exp=_in(-60), iat=_in(-400), nbf=_in(-400)))
    with pytest.raises(ExpiredToken):
        make_verifier(jwks_server, clock).verify(token)


# --- the cache of verified tokens (the gateway's, ADR 0037) -----------------------------------------------


class WallClock:
    """The time both the verifier's cache and PyJWT's expiry check read, moved by the test."""

    def __init__(self):
        self.now = datetime.now(UTC).timestamp()

    def __call__(self):
        return self.now


@pytest.fixture
def wall(monkeypatch):
    clock = WallClock()

    class Moved(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(clock.now, tz)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Moved)
    return clock


@pytest.fixture
def decodes(monkeypatch):
    """How many times a token's signature and claims were checked."""
    calls = []
    decode = jwt.decode

    def counting(*args, **kwargs):
        calls.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return calls


class Revocations:
    """A revocation read model the test writes to: the accounts whose sessions ended."""

    def __init__(self):
        self.ended: set[uuid.UUID] = set()
        self.asked = 0

    def refusal(self, claims, account_id):
        self.asked += 1
        return "session_ended:logout" if account_id in self.ended else None


def cached_verifier(server, clock, wall, *, size=16, revocations=None):
    client = JWKSClient(server.url, timeout=1.0, cache_seconds=300, min_refetch_seconds=10, clock=clock)
    return TokenVerifier(client, issuer=ISSUER, audience=AUDIENCE, cache_size=size, clock=wall,
                         revocations=revocations)


def test_a_cached_token_is_checked_once_and_gives_the_same_principal(jwks_server, clock, wall, k1, decodes):
    jwks_server.publish(k1[1])
    verifier = cached_verifier(jwks_server, clock, wall)
    token = sign_token(k1[0], "k1", claims())
    first = verifier.verify(token)
    assert verifier.verify(token) == first
    assert len(decodes) == 1
    uncached = make_verifier(jwks_server, clock)
    uncached.verify(token)
    uncached.verify(token)
    assert len(decodes) == 3  # without a cache size, every call checks the token


def test_a_revoked_session_is_refused_at_once_although_its_token_is_cached(jwks_server, clock, wall, k1):
    jwks_server.publish(k1[1])
    revocations = Revocations()
    verifier = cached_verifier(jwks_server, clock, wall, revocations=revocations)
    account = uuid.uuid4()
    token = sign_token(k1[0], "k1", claims(account))
    verifier.verify(token)
    verifier.verify(token)
    revocations.ended.add(account)  # logout: the read model learns it
    with pytest.raises(RevokedToken):
        verifier.verify(token)
    assert revocations.asked == 3  # asked on every call, cached or not


def test_an_expired_token_is_refused_even_when_cached(jwks_server, clock, wall, k1):
    jwks_server.publish(k1[1])
    verifier = cached_verifier(jwks_server, clock, wall)
    token = sign_token(k1[0], "k1", claims(exp=int(wall.now) + 60))
    verifier.verify(token)
    wall.now += 60 + verifier.leeway_seconds - 1
    verifier.verify(token)  # within the leeway PyJWT allows: still good
    wall.now += 1
    with pytest.raises(ExpiredToken):
        verifier.verify(token)
    assert len(verifier.cache) == 0


def test_a_key_identity_stops_listing_ends_its_cached_tokens(jwks_server, clock, wall, k1, k2):
    jwks_server.publish(k1[1], k2[1])
    verifier = cached_verifier(jwks_server, clock, wall)
    token = sign_token(k1[0], "k1", claims())
    verifier.verify(token)
    jwks_server.publish(k2[1])
    clock.advance(301)  # the key set is older than the JWKS client's cache time: fetched again
    with pytest.raises(UnknownKey):
        verifier.verify(token)


def test_the_cache_keeps_at_most_its_size_least_recently_used_out(jwks_server, clock, wall, k1):
    jwks_server.publish(k1[1])
    verifier = cached_verifier(jwks_server, clock, wall, size=3)
    tokens = [sign_token(k1[0], "k1", claims()) for _ in range(5)]
    for token in tokens:
        verifier.verify(token)
    verifier.verify(tokens[2])  # used again: the most recent
    verifier.verify(tokens[0])  # checked again, pushing out the least recently used (tokens[3])
    assert len(verifier.cache) == 3
    assert [verifier.cache.get(token) is not None for token in tokens] == [True, False, True, False, True]


def test_refused_tokens_are_not_kept(jwks_server, clock, wall, k1):
    jwks_server.publish(k1[1])
    verifier = cached_verifier(jwks_server, clock, wall)
    for make_token in REFUSED.values():
        token = make_token(k1[0], "k1")
        for _ in range(2):
            with pytest.raises(InvalidToken):
                verifier.verify(token)
    assert len(verifier.cache) == 0


def test_a_cache_needs_room():
    with pytest.raises(ValueError):
        VerifiedTokens(0)


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256"])
def test_a_foreign_alg_never_makes_us_fetch_keys(jwks_server, clock, k1, alg):
    jwks_server.publish(k1[1])
    token = ".".join([b64json({"alg": alg, "typ": "at+jwt", "kid": "fresh-kid"}), b64json(claims()), "c2ln"])
    with pytest.raises(InvalidToken):
        make_verifier(jwks_server, clock).verify(token)
    assert jwks_server.hits == 0


def test_key_set_keeps_only_public_ed25519_signing_keys(k1):
    _, rsa_looking = generate_ed25519_jwk("x")
    document = {"keys": [
        k1[0],  # a private JWK published by mistake: only its public half may be used
        {"kty": "oct", "k": b64(b"shared-secret"), "kid": "hmac"},
        {**rsa_looking, "kid": "enc", "use": "enc"},
        {**rsa_looking, "kid": "es", "alg": "ES256"},
        {"kty": "OKP", "crv": "Ed25519", "x": rsa_looking["x"]},  # no kid
        "not a key",
    ]}
    keys = parse_jwks(document)
    assert set(keys) == {"k1"}
    assert isinstance(keys["k1"].key, Ed25519PublicKey)


def test_sign_token_accepts_only_an_ed25519_private_jwk(k1):
    with pytest.raises(ValueError):
        sign_token(k1[1], "k1", claims())  # the public half cannot sign
    header = jwt.get_unverified_header(sign_token(k1[0], "k1", claims()))
    assert header == {"alg": "EdDSA", "kid": "k1", "typ": "at+jwt"}


# --- Flask -----------------------------------------------------------------------------------------------


@pytest.fixture
def keys(k1):
    return k1  # the pair the Flask app trusts


@pytest.fixture
def auth_app(keys):
    app = Flask(__name__)
    register_error_handlers(app)
    init_auth(app, TokenVerifier(StaticKeySource([keys[1]]), issuer=ISSUER, audience=AUDIENCE))

    @app.get("/me")
    @require_auth
    def me():
        principal = current_principal()
        return {"account_id": str(principal.account_id), "roles": sorted(principal.roles)}

    @app.get("/officers-only")
    @require_roles("dnv_officer", "noloc_admin")
    def officers_only():
        return {"ok": True}

    @app.get("/portfolios/<uuid:owner_id>")
    def portfolio(owner_id):
        principal = ensure_owner_or_roles(owner_id, "assessor", "dnv_officer")
        return {"seen_by": str(principal.account_id)}

    @app.get("/maybe")
    def maybe():
        principal = optional_principal()
        return {"account_id": str(principal.account_id) if principal else None}

    return app


def bearer(keys, account_id=None, roles=("jobcoach",), **overrides):
    token = sign_token(keys[0], "k1", claims(account_id, roles=list(roles), **overrides))
    return {"Authorization": f"Bearer {token}"}


def test_require_auth_without_token_is_401_with_bearer_challenge(auth_app):
    response = auth_app.test_client().get("/me")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM_JSON
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="recert"'
    body = response.get_json(force=True)
    assert body["type"].endswith("/unauthorized")
    assert body["detail"] == "Voor dit verzoek is een toegangstoken nodig."


@pytest.mark.parametrize("header", ["Bearer not.a.token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_require_auth_with_a_bad_or_foreign_credential_is_401(auth_app, header):
    response = auth_app.test_client().get("/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_invalid_token_says_invalid_token_in_the_challenge(auth_app, keys):
    response = auth_app.test_client().get("/me", headers=bearer(keys, aud="other"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_expired_token_is_401_saying_so_in_english_too(auth_app, keys):
    headers = {**bearer(keys, exp=_in(-60), iat=_in(-400), nbf=_in(-400)), "Accept-Language": "en"}
    response = auth_app.test_client().get("/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json(force=True)["detail"] == "The access token has expired."


def test_require_auth_with_a_valid_token_passes_the_principal(auth_app, keys):
    account_id = uuid.uuid4()
    response = auth_app.test_client().get("/me", headers=bearer(keys, account_id, roles=["assessor"]))
    assert response.status_code == 200
    assert response.get_json() == {"account_id": str(account_id), "roles": ["assessor"]}


def test_wrong_role_is_403(auth_app, keys):
    headers = bearer(keys, roles=["jobcoach", "assessor"])
    response = auth_app.test_client().get("/officers-only", headers=headers)
    assert response.status_code == 403
    assert response.mimetype == PROBLEM_JSON
    detail = response.get_json(force=True)["detail"]
    assert detail == "Hiervoor is een van deze rollen nodig: DNV-medewerker, Noloc-beheerder."


def test_one_of_the_roles_is_enough(auth_app, keys):
    response = auth_app.test_client().get("/officers-only", headers=bearer(keys, roles=["noloc_admin"]))
    assert response.status_code == 200


def test_require_roles_without_token_is_401_not_403(auth_app):
    assert auth_app.test_client().get("/officers-only").status_code == 401


def test_owner_sees_own_resource(auth_app, keys):
    owner = uuid.uuid4()
    response = auth_app.test_client().get(f"/portfolios/{owner}", headers=bearer(keys, owner))
    assert response.status_code == 200


def test_someone_else_gets_404_not_403(auth_app, keys):
    response = auth_app.test_client().get(f"/portfolios/{uuid.uuid4()}", headers=bearer(keys))
    assert response.status_code == 404
    assert response.get_json(force=True)["type"].endswith("/not-found")


def test_a_listed_role_sees_someone_elses_resource(auth_app, keys):
    headers = bearer(keys, roles=["assessor"])
    response = auth_app.test_client().get(f"/portfolios/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 200


def test_ownership_check_without_token_is_401(auth_app):
    assert auth_app.test_client().get(f"/portfolios/{uuid.uuid4()}").status_code == 401


def test_optional_principal(auth_app, keys):
    client = auth_app.test_client()
    account_id = uuid.uuid4()
    assert client.get("/maybe").get_json() == {"account_id": None}
    assert client.get("/maybe", headers=bearer(keys, account_id)).get_json() == {
        "account_id": str(account_id)}
    assert client.get("/maybe", headers={"Authorization": "Bearer broken"}).status_code == 401


def test_keys_unavailable_is_503_not_401(k1):
    app = Flask(__name__)
    register_error_handlers(app)
    keys = JWKSClient(closed_port_url(), timeout=0.5)
    init_auth(app, TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE))
    app.add_url_rule("/me", view_func=require_auth(lambda: {"ok": True}))
    response = app.test_client().get("/me", headers=bearer(k1))
    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON


def test_require_roles_refuses_unknown_role_names():
    with pytest.raises(ValueError):
        require_roles("dnv-officer")
    with pytest.raises(ValueError):
        require_roles()
