"""The one client for synchronous calls between services (DESIGN.md section 2: the exception, not the rule).

``ServiceClient("http://assessment:8000", service="assessment").get("/v1/cases/1", token=token)`` returns
the parsed JSON body. It forwards the correlation id as ``X-Request-ID`` and a bearer token when given, and
turns every failure into a ``ServiceCallError``; left uncaught in a view, that becomes a 503, 504 or 502
problem (see ``to_problem``).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from recert_common.context import get_correlation_id
from recert_common.errors import PROBLEM_JSON, BadGateway, GatewayTimeout, Problem, ServiceUnavailable

_log = logging.getLogger(__name__)

# A server closes a keep-alive connection that stayed idle for its keep-alive time; a client that picks that
# connection from its pool at the same moment sends its request into the closing socket and gets a
# "connection reset" (measured: 2 in 1,047 requests against gunicorn's default of 2 s). Our servers keep idle
# connections for SERVER_KEEPALIVE_SECONDS and our clients never reuse one idle for CLIENT_IDLE_SECONDS or
# longer, so the server is never the one to close a connection a client may still pick.
SERVER_KEEPALIVE_SECONDS = 75
CLIENT_IDLE_SECONDS = 30.0


class _IdleLimited:
    """A connection pool that reconnects instead of reusing a connection idle for ``idle_seconds``."""

    idle_seconds = CLIENT_IDLE_SECONDS

    def _put_conn(self, conn):
        if conn is not None:
            conn.recert_idle_since = time.monotonic()
        super()._put_conn(conn)

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        idle_since = getattr(conn, "recert_idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since >= self.idle_seconds:
            conn.close()  # the next request on it opens a fresh socket
        return conn


def _idle_limited_pool_classes(idle_seconds: float) -> dict[str, type[urllib3.HTTPConnectionPool]]:
    bases = (("http", urllib3.HTTPConnectionPool), ("https", urllib3.HTTPSConnectionPool))
    return {scheme: type(f"IdleLimited{base.__name__}", (_IdleLimited, base), {"idle_seconds": idle_seconds})
            for scheme, base in bases}


class _IdleLimitedAdapter(HTTPAdapter):
    def __init__(self, *, idle_seconds: float, **kwargs: Any):
        self._pool_classes = _idle_limited_pool_classes(idle_seconds)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes


def pooled_session(*, pool_size: int = 10, idle_seconds: float = CLIENT_IDLE_SECONDS) -> requests.Session:
    """A session for calls between our processes: no proxies or netrc from the environment, no retries (a
    caller decides what may be repeated), and no reuse of a connection the server may be closing."""
    session = requests.Session()
    session.trust_env = False
    adapter = _IdleLimitedAdapter(idle_seconds=idle_seconds, pool_connections=16, pool_maxsize=pool_size,
                                  max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def connection_pool(base_url: str, *, pool_size: int = 10, idle_seconds: float = CLIENT_IDLE_SECONDS,
                    timeout: urllib3.Timeout | None = None) -> urllib3.HTTPConnectionPool:
    """urllib3's pool of keep-alive connections to one server (``http://host:port``), on the rules of
    ``pooled_session`` (no retries, no proxies from the environment, no reuse of a connection idle for
    ``idle_seconds``), for a caller that needs no more than urllib3: the gateway's forwarding, where
    requests' own work per call cost as much as the exchange itself (docs/performance.md)."""
    url = urllib3.util.parse_url(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    pool_class = _idle_limited_pool_classes(idle_seconds)[url.scheme]
    return pool_class(url.host, url.port, maxsize=pool_size, block=False, retries=False,
                      timeout=timeout or urllib3.Timeout(connect=5.0, read=30.0))


class ServiceCallError(Exception):
    """A call to another service failed."""

    def __init__(self, message: str, *, service: str, method: str, url: str):
        super().__init__(message)
        self.service = service
        self.method = method
        self.url = url

    def to_problem(self) -> Problem:
        return BadGateway(code="detail.upstream_error", params={"service": self.service, "status": "-"})


class ServiceUnreachable(ServiceCallError):
    """No connection could be made (refused, DNS, TLS)."""

    def to_problem(self) -> Problem:
        return ServiceUnavailable(code="detail.upstream_unreachable", params={"service": self.service})


class ServiceTimeout(ServiceCallError):
    """The service did not answer within the timeout."""

    def to_problem(self) -> Problem:
        return GatewayTimeout(code="detail.upstream_timeout", params={"service": self.service})


class ServiceResponseError(ServiceCallError):
    """The service answered with a status outside 2xx; ``problem`` is its problem document if it sent one."""

    def __init__(
        self, message: str, *, status: int, problem: Mapping[str, Any] | None, body: str, **kwargs: Any
    ):
        super().__init__(message, **kwargs)
        self.status = status
        self.problem = problem
        self.body = body

    def to_problem(self) -> Problem:
        return BadGateway(code="detail.upstream_error",
                          params={"service": self.service, "status": self.status})


class InvalidServiceResponse(ServiceCallError):
    """The service answered 2xx with a body that is not JSON."""


class ServiceClient:
    """Calls one service at ``base_url``. Safe to share between threads of one process."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str | None = None,
        timeout: float = 5.0,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.service = service or self.base_url
        self.timeout = timeout
        self._session = session or pooled_session()

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """The parsed JSON body of the answer (``None`` for an empty body, as with 204)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        sent_headers = {"Accept": "application/json", **(headers or {})}
        correlation_id = get_correlation_id()
        if correlation_id:
            sent_headers["X-Request-ID"] = correlation_id
        if token:
            sent_headers["Authorization"] = f"Bearer {token}"
        where = {"service": self.service, "method": method, "url": url}
        started = time.perf_counter()
        try:
            response = self._session.request(method, url, params=params, json=json, headers=sent_headers,
                                             timeout=timeout or self.timeout)
        except requests.ConnectTimeout as exc:
            # Nothing reached the service, so (unlike a read timeout) the call certainly had no effect.
            raise ServiceUnreachable(f"{method} {url}: connect timed out", **where) from exc
        except requests.Timeout as exc:
            raise ServiceTimeout(f"{method} {url} timed out", **where) from exc
        except requests.ConnectionError as exc:
            raise ServiceUnreachable(f"{method} {url}: cannot connect", **where) from exc
        except requests.RequestException as exc:
            raise ServiceCallError(f"{method} {url}: {exc}", **where) from exc
        _log.debug("service call", extra={**where, "status": response.status_code,
                                          "duration_ms": round((time.perf_counter() - started) * 1000, 3)})
        if not 200 <= response.status_code < 300:
            raise ServiceResponseError(
                f"{method} {url} answered {response.status_code}",
                status=response.status_code, problem=_problem_of(response), body=response.text[:2000],
                **where)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise InvalidServiceResponse(f"{method} {url} answered a body that is not JSON", **where) from exc


def _problem_of(response: requests.Response) -> Mapping[str, Any] | None:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if content_type not in (PROBLEM_JSON, "application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, Mapping) else None
