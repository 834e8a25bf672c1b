"""The load test: ``--users`` portal users of every role at once through the gateway, for ``--seconds``.

All six services with their workers and the gateway run as real processes (as ``make dev`` runs them:
gunicorn, one worker of 8 threads per web process), with an SMTP sink here. Before the load, and not counted,
the people are made as the platform makes them, through the gateway: jobcoaches register, verify their e-mail
address and log in with their authenticator app; Noloc's administrator creates the staff (assessors, DNV
officers, Noloc administrators, mentors), who log in with theirs; the jobcoaches' certificates are imported
by CSV, each has ``ACTIVITIES`` PE activities; one case per assessor is taken from submission to
assignment; mentors are invited by jobcoaches. Then locust (``bench/load_users.py``) runs the users, each
asking what the portal's screens ask, with a pause of ``--think`` seconds between screens.

Measured from the moment every user runs, for ``--seconds``: per operation the count, p50, p99 and errors
(every error printed with its status and body); requests per second; the CPU each process spent (gateway,
each service's web and worker, the PostgreSQL backends of the system's databases, locust) as a share of one
core, beside the whole machine's busy share (other sessions included) and the load average.

``--variant gateway:2x8`` runs the load a second time against the same system (and people) with the gateway
restarted as 2 gunicorn workers of 8 threads (``NAME:WORKERSxTHREADS``, comma-separated for several web
processes): what a process or a thread more does to the figures, in the same run.

Settings of the system under test that differ from `make dev`'s, and why: the gateway's per-address limit on
logins, registrations and credential verification (``RECERT_GATEWAY_AUTH_RATE_LIMIT``, 10 a minute) is raised
to 100,000 a minute, because every user here comes from one address (127.0.0.1) where real users come from
many; the limiter still runs (Redis) on those routes. Access tokens last two hours, so that the people made
before the load need no refresh during it. The database pools are `make dev`'s (10 a process), not the
test harness's 4.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from aiosmtpd.controller import Controller  # noqa: E402

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
from frontend import PASSWORD, Frontend, Person, outbox_tokens, unique_email, unique_member_number  # noqa: E402
from journeys import WEBHOOK_SECRET, complete_portfolio, eventually, ok, payment_notification  # noqa: E402
from ports import free_port  # noqa: E402
from processes import MODULES, System  # noqa: E402

SERVICES = ["identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"]
# Of every 100 users (the locustfile's classes have the same names); the jobcoaches take what is left.
SHARES = {"assessor": 6, "dnv": 5, "noloc": 3, "mentor": 3, "public": 3}
ACTIVITIES = 10
MENTEES = 2
CREDENTIALS = 5
SURNAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
            "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer"]
TODAY = date.today()


class Discard:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        return "250 Message accepted"


@dataclass
class LoadSystem(System):
    """A ``System`` whose web processes may be given gunicorn options (``--workers 2``)."""

    web_options: dict[str, list[str]] = field(default_factory=dict)

    def start_web(self, name: str):
        return self._spawn(f"{name}-web", [MODULES[name], "web", "--port", str(self.ports[name]),
                                           *self.web_options.get(name, [])], name)

    def restart_web(self, name: str, options: list[str]) -> None:
        old = next(p for p in self.processes if p.name == f"{name}-web")
        old.stop()
        self.processes.remove(old)
        self.web_options[name] = options
        self.wait_healthy(name, self.start_web(name))


def split(users: int) -> dict[str, int]:
    counts = {role: max(1, round(users * share / 100)) for role, share in SHARES.items()}
    counts["jobcoach"] = users - sum(counts.values())
    if counts["jobcoach"] < 1:
        raise SystemExit(f"--users {users} is too few for one user of every role")
    return counts


# --- the people, made through the gateway before the load ------------------------------------------------


class People:
    def __init__(self, system: LoadSystem, threads: int = 8):
        self.system = system
        self.mail = outbox_tokens(system.database_url("identity"))
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(threads)

    @property
    def app(self) -> Frontend:
        """One session per thread (a requests.Session is not to be shared between threads)."""
        if not hasattr(self.local, "app"):
            self.local.app = Frontend(self.system.gateway, mail=self.mail)
        return self.local.app

    def each(self, function, items) -> list:
        return list(self.pool.map(function, items))

    def first_admin(self) -> Person:
        person = Person(unique_email("admin"), PASSWORD)
        result = subprocess.run(
            [sys.executable, "-m", "recert_identity", "create-admin", person.email, "Noor Beheer",
             "--password-stdin"], input=PASSWORD, env=self.system.env, capture_output=True, text=True,
            timeout=60, check=True)
        person.account = {"id": json.loads(result.stdout)["account_id"]}
        return self.app.login(person)

    def staff(self, admin: Person, role: str, count: int) -> list[Person]:
        def make(n: int) -> Person:
            person = Person(unique_email(role), PASSWORD)
            person.account = ok(self.app.post("admin/accounts", admin, json={
                "email": person.email, "full_name": f"{role.title()} {n}", "password": PASSWORD,
                "roles": [role]}), 201)
            return self.app.login(person)
        return self.each(make, range(count))

    def jobcoaches(self, count: int) -> list[Person]:
        def make(n: int) -> Person:
            name = f"Jan {SURNAMES[n % len(SURNAMES)]}"
            return self.app.login(self.app.register(full_name=name, number=unique_member_number()))
        return self.each(make, range(count))

    def certify(self, officer: Person, coaches: list[Person], valid_until: list[date]) -> list[str]:
        """One CSV import of every jobcoach's certificate; once each has a cycle and a PE period."""
        numbers = [f"RJ-{uuid.uuid4().hex[:8].upper()}" for _ in coaches]
        rows = [f"{coach.account['membership_number']},{number},{until},{coach.email},"
                f"{coach.account['full_name']}"
                for coach, number, until in zip(coaches, numbers, valid_until, strict=True)]
        csv = "noloc_number,certificate_number,valid_until,email,name\n" + "\n".join(rows) + "\n"
        ok(self.app.post("certificates/import", officer, data=csv.encode(),
                         headers={"Content-Type": "text/csv"}))

        def ready(coach: Person) -> None:
            eventually(lambda: self.app.get("portfolio/cycles/current", coach).status_code == 200, 120,
                       what="the portfolio cycle")
            eventually(lambda: (self.app.get("pe/summary", coach).json().get("period") or {}).get("source")
                       == "certificate", 120, what="the PE period")
        self.each(ready, coaches)
        return numbers

    def activities(self, coaches: list[Person]) -> None:
        def record(coach: Person) -> None:
            for n in range(ACTIVITIES):
                ok(self.app.post("pe/activities", coach, json={
                    "title": f"Activiteit {n}", "provider": "Opleider B.V.", "category": n % 6 + 1,
                    "unit": "sbu", "amount": str(n % 9 + 2),
                    "completed_on": str(TODAY - timedelta(days=20 * n))}), 201)
        self.each(record, coaches)

    def cases(self, dnv: Person, coaches: list[Person], assessors: list[Person]) -> list[dict]:
        """Each jobcoach's portfolio completed, submitted, checked, paid and assigned to one assessor."""
        def case(pair: tuple[Person, Person]) -> dict:
            coach, assessor = pair
            app = self.app
            complete_portfolio(app, coach)
            submission = ok(app.post("portfolio/cycles/current/submit", coach), 201)
            found = eventually(lambda: next((c for c in ok(app.get("cases", dnv, params={
                "account_id": coach.id}))["items"] if c["submission_id"] == submission["id"]), None),
                what="the case")
            ok(app.post(f"cases/{found['id']}/pe-check", dnv, json={"passed": True, "findings": []}))
            invoice = eventually(lambda: next(iter(ok(app.get("invoices", coach, params={
                "kind": "recertification", "state": "open"}))["items"]), None), what="the invoice")
            body, headers = payment_notification(invoice)
            ok(app.post("payments/webhook", data=body, headers=headers))
            eventually(lambda: ok(app.get(f"cases/{found['id']}", dnv))["state"] == "ready_for_assignment",
                       what="the payment applied")
            eventually(lambda: app.post(f"cases/{found['id']}/assessor", dnv, json={
                "assessor_id": assessor.id}).status_code == 200, what="the assessor assigned")
            eventually(lambda: app.get(f"portfolio/submissions/{submission['id']}", assessor)
                       .status_code == 200, what="portfolio learning of the assignment")
            return {"id": found["id"], "submission_id": submission["id"], "assessor": assessor.id}
        return self.each(case, list(zip(coaches, assessors, strict=True)))

    def mentorships(self, mentor: Person, coaches: list[Person]) -> list[dict]:
        consent = {"drafts": True, "meetings": True, "pe_summary": True}

        def invite(coach: Person) -> dict:
            mentorship = eventually(lambda: (r := self.app.post("portfolio/mentorships", coach, json={
                "mentor_id": mentor.id, "consent": consent})).status_code == 201 and r.json()["id"],
                what="the mentor known to portfolio")
            eventually(lambda: self.app.get(f"pe/accounts/{coach.id}/summary", mentor).status_code == 200,
                       what="the PE registry learning of the mentorship")
            return {"mentorship_id": mentorship, "account_id": coach.id}
        return [invite(coach) for coach in coaches]

    def credential(self, coach: Person) -> str:
        return ok(self.app.get("certificates/mine/credential", coach))["jwt"]


def seed(system: LoadSystem, counts: dict[str, int]) -> dict:
    """The people of the load, as the locustfile reads them (see its docstring)."""
    people = People(system)
    admin = people.first_admin()
    noloc = [admin, *people.staff(admin, "noloc_admin", counts["noloc"] - 1)]
    dnv = people.staff(admin, "dnv_officer", counts["dnv"])
    assessors = people.staff(admin, "assessor", counts["assessor"])
    mentors = people.staff(admin, "mentor", counts["mentor"])
    print(f"staff: {len(noloc) + len(dnv) + len(assessors) + len(mentors)}", flush=True)
    coaches = people.jobcoaches(counts["jobcoach"] + counts["assessor"])
    print(f"jobcoaches: {len(coaches)}", flush=True)
    loaded, submitting = coaches[:counts["jobcoach"]], coaches[counts["jobcoach"]:]
    # Certificates ending over the next years; the submitting jobcoaches' soon, so that they may submit now.
    numbers = people.certify(dnv[0], coaches,
                             [TODAY + timedelta(days=200 + n * 7 % 1000) for n in range(len(loaded))]
                             + [TODAY + timedelta(days=60)] * len(submitting))
    people.activities(loaded)
    print("certificates and activities", flush=True)
    cases = people.cases(dnv[0], submitting, assessors)
    print(f"cases: {len(cases)}", flush=True)
    mentees = people.each(lambda pair: people.mentorships(*pair), [
        (mentor, [loaded[(n * MENTEES + k) % len(loaded)] for k in range(MENTEES)])
        for n, mentor in enumerate(mentors)])
    credentials = people.each(people.credential, loaded[:CREDENTIALS])
    people.pool.shutdown()
    return {
        "users": counts,
        "jobcoach": [{"token": c.access_token, "id": c.id} for c in loaded],
        "assessor": [{"token": a.access_token, "cases": [c for c in cases if c["assessor"] == a.id]}
                     for a in assessors],
        "dnv": [{"token": d.access_token} for d in dnv],
        "noloc": [{"token": n.access_token} for n in noloc],
        "mentor": [{"token": mentor.access_token, "mentees": mine}
                   for mentor, mine in zip(mentors, mentees, strict=True)],
        "cases": cases,
        "public": {"numbers": numbers[:counts["jobcoach"]], "credentials": credentials,
                   "surnames": [name.split()[-1] for name in SURNAMES]},
    }


# --- measuring -------------------------------------------------------------------------------------------


def process_groups(system: LoadSystem, locust_pid: int) -> dict[str, list[int]]:
    """Each web process with its gunicorn workers, each worker, PostgreSQL's backends, locust."""
    groups = {}
    for process in system.processes:
        name = process.name.removesuffix("-web")
        groups[name] = [process.popen.pid, *child_pids(process.popen.pid)]
    groups["postgresql"] = backend_pids([system.database_url(name) for name in system.services])
    groups["locust"] = [locust_pid, *child_pids(locust_pid)]
    return groups


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {name: {pid: process_cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def run_load(system: LoadSystem, seed_file: Path, work: Path, args, label: str) -> dict:
    results = work / f"records-{label}.json"
    ramp = args.users / args.spawn_rate
    env = {**os.environ, "LOAD_SEED": str(seed_file), "LOAD_RESULTS": str(results),
           "LOAD_THINK_SECONDS": args.think}
    command = [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("load_users.py")),
               "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
               "--run-time", f"{int(ramp + 3 + args.seconds + 1)}s", "--host", system.gateway,
               "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    with open(work / f"locust-{label}.log", "wb") as log:
        locust = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(ramp + 3)  # every user spawned and past its first screen
        groups = process_groups(system, locust.pid)
        started, before, machine_before = time.time(), cpu_snapshot(groups), machine_ticks()
        time.sleep(args.seconds)
        groups = process_groups(system, locust.pid)
        ended, after, machine_after = time.time(), cpu_snapshot(groups), machine_ticks()
        load_average = os.getloadavg()
        locust.wait(timeout=120)
    if not results.exists():
        raise RuntimeError(f"locust wrote no results:\n{(work / f'locust-{label}.log').read_text()[-3000:]}")
    recorded = json.loads(results.read_text())
    if not recorded["spawning_complete_at"] or recorded["spawning_complete_at"] > started:
        raise RuntimeError(f"locust had not started every user when the measurement began ({label})")
    records = [r for r in recorded["records"] if started <= r[0] <= ended]
    seconds = ended - started
    cpu = {name: sum(after[name][pid] - before.get(name, {}).get(pid, 0.0) for pid in after[name])
           for name in after}
    busy = (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1])
    return {
        "window_seconds": round(seconds, 1),
        "load_average_at_end": [round(value, 2) for value in load_average],
        "requests": len(records),
        "requests_per_second": round(len(records) / seconds, 1),
        "errors": sum(1 for r in records if r[3]),
        "operations": per_operation(records),
        "error_messages": error_messages(records),
        "cpu_percent_of_one_core": {name: round(value * 100 / seconds, 1)
                                    for name, value in sorted(cpu.items(), key=lambda item: -item[1])},
        "cpu_ms_per_request": {name: round(value * 1000 / max(1, len(records)), 2)
                               for name, value in cpu.items()},
        # A web process of several gunicorn workers, each worker's share (keep-alive connections stay with
        # the worker that accepted them).
        "gunicorn_workers_cpu_percent": {
            name: sorted((round((after[name][pid] - before.get(name, {}).get(pid, 0.0)) * 100 / seconds, 1)
                          for pid in groups[name][1:]), reverse=True)
            for name in after if len(groups[name]) > 2 and name not in ("postgresql", "locust")},
        "machine_busy_percent": round(busy * 100, 1),
        "machine_cores": os.cpu_count(),
        "capacity": capacity(system, cpu, len(records)),
    }


def capacity(system: LoadSystem, cpu: dict[str, float], requests: int) -> dict:
    """Requests/s the CPU allows, from the CPU each process spent per request (which other sessions on the
    machine change much less than the wall-clock figures): all processes on this machine's cores, and each
    web process alone, whose gunicorn workers are Python processes of one core each at most (the GIL)."""
    per_request = {name: value / max(1, requests) for name, value in cpu.items()}
    system_ms = sum(value for name, value in per_request.items() if name != "locust") * 1000
    cores = os.cpu_count() or 1
    webs = {name: int(system.web_options.get(name, ["--workers", "1"])[1])
            for name in [*system.services, "gateway"]}
    return {
        "system_cpu_ms_per_request": round(system_ms, 2),
        "machine_requests_per_second_with_locust": round(
            cores * 1000 / (system_ms + per_request.get("locust", 0) * 1000), 1),
        "machine_requests_per_second_without_locust": round(cores * 1000 / system_ms, 1),
        "web_process_requests_per_second": {
            name: round(workers * 1000 / (per_request[name] * 1000), 1)
            for name, workers in webs.items() if per_request.get(name)},
    }


def per_operation(records: list) -> dict:
    latencies, errors = defaultdict(list), Counter()
    for _, operation, ms, error in records:
        latencies[operation].append(ms)
        errors[operation] += bool(error)
    return {operation: {"count": len(values), "p50_ms": round(percentile(values, 50), 1),
                        "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1),
                        "errors": errors[operation]}
            for operation, values in sorted(latencies.items())}


def error_messages(records: list) -> list[dict]:
    found = Counter((operation, error) for _, operation, _, error in records if error)
    return [{"operation": operation, "error": error, "count": n}
            for (operation, error), n in found.most_common()]


def show(label: str, figures: dict) -> None:
    print(f"\n== {label}: {figures['requests']} requests in {figures['window_seconds']} s, "
          f"{figures['requests_per_second']} requests/s, {figures['errors']} errors; "
          f"load average {figures['load_average_at_end']}, machine busy {figures['machine_busy_percent']} %")
    print(f"{'operation':58} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for operation, row in figures["operations"].items():
        print(f"{operation:58} {row['count']:>7} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['errors']:>7}")
    print("CPU, % of one core: " + ", ".join(f"{name} {value}"
                                             for name, value in figures["cpu_percent_of_one_core"].items()))
    for name, shares in figures["gunicorn_workers_cpu_percent"].items():
        print(f"{name}'s gunicorn workers, % of one core each: {shares}")
    limits = figures["capacity"]
    print(f"CPU per request: {limits['system_cpu_ms_per_request']} ms in the system; the CPU allows "
          f"{limits['machine_requests_per_second_with_locust']} requests/s on {figures['machine_cores']} "
          f"cores with locust beside it, {limits['machine_requests_per_second_without_locust']} without; "
          "each web process alone: " + ", ".join(f"{name} {value}"
                                        for name, value in limits["web_process_requests_per_second"].items()))
    for error in figures["error_messages"]:
        print(f"ERROR x{error['count']} {error['operation']}: {error['error']}")


def parse_variant(raw: str) -> dict[str, list[str]]:
    """``gateway:2x8,pe-registry:1x16`` -> gunicorn options per web process."""
    options = {}
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        name, _, shape = part.partition(":")
        workers, _, threads = shape.partition("x")
        if name not in MODULES or not workers.isdigit() or not threads.isdigit():
            raise SystemExit(f"not a variant (NAME:WORKERSxTHREADS): {part!r}")
        options[name] = ["--workers", workers, "--threads", threads]
    return options


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", 200)))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", 120)))
    parser.add_argument("--think", default=os.environ.get("LOAD_THINK_SECONDS", "1,3"),
                        help="pause between a user's screens: MIN,MAX seconds")
    parser.add_argument("--spawn-rate", type=float, default=50.0, help="users started per second")
    parser.add_argument("--variant", default=os.environ.get("LOAD_VARIANT", ""),
                        help="a second run with these web processes restarted: NAME:WORKERSxTHREADS,...")
    parser.add_argument("--out", default="bench-results/load.json")
    args = parser.parse_args()
    variant = parse_variant(args.variant)
    counts = split(args.users)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    random.seed(16)
    load_before = os.getloadavg()

    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as work:
        work = Path(work)
        smtp = Controller(Discard(), hostname="127.0.0.1", port=free_port())
        smtp.start()
        system = LoadSystem(infra, SERVICES, work / "logs", extra_env={
            "RECERT_GATEWAY_AUTH_RATE_LIMIT": "100000/minute",
            "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"bench-load-{uuid.uuid4().hex[:6]}",
            "RECERT_IDENTITY_ACCESS_TOKEN_TTL_SECONDS": "7200",
            "RECERT_DB_POOL_SIZE": "10",
            "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(smtp.port),
        })
        runs = {}
        try:
            started = time.perf_counter()
            system.start()
            startup = time.perf_counter() - started
            started = time.perf_counter()
            seed_file = work / "seed.json"
            seed_file.write_text(json.dumps(seed(system, counts)))
            seeding = time.perf_counter() - started
            print(f"system up in {startup:.0f} s, people made in {seeding:.0f} s", flush=True)
            runs["as_make_dev"] = run_load(system, seed_file, work, args, "as_make_dev")
            show("as make dev runs it (1 worker x 8 threads per web process)", runs["as_make_dev"])
            if variant:
                for name, options in variant.items():
                    system.restart_web(name, options)
                runs["variant"] = run_load(system, seed_file, work, args, "variant")
                show(f"variant {args.variant}", runs["variant"])
        except Exception:
            print(system.logs())
            raise
        finally:
            system.stop()
            smtp.stop()
            drop_databases(infra.databases)

    write_result(args.out, "load", {
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "users": counts, "seconds": args.seconds, "think_seconds": args.think,
        "system_start_seconds": round(startup, 1), "seeding_seconds": round(seeding, 1),
        "servers": "gunicorn gthread, 1 worker x 8 threads per web process; PostgreSQL pools of 10",
        "variant": args.variant or None,
        "goals": [goal(f"errors among {run['requests']:,} requests of {sum(counts.values())} users ({label})",
                       "0", run["errors"], None, "", met=run["errors"] == 0) for label, run in runs.items()],
        **runs,
    })
    return 1 if any(run["errors"] for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
