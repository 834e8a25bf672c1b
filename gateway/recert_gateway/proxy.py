"""Forwarding one request to a service and its answer back, streamed both ways.

Neither body is ever held whole: the client's body goes to the service in 64 KiB reads as the connection to
the service sends it (with ``Content-Length`` when the client gave one, chunked otherwise), and the service's
answer comes back in 64 KiB pieces, bytes unchanged (a compressed answer stays compressed). The connection to
the service is released when the client's response is closed. The exchange with the service goes through
urllib3's connection pools directly (one per service, ``recert_common.http.connection_pool``): requests'
sessions cost as much CPU per call as the rest of the forwarding (ADR 0037).

A service that cannot be reached is a 503, one that does not answer within the read timeout a 504, and one
that breaks the exchange a 502, all problem+json; what the service answers, problems included, passes
through unchanged apart from hop-by-hop headers.
"""
from __future__ import annotations

import http.client
import http.cookiejar
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from flask import Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from werkzeug.exceptions import HTTPException

from recert_common.errors import BadGateway, BadRequest, GatewayTimeout, ServiceUnavailable
from recert_common.http import connection_pool, pooled_session
from recert_common.metrics import Series
from recert_gateway.peers import Peer

CHUNK_SIZE = 64 * 1024
# RFC 9110 section 7.6.1, plus the non-standard "proxy-connection" and the misspelt "trailers".
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"})
# Request headers the gateway writes itself.
# ("expect": the gateway's server already answered any 100-continue; the service gets the body at once.)
_SET_BY_GATEWAY = frozenset({"host", "content-length", "expect", "x-request-id", "x-forwarded-for",
                             "x-forwarded-proto", "x-forwarded-host", "forwarded"})
# Response headers the gateway's own server writes.
_SET_BY_SERVER = frozenset({"date", "server"})
# Seconds a client should wait before retrying when a service cannot be reached.
UNREACHABLE_RETRY_AFTER = 5

_log = logging.getLogger(__name__)


# What is never passed on, each way (computed once: these run for every forwarded request).
_NOT_SENT_ON = HOP_BY_HOP | _SET_BY_GATEWAY
_NOT_PASSED_BACK = HOP_BY_HOP | _SET_BY_SERVER


def _named_in_connection(headers: list[tuple[str, str]]) -> frozenset[str]:
    """The headers a ``Connection`` header names: hop-by-hop for this one connection (RFC 9110 7.6.1)."""
    return frozenset(token.strip().lower() for name, value in headers if name.lower() == "connection"
                     for token in value.split(","))


def upstream_request_headers(headers: Iterable[tuple[str, str]], *, peer: Peer, host: str | None,
                             request_id: str | None) -> dict[str, str]:
    """The client's end-to-end headers (``Authorization`` unchanged) plus the gateway's forwarding headers."""
    headers = list(headers)
    named = _named_in_connection(headers)
    sent: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered in _NOT_SENT_ON or lowered in named:
            continue
        # One value per name; repeated request headers are a comma-separated list (RFC 9110).
        sent[name] = f"{sent[name]}, {value}" if name in sent else value
    sent["X-Forwarded-For"] = peer.forwarded_for
    sent["X-Forwarded-Proto"] = peer.proto
    if host:
        sent["X-Forwarded-Host"] = host
    if request_id:
        sent["X-Request-ID"] = request_id
    return sent


def client_response_headers(headers: Iterable[tuple[str, str]], base_url: str) -> list[tuple[str, str]]:
    """The service's headers minus hop-by-hop ones, repeated headers (``Set-Cookie``) kept apart."""
    headers = list(headers)
    named = _named_in_connection(headers)
    kept = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _NOT_PASSED_BACK or lowered in named:
            continue
        if lowered == "location":
            value = public_location(value, base_url)
        kept.append((name, value))
    return kept


def public_location(location: str, base_url: str) -> str:
    """A ``Location`` the service wrote for itself (``/v1/x`` or ``http://service/v1/x``) as ``/api/v1/x``."""
    split = urlsplit(location)
    base = urlsplit(base_url)
    if split.scheme or split.netloc:
        if (split.scheme, split.netloc) != (base.scheme, base.netloc):
            return location  # somewhere else entirely: not ours to change
        location = location[len(f"{split.scheme}://{split.netloc}"):]
    if location == "/v1" or location.startswith(("/v1/", "/v1?")):
        return "/api" + location
    return location


class ClientBodyFailed(Exception):
    """Reading the client's body failed (too large, or the client went away) while sending it on."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class RequestBody:
    """The client's body as an iterable of chunks, read only as the upstream connection sends them.

    ``length`` is the client's ``Content-Length``, sent on as that header; ``None`` means unknown (chunked).
    """

    def __init__(self, stream: Any, length: int | None):
        self._stream = stream
        self.length = length
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = self._stream.read(CHUNK_SIZE)
            except Exception as exc:  # noqa: BLE001 - any failure of the client's side ends the forwarding
                raise ClientBodyFailed(exc) from exc
            if not chunk:
                return
            self.sent += len(chunk)
            yield chunk


def request_body(request: Request) -> RequestBody | None:
    """The body to send on, or ``None`` when the client sent none.

    ``request.stream`` enforces ``request.max_content_length``: at once against ``Content-Length``, while
    reading for a chunked body.
    """
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    length = request.content_length
    if not chunked and not length:
        return None
    return RequestBody(request.stream, None if chunked else length)


def new_session(pool_size: int) -> requests.Session:
    """A session for the gateway's own calls to services (composed answers, the archive, readiness): no
    proxies or netrc from the environment, no default headers, no retries, and no cookie jar (a cookie one
    client's answer sets must never be sent with another client's request)."""
    session = pooled_session(pool_size=pool_size)
    session.headers.clear()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return session


class _PassThrough(Response):
    # No Content-Type of our own when the service sent none (a 204, say).
    default_mimetype = None
    automatically_set_content_length = False


def _is_connect_failure(exc: BaseException) -> bool:
    """Whether no connection was made at all, so the request certainly did not reach the service."""
    link: BaseException | None = exc
    for _ in range(6):
        if link is None:
            return False
        if isinstance(link, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError,
                             ConnectionRefusedError)):
            return True
        if isinstance(link, urllib3.exceptions.MaxRetryError):
            link = link.reason
            continue
        link = (link.args[0] if link.args and isinstance(link.args[0], BaseException)
                else link.__cause__ or link.__context__)
    return False


def _framing(method: str, body: bytes | RequestBody | None, headers: dict[str, str]) -> bool:
    """Set the length of the body sent on in ``headers`` (as requests did: ``Content-Length: 0`` for a
    bodiless request other than GET or HEAD); whether it goes chunked instead."""
    if isinstance(body, RequestBody):
        if body.length is None:
            return True
        headers["Content-Length"] = str(body.length)
    elif body is not None:
        headers["Content-Length"] = str(len(body))
    elif method not in ("GET", "HEAD"):
        headers["Content-Length"] = "0"
    return False


class Forwarder:
    """Sends requests on to services. One per app; safe to share between threads."""

    def __init__(self, *, connect_timeout: float, read_timeout: float,
                 registry: CollectorRegistry | None = None, pool_size: int = 32):
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.pool_size = pool_size
        self._pools: dict[str, tuple[urllib3.HTTPConnectionPool, str]] = {}
        self._pools_lock = threading.Lock()
        self._outcomes = Series(Counter(
            "gateway_upstream_requests_total",
            "Requests forwarded to services, by service and outcome (status or failure)",
            ["service", "outcome"], registry=registry))
        self._latency = Series(Histogram("gateway_upstream_response_seconds",
                                         "Time until a service's response headers arrived.", ["service"],
                                         registry=registry))

    def pool(self, base_url: str) -> tuple[urllib3.HTTPConnectionPool, str]:
        """The connection pool to the service at ``base_url``, and the path its URLs start with."""
        found = self._pools.get(base_url)
        if found is None:
            with self._pools_lock:
                found = self._pools.get(base_url)
                if found is None:
                    found = (connection_pool(base_url, pool_size=self.pool_size, timeout=self.timeout),
                             urlsplit(base_url).path.rstrip("/"))
                    self._pools[base_url] = found
        return found

    def forward(self, request: Request, *, service: str, base_url: str, path: str, peer: Peer,
                request_id: str | None, body: bytes | None = None) -> Response:
        """Forward ``request`` to ``<base_url>/<path>`` (``path`` already quoted) with its query string;
        ``body`` is the request's body when the gateway has read it already (a login), else it streams."""
        pool, prefix = self.pool(base_url)
        target = f"{prefix}/{path}"
        query = request.query_string.decode("latin-1")
        if query:
            target = f"{target}?{query}"
        headers = upstream_request_headers(request.headers.items(), peer=peer, host=request.host,
                                           request_id=request_id)
        sent = request_body(request) if body is None else body
        chunked = _framing(request.method, sent, headers)
        started = time.perf_counter()
        try:
            upstream = pool.urlopen(request.method, target, body=sent, headers=headers, retries=False,
                                    redirect=False, assert_same_host=False, timeout=self.timeout,
                                    chunked=chunked, preload_content=False, decode_content=False,
                                    release_conn=False)
        except ClientBodyFailed as exc:
            self._outcomes(service, "client_body_failed").inc()
            if isinstance(exc.cause, HTTPException):
                raise exc.cause from None  # werkzeug's 413 (over the limit) or 400 (client disconnected)
            raise BadRequest(code="detail.body_unreadable") from exc
        except urllib3.exceptions.ConnectTimeoutError as exc:  # NewConnectionError (refused, DNS) is one too
            raise self._failed(service, "unreachable", request, exc) from None
        except urllib3.exceptions.TimeoutError as exc:
            raise self._failed(service, "timeout", request, exc) from None
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            outcome = "unreachable" if _is_connect_failure(exc) else "broken"
            raise self._failed(service, outcome, request, exc) from None
        self._latency(service).observe(time.perf_counter() - started)
        self._outcomes(service, str(upstream.status)).inc()
        response = _PassThrough(
            _relay(upstream, service),
            status=upstream.status,
            headers=client_response_headers(upstream.headers.items(), base_url),
            direct_passthrough=True,
        )
        response.call_on_close(lambda: _release(upstream))
        return response

    def close(self) -> None:
        with self._pools_lock:
            for pool, _ in self._pools.values():
                pool.close()
            self._pools.clear()

    def _failed(self, service: str, outcome: str, request: Request, exc: Exception) -> Exception:
        self._outcomes(service, outcome).inc()
        _log.warning("upstream request failed", extra={
            "service": service, "outcome": outcome, "method": request.method, "path": request.path,
            "error": f"{type(exc).__name__}: {exc}"})
        params: Mapping[str, Any] = {"service": service}
        if outcome == "unreachable":
            return ServiceUnavailable(code="detail.upstream_unreachable", params=params,
                                      retry_after=UNREACHABLE_RETRY_AFTER)
        if outcome == "timeout":
            return GatewayTimeout(code="detail.upstream_timeout", params=params)
        return BadGateway(code="detail.upstream_error", params={**params, "status": "-"})


def _release(upstream: urllib3.BaseHTTPResponse) -> None:
    """Give the connection back: read to the end, urllib3 has pooled it already; cut short (the client went
    away), it is closed first, so that no half-read answer is ever reused."""
    upstream.close()
    upstream.release_conn()


def _relay(upstream: urllib3.BaseHTTPResponse, service: str) -> Iterator[bytes]:
    try:
        yield from upstream.stream(CHUNK_SIZE, decode_content=False)
    except Exception as exc:
        # The status line is gone already: all that is left is to break the connection, so that the client
        # sees a truncated answer as truncated rather than as complete.
        _log.warning("upstream response broke off", extra={"service": service,
                                                            "error": f"{type(exc).__name__}: {exc}"})
        raise
