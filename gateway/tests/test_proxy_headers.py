from __future__ import annotations

from recert_gateway.peers import Peer
from recert_gateway.proxy import client_response_headers, public_location, upstream_request_headers

PEER = Peer(client="127.0.0.1", forwarded_for="127.0.0.1", proto="http")


def test_request_headers_drop_hop_by_hop_and_those_named_in_connection():
    incoming = [("Host", "api.example.nl"), ("Connection", "keep-alive, X-Secret"), ("Keep-Alive", "300"),
                ("X-Secret", "s"), ("TE", "trailers"), ("Proxy-Authorization", "Basic eA=="),
                ("Upgrade", "h2c"), ("Transfer-Encoding", "chunked"), ("Content-Length", "10"),
                ("Expect", "100-continue"), ("Authorization", "Bearer abc"),
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", "6.6.6.6"), ("Forwarded", "for=6.6.6.6"), ("X-Request-ID", "client-made"),
                ("Accept", "a"), ("Accept", "b")]
    sent = upstream_request_headers(incoming, peer=PEER, host="api.example.nl", request_id="rid-1")
    assert sent == {"Authorization": "Bearer abc", "Content-Type": "application/json", "Accept": "a, b",
                    "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http",
                    "X-Forwarded-Host": "api.example.nl", "X-Request-ID": "rid-1"}


def test_response_headers_keep_repeated_headers_and_drop_hop_by_hop():
    upstream = [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                ("Connection", "close"), ("Transfer-Encoding", "chunked"), ("Date", "x"),
                ("Server", "gunicorn"), ("Location", "/v1/things/1")]
    assert client_response_headers(upstream, "http://identity:8000") == [
        ("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
        ("Location", "/api/v1/things/1")]


def test_public_location():
    base = "http://identity:8000"
    assert public_location("/v1/accounts/1", base) == "/api/v1/accounts/1"
    assert public_location("http://identity:8000/v1/accounts/1?x=1", base) == "/api/v1/accounts/1?x=1"
    assert public_location("https://dnv.example/v1/x", base) == "https://dnv.example/v1/x"
    assert public_location("/healthz", base) == "/healthz"
    assert public_location("/v10/x", base) == "/v10/x"
