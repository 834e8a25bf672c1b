"""Rate limiting per client address: a sliding window log, in this process's memory.

Each gateway process counts on its own, so with N processes (gunicorn workers or replicas) a client may make
up to N times the limit. That still bounds password guessing per address; a shared store (Redis) would make
the limit exact and is the step to take when the gateway runs as several processes.
"""
from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the next request would be allowed


class SlidingWindowLimiter:
    """Allows ``limit.count`` hits per key in any window of ``limit.seconds``.

    Memory is bounded by the keys seen within one window (at most ``count`` timestamps each); keys whose
    window has passed are swept out at most once per window.
    """

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[Hashable, deque[float]] = {}
        self._swept_at = clock()

    def hit(self, key: Hashable) -> Decision:
        """Count one request of ``key``; refused requests are not counted."""
        now = self._clock()
        window_start = now - self.limit.seconds
        with self._lock:
            self._sweep(now, window_start)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= window_start:
                hits.popleft()
            if len(hits) >= self.limit.count:
                return Decision(False, max(1, math.ceil(hits[0] - window_start)))
            hits.append(now)
            return Decision(True)

    def __len__(self) -> int:
        return len(self._hits)

    def _sweep(self, now: float, window_start: float) -> None:
        if now - self._swept_at < self.limit.seconds:
            return
        self._swept_at = now
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= window_start]:
            del self._hits[key]
