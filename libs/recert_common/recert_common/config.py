"""Typed settings from environment variables (12-factor).

Every variable is documented in ``deploy/example.env``. A service builds its settings with
``ServiceSettings.from_env("identity")``; a service with settings of its own subclasses ``ServiceSettings``
and adds fields with ``env_field``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

_MISSING = object()


class ConfigError(ValueError):
    """A variable is missing or cannot be read as its type."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _parse_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


_PARSERS: dict[Any, Callable[[str], Any]] = {
    str: str,
    int: int,
    float: float,
    bool: _parse_bool,
    Decimal: Decimal,
    tuple: _parse_list,
}


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8, 127.0.0.1``)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

#: What RECERT_QUEUE_TYPE may say (ADR 0032): quorum queues are replicated over a cluster's nodes; classic
#: queues live on one node.
QUEUE_TYPES = ("quorum", "classic")


def parse_queue_type(raw: str) -> str:
    value = raw.strip().lower()
    if value not in QUEUE_TYPES:
        raise ValueError(f"{raw!r} is not one of {', '.join(QUEUE_TYPES)}")
    return value


def parse_amqp_urls(raw: str) -> str:
    """One broker URL, or several separated by ``;`` (the nodes of a cluster, tried in turn; kombu's failover
    syntax). Every URL must name the same user and vhost: the user is who the consumers believe they are
    (``recert_common.bus.trust``), and the vhost holds the queues."""
    urls = [part.strip() for part in raw.split(";") if part.strip()]
    if not urls:
        raise ValueError("no broker URL")
    seen = set()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ValueError(f"not an amqp:// URL: {parts.scheme}://{parts.hostname or ''}...")
        seen.add((parts.username, parts.path))
    if len(seen) > 1:
        raise ValueError("the broker URLs name different users or vhosts; a cluster's nodes share both")
    return ";".join(urls)


def env_field(name: str, default: Any = _MISSING, *, parse: Callable[[str], Any] | None = None):
    """A dataclass field read from the environment variable ``name`` (``{service}`` is replaced)."""
    metadata = {"env": name, "parse": parse}
    if default is _MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _base_type(annotation: Any) -> Any:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    text = text.split("|")[0].strip()
    for known in _PARSERS:
        if text == known.__name__ or text.startswith(f"{known.__name__}["):
            return known
    return str


def load(cls, service: str, env: Mapping[str, str] | None = None, **overrides):
    """Build the settings dataclass ``cls`` for ``service`` from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    upper = service.upper().replace("-", "_")
    values: dict[str, Any] = {"service": service}
    for field in dataclasses.fields(cls):
        if field.name in overrides or field.name == "service":
            continue
        name = field.metadata.get("env")
        if not name:
            continue
        name = name.format(service=upper)
        if name in env:
            parse = field.metadata.get("parse") or _PARSERS[_base_type(field.type)]
            try:
                values[field.name] = parse(env[name])
            except (ValueError, ArithmeticError) as exc:
                raise ConfigError(f"{name}: {exc}") from exc
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{name} must be set")
    values.update(overrides)
    settings = cls(**values)
    return settings


@dataclasses.dataclass(frozen=True)
class ServiceSettings:
    """What every service reads. ``database_url`` defaults to ``{postgres_url}/recert_{service}``."""

    service: str
    postgres_url: str = env_field("RECERT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    database_url: str = env_field("RECERT_{service}_DATABASE_URL", "")
    # One URL, or a cluster's nodes separated by ";" (tried in turn when one goes away).
    amqp_url: str = env_field("RECERT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//", parse=parse_amqp_urls)
    exchange: str = env_field("RECERT_EXCHANGE", "recert.events")
    queue_prefix: str = env_field("RECERT_QUEUE_PREFIX", "")
    # Broker users are "<prefix><producer>"; a consumer believes an event only from its producer's user.
    broker_user_prefix: str = env_field("RECERT_BROKER_USER_PREFIX", "recert-")
    # Test harness only: broker users (comma-separated) believed for every producer. Empty: strict.
    bus_trusted_users: str = env_field("RECERT_BUS_TRUSTED_USERS", "")
    # Where files are kept (ADR 0031): "s3" (MinIO or any S3, the s3_* fields) or "filesystem" (one machine:
    # a directory per bucket under storage_dir, what `make dev` runs).
    storage: str = env_field("RECERT_STORAGE", "s3")
    storage_dir: str = env_field("RECERT_STORAGE_DIR", "")
    s3_endpoint: str = env_field("RECERT_S3_ENDPOINT", "127.0.0.1:9000")
    s3_access_key: str = env_field("RECERT_S3_ACCESS_KEY", "recert")
    s3_secret_key: str = env_field("RECERT_S3_SECRET_KEY", "recert-secret")
    s3_secure: bool = env_field("RECERT_S3_SECURE", False)
    s3_region: str = env_field("RECERT_S3_REGION", "us-east-1")
    jwks_url: str = env_field("RECERT_JWKS_URL", "http://127.0.0.1:8001/v1/.well-known/jwks.json")
    jwt_issuer: str = env_field("RECERT_JWT_ISSUER", "recert-identity")
    jwt_audience: str = env_field("RECERT_JWT_AUDIENCE", "recert")
    log_level: str = env_field("RECERT_LOG_LEVEL", "INFO")
    max_body_bytes: int = env_field("RECERT_MAX_BODY_BYTES", 1_048_576)
    db_pool_size: int = env_field("RECERT_DB_POOL_SIZE", 10)
    # How long a request waits for a database connection before it answers 503 (e.g. during an outage).
    db_pool_timeout_seconds: float = env_field("RECERT_DB_POOL_TIMEOUT_SECONDS", 5.0)
    relay_poll_seconds: float = env_field("RECERT_RELAY_POLL_SECONDS", 5.0)
    consumer_max_retries: int = env_field("RECERT_CONSUMER_MAX_RETRIES", 5)
    consumer_retry_base_ms: int = env_field("RECERT_CONSUMER_RETRY_BASE_MS", 1000)
    consumer_prefetch: int = env_field("RECERT_CONSUMER_PREFETCH", 50)
    # Test runs let their queues expire once unused; production queues never expire (0).
    queue_expires_ms: int = env_field("RECERT_QUEUE_EXPIRES_MS", 0)
    # quorum (replicated over a cluster's nodes; the default) or classic (one node). A queue's type cannot
    # change in place: see docs/operations.md before changing it on a running deployment (ADR 0032).
    queue_type: str = env_field("RECERT_QUEUE_TYPE", "quorum", parse=parse_queue_type)
    # Who may read /metrics and /readyz (addresses or CIDRs, comma-separated): the health checks and the
    # metrics scraper. Anything else, and anything that came through a proxy, gets 404.
    internal_networks: tuple[Network, ...] = env_field("RECERT_INTERNAL_NETWORKS", LOOPBACK,
                                                       parse=parse_networks)

    # The worker's /metrics (recert_common.worker_metrics), for the same callers as above; 0 serves nothing.
    worker_metrics_port: int = env_field("RECERT_WORKER_METRICS_PORT", 0)

    def __post_init__(self):
        if self.storage not in ("s3", "filesystem"):
            raise ConfigError(f"RECERT_STORAGE: {self.storage!r} is neither 's3' nor 'filesystem'")
        if self.queue_type not in QUEUE_TYPES:
            raise ConfigError(f"RECERT_QUEUE_TYPE: {self.queue_type!r} is not one of "
                              f"{', '.join(QUEUE_TYPES)}")
        if not self.database_url:
            db_name = "recert_" + self.service.replace("-", "_")
            object.__setattr__(self, "database_url", f"{self.postgres_url.rstrip('/')}/{db_name}")

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str] | None = None, **overrides):
        return load(cls, service, env, **overrides)

    def queue(self, purpose: str) -> str:
        """The durable queue name of one consumer: ``<service>.<purpose>``."""
        return f"{self.queue_prefix}{self.service}.{purpose}"
