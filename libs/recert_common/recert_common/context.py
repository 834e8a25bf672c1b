"""The correlation id of the work in progress.

A web request sets it from ``X-Request-ID``; a consumer sets it from the event it handles. Everything that
logs or publishes reads it from here, so the id travels from the gateway into events and log lines without
being passed by hand.
"""
from __future__ import annotations

import contextlib
import contextvars
import uuid

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def new_correlation_id() -> str:
    return str(uuid.uuid4())


@contextlib.contextmanager
def correlation(correlation_id: str | None):
    token = _correlation_id.set(correlation_id or new_correlation_id())
    try:
        yield _correlation_id.get()
    finally:
        _correlation_id.reset(token)


def set_correlation_id(correlation_id: str | None) -> contextvars.Token:
    return _correlation_id.set(correlation_id)


def reset_correlation_id(token: contextvars.Token) -> None:
    _correlation_id.reset(token)
