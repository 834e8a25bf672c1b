"""Which service answers which path: the route table, as data.

A path is what follows ``/api/v1/``. A ``Route`` sends every path under its ``prefix`` (whole segments:
``accounts`` covers ``accounts`` and ``accounts/1``, not ``accountsx``) to one service, at
``<service URL>/v1/<path>``; the longest matching prefix wins. Within a route, rules written as
``"METHOD path"`` name the requests that need no access token (``public``), that are rate limited per client
address (``rate_limited``) and that may carry an upload-sized body (``uploads``). In a rule's path ``*`` is
one segment and a final ``**`` any number of segments, none included: ``"GET register/**"``,
``"POST pe/activities/*/evidence"``. A ``GET`` rule covers ``HEAD`` too.

Adding a service is one line per prefix here (and its URL in ``settings.DEFAULT_SERVICE_URLS``)::

    Route("pe", "pe-registry", uploads=("POST pe/activities/*/evidence",)),
    Route("register", "assessment", public=("GET register/**",)),
    Route("payments", "billing", public=("POST payments/webhook",)),
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class InvalidPath(ValueError):
    """A path with empty, ``.`` or ``..`` segments: refused rather than guessed at."""


def split_path(path: str) -> tuple[str, ...]:
    """The segments of ``path``; one trailing slash is allowed and ignored."""
    trimmed = path[:-1] if path.endswith("/") else path
    segments = tuple(trimmed.split("/")) if trimmed else ()
    if any(segment in ("", ".", "..") for segment in segments):
        raise InvalidPath(path)
    return segments


@dataclass(frozen=True)
class Rule:
    """``"POST auth/login"``: a method and a path pattern."""

    method: str
    pattern: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Rule:
        method, _, path = text.strip().partition(" ")
        method = method.upper()
        if method not in METHODS or not path.strip():
            raise ValueError(f"a rule is 'METHOD path': {text!r}")
        pattern = split_path(path.strip())
        if "**" in pattern[:-1]:
            raise ValueError(f"'**' may only end a rule: {text!r}")
        return cls(method, pattern)

    def matches(self, method: str, segments: Sequence[str]) -> bool:
        if method != self.method and not (method == "HEAD" and self.method == "GET"):
            return False
        pattern = self.pattern
        if pattern and pattern[-1] == "**":
            pattern = pattern[:-1]
            if len(segments) < len(pattern):
                return False
            segments = segments[:len(pattern)]
        elif len(segments) != len(pattern):
            return False
        return all(want in ("*", got) for want, got in zip(pattern, segments, strict=True))

    def __str__(self) -> str:
        return f"{self.method} {'/'.join(self.pattern)}"


def _rules(texts: Iterable[str]) -> tuple[Rule, ...]:
    return tuple(Rule.parse(text) for text in texts)


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    public: tuple[str, ...] = ()
    rate_limited: tuple[str, ...] = ()
    uploads: tuple[str, ...] = ()
    _prefix: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _public: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    _rate_limited: tuple[Rule, ...] = field(init=False, repr=False, compare=False)
    _uploads: tuple[Rule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        prefix = split_path(self.prefix.strip("/"))
        if not prefix:
            raise ValueError("a route needs a prefix")
        object.__setattr__(self, "_prefix", prefix)
        for name in ("public", "rate_limited", "uploads"):
            rules = _rules(getattr(self, name))
            for rule in rules:
                if rule.pattern[:len(prefix)] != prefix:
                    raise ValueError(f"rule {rule} is outside the route {self.prefix!r}")
            object.__setattr__(self, "_" + name, rules)

    @property
    def segments(self) -> tuple[str, ...]:
        return self._prefix

    def covers(self, segments: Sequence[str]) -> bool:
        return tuple(segments[:len(self._prefix)]) == self._prefix

    def is_public(self, method: str, segments: Sequence[str]) -> bool:
        return any(rule.matches(method, segments) for rule in self._public)

    def rate_limit_rule(self, method: str, segments: Sequence[str]) -> Rule | None:
        """The rule that limits this request, whose text is also its counter's name."""
        return next((rule for rule in self._rate_limited if rule.matches(method, segments)), None)

    def is_upload(self, method: str, segments: Sequence[str]) -> bool:
        return any(rule.matches(method, segments) for rule in self._uploads)


class RouteTable:
    def __init__(self, routes: Iterable[Route]):
        self.routes: tuple[Route, ...] = tuple(routes)
        seen: set[tuple[str, ...]] = set()
        for route in self.routes:
            if route.segments in seen:
                raise ValueError(f"prefix {route.prefix!r} is routed twice")
            seen.add(route.segments)
        # Longest prefix first, so that the first route that covers a path is the one that wins.
        self._by_length = sorted(self.routes, key=lambda route: len(route.segments), reverse=True)

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def match(self, segments: Sequence[str]) -> Route | None:
        return next((route for route in self._by_length if route.covers(segments)), None)

    def services(self) -> tuple[str, ...]:
        """Each routed service once, in the order of the table."""
        return tuple(dict.fromkeys(route.service for route in self.routes))


ROUTES = RouteTable([
    # The e-mailed links (verification, password reset) are opened without a token (ADR 0018).
    Route("accounts", "identity", public=("POST accounts", "POST accounts/verify-email"),
          rate_limited=("POST accounts",)),
    # Logout spends a refresh token and needs no access token: one that expired must not keep a session open.
    Route("auth", "identity",
          public=("POST auth/login", "POST auth/login/verify", "POST auth/refresh", "POST auth/logout",
                  "POST auth/password-reset", "POST auth/password-reset/confirm"),
          rate_limited=("POST auth/login", "POST auth/login/verify", "POST auth/password-reset")),
    Route("admin/accounts", "identity"),
    Route(".well-known", "identity", public=("GET .well-known/jwks.json",)),
    Route("support", "identity", public=("GET support",)),
    Route("pe", "pe-registry", uploads=("POST pe/activities/*/evidence",)),
    Route("portfolio", "portfolio", uploads=("POST portfolio/meetings/*/proof",)),
    Route("cases", "assessment"),
    Route("certificates", "assessment", uploads=("POST certificates/import",)),
    # The public register: anyone may look a Register Jobcoach up, without logging in.
    Route("register", "assessment", public=("GET register", "GET register/**")),
    Route("messages", "notifications"),
    Route("invoices", "billing"),
    # The payment provider's webhook carries its own HMAC signature instead of an access token.
    Route("payments", "billing", public=("POST payments/webhook",)),
    # Verifiable credentials (ADR 0030): anyone may fetch the keys and the status list and verify; only
    # the key rotation needs a login. Verifying a pasted credential is rate limited per client address.
    Route("credentials", "assessment",
          public=("GET credentials/keys", "GET credentials/issuer", "GET credentials/status/*",
                  "POST credentials/verify", "GET credentials/*/verification"),
          rate_limited=("POST credentials/verify",)),
    # Evidence read for the jobcoach (issue 14, ADR 0027): the document to be read is an upload.
    Route("pe/readings", "pe-registry", uploads=("POST pe/readings",)),
    # Issue 14 (ADR 0026): the wegwijzer's calendar feed is read by calendar apps with its secret token (in
    # the query string, which no log line keeps), without a login; limited per client address.
    Route("portfolio/calendar", "portfolio", public=("GET portfolio/calendar",),
          rate_limited=("GET portfolio/calendar",)),
    # The service desk (issue 14, ADR 0029): a person who cannot log in opens a request with an e-mail
    # address and follows it through the e-mailed links, without a token and rate limited per client address.
    Route("desk", "notifications",
          public=("POST desk/public/requests", "POST desk/public/confirm", "POST desk/public/thread",
                  "POST desk/public/replies"),
          rate_limited=("POST desk/public/requests", "POST desk/public/confirm", "POST desk/public/thread",
                        "POST desk/public/replies"),
          uploads=("POST desk/requests/*/attachments",)),
])
