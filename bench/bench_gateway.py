"""Gateway overhead: the PE summary through the gateway against the same request straight to pe-registry.

One jobcoach with 50 activities; identity, pe-registry and the gateway run as real processes (gunicorn, one
worker of 8 threads each, as ``make dev`` runs them). The same token asks ``GET /api/v1/pe/summary`` of the
gateway and ``GET /v1/pe/summary`` of pe-registry: first one request at a time (latency without queueing),
then ``--threads`` client threads at once (throughput and latency under load). The two ways alternate in
rounds, so that a drift of the machine (a PostgreSQL checkpoint, another process waking up) falls on both.

A third way, the gateway's own ``GET /healthz``, is the floor: what any request through the gateway costs
(gunicorn, Flask and the hooks) without forwarding. ``goals`` in the result has issue 16's three goals, each
with its figure, its baseline of the same run and whether it is met.

Beside the client-side figures it reports the CPU time each process spent per request (from
/proc/<pid>/stat): on a machine where client, gateway, service and PostgreSQL share the cores, the gateway's
CPU milliseconds per request are what it costs, whatever the wall-clock figures say.

``--profile FILE`` runs the same load against a gateway whose request threads run under cProfile, timed in
the thread's CPU time (the whole of gunicorn's handling of each request: parsing, the app, writing the
answer; not the main thread's polling for connections), and writes the
statistics to FILE (pstats) and where the time went, by component, to FILE.txt; it writes no figures, since
the profiler's own cost would be in them.

``--in-process`` measures instead the gateway app's own CPU per request in this process, without gunicorn,
client or network in the figure (the thread's CPU time around Flask's WSGI call): ``/healthz`` (the hooks
every request runs) and a forwarded, authenticated GET to a fake identity, with the rate limits on (in
memory) and the access log on, as in production. It needs no database or broker; on a loaded machine it is
the steadiest figure of the gateway's own code, for comparing two versions of it run one after the other.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import cProfile
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import requests  # noqa: E402

from recert_common.rules import add_years  # noqa: E402

from common import (  # noqa: E402
    backend_pids,
    child_pids,
    drop_databases,
    goal,
    percentile,
    process_cpu_seconds,
    write_result,
)
from conftest import _from_local_machine  # noqa: E402
from frontend import Frontend, outbox_tokens  # noqa: E402
from processes import System  # noqa: E402

ACTIVITIES = 50


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime



class Load:
    """``count`` GETs of ``url`` from ``threads`` threads, each with its own keep-alive session."""

    def __init__(self, url: str, token: str, threads: int):
        self.url, self.threads = url, threads
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "nl"}
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(threads)

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def _run(self, count: int) -> list[float]:
        session, latencies = self._session(), []
        for _ in range(count):
            started = time.perf_counter()
            response = session.get(self.url, headers=self.headers, timeout=30)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{self.url}: {response.status_code} {response.text[:300]}")
        return latencies

    def run(self, count: int) -> tuple[list[float], float]:
        """Latencies (ms) of ``count`` requests, and the wall-clock seconds they took together."""
        shares = [count // self.threads + (1 if n < count % self.threads else 0) for n in range(self.threads)]
        started = time.perf_counter()
        results = list(self.pool.map(self._run, shares))
        return [value for chunk in results for value in chunk], time.perf_counter() - started

    def close(self) -> None:
        self.pool.shutdown()


# --- profiling ---------------------------------------------------------------------------------------------

# Self time by where the code lives, first match wins; C functions ("~") are counted apart.
COMPONENTS = (
    ("token verification (PyJWT, cryptography, recert_common.auth)", ("/jwt/", "/cryptography/",
                                                                     "recert_common/auth.py")),
    ("HTTP client to the service (requests, urllib3, http.client)", ("/requests/", "/urllib3/",
                                                                      "/http/client.py", "/http/cookiejar.py",
                                                                      "recert_common/http.py")),
    ("logging (access log, JSON formatter)", ("/logging/", "/pythonjsonlogger/", "recert_common/logging.py",
                                             "recert_common/context.py")),
    ("metrics (prometheus_client)", ("/prometheus_client/", "recert_common/metrics.py")),
    ("rate limiting (flask_limiter, limits)", ("/flask_limiter/", "/limits/", "recert_gateway/ratelimit.py")),
    ("the gateway's own code (routes, headers, peers, CORS)", ("recert_gateway/",)),
    ("the services' shared Flask hooks (recert_common.web, errors)", ("recert_common/",)),
    ("Flask and werkzeug", ("/flask/", "/werkzeug/", "/flask_smorest/", "/blinker/", "/contextvars")),
    ("gunicorn (HTTP parsing, writing, the thread pool)", ("/gunicorn/", "/concurrent/", "/selectors.py",
                                                          "/socket.py", "/threading.py", "/queue.py")),
    ("C functions (socket I/O, locks, builtins)", ("~",)),
)
# Cumulative time of the calls that matter: (label, file suffix, function name).
KEY_CALLS = (
    ("gunicorn handles one request (all of it)", "gunicorn/workers/gthread.py", "handle"),
    ("Flask: the app for one request", "flask/app.py", "wsgi_app"),
    ("Flask: before_request hooks", "flask/app.py", "preprocess_request"),
    ("Flask: after_request hooks", "flask/app.py", "process_response"),
    ("TokenVerifier.verify", "recert_common/auth.py", "verify"),
    ("Forwarder.forward (up to the service's headers)", "recert_gateway/proxy.py", "forward"),
    ("requests: Session.request", "requests/sessions.py", "request"),
    ("urllib3: urlopen", "urllib3/connectionpool.py", "urlopen"),
    ("urllib3/http.client: the service's response headers", "http/client.py", "getresponse"),
    ("relaying the body (_relay)", "recert_gateway/proxy.py", "_relay"),
    ("access log line", "recert_common/web.py", "_log_request"),
    ("metrics hook", "recert_common/metrics.py", "_observe"),
    ("logging: Logger.handle", "logging/__init__.py", "handle"),
    ("prometheus: Histogram.observe", "prometheus_client/metrics.py", "observe"),
    ("prometheus: Counter.inc", "prometheus_client/metrics.py", "inc"),
)


def serve_profiled(out_dir: str, argv: list[str]) -> int:
    """The gateway's ``web`` command, each request's handling in gunicorn's threads run under cProfile; each
    worker writes its statistics to ``out_dir`` when it exits."""
    from gunicorn.workers import gthread

    from recert_common.runtime import main as run
    from recert_gateway.__main__ import SPEC

    profiles: list[cProfile.Profile] = []
    local = threading.local()
    lock = threading.Lock()
    handle = gthread.ThreadWorker.handle

    def profiled_handle(self, conn):
        profile = getattr(local, "profile", None)
        if profile is None:
            profile = local.profile = cProfile.Profile(time.thread_time)  # CPU time, not waits
            with lock:
                profiles.append(profile)
        profile.enable()
        try:
            return handle(self, conn)
        finally:
            profile.disable()

    def dump() -> None:
        with lock:
            if not profiles:
                return  # the arbiter, which serves no request
            stats = pstats.Stats(profiles[0])
            for profile in profiles[1:]:
                stats.add(profile)
        stats.dump_stats(os.path.join(out_dir, f"gateway-{os.getpid()}.pstats"))

    gthread.ThreadWorker.handle = profiled_handle
    atexit.register(dump)
    return run(SPEC, argv)


def start_profiled_gateway(system: System, out_dir: str) -> None:
    """Replace the system's gateway by one under the profiler, on the same port and environment."""
    from processes import Process

    old = next(process for process in system.processes if process.name == "gateway-web")
    old.stop()
    system.processes.remove(old)
    log = Path(system.log_dir) / "gateway-web-profiled.log"
    popen = subprocess.Popen(
        [sys.executable, __file__, "--serve-profiled", out_dir, "web", "--port",
         str(system.ports["gateway"])],
        env=system.env_of("gateway"), stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        start_new_session=True)
    process = Process("gateway-web", popen, log)
    system.processes.append(process)
    system.wait_healthy("gateway", process)


def summarize_profile(stats: pstats.Stats, requests_: int) -> str:
    """Where the time went, per request: self time by component, and the cumulative time of key calls."""
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in table.values())
    by_component: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in table.items():
        label = next((name for name, needles in COMPONENTS if any(needle in filename for needle in needles)),
                     "other Python")
        by_component[label] = by_component.get(label, 0.0) + own
    handled = max((entry[1] for key, entry in table.items()
                   if key[0].endswith("gunicorn/workers/gthread.py") and key[2] == "handle"), default=0)
    count = handled or requests_
    lines = [f"requests handled under the profiler: {count}; profiled thread CPU per request: "
             f"{total * 1000 / count:.3f} ms (cProfile's own cost included)", "",
             "self time by component (ms per request, share):"]
    for label, seconds in sorted(by_component.items(), key=lambda item: -item[1]):
        lines.append(f"  {seconds * 1000 / count:7.3f}  {seconds / total:6.1%}  {label}")
    lines += ["", "cumulative time of key calls (ms per request, calls per request):"]
    for label, suffix, name in KEY_CALLS:
        found = [entry for key, entry in table.items() if key[0].endswith(suffix) and key[2] == name]
        if found:
            cumulative = sum(entry[3] for entry in found)
            calls = sum(entry[1] for entry in found)
            lines.append(f"  {cumulative * 1000 / count:7.3f}  {calls / count:5.2f}  {label}")
    return "\n".join(lines)


def figures(latencies: list[float], seconds: float, cpu: dict[str, float]) -> dict:
    count = len(latencies)
    return {"requests": count, "requests_per_second": round(count / seconds, 1),
            "latency_ms": {"p50": round(percentile(latencies, 50), 2),
                           "p99": round(percentile(latencies, 99), 2), "max": round(max(latencies), 2)},
            "cpu_ms_per_request": {name: round(value * 1000 / count, 3) for name, value in cpu.items()}}


def overhead(through: dict, direct: dict) -> dict:
    rps_ratio = through["requests_per_second"] / direct["requests_per_second"]
    return {"requests_per_second_ratio": round(rps_ratio, 3),
            "p50_ms_added": round(through["latency_ms"]["p50"] - direct["latency_ms"]["p50"], 2),
            "p99_ms_added": round(through["latency_ms"]["p99"] - direct["latency_ms"]["p99"], 2),
            "p50_ratio": round(through["latency_ms"]["p50"] / direct["latency_ms"]["p50"], 2),
            "p99_ratio": round(through["latency_ms"]["p99"] / direct["latency_ms"]["p99"], 2)}


def prepare(system: System) -> tuple[str, dict]:
    """A signed-in jobcoach with a certificate period and ``ACTIVITIES`` activities; its token and summary."""
    app = Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))
    person = app.login(app.register())
    valid_until = date.today() + timedelta(days=400)
    system.publish("certification.certificate.registered", {
        "certificate_id": uuid.uuid4(), "certificate_number": f"RJ-{uuid.uuid4().hex[:8]}",
        "account_id": person.id, "valid_from": add_years(valid_until, -4), "valid_until": valid_until,
    }, subject=person.id, producer="assessment")
    deadline = time.monotonic() + 30
    while app.get("pe/summary", person).json()["period"]["source"] != "certificate":
        if time.monotonic() > deadline:
            raise RuntimeError("pe-registry never learnt the certificate period")
        time.sleep(0.2)
    for n in range(ACTIVITIES):
        response = app.post("pe/activities", person, json={
            "title": f"Activiteit {n}", "provider": "Opleider", "category": n % 6 + 1, "unit": "sbu",
            "amount": str(n % 9 + 2), "completed_on": str(date.today() - timedelta(days=20 * n))})
        if response.status_code != 201:
            raise RuntimeError(response.text)
    return person.access_token, app.get("pe/summary", person).json()


def measure(system: System, token: str, *, requests_: int, threads: int, rounds: int,
            floor: bool = True) -> dict:
    # The third way is the floor: a request the gateway answers itself (/healthz: the server, Flask and
    # every hook but the access line), so that the cost of forwarding can be told from the cost of serving.
    ways = {"through_gateway": f"{system.gateway}/api/v1/pe/summary",
            "direct_to_service": f"{system.url('pe-registry')}/v1/pe/summary"}
    if floor:
        ways["gateway_healthz"] = f"{system.gateway}/healthz"
    named = {process.name: process for process in system.processes}
    processes = {"gateway": named["gateway-web"], "pe_registry": named["pe-registry-web"],
                 "identity": named["identity-web"]}
    pids = {name: [process.popen.pid, *child_pids(process.popen.pid)] for name, process in processes.items()}

    def cpu_now() -> dict[str, float]:
        return {"client": client_cpu_seconds(),
                **{name: sum(map(process_cpu_seconds, p)) for name, p in pids.items()}}

    result = {}
    for label, concurrency, total in (("sequential", 1, max(requests_ // 4, 200)),
                                      ("concurrent", threads, requests_)):
        loads = {way: Load(url, token, concurrency) for way, url in ways.items()}
        for load in loads.values():
            load.run(max(total // 10, 50))  # warm-up: connections, caches, the JWKS fetch
        # After the warm-up: the services' pools have opened the backends this concurrency needs.
        pids["postgres"] = backend_pids([system.database_url(name) for name in system.services])
        latencies = {way: [] for way in ways}
        seconds = {way: 0.0 for way in ways}
        cpu = {way: {} for way in ways}
        for _ in range(rounds):
            for way, load in loads.items():
                before = cpu_now()
                values, elapsed = load.run(total // rounds)
                after = cpu_now()
                latencies[way] += values
                seconds[way] += elapsed
                for name in after:
                    cpu[way][name] = cpu[way].get(name, 0.0) + after[name] - before[name]
        for load in loads.values():
            load.close()
        measured = {way: figures(latencies[way], seconds[way], cpu[way]) for way in ways}
        result[label] = {"client_threads": concurrency, **measured,
                         "overhead": overhead(measured["through_gateway"], measured["direct_to_service"])}
    if floor:
        result["goals"] = goals(result)
    return result


def goals(result: dict) -> list[dict]:
    """Issue 16's three goals (``common.goal``), each with its figure and its baseline of the same run.

    The gateway's CPU per request has the gateway's own ``/healthz`` as its baseline: what any request costs
    it without forwarding (gunicorn, Flask and the hooks)."""
    concurrent, sequential = result["concurrent"], result["sequential"]
    cpu = concurrent["through_gateway"]["cpu_ms_per_request"]
    floor = concurrent["gateway_healthz"]["cpu_ms_per_request"]["gateway"]
    rps_gateway = concurrent["through_gateway"]["requests_per_second"]
    rps_direct = concurrent["direct_to_service"]["requests_per_second"]
    p50_gateway = sequential["through_gateway"]["latency_ms"]["p50"]
    p50_direct = sequential["direct_to_service"]["latency_ms"]["p50"]
    added = sequential["overhead"]["p50_ms_added"]
    return [
        goal("gateway's own CPU per proxied request, 8 threads (baseline: its /healthz)", "<= 0.7 ms",
             cpu["gateway"], floor, "ms", met=cpu["gateway"] <= 0.7),
        goal("requests/s through the gateway, 8 threads (baseline: straight to pe-registry)", ">= 0.8 x",
             rps_gateway, rps_direct, "/s", met=rps_gateway >= 0.8 * rps_direct),
        goal(f"p50 one at a time, {added:+.2f} ms added (baseline: straight to pe-registry)", "<= +1 ms",
             p50_gateway, p50_direct, "ms", met=added <= 1.0),
    ]


def in_process(count: int, blocks: int = 5) -> dict:
    """The gateway app's own CPU per request in this thread (see the docstring): the best of ``blocks``
    blocks of ``count / blocks`` requests each way, after a warm-up."""
    from gateway_fakes import IDENTITY_ROUTES, FakeService, TokenMaker, serve
    from werkzeug.test import EnvironBuilder

    from recert_gateway.app import create_app
    from recert_gateway.settings import GatewaySettings

    maker = TokenMaker()
    identity = FakeService("identity", jwks=maker.jwks)
    result: dict = {"load_average_before": os.getloadavg(), "requests_per_block": count // blocks,
                    "blocks": blocks}
    with serve(identity) as url, open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        settings = GatewaySettings.from_env("gateway", env={
            "RECERT_JWKS_URL": f"{url}/v1/.well-known/jwks.json", "RECERT_LOG_LEVEL": "INFO",
            "RECERT_GATEWAY_RATE_LIMIT_STORAGE": "memory://",
            "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"bench-{uuid.uuid4()}"}, service_urls={"identity": url})
        app = create_app(settings, routes=IDENTITY_ROUTES)
        headers = {"Authorization": f"Bearer {maker.token()}", "Origin": "http://localhost:5173"}
        statuses: list[str] = []

        def start_response(status, _headers, _exc_info=None):
            statuses.append(status)

        for name, path, sent in (("healthz", "/healthz", {}),
                                 ("forwarded", "/api/v1/admin/accounts/x", headers)):
            environ = EnvironBuilder(path=path, headers=sent).get_environ()

            def one(environ: dict = environ) -> None:
                answer = app(dict(environ), start_response)
                for _ in answer:
                    pass
                answer.close()

            for _ in range(200):
                one()
            if not statuses[-1].startswith("200"):
                raise RuntimeError(f"{path} answered {statuses[-1]}")
            best = None
            for _ in range(blocks):
                started = time.thread_time()
                for _ in range(count // blocks):
                    one()
                spent = (time.thread_time() - started) / (count // blocks) * 1000
                best = spent if best is None else min(best, spent)
                identity.seen.clear()
            result[f"{name}_cpu_ms_per_request"] = round(best, 4)
    result["load_average_after"] = os.getloadavg()
    return result


def main() -> int:
    if sys.argv[1:2] == ["--serve-profiled"]:
        return serve_profiled(sys.argv[2], sys.argv[3:])
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="requests per way under concurrency")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--rounds", type=int, default=4, help="alternations between the two ways")
    parser.add_argument("--out", default="bench-results/gateway.json")
    parser.add_argument("--profile", metavar="FILE", help="profile the gateway instead (see the docstring)")
    parser.add_argument("--in-process", action="store_true",
                        help="the gateway app's own CPU per request, in this process (see the docstring)")
    args = parser.parse_args()
    if args.in_process:
        write_result(args.out, "gateway_in_process", in_process(args.requests * 2))
        return 0
    load_before = os.getloadavg()

    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as logs:
        system = System(infra, ["identity", "pe-registry"], Path(logs),
                        extra_env={"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"})
        profiles = Path(logs) / "profiles"
        try:
            system.start()
            if args.profile:
                profiles.mkdir()
                start_profiled_gateway(system, str(profiles))
            token, summary = prepare(system)
            direct = requests.get(f"{system.url('pe-registry')}/v1/pe/summary", timeout=10,
                                  headers={"Authorization": f"Bearer {token}"})
            if direct.json() != summary:
                raise RuntimeError("the gateway's answer differs from the service's")
            figures_ = measure(system, token, requests_=args.requests, threads=args.threads,
                               rounds=args.rounds, floor=not args.profile)
        finally:
            system.stop()
            drop_databases(infra.databases)
        if args.profile:
            dumps = sorted(profiles.glob("*.pstats"))
            if not dumps:
                raise RuntimeError("the profiled gateway wrote no statistics")
            stats = pstats.Stats(*map(str, dumps))
            stats.dump_stats(args.profile)
            through = figures_["concurrent"]["through_gateway"]["requests"] + \
                figures_["sequential"]["through_gateway"]["requests"]
            summary_text = summarize_profile(stats, through)
            Path(args.profile + ".txt").write_text(
                f"load average before {load_before}, after {os.getloadavg()}\n{summary_text}\n")
            print(summary_text)
            return 0

    write_result(args.out, "gateway", {
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "jobcoach_activities": ACTIVITIES,
        "summary_raw_total": summary["raw_total"],
        "servers": "gunicorn gthread, 1 worker x 8 threads per process; access log (JSON) on",
        **figures_,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
