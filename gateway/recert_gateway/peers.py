"""Who the client is: the direct peer, or the address a trusted proxy in front of us says it saw.

``X-Forwarded-For`` is believed only as far as it was written by proxies we trust: read from the right, the
first address that is not a trusted proxy is the client. Without trusted proxies the header is ignored, since
anybody can send one.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Request, g

from recert_gateway.settings import Network

_PEER = "recert_gateway_peer"  # in ``g``: the request's peer, resolved once


@dataclass(frozen=True)
class Peer:
    client: str  # the client's address, for rate limiting and logs
    forwarded_for: str  # the X-Forwarded-For to send on: the trusted chain plus the direct peer
    proto: str  # the scheme the client used


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def request_peer(request: Request, trusted: Sequence[Network]) -> Peer:
    """``resolve_peer`` for the request in progress, worked out once (the client-scheme hook and the
    forwarding both need it)."""
    peer = g.get(_PEER)
    if peer is None:
        headers = request.headers
        peer = resolve_peer(request.remote_addr, headers.get("X-Forwarded-For"),
                            headers.get("X-Forwarded-Proto"), request.scheme, trusted)
        setattr(g, _PEER, peer)
    return peer


def resolve_peer(remote_addr: str | None, forwarded_for: str | None, forwarded_proto: str | None,
                 scheme: str, trusted: Sequence[Network]) -> Peer:
    peer = remote_addr or "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return Peer(client=peer, forwarded_for=peer, proto=scheme)
    chain = [part.strip() for part in (forwarded_for or "").split(",") if part.strip()]
    client = peer
    kept = 0
    for address in reversed(chain):
        kept += 1
        client = address
        if not _is_trusted(address, trusted):
            break
    # Addresses left of the client were written by the client itself: not passed on as facts.
    believed = chain[len(chain) - kept:] if kept else []
    proto = (forwarded_proto or "").split(",")[0].strip().lower()
    return Peer(client=client, forwarded_for=", ".join([*believed, peer]),
                proto=proto if proto in ("http", "https") else scheme)
