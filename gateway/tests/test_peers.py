from __future__ import annotations

from recert_gateway.peers import resolve_peer
from recert_gateway.settings import parse_networks

TRUSTED = parse_networks("10.0.0.0/8, 127.0.0.1")


def test_without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored():
    peer = resolve_peer("127.0.0.1", "203.0.113.9", "https", "http", ())
    assert (peer.client, peer.forwarded_for, peer.proto) == ("127.0.0.1", "127.0.0.1", "http")


def test_untrusted_peer_cannot_claim_another_address():
    peer = resolve_peer("198.51.100.4", "203.0.113.9", "https", "http", TRUSTED)
    assert (peer.client, peer.forwarded_for, peer.proto) == ("198.51.100.4", "198.51.100.4", "http")


def test_trusted_chain_is_read_from_the_right():
    # The client wrote "1.2.3.4" itself; the proxy 10.1.1.1 saw 203.0.113.9 connect to it.
    peer = resolve_peer("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.1.1", "https", "http", TRUSTED)
    assert peer.client == "203.0.113.9"
    assert peer.forwarded_for == "203.0.113.9, 10.1.1.1, 127.0.0.1"
    assert peer.proto == "https"


def test_trusted_peer_without_header_is_the_client():
    peer = resolve_peer("10.2.2.2", None, None, "http", TRUSTED)
    assert (peer.client, peer.forwarded_for, peer.proto) == ("10.2.2.2", "10.2.2.2", "http")


def test_garbage_in_the_chain_is_not_trusted():
    peer = resolve_peer("127.0.0.1", "not-an-ip", "gopher", "http", TRUSTED)
    assert peer.client == "not-an-ip"
    assert peer.proto == "http"
