"""Prometheus metrics of a Flask app, served at ``GET /metrics``.

Each app has its own ``CollectorRegistry`` (kept in ``app.extensions["recert_metrics"]``) so that several apps
in one process, as in the tests, do not register the same series twice. Services add their own metrics to
that registry with ``app_registry(app)``.

The ``web`` command runs several gunicorn processes, and a scrape reaches one of them: each would show only
its own counts, and Prometheus would see a counter jump between processes at every scrape. So ``web`` runs
prometheus_client's multiprocess mode (``use_multiprocess_dir``): every process writes its values to files in
one directory, and ``/metrics`` answers with the sum over all of them, whichever process serves it.
"""
from __future__ import annotations

import os
import tempfile
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable


def use_multiprocess_dir() -> str:
    """Put this process, and the processes it forks from now on, in multiprocess mode with a fresh directory
    of their own; returns it (the caller removes it when the processes are done).

    prometheus_client chooses how to keep values when it is imported, which in a service's ``web`` command
    happens before the command runs: it is chosen again here, before any metric exists (the app, and so its
    metrics, is made in each forked process).
    """
    directory = tempfile.mkdtemp(prefix="recert-metrics-")
    os.environ[MULTIPROCESS_DIR] = directory
    values.ValueClass = values.get_value_class()
    return directory


def _exposition(registry: CollectorRegistry) -> bytes:
    if os.environ.get(MULTIPROCESS_DIR):
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        return generate_latest(combined)
    return generate_latest(registry)

_EXTENSION = "recert_metrics"
UNMATCHED = "<unmatched>"


class Series:
    """A labelled metric's series, each found once by its label values: ``labels()`` checks and locks on
    every call, and these are counted on every request. As bounded as the label values themselves."""

    def __init__(self, metric: Any):
        self._metric = metric
        self._found: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        found = self._found.get(values)
        if found is None:
            found = self._found.setdefault(values, self._metric.labels(*values))
        return found


def install_metrics(app: Flask, *, path: str = "/metrics") -> CollectorRegistry:
    """Count requests and time them by endpoint (the URL rule, never the raw path), method and status."""
    registry = CollectorRegistry(auto_describe=True)
    requests_total = Series(Counter(
        "http_requests_total", "HTTP requests answered.", ["endpoint", "method", "status"], registry=registry
    ))
    latency = Series(Histogram(
        "http_request_duration_seconds",
        "Time from the start of a request to its response.",
        ["endpoint", "method", "status"],
        registry=registry,
    ))
    app.extensions[_EXTENSION] = registry

    @app.before_request
    def _start_timer() -> None:
        g._recert_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("_recert_started", None)
        if started is not None:
            # The rule keeps the label set bounded: /v1/cases/<uuid:case_id>, not one label per case.
            current = request._get_current_object()  # type: ignore[attr-defined]  # one lookup, not three
            rule = current.url_rule
            labels = (rule.rule if rule is not None else UNMATCHED, current.method, str(response.status_code))
            requests_total(*labels).inc()
            latency(*labels).observe(time.perf_counter() - started)
        return response

    def metrics() -> Response:
        return Response(_exposition(registry), content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule(path, endpoint="recert_metrics", view_func=metrics, methods=["GET"])
    return registry


def app_registry(app: Flask) -> CollectorRegistry:
    return app.extensions[_EXTENSION]
