"""Rate limits shared by every gateway process, kept in Redis through the ``limits`` library.

The counters live in one store (``RECERT_GATEWAY_RATE_LIMIT_STORAGE``, Redis by default), so N gateway
processes or replicas together allow exactly the limit, not N times it. ``limits`` holds the storage and its
moving-window strategy (a Lua script in Redis: exact, atomic across processes); the gateway asks it only for
the requests of a limited route rule (its routes are one catch-all view whose limits depend on the matched
rule). Flask-Limiter, which is built on the same library, is not used: it checks its own limits in a hook
before and after every request, which the gateway paid on every forwarded request for nothing (ADR 0037).

When the store cannot be reached the limited requests are refused with 503 (fail closed: ADR 0017): the limits
guard passwords and second factors, and an outage of the store must not switch that guard off unseen.
Requests that are not rate limited never touch the store.
"""
from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import limits
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_log = logging.getLogger(__name__)

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
          "h": 3600.0, "hour": 3600.0}
_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*")


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests per ``seconds``."""

    count: int
    seconds: float

    def __post_init__(self):
        if self.count < 1 or self.seconds <= 0:
            raise ValueError("a rate limit needs a positive count and period")

    @classmethod
    def parse(cls, raw: str) -> RateLimit | None:
        """``10/minute``, ``5/30s``, ``100/hour``; ``off`` for no limit."""
        if raw.strip().lower() in {"off", "none", "0"}:
            return None
        match = _LIMIT.fullmatch(raw.lower())
        if match is None or match.group(3) not in _UNITS:
            raise ValueError(f"not a rate limit (like 10/minute): {raw!r}")
        multiple = float(match.group(2)) if match.group(2) else 1.0
        return cls(int(match.group(1)), multiple * _UNITS[match.group(3)])

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}s"

    def item(self) -> limits.RateLimitItem:
        """The limit as the ``limits`` library writes it; whole seconds, at least one."""
        return limits.parse(f"{self.count} per {max(1, math.ceil(self.seconds))} second")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the next request would be allowed


class RateLimitStoreUnavailable(Exception):
    """The shared store did not answer: the caller refuses the request (fail closed)."""


class SharedLimiter:
    """Counts hits per key in the shared store, in a moving window of each limit's length.

    ``hit(limit, key)``: one request of ``key`` (a sequence of strings: what is limited and for whom);
    refused requests are not counted. Raises ``RateLimitStoreUnavailable`` when the store fails.
    """

    def __init__(self, *, storage_uri: str, prefix: str):
        # The store's client waits at most a second: past that the store counts as not answering.
        self._strategy = MovingWindowRateLimiter(
            storage_from_string(storage_uri, socket_connect_timeout=1, socket_timeout=1))
        self.prefix = prefix

    def hit(self, limit: RateLimit, key: Sequence[str]) -> Decision:
        item = limit.item()
        identifiers = (self.prefix, *key)
        strategy = self._strategy
        try:
            if strategy.hit(item, *identifiers):
                return Decision(True)
            stats = strategy.get_window_stats(item, *identifiers)
        except Exception as exc:  # noqa: BLE001 - whatever the store's client raises: it did not answer
            _log.error("rate limit store unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            raise RateLimitStoreUnavailable(str(exc)) from exc
        return Decision(False, max(1, math.ceil(stats.reset_time - time.time())))
