"""The gateway's settings: where the services are, timeouts, CORS, trusted proxies, limits.

Every variable is read from the environment (12-factor); see ``gateway/README.md`` for the list.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from recert_common.config import ServiceSettings, env_field, load
from recert_gateway.ratelimit import RateLimit

# Where each service listens unless ``RECERT_<SERVICE>_URL`` says otherwise (the ports of ``make dev``).
DEFAULT_SERVICE_URLS: Mapping[str, str] = {
    "identity": "http://127.0.0.1:8001",
    "portfolio": "http://127.0.0.1:8002",
    "pe-registry": "http://127.0.0.1:8003",
    "assessment": "http://127.0.0.1:8004",
    "notifications": "http://127.0.0.1:8005",
    "billing": "http://127.0.0.1:8006",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def service_url_variable(service: str) -> str:
    """``pe-registry`` -> ``RECERT_PE_REGISTRY_URL``."""
    return f"RECERT_{service.upper().replace('-', '_')}_URL"


def service_urls_from_env(env: Mapping[str, str],
                          services: Mapping[str, str] = DEFAULT_SERVICE_URLS) -> dict[str, str]:
    return {name: env.get(service_url_variable(name), default).rstrip("/")
            for name, default in services.items()}


def parse_origins(raw: str) -> tuple[str, ...]:
    """Comma-separated origins (``https://app.example.nl``), each exactly as a browser sends it."""
    origins = []
    for part in (piece.strip() for piece in raw.split(",")):
        if not part:
            continue
        if part == "*" or "*" in part:
            raise ValueError("wildcard origins are not allowed: list each origin")
        split = urlsplit(part)
        if split.scheme not in ("http", "https") or not split.netloc or split.path or split.query:
            raise ValueError(f"not an origin (scheme://host[:port]): {part!r}")
        origins.append(part.lower())
    return tuple(origins)


def parse_networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8, 127.0.0.1``)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


@dataclasses.dataclass(frozen=True)
class GatewaySettings(ServiceSettings):
    """``max_body_bytes`` (``RECERT_MAX_BODY_BYTES``) is the body ceiling of every proxied request that is not
    an upload; uploads (see ``Route.uploads``) may be up to ``max_upload_bytes``."""

    service_urls: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_SERVICE_URLS))
    connect_timeout: float = env_field("RECERT_GATEWAY_CONNECT_TIMEOUT", 2.0)
    read_timeout: float = env_field("RECERT_GATEWAY_READ_TIMEOUT", 30.0)
    max_upload_bytes: int = env_field("RECERT_GATEWAY_MAX_UPLOAD_BYTES", 26_214_400)
    cors_origins: tuple[str, ...] = env_field("RECERT_GATEWAY_CORS_ORIGINS", (), parse=parse_origins)
    trusted_proxies: tuple[Network, ...] = env_field("RECERT_GATEWAY_TRUSTED_PROXIES", (),
                                                     parse=parse_networks)
    auth_rate_limit: RateLimit | None = env_field("RECERT_GATEWAY_AUTH_RATE_LIMIT", RateLimit(10, 60.0),
                                                  parse=RateLimit.parse)
    # Login attempts per account (the e-mail address in the body), from all addresses together: a ceiling on
    # guessing spread over many addresses. Generous, because anyone can spend it (ADR 0017).
    login_account_rate_limit: RateLimit | None = env_field("RECERT_GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT",
                                                           RateLimit(30, 3600.0), parse=RateLimit.parse)
    # Where the counters of every gateway process are kept (a ``limits`` storage URI), and the prefix of
    # their keys (two deployments sharing one Redis keep apart by it).
    rate_limit_storage: str = env_field("RECERT_GATEWAY_RATE_LIMIT_STORAGE", "redis://127.0.0.1:6379/0")
    rate_limit_prefix: str = env_field("RECERT_GATEWAY_RATE_LIMIT_PREFIX", "recert-gateway")
    openapi_timeout: float = env_field("RECERT_GATEWAY_OPENAPI_TIMEOUT", 2.0)
    openapi_cache_seconds: float = env_field("RECERT_GATEWAY_OPENAPI_CACHE_SECONDS", 10.0)
    compose_workers: int = env_field("RECERT_GATEWAY_COMPOSE_WORKERS", 16)
    # How long a composed endpoint (dashboard, work list, overview) waits for each service; what has not
    # arrived by then is listed as missing.
    compose_timeout: float = env_field("RECERT_GATEWAY_COMPOSE_TIMEOUT", 2.0)
    # The built portal (web/dist) served at "/"; empty: the repository's web/dist.
    web_root: str = env_field("RECERT_GATEWAY_WEB_ROOT", "")

    @classmethod
    def from_env(cls, service: str = "gateway", env: Mapping[str, str] | None = None, **overrides: Any):
        env = os.environ if env is None else env
        # Explicit URLs replace the environment's service by service; the rest keep theirs.
        overrides["service_urls"] = {**service_urls_from_env(env), **overrides.get("service_urls", {})}
        return load(cls, service, env, **overrides)

    def service_url(self, service: str) -> str:
        try:
            return self.service_urls[service]
        except KeyError:
            raise LookupError(
                f"no URL for service {service!r}: set {service_url_variable(service)}") from None
