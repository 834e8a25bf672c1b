"""JSON log lines on stdout, one object per line, each with the correlation id of the work in progress.

Every line has ``timestamp`` (RFC 3339, UTC), ``level``, ``logger``, ``message``, ``service`` and
``request_id`` (from ``recert_common.context``: the ``X-Request-ID`` of a web request or the
``correlation_id`` of the event a worker handles), plus whatever the call passed in ``extra``.
"""
from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from recert_common.context import get_correlation_id


class JsonLogFormatter(JsonFormatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        created = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["timestamp"] = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["service"] = self.service
        # A record stamped elsewhere (another thread, a queue) keeps its own id.
        log_data["request_id"] = getattr(record, "request_id", None) or get_correlation_id()
        super().add_fields(log_data, record, message_dict)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (test runners replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(
    service: str, level: str | int = "INFO", *, stream: IO[str] | None = None
) -> logging.Handler:
    """Send the root logger's records as JSON lines to ``stream`` (default: stdout); returns the handler.

    Idempotent: a second call replaces the handler of the first, so app factories and tests may call it
    freely; handlers installed by others (pytest's log capture) are left alone.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_recert_json", False):
            root.removeHandler(handler)
    handler: logging.Handler = _StdoutHandler() if stream is None else logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter(service))
    handler._recert_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
