"""The payment provider's webhook signature: ``X-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body
under the shared secret.

The body is signed exactly as it travels, so it is checked before it is parsed. Comparison is constant-time.
There is no timestamp in the signature: a replayed body is harmless because a provider event id and a paid
invoice each take effect once (see ``service.BillingService.receive_payment``).
"""
from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Signature"
SCHEME = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value the provider sends for ``body``."""
    return SCHEME + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret``. An empty secret verifies nothing."""
    if not secret or not header:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() + "=" != SCHEME or not given:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "replace"))
