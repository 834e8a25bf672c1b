"""The payment provider's webhook signature, as the large payment providers sign theirs:
``X-Signature: t=<unix seconds>,v1=<hex>``, where the hex is the HMAC-SHA256 of ``"<t>." + raw body`` under
the shared secret.

The body is signed exactly as it travels, so it is checked before it is parsed. Comparison is constant-time.
The signed timestamp must lie within ``tolerance`` seconds of our clock (either side), so a captured request
cannot be replayed later; within the window a replay is still harmless because a provider event id and a paid
invoice each take effect once (see ``service.BillingService.receive_payment``). Several ``v1`` values may be
given (the provider sends one per active secret while it rolls its secret); one match is enough.
"""
from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Signature"
VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body,
                    hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value the provider sends for ``body`` at ``timestamp`` (now when not given)."""
    at = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={at},{VERSION}={_digest(secret, at, body)}"


def verify(secret: str, body: bytes, header: str | None, *, tolerance: float = DEFAULT_TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` at a time within ``tolerance`` seconds of ``now``.
    An empty secret verifies nothing."""
    if not secret or not header:
        return False
    timestamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == VERSION and value:
            given.append(value.strip().lower())
    if timestamp is None or not given:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body).encode("ascii")
    return any(hmac.compare_digest(expected, value.encode("ascii", "replace")) for value in given)
