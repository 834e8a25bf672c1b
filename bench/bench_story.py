"""The whole story of `make demo`, end to end, in seconds.

All six services and the gateway run as real processes (as in ``tests/integration/test_demo.py``), with an
SMTP sink started here, the demo accounts seeded as `make dev` seeds them and a folder laid out like
``.dev/``; ``scripts/demo.py``'s ``run_story`` walks the story ``--runs`` times against that one system.
The first run is the cold one (the staff link their authenticator apps, every process meets its first
request of each kind); the later runs are what `make demo` takes against a running `make dev`.

Baseline, in the same runs: the time the story's own HTTP requests took, one after the other; that is the
story's floor if every event's effect were there at once and no login had to wait for a TOTP time step.
Every second of a run is put in one of four places: in HTTP requests, asleep between polls for an event's
effect, asleep until a fresh TOTP time step (identity refuses a step it has accepted before, so a person
logging in twice within 30 s waits, as an authenticator app's user would), and the rest (the client's own
work: PDFs, signatures, reading e-mails).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "scripts"))

import requests  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

import demo  # noqa: E402
import smtp_sink  # noqa: E402
from common import drop_databases, write_result  # noqa: E402
from conftest import _from_local_machine  # noqa: E402
from ports import free_port  # noqa: E402
from processes import System  # noqa: E402

SERVICES = ["identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"]
WEBHOOK_SECRET = "bench-story-webhook-secret"


class Clockwork:
    """Where the story's thread spends its time: every HTTP request and every sleep, by who slept."""

    def __init__(self):
        self.thread = threading.get_ident()
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self._request = requests.Session.request
        self._sleep = time.sleep

    def __enter__(self) -> Clockwork:
        clockwork, request, sleep = self, self._request, self._sleep

        def timed_request(session, *args, **kwargs):
            started = time.perf_counter()
            try:
                return request(session, *args, **kwargs)
            finally:
                clockwork.add("http", time.perf_counter() - started)

        def timed_sleep(seconds):
            # The function that slept: demo_client.poll between probes, Authenticator.fresh_code for TOTP.
            caller = sys._getframe(1).f_code.co_name
            started = time.perf_counter()
            try:
                sleep(seconds)
            finally:
                kind = {"poll": "event_polls", "fresh_code": "totp_step"}.get(caller, "other_sleep")
                clockwork.add(kind, time.perf_counter() - started)

        requests.Session.request = timed_request
        time.sleep = timed_sleep
        return self

    def __exit__(self, *exc) -> None:
        requests.Session.request = self._request
        time.sleep = self._sleep

    def add(self, kind: str, seconds: float) -> None:
        if threading.get_ident() == self.thread:
            self.seconds[kind] += seconds
            self.counts[kind] += 1



def one_run(system: System, dev_dir: Path) -> dict:
    out = io.StringIO()
    # The SMTP sink prints a line per e-mail; the bench's own output is its JSON.
    with Clockwork() as clock, contextlib.redirect_stdout(io.StringIO()):
        result = demo.run_story(system.gateway, dev_dir=dev_dir, out=out)
    if not result.ok:
        print(out.getvalue())
        print(system.logs())
        raise RuntimeError(f"the story stopped at step {result.failed_step!r}")
    accounted = sum(clock.seconds.values())
    return {
        "seconds": round(result.seconds, 2),
        "baseline_http_seconds": round(clock.seconds["http"], 2),
        "http_requests": clock.counts["http"],
        "waiting_for_events_seconds": round(clock.seconds["event_polls"], 2),
        "event_poll_sleeps": clock.counts["event_polls"],
        "waiting_for_totp_step_seconds": round(clock.seconds["totp_step"], 2),
        "other_seconds": round(result.seconds - accounted, 2),
        "steps_seconds": {title: round(seconds, 2) for title, seconds in result.step_seconds},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="runs against one system; the first is cold")
    parser.add_argument("--out", default="bench-results/story.json")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the S3 server's line per request
    load_before = os.getloadavg()

    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as work:
        work = Path(work)
        dev_dir = work / "dev"
        smtp = Controller(smtp_sink.StoreMessages(dev_dir / "mail"), hostname="127.0.0.1", port=free_port())
        smtp.start()
        system = System(infra, SERVICES, work / "logs", extra_env={
            "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(smtp.port),
            # Several runs log the staff in within a minute; `make dev`'s limit is per client address.
            "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        })
        try:
            started = time.perf_counter()
            system.start()
            seeded = subprocess.run([sys.executable, "-m", "recert_identity", "seed-demo"], env=system.env,
                                    capture_output=True, text=True, timeout=60, check=True)
            (dev_dir / "seed.json").write_text(seeded.stdout)
            (dev_dir / "secrets.json").write_text(json.dumps({"billing_webhook_secret": WEBHOOK_SECRET}))
            startup = time.perf_counter() - started
            runs = [one_run(system, dev_dir) for _ in range(args.runs)]
        finally:
            system.stop()
            smtp.stop()
            drop_databases(infra.databases)

    warm = runs[1:] or runs
    write_result(args.out, "story", {
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "steps": len(runs[0]["steps_seconds"]),
        "system_start_seconds": round(startup, 1),
        "first_run_seconds": runs[0]["seconds"],
        "later_runs_median_seconds": round(statistics.median(run["seconds"] for run in warm), 2),
        "later_runs_median_baseline_http_seconds": round(
            statistics.median(run["baseline_http_seconds"] for run in warm), 2),
        "runs": runs,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
