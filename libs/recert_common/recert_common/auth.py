"""Access tokens: Ed25519-signed JWTs from identity, verified against its JWKS.

Verification (``TokenVerifier``) accepts only ``alg: EdDSA`` with a ``kid`` that identity lists, a ``typ`` of
``at+jwt`` (so that no other JWT identity signs can pass as an access token), the configured issuer and
audience, and a current ``exp``/``nbf``; then, when the verifier has a revocation check (every service's
has: ``recert_common.revocation``), a token whose session ended or whose account was disabled is refused
too (``RevokedToken``), so logging out takes effect at once and not when the token expires. A verifier
made with ``cache_size`` (the gateway's: ADR 0037) keeps the tokens that passed the signature and claim checks
until they expire (``VerifiedTokens``), so a token presented again is not decoded and checked again; the
revocation check is still asked on every request, and a key identity stops listing ends its tokens' entries.
The Flask part (``init_auth``, ``require_auth``, ``require_roles``,
``current_principal``, ``ensure_owner_or_roles``) answers 401 with ``WWW-Authenticate: Bearer`` and 403 as
problem+json. Signing (``sign_token``, ``generate_ed25519_jwk``, ``access_token_claims``) lives here too, next
to the verification it must match; identity owns the keys themselves.
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from flask import Flask, current_app, g, has_request_context, request

from recert_common.errors import Forbidden, NotFound, Problem, ServiceUnavailable, Unauthorized
from recert_common.http import pooled_session
from recert_common.i18n import Label
from recert_common.roles import ROLES, Role  # noqa: F401  (re-exported: where most callers look)

ALGORITHM = "EdDSA"
TOKEN_TYPE = "at+jwt"
BEARER_SCHEME = "bearerAuth"  # the name of the security scheme in the OpenAPI documents
# Verified access tokens kept until they expire, by the gateway and the services (ADR 0037): a few kilobytes
# each, so at most a few MB.
TOKEN_CACHE_SIZE = 2048

_log = logging.getLogger(__name__)




@dataclasses.dataclass(frozen=True)
class Principal:
    """Who made the request, as the access token says."""

    account_id: UUID
    roles: frozenset[str]
    amr: frozenset[str]
    token: str = dataclasses.field(repr=False)
    claims: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


# --- errors ----------------------------------------------------------------------------------------------


class InvalidToken(Exception):
    """The token cannot be accepted. The message is for logs, not for the client."""


class ExpiredToken(InvalidToken):
    pass


class RevokedToken(InvalidToken):
    """Well signed and current, but its session ended or its account was disabled."""


class UnknownKey(InvalidToken):
    """The ``kid`` is not in identity's key set, even after a (rate-limited) refetch."""


class KeysUnavailable(Exception):
    """Identity's key set could not be fetched and none is cached: no token can be checked right now."""


# --- keys ------------------------------------------------------------------------------------------------


class KeySource(Protocol):
    def get_key(self, kid: str) -> jwt.PyJWK: ...


def parse_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The usable Ed25519 verification keys of a JWKS document, by ``kid``.

    Keys of other types, for other uses or without a ``kid`` are skipped, as are private members: a key set
    that leaked a private key must still only ever verify.
    """
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys") or []:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519" or not entry.get("x"):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        public = {"kty": "OKP", "crv": "Ed25519", "x": entry["x"], "kid": kid}
        try:
            keys[kid] = jwt.PyJWK(public, algorithm=ALGORITHM)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError) as exc:
            _log.warning("skipping unusable key in JWKS", extra={"kid": kid, "error": str(exc)})
    return keys


class StaticKeySource:
    """A fixed key set: for tests, and for identity verifying its own tokens."""

    def __init__(self, jwks: Mapping[str, Any] | Iterable[Mapping[str, Any]]):
        document = jwks if isinstance(jwks, Mapping) else {"keys": list(jwks)}
        self._keys = parse_jwks(document)

    def get_key(self, kid: str) -> jwt.PyJWK:
        try:
            return self._keys[kid]
        except KeyError:
            raise UnknownKey(f"unknown kid {kid!r}") from None


class JWKSClient:
    """Identity's key set, fetched over HTTP and cached.

    - The set is refetched when it is older than ``cache_seconds``, so a key identity stops listing stops
      being accepted within that time.
    - An unknown ``kid`` triggers a refetch (a newly rotated key), but at most once per
      ``min_refetch_seconds``: a flood of tokens with made-up kids costs identity one request per interval.
    - When a refetch fails, the last good set keeps being used (identity being down must not log everybody
      out); only without any set is ``KeysUnavailable`` raised.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 2.0,
        cache_seconds: float = 300.0,
        min_refetch_seconds: float = 10.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.url = url
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.min_refetch_seconds = min_refetch_seconds
        if session is None:
            # Keys come from our own identity service: never through proxies or credentials that the
            # environment (HTTP_PROXY, ~/.netrc) might configure for other traffic.
            session = pooled_session()
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    def get_key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            now = self._clock()
            if self._keys is None or now - self._fetched_at >= self.cache_seconds:
                self._fetch_if_allowed(now)
            if self._keys is not None and kid in self._keys:
                return self._keys[kid]
            self._fetch_if_allowed(now)
            if self._keys is None:
                raise KeysUnavailable(f"no key set from {self.url}")
            try:
                return self._keys[kid]
            except KeyError:
                raise UnknownKey(f"unknown kid {kid!r}") from None

    def refresh(self) -> None:
        """Fetch the key set now, regardless of the rate limit."""
        with self._lock:
            self._fetch(self._clock())

    def _fetch_if_allowed(self, now: float) -> None:
        if self._attempted_at is not None and now - self._attempted_at < self.min_refetch_seconds:
            return
        self._fetch(now)

    def _fetch(self, now: float) -> None:
        self._attempted_at = now
        try:
            response = self._session.get(
                self.url, timeout=self.timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            keys = parse_jwks(response.json())
        except (requests.RequestException, ValueError) as exc:
            _log.warning("JWKS fetch failed", extra={"jwks_url": self.url, "error": str(exc)})
            return
        if self._keys is None or keys.keys() != self._keys.keys():
            _log.info("JWKS loaded", extra={"jwks_url": self.url, "kids": sorted(keys)})
        self._keys = keys
        self._fetched_at = now


# --- verification ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Verified:
    principal: Principal
    kid: str
    key: jwt.PyJWK
    valid_until: float  # the wall-clock second from which the decoder would call the token expired


class VerifiedTokens:
    """Tokens that passed the signature and claim checks, by the whole token string, each until it expires.

    At most ``max_size`` are kept; the least recently presented one goes first. Only successes are kept: a
    forged or malformed token is checked in full every time (and costs what it costs today).
    """

    def __init__(self, max_size: int, *, clock: Callable[[], float] = time.time):
        if max_size < 1:
            raise ValueError("a token cache needs room for at least one token")
        self.max_size = max_size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Verified] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> _Verified | None:
        """The entry of ``token`` while it is unexpired, else ``None`` (an expired one is dropped)."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if self._clock() >= entry.valid_until:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return entry

    def put(self, token: str, entry: _Verified) -> None:
        with self._lock:
            self._entries[token] = entry
            self._entries.move_to_end(token)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def discard(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)


class TokenVerifier:
    """Checks an access token and returns its ``Principal``.

    Raises ``InvalidToken`` (the client's fault: 401) or ``KeysUnavailable`` (ours: 503). ``revocations``
    (a ``recert_common.revocation.RevocationCheck``) is asked last, for tokens that passed every other check,
    on every call. With ``cache_size`` the signature and claim checks of a token are done once and kept
    (``VerifiedTokens``) until the token expires or its key is no longer the one the key source gives.
    """

    def __init__(self, keys: KeySource, *, issuer: str, audience: str, leeway_seconds: float = 10.0,
                 revocations: Any = None, cache_size: int = 0, clock: Callable[[], float] = time.time):
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.revocations = revocations
        self.cache_size = cache_size
        self._clock = clock
        self.cache = VerifiedTokens(cache_size, clock=clock) if cache_size else None

    def with_revocations(self, revocations: Any) -> TokenVerifier:
        """The same verifier that also refuses the tokens ``revocations`` says have been revoked."""
        return TokenVerifier(self.keys, issuer=self.issuer, audience=self.audience,
                             leeway_seconds=self.leeway_seconds, revocations=revocations,
                             cache_size=self.cache_size, clock=self._clock)

    @classmethod
    def from_settings(cls, settings: Any, *, cache_size: int = 0, **client_options: Any) -> TokenVerifier:
        """A verifier for ``settings.jwks_url``, ``jwt_issuer`` and ``jwt_audience``."""
        return cls(JWKSClient(settings.jwks_url, **client_options),
                   issuer=settings.jwt_issuer, audience=settings.jwt_audience, cache_size=cache_size)

    def verify(self, token: str) -> Principal:
        if self.cache is None:
            return self._not_revoked(self._checked(token).principal)
        entry = self.cache.get(token)
        # The key is looked up again: one that identity stopped listing (or replaced) ends the entry, and a
        # key set older than the JWKS client's cache time is refetched, as without the cache.
        if entry is not None and self.keys.get_key(entry.kid) is not entry.key:
            self.cache.discard(token)
            entry = None
        if entry is None:
            entry = self._checked(token)
            self.cache.put(token, entry)
        return self._not_revoked(entry.principal)

    def _not_revoked(self, principal: Principal) -> Principal:
        if self.revocations is not None:
            reason = self.revocations.refusal(principal.claims, principal.account_id)
            if reason is not None:
                raise RevokedToken(reason)
        return principal

    def _checked(self, token: str) -> _Verified:
        """Every check but revocation."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from exc
        # Checked before any key lookup: a forged header must not make us fetch keys.
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not allowed")
        if str(header.get("typ", "")).lower() not in {TOKEN_TYPE, "application/" + TOKEN_TYPE}:
            raise InvalidToken(f"token type {header.get('typ')!r} is not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no kid")
        key = self.keys.get_key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ExpiredToken(str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        # PyJWT calls a token expired once ``exp <= now - leeway``: the entry ends at that same second.
        return _Verified(_principal(token, claims), kid, key, float(claims["exp"]) + self.leeway_seconds)


def _principal(token: str, claims: Mapping[str, Any]) -> Principal:
    try:
        account_id = UUID(str(claims["sub"]))
    except ValueError:
        raise InvalidToken("sub is not a UUID") from None
    return Principal(
        account_id=account_id,
        roles=_string_set(claims, "roles"),
        amr=_string_set(claims, "amr"),
        token=token,
        claims=dict(claims),
    )


def _string_set(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidToken(f"{name} is not a list of strings")
    return frozenset(value)


# --- signing ---------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_ed25519_jwk(kid: str) -> tuple[dict[str, str], dict[str, str]]:
    """A new Ed25519 key pair as JWKs: ``(private_jwk, public_jwk)``; publish only the second."""
    private_key = Ed25519PrivateKey.generate()
    x = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    d = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(x), "kid": kid, "alg": ALGORITHM, "use": "sig"}
    return {**public, "d": _b64url(d)}, public


def sign_token(
    private_key: Ed25519PrivateKey | Mapping[str, Any], kid: str, claims: Mapping[str, Any]
) -> str:
    """A compact JWS over ``claims`` with ``alg: EdDSA``, ``typ: at+jwt`` and ``kid``.

    ``private_key`` is a private JWK (as from ``generate_ed25519_jwk``) or a cryptography key.
    """
    if isinstance(private_key, Mapping):
        if private_key.get("kty") != "OKP" or private_key.get("crv") != "Ed25519" or "d" not in private_key:
            raise ValueError("an Ed25519 private JWK is needed")
        key = jwt.PyJWK(dict(private_key), algorithm=ALGORITHM).key
    else:
        key = private_key
    return jwt.encode(dict(claims), key, algorithm=ALGORITHM, headers={"kid": kid, "typ": TOKEN_TYPE})


def access_token_claims(
    account_id: UUID | str,
    roles: Iterable[str],
    *,
    issuer: str,
    audience: str,
    ttl: timedelta = timedelta(minutes=5),
    amr: Iterable[str] = ("pwd", "otp"),
    now: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The claims of an access token as every service expects them (``sub`` is the account id)."""
    if isinstance(roles, str):
        raise TypeError("roles must be a collection of role names, not one string")
    issued = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "iss": issuer,
        "aud": audience,
        "sub": str(UUID(str(account_id))),
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": str(uuid.uuid4()),
        "roles": sorted(set(roles)),
        "amr": list(amr),
        **extra,
    }


# --- Flask -----------------------------------------------------------------------------------------------

_EXTENSION = "recert_auth"
_INVALID_TOKEN_CHALLENGE = 'Bearer realm="recert", error="invalid_token"'


def init_auth(app: Flask, verifier: TokenVerifier) -> None:
    """Let ``require_auth``, ``require_roles`` and ``current_principal`` verify tokens with ``verifier``."""
    app.extensions[_EXTENSION] = verifier


def _verifier() -> TokenVerifier:
    try:
        return current_app.extensions[_EXTENSION]
    except KeyError:
        raise RuntimeError("init_auth(app, verifier) was not called for this app") from None


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _authenticate() -> Principal:
    token = _bearer_token()
    if token is None:
        raise Unauthorized(code="detail.token_missing")
    try:
        return _verifier().verify(token)
    except ExpiredToken:
        raise Unauthorized(code="detail.token_expired", www_authenticate=_INVALID_TOKEN_CHALLENGE) from None
    except RevokedToken as exc:
        _log.info("access token refused: revoked", extra={"reason": str(exc)})
        raise Unauthorized(code="detail.token_revoked", www_authenticate=_INVALID_TOKEN_CHALLENGE) from None
    except InvalidToken as exc:
        _log.info("access token refused", extra={"reason": str(exc)})
        raise Unauthorized(code="detail.token_invalid", www_authenticate=_INVALID_TOKEN_CHALLENGE) from None
    except KeysUnavailable:
        raise ServiceUnavailable(code="detail.auth_unavailable", retry_after=5) from None


def current_principal() -> Principal:
    """The principal of this request, verifying its bearer token once; raises the 401 problem without one."""
    if not has_request_context():
        raise RuntimeError("current_principal() needs a request")
    principal = g.get("_recert_principal")
    if principal is None:
        principal = _authenticate()
        g._recert_principal = principal
    return principal


def optional_principal() -> Principal | None:
    """The principal when the request carries a token (which must then be valid), else ``None``."""
    if _bearer_token() is None:
        return None
    return current_principal()


F = TypeVar("F", bound=Callable[..., Any])


def _document_security(wrapper: Any) -> None:
    # flask-smorest reads ``_apidoc`` when the view is routed; copy it so the wrapped view keeps its own.
    apidoc = {**getattr(wrapper, "_apidoc", {})}
    apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "security": [{BEARER_SCHEME: []}]}
    wrapper._apidoc = apidoc


def require_auth(view: F) -> F:
    """The view needs a valid access token (use below ``@blp.route``)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_principal()
        return view(*args, **kwargs)

    _document_security(wrapper)
    return wrapper  # type: ignore[return-value]


def require_roles(*roles: str) -> Callable[[F], F]:
    """The view needs a valid access token with at least one of ``roles``."""
    unknown = set(roles) - ROLES
    if not roles or unknown:
        raise ValueError(f"require_roles needs known roles, got {sorted(unknown) or 'none'}")
    wanted = frozenset(roles)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if not principal.has_any_role(*wanted):
                raise Forbidden(code="detail.role_required", params={"roles": Label(*sorted(wanted))})
            return view(*args, **kwargs)

        _document_security(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorator


def ensure_owner_or_roles(owner_id: UUID | str, *roles: str, problem: Problem | None = None) -> Principal:
    """The principal, when it owns the resource (``owner_id``) or holds one of ``roles``.

    Otherwise ``NotFound`` (or ``problem``): answering 403 would tell a stranger that the resource exists.
    """
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    principal = current_principal()
    if principal.account_id == UUID(str(owner_id)) or principal.has_any_role(*roles):
        return principal
    raise problem or NotFound()


__all__ = [
    "ALGORITHM", "TOKEN_TYPE", "BEARER_SCHEME", "Role", "ROLES", "Principal", "InvalidToken", "ExpiredToken",
    "UnknownKey", "KeysUnavailable", "RevokedToken",
    "KeySource", "parse_jwks", "StaticKeySource", "JWKSClient",
    "VerifiedTokens", "TokenVerifier",
    "generate_ed25519_jwk", "sign_token", "access_token_claims", "init_auth",
    "current_principal", "optional_principal", "require_auth", "require_roles", "ensure_owner_or_roles",
]
