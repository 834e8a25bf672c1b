"""Fetching several services' JSON documents at once, for composed endpoints (a dashboard) and the merged
OpenAPI document.

``Composer.fetch`` starts every call on a shared thread pool and waits at most ``timeout`` seconds in all;
what arrived in time is returned with the names of the calls that did not and why, so that a composed
answer can show what it has and say what is missing instead of failing whole. A call still running at the
deadline goes on in the background until its own HTTP timeout (the same ``timeout``) ends it.
"""
from __future__ import annotations

import contextvars
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from recert_common.http import (
    InvalidServiceResponse,
    ServiceClient,
    ServiceResponseError,
    ServiceTimeout,
    ServiceUnreachable,
)


@dataclass(frozen=True)
class Call:
    """``GET <service URL><path>`` with ``params`` as the query."""

    service: str
    path: str
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Composed:
    documents: dict[str, Any] = field(default_factory=dict)
    # Name of each call that gave nothing -> why: "timeout", "unreachable", "status 404", "invalid", "error".
    missing: dict[str, str] = field(default_factory=dict)
    # The exception of each call that failed (not of those cut off by the deadline): a composed endpoint
    # reads the status and problem document of a ServiceResponseError from it.
    errors: dict[str, BaseException] = field(default_factory=dict)


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ServiceTimeout):
        return "timeout"
    if isinstance(exc, ServiceUnreachable):
        return "unreachable"
    if isinstance(exc, ServiceResponseError):
        return f"status {exc.status}"
    if isinstance(exc, InvalidServiceResponse):
        return "invalid"
    return "error"


class Composer:
    def __init__(self, clients: Mapping[str, ServiceClient], *, max_workers: int = 16,
                 timeout: float = 2.0):
        self.clients = dict(clients)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="compose")

    def fetch(self, calls: Mapping[str, Call], *, token: str | None = None, timeout: float | None = None,
              headers: Mapping[str, str] | None = None) -> Composed:
        """Run ``calls`` concurrently, with ``token`` (the caller's access token), this request's id and
        ``headers`` (say the caller's ``Accept-Language``)."""
        unknown = sorted({call.service for call in calls.values()} - self.clients.keys())
        if unknown:
            raise ValueError(f"no client for {', '.join(unknown)}")
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        futures: dict[str, Future] = {
            # Each call runs in a copy of this context, so it sends this request's X-Request-ID.
            name: self._executor.submit(contextvars.copy_context().run, self._get, call, token, timeout,
                                        headers)
            for name, call in calls.items()
        }
        wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()))
        result = Composed()
        for name, future in futures.items():
            if not future.done():
                future.cancel()  # still queued: never started; running: abandoned to its own timeout
                result.missing[name] = "timeout"
            elif future.exception() is not None:
                result.missing[name] = failure_reason(future.exception())
                result.errors[name] = future.exception()
            else:
                result.documents[name] = future.result()
        return result

    def _get(self, call: Call, token: str | None, timeout: float, headers: Mapping[str, str] | None) -> Any:
        return self.clients[call.service].get(call.path, params=call.params, token=token, timeout=timeout,
                                              headers=headers)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
