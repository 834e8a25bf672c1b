"""A soak under faults (issue 15): many jobcoaches walk the whole story at once through the gateway while a
fault injector, at random intervals, SIGKILLs web and worker processes (restarting them), cuts the broker,
restarts PostgreSQL and makes the mail server refuse for a while. Afterwards the invariants are checked and
the counts written as JSON.

The story is the one the end-to-end tests walk (journeys.py): registration with the link from the
verification e-mail and an authenticator, the certificate loaded by CSV, a complete portfolio with proof
and evidence, the submission, DNV's PE check, the payment provider's webhook, the assessor's advice, DNV's
decision and the renewed (or unchanged) certificate. Under faults a request may go unanswered, or be
answered 502/503 while a process restarts: the frontend tries it again, as a person presses the button
again. A POST tried again may have taken effect the first time, so each step that creates something
checks what is there when its repeated request is refused, instead of assuming it failed.

What the soak breaks, and what it leaves alone:
- PostgreSQL is a server of its own (``PrivatePostgres``: initdb and pg_ctl from the Debian package, a data
  directory under /tmp, its own port), restarted with ``pg_ctl stop -m immediate``: a crash, recovered from
  the WAL. The machine's shared server is never touched.
- The broker is the shared RabbitMQ; the services reach it through a TCP proxy (bus_fixtures.TcpProxy) that
  drops every connection and refuses new ones while cut.
- Processes are the system's own (processes.System), killed with SIGKILL and started again.
- The SMTP server is the tests' (smtp_mailbox.Mailbox), answering 451 while ``refusing``.

``run`` is used by test_soak.py: 90 seconds in ``make test``, ``SOAK_MINUTES`` in ``make soak``.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import glob
import itertools
import logging
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import requests
from psycopg.rows import dict_row
from smtp_mailbox import Mailbox

from recert_common.bus.deadletter import list_dead_letters
from recert_common.clock import platform_today
from recert_common.rules import add_years

from frontend import PASSWORD, VERIFY_EMAIL, Frontend, Person, totp_secret, unique_email, unique_member_number
from journeys import PDF, WEBHOOK_SECRET, Office, form, payment_notification
from ports import free_port
from processes import Process, System, log_tail

SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]
TODAY = platform_today()
VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
# The longest a step waits for what events bring about, and for a request to be answered: longer than any
# fault lasts, so a story fails only when the system does not recover.
WAIT_SECONDS = 180.0
RETRY_SECONDS = 120.0
RETRIED_STATUSES = {500, 502, 503, 504}
# A 5xx this soon after a fault ended still counts as the fault's: a killed process takes a moment to be
# started again, pools take a moment to reconnect.
FAULT_GRACE_SECONDS = 10.0
FAULT_KINDS = ("kill", "broker", "postgres", "smtp")

# The e-mails of a jobcoach's story, each exactly once (the start of the subject). The expiry reminder is
# not among them: whether the scheduler sends it before the portfolio goes in depends on which is quicker,
# so it is checked as at most once.
MAILS = ["Bevestig je e-mailadres voor Register Jobcoach", "Welkom bij Register Jobcoach",
         "Authenticator-app gekoppeld aan je account", "Je portfolio is ingediend", "Factuur DNV-",
         "De PE-toets van je portfolio is afgerond", "Betaling ontvangen voor factuur DNV-"]
MAILS_OUTCOME = {
    "positive": ["Besluit DNV: je certificaat wordt verlengd", "Je certificaat is verlengd tot en met"],
    "negative": ["Besluit DNV: je certificaat wordt niet verlengd"]}
AT_MOST_ONCE = ["Je certificaat verloopt over"]


class StoryFailed(Exception):
    pass


# --- a PostgreSQL server of the soak's own ------------------------------------------------------------------


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/pg_ctl: install the postgresql package "
                           "(scripts/ensure-infra.sh does)")
    return Path(found[-1]).parent


class PrivatePostgres:
    """A PostgreSQL server for the soak alone, on its own port with its data in a temporary directory.

    As root (CI, this machine) the server runs as the postgres user, since PostgreSQL refuses to run as
    root. fsync is off: the soak's faults are crashes of the server's processes, whose writes the operating
    system's cache keeps; no fault here loses the machine's power.
    """

    def __init__(self):
        self.bin = _postgres_bin()
        # Straight under the temporary directory: the postgres user cannot enter pytest's (root's, 0700).
        self.root = Path(tempfile.mkdtemp(prefix="recert-soak-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _as_owner(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(self._as_owner([str(self.bin / args[0]), *args[1:]]), capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return log_tail(self.log, lines)

    def create(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        self.start()
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                   "-c max_connections=300 -c fsync=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                  "start")

    def crash_and_restart(self, down_seconds: float) -> None:
        """Immediate stop (every backend killed, no checkpoint: recovery from the WAL at the next start),
        ``down_seconds`` without a server, then started again."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# --- counting what the frontends see ---------------------------------------------------------------------


class Stats:
    """Counters shared by the story threads and the fault injector."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[int] = collections.Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses[code] += 1


class Faults:
    """The fault injector: one fault at a time, of a kind taken in turn from a shuffled cycle of every
    kind, after a random pause. ``during()`` says whether a fault is on (or ended less than
    FAULT_GRACE_SECONDS ago)."""

    def __init__(self, system: System, postgres: PrivatePostgres, mailbox: Mailbox, stats: Stats,
                 rng: random.Random, pause: tuple[float, float]):
        self.system, self.postgres, self.mailbox, self.stats, self.rng = system, postgres, mailbox, stats, rng
        self.pause = pause
        self.stop = threading.Event()
        self._on = False
        self._until = 0.0
        self.log: list[dict[str, Any]] = []
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="faults", daemon=True)

    def every_kind_came(self) -> bool:
        return all(self.stats.counts[f"fault.{kind}"] for kind in FAULT_KINDS) or self.error is not None

    def during(self) -> bool:
        return self._on or time.monotonic() < self._until

    def _kinds(self):
        while True:
            kinds = list(FAULT_KINDS)
            self.rng.shuffle(kinds)
            yield from kinds

    def _run(self) -> None:
        try:
            for kind in self._kinds():
                if self.stop.wait(self.rng.uniform(*self.pause)):
                    return
                started = time.monotonic()
                self._on = True
                try:
                    detail = getattr(self, f"_{kind}")()
                finally:
                    self._on = False
                    self._until = time.monotonic() + FAULT_GRACE_SECONDS
                self.stats.add(f"fault.{kind}")
                self.log.append({"kind": kind, "detail": detail,
                                 "seconds": round(time.monotonic() - started, 1)})
        except Exception:  # the soak reports it: a fault that cannot be made or undone is a finding
            self.error = traceback.format_exc()

    def _kill(self) -> str:
        running = {p.name: p for p in self.system.processes}  # the latest process of each name
        name = self.rng.choice(sorted(running))
        service, _, role = name.rpartition("-")
        running[name].kill()
        self.stats.add(f"fault.kill.{role}")
        restart(self.system, service, role)
        return name

    def _broker(self) -> str:
        seconds = self.rng.uniform(3, 10)
        self.system.proxies["rabbitmq"].cut()
        time.sleep(seconds)
        self.system.proxies["rabbitmq"].restore()
        return f"cut for {seconds:.1f} s"

    def _postgres(self) -> str:
        seconds = self.rng.uniform(1, 4)
        self.postgres.crash_and_restart(seconds)
        return f"down for {seconds:.1f} s"

    def _smtp(self) -> str:
        seconds = self.rng.uniform(5, 15)
        self.mailbox.refusing = True
        time.sleep(seconds)
        self.mailbox.refusing = False
        return f"refused for {seconds:.1f} s"


def restart(system: System, service: str, role: str) -> Process:
    """Start ``service``'s web or worker again and wait until it serves (web) or consumes (worker)."""
    if role == "web":
        process = system.start_web(service)
        system.wait_healthy(service, process)
        return process
    log = system.log_dir / f"{service}-worker.log"
    seen = log.stat().st_size if log.exists() else 0  # the log is appended to: look past the old lines
    process = system.start_worker(service)
    deadline = time.monotonic() + 60
    with open(log, "rb") as lines:
        lines.seek(seen)
        new = b""
        while b'"worker started"' not in new:
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} did not start again:\n{process.tail()}")
            time.sleep(0.1)
            new += lines.read()
    return process


class SoakFrontend(Frontend):
    """The frontend of journeys.py, trying a request again while it goes unanswered or is answered 5xx (a
    person pressing the button again), counting every attempt. ``response.retried`` says whether the
    answer came to a repeated request."""

    def __init__(self, base_url: str, stats: Stats, faults: Faults):
        super().__init__(base_url)
        self.stats, self.faults = stats, faults

    def call(self, method: str, path: str, person: Person | None = None, token: str | None = None,
             **kwargs) -> requests.Response:
        deadline = time.monotonic() + RETRY_SECONDS
        for attempt in itertools.count(1):
            during = self.faults.during()
            self.stats.add("requests")
            try:
                response = super().call(method, path, person, token, **kwargs)
            except requests.RequestException:
                self.stats.add("unanswered.during_faults" if during or self.faults.during()
                               else "unanswered.outside_faults")
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
                continue
            self.stats.status(response.status_code)
            if response.status_code >= 500:
                self.stats.add("5xx.during_faults" if during or self.faults.during()
                               else "5xx.outside_faults")
                if response.status_code in RETRIED_STATUSES and time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
            response.retried = attempt > 1  # type: ignore[attr-defined]
            return response
        raise AssertionError("unreachable")


# --- the story -------------------------------------------------------------------------------------------


def wait(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StoryFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def answer(response: requests.Response, *statuses: int, done: Callable[[], bool] | None = None) -> Any:
    """The answer's JSON when its status is one of ``statuses``. A repeated request refused with a 4xx may
    have been done by an earlier attempt whose answer was lost: then ``done()`` decides, and None is
    returned."""
    if response.status_code in statuses:
        return response.json() if response.content else None
    if getattr(response, "retried", False) and 400 <= response.status_code < 500 and done is not None:
        if done():
            return None
    raise StoryFailed(f"{response.request.method} {response.url}: {response.status_code} "
                      f"{response.text[:500]}")


@dataclasses.dataclass
class Story:
    n: int
    outcome: str  # the advice and decision: positive or negative
    email: str = ""
    account_id: str | None = None
    certificate_number: str | None = None
    case_id: str | None = None
    step: str = "start"
    links: int = 1  # how many verification e-mails the story may have caused
    finished: bool = False
    error: str | None = None
    seconds: float = 0.0


class Soak:
    def __init__(self, system: System, postgres: PrivatePostgres, mailbox: Mailbox, seconds: float,
                 coaches: int, seed: int):
        self.system, self.postgres, self.mailbox = system, postgres, mailbox
        self.seconds, self.coaches, self.seed = seconds, coaches, seed
        self.rng = random.Random(seed)
        self.stats = Stats()
        # A fault every 2 to 8 s after the last one ended: in 90 s every kind comes at least once.
        self.faults = Faults(system, postgres, mailbox, self.stats, random.Random(seed + 1), (2.0, 8.0))
        self.stories: list[Story] = []
        self.lock = threading.Lock()
        self.ending = threading.Event()  # set: no new story starts

    def app(self) -> SoakFrontend:
        return SoakFrontend(self.system.gateway, self.stats, self.faults)

    # -- the steps ------------------------------------------------------------------------------------------
    def walk(self, story: Story, office: Office) -> None:
        app = self.app()
        person = Person(unique_email("soak"), PASSWORD)
        story.email = person.email
        story.step = "registration"
        registered = app.post("accounts", json={
            "email": person.email, "full_name": f"Soak Jobcoach {story.n}", "password": PASSWORD,
            "membership_number": unique_member_number()})
        answer(registered, 202)
        token = wait(lambda: self.mailbox.token(person.email, VERIFY_EMAIL), "the verification e-mail")
        verified = app.post("accounts/verify-email", json={"token": token, "password": PASSWORD})
        answer(verified, 200, done=lambda: app.login_step1(person).status_code == 200)
        # A repeated registration sends a fresh link, as does a login before the address is verified (checking
        # a repeated verification): by design (test_e2e_account_trust), so up to one link more for each.
        story.links = 1 + registered.retried + verified.retried
        story.step = "login"
        self.log_in(app, person)
        story.account_id = person.id

        story.step = "certificate"
        story.certificate_number = self.certify(app, office, person)
        story.step = "portfolio"
        self.complete_portfolio(app, person)
        story.step = "submission"
        answer(app.post("portfolio/cycles/current/submit", person), 201,
               done=lambda: bool(answer(app.get("portfolio/submissions", person), 200)["items"]))

        story.step = "case"
        dnv = office.dnv
        case = wait(lambda: next(iter(answer(app.get("cases", dnv, params={"account_id": person.id}),
                                             200)["items"]), None), "the case")
        story.case_id = case_id = case["id"]

        def case_now() -> dict:
            return answer(app.get(f"cases/{case_id}", dnv), 200)

        story.step = "pe-check"
        answer(app.post(f"cases/{case_id}/pe-check", dnv, json={"passed": True, "findings": []}), 200,
               done=lambda: app.get(f"cases/{case_id}/pe-check", dnv).status_code == 200)
        story.step = "payment"
        self.pay(app, person)
        wait(lambda: case_now()["state"] == "ready_for_assignment", "the payment applied to the case")

        story.step = "assignment"
        assessor = office.assessors[story.n % len(office.assessors)]
        answer(app.post(f"cases/{case_id}/assessor", dnv, json={"assessor_id": assessor.id}), 200, 201,
               done=lambda: case_now()["assessor_id"] == assessor.id)
        story.step = "advice"
        advice = form(story.outcome, failing=("A3",) if story.outcome == "negative" else ())
        answer(app.post(f"cases/{case_id}/advice", assessor, json=advice), 201,
               done=lambda: case_now()["state"] == "advised")
        story.step = "decision"
        answer(app.post(f"cases/{case_id}/decision", dnv, json={"decision": story.outcome}), 201,
               done=lambda: case_now()["state"] == "decided")

        story.step = "certificate renewed" if story.outcome == "positive" else "certificate unchanged"
        until = add_years(VALID_UNTIL, 4) if story.outcome == "positive" else VALID_UNTIL
        wait(lambda: answer(app.get(f"register/{story.certificate_number}"), 200)["valid_until"]
             == until.isoformat(), f"the register saying valid until {until}")
        story.step = "done"

    def log_in(self, app: SoakFrontend, person: Person) -> None:
        """Both steps of the login, from the start again when the second's answer was lost (its code is
        spent then): the authenticator enrolled at the first login that took. Tried until ``WAIT_SECONDS``
        as every other wait: five tries a second apart failed a story when identity or its database was
        restarting on a loaded machine (the full suite's two workers beside the soak)."""
        deadline = time.monotonic() + WAIT_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            step1 = app.login_step1(person)
            if step1.status_code != 200:
                last = f"step 1: {step1.status_code} {step1.text[:300]}"
                time.sleep(1)
                continue
            challenge = step1.json()
            if challenge["kind"] == "enrol":
                person.secret = totp_secret(challenge["otpauth_uri"])
            step2 = app.post("auth/login/verify", json={"challenge_id": challenge["challenge_id"],
                                                        "code": person.fresh_code()})
            if step2.status_code == 200:
                person.access_token = step2.json()["access_token"]
                person.refresh_token = step2.json()["refresh_token"]
                person.account = answer(app.get("accounts/me", person), 200)
                return
            last = f"step 2: {step2.status_code} {step2.text[:300]}"
        raise StoryFailed(f"no login for {person.email} in {WAIT_SECONDS:.0f} s; last {last}")

    def certify(self, app: SoakFrontend, office: Office, person: Person) -> str:
        """Noloc's administrator loads the certificate by CSV (a row loaded twice is the same certificate)."""
        number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
        row = (f"{person.account['membership_number']},{number},{VALID_UNTIL.isoformat()},{person.email},"
               f"{person.account['full_name']}")
        csv = f"noloc_number,certificate_number,valid_until,email,name\n{row}\n"
        answer(app.post("certificates/import", office.admin, headers={"Content-Type": "text/csv"},
                        data=csv.encode()), 200)
        wait(lambda: app.get("portfolio/cycles/current", person).status_code == 200, "the portfolio cycle")
        wait(lambda: answer(app.get("pe/summary", person), 200)["period"]["source"] == "certificate",
             "the PE period")
        return number

    def complete_portfolio(self, app: SoakFrontend, person: Person) -> None:
        """journeys.complete_portfolio's steps, each checking what is there when a repeated request is
        refused."""
        for part, text in (("A1", "Mijn loopbaan; de laatste vier jaar in detail."), ("A2", "Terugblik."),
                           ("A4", "Ontwikkelplan voor de komende jaren.")):
            extra = ({"executive_jobcoach_declared": True, "currently_executive_jobcoach_declared": True}
                     if part == "A1" else {})
            answer(app.put(f"portfolio/cycles/current/parts/{part}", person, json={"text": text, **extra}),
                   200)
        readiness = answer(app.get("portfolio/cycles/current/readiness", person), 200)

        def meetings() -> list[dict]:
            listed = answer(app.get("portfolio/cycles/current/meetings", person), 200)
            return listed["items"] if isinstance(listed, dict) else listed

        for n in range(readiness["required_reflection_meetings"]):
            answer(app.post("portfolio/cycles/current/meetings", person, json={
                "met_on": str(TODAY - timedelta(days=40 + n)), "kind": "intervision", "group_name": "Oost"}),
                201, done=lambda: True)  # a repeated meeting is one more meeting: harmless
        for n, meeting in enumerate(meetings()):
            answer(app.post(f"portfolio/meetings/{meeting['id']}/proof", person, data=PDF + bytes([n]),
                            headers={"Content-Type": "application/pdf",
                                     "Content-Disposition": f'attachment; filename="verslag-{n}.pdf"'}), 201,
                   done=lambda m=meeting: any(x["id"] == m["id"] and x["proven"] for x in meetings()))
        answer(app.put("portfolio/cycles/current/parts/A3", person, json={
            "text": "Reflectie op de intervisie.", "meeting_id": meetings()[0]["id"]}), 200)

        for amount, days_ago in ((45, 30), (30, 60)):
            activity = answer(app.post("pe/activities", person, json={
                "title": "Activiteit categorie 1", "provider": "Opleider B.V.", "category": 1,
                "completed_on": str(TODAY - timedelta(days=days_ago)), "amount": str(amount), "unit": "sbu"}),
                201)
            # The same bytes twice are the same evidence (200): a repeated upload adds nothing.
            answer(app.post(f"pe/activities/{activity['id']}/evidence", person,
                            data=PDF + str(amount).encode(), headers={
                                "Content-Type": "application/pdf",
                                "Content-Disposition": 'attachment; filename="certificaat.pdf"'}), 200, 201)

        def missing() -> list[str]:
            parts = answer(app.get("portfolio/cycles/current/readiness", person), 200)["parts"]
            return [part for part, body in parts.items() if body["missing"]]

        wait(lambda: not missing(), "a ready portfolio")

    def pay(self, app: SoakFrontend, person: Person) -> None:
        """The payment provider reports the open invoice paid, signed as journeys.Office.pay signs it; a
        repeated notification is the same one (same id)."""
        invoice = wait(lambda: next(iter(answer(app.get("invoices", person, params={
            "kind": "recertification", "state": "open"}), 200)["items"]), None), "the open invoice")
        body, headers = payment_notification(invoice)
        response = app.post("payments/webhook", data=body, headers=headers)
        paid = answer(response, 200)
        # The same notification again is answered "duplicate": a repeated request's first attempt recorded it.
        if paid["status"] != "paid" and not (paid["status"] == "duplicate" and response.retried):
            raise StoryFailed(f"the webhook answered {paid}")

    # -- running it -----------------------------------------------------------------------------------------
    def coach(self, office: Office) -> None:
        while not self.ending.is_set():
            with self.lock:
                story = Story(n=len(self.stories), outcome="negative" if len(self.stories) % 4 == 3
                              else "positive")
                self.stories.append(story)
            started = time.monotonic()
            try:
                self.walk(story, office)
                story.finished = True
            except Exception as exc:  # every story's failure is reported with the step it stopped at
                story.error = f"{type(exc).__name__}: {exc}"[:2000]
            story.seconds = round(time.monotonic() - started, 1)

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        office = Office(self.system, self.app())
        setup_seconds = time.monotonic() - started
        until = time.monotonic() + self.seconds
        self.faults.thread.start()
        coaches = [threading.Thread(target=self.coach, args=(office,), name=f"coach-{n}", daemon=True)
                   for n in range(self.coaches)]
        for thread in coaches:
            thread.start()
        try:
            # Past the end only while a kind of fault has not come yet (a machine slower than planned for).
            while time.monotonic() < until or not self.faults.every_kind_came():
                time.sleep(1)
        finally:  # also when interrupted: no fault may be under way while everything is stopped
            self.ending.set()
            self.faults.stop.set()
            self.faults.thread.join(120)
        drain_started = time.monotonic()
        for thread in coaches:  # the stories under way finish, without faults now
            thread.join(max(1.0, drain_started + 2 * WAIT_SECONDS + 120 - time.monotonic()))
        drain_seconds = time.monotonic() - drain_started
        checks = Invariants(self.system, self.postgres, self.mailbox, self.stories).check()
        check_seconds = time.monotonic() - drain_started - drain_seconds
        return self.report(setup_seconds, drain_seconds, check_seconds, checks)

    def report(self, setup_seconds: float, drain_seconds: float, check_seconds: float,
               checks: dict[str, Any]) -> dict[str, Any]:
        counts = self.stats.counts
        return {
            "seconds": self.seconds, "coaches": self.coaches, "seed": self.seed,
            "setup_seconds": round(setup_seconds, 1), "drain_seconds": round(drain_seconds, 1),
            "check_seconds": round(check_seconds, 1),
            "stories": {"started": len(self.stories), "finished": sum(s.finished for s in self.stories),
                        "failed": sum(s.error is not None for s in self.stories),
                        "positive": sum(s.finished and s.outcome == "positive" for s in self.stories),
                        "negative": sum(s.finished and s.outcome == "negative" for s in self.stories),
                        "median_seconds": sorted(s.seconds for s in self.stories)[len(self.stories) // 2]
                        if self.stories else None},
            "faults": {kind: counts[f"fault.{kind}"] for kind in FAULT_KINDS}
            | {"kill_web": counts["fault.kill.web"], "kill_worker": counts["fault.kill.worker"],
               "smtp_refusals": self.mailbox.refused, "postgres_restarts": self.postgres.restarts},
            "fault_log": self.faults.log,
            "fault_error": self.faults.error,
            "requests": counts["requests"],
            "5xx_during_faults": counts["5xx.during_faults"],
            "5xx_outside_faults": counts["5xx.outside_faults"],
            "unanswered_during_faults": counts["unanswered.during_faults"],
            "unanswered_outside_faults": counts["unanswered.outside_faults"],
            "statuses": {str(code): n for code, n in sorted(self.stats.statuses.items())},
            "failed_stories": [dataclasses.asdict(s) for s in self.stories if s.error],
            "invariants": checks,
        }


# --- the invariants -------------------------------------------------------------------------------------


class Invariants:
    """What must hold once the stories are done and the faults over: read straight from each service's
    database on the soak's PostgreSQL, from the broker and from the mailbox."""

    def __init__(self, system: System, postgres: PrivatePostgres, mailbox: Mailbox, stories: list[Story]):
        self.system, self.postgres, self.mailbox, self.stories = system, postgres, mailbox, stories

    def rows(self, service: str, sql: str, *params) -> list[dict]:
        name = psycopg.conninfo.conninfo_to_dict(self.system.database_url(service))["dbname"]
        with psycopg.connect(f"{self.postgres.url}/{name}", row_factory=dict_row) as conn:
            return conn.execute(sql, params).fetchall()

    def check(self) -> dict[str, Any]:
        # The last events, e-mails and relays of the drained stories are still under way: wait for the
        # outboxes and the e-mail queue to empty first (a stuck one fails below).
        with contextlib.suppress(StoryFailed):
            wait(lambda: not self.undrained() and not self.unsent(), "outboxes and e-mails drained", 120)
        time.sleep(3)  # room for a late duplicate to arrive, so that the counts below would see it
        accounts = [s.account_id for s in self.stories if s.account_id]
        results = {
            "submission_case_invoice": self.submissions_cases_invoices(accounts),
            "certificates_follow_decisions": self.certificates(accounts),
            "e_mails_once": self.e_mails(accounts),
            "cases_not_stuck": self.cases_not_stuck(accounts),
            "outboxes_drained": self.undrained(),
            "dead_letters": self.dead_letters(),
            "processes_alive": [p.name for p in {p.name: p for p in self.system.processes}.values()
                                if p.popen.poll() is not None],
        }
        return {"violations": {name: found for name, found in results.items() if found},
                "checked": {"accounts": len(accounts), "mailbox_messages": len(self.mailbox.messages)},
                "redelivered_e_mails": self.redelivered()}

    def undrained(self) -> dict[str, int]:
        sql = "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        found = {service: self.rows(service, sql)[0]["n"] for service in SERVICES}
        return {service: n for service, n in found.items() if n}

    def unsent(self) -> int:
        return self.rows("notifications", "SELECT count(*) AS n FROM messages WHERE channel = 'email' "
                                          "AND state <> 'sent'")[0]["n"]

    def submissions_cases_invoices(self, accounts: list[str]) -> list[str]:
        """Every submission has exactly one case and one recertification invoice; nothing else has."""
        submissions = {str(r["id"]) for r in self.rows(
            "portfolio", "SELECT id FROM submissions WHERE kind = 'submission' "
                         "AND account_id = ANY(%s::uuid[])", accounts)}
        cases = collections.Counter(str(r["submission_id"]) for r in self.rows(
            "assessment", "SELECT submission_id FROM cases WHERE account_id = ANY(%s::uuid[])", accounts))
        invoices = collections.Counter(str(r["submission_id"]) for r in self.rows(
            "billing", "SELECT submission_id FROM invoices WHERE kind = 'recertification' "
                       "AND account_id = ANY(%s::uuid[])", accounts))
        problems = []
        for submission in sorted(submissions | set(cases) | set(invoices)):
            if submission not in submissions or cases[submission] != 1 or invoices[submission] != 1:
                problems.append(f"submission {submission}: in portfolio {submission in submissions}, "
                                f"{cases[submission]} case(s), {invoices[submission]} invoice(s)")
        return problems

    def certificates(self, accounts: list[str]) -> list[str]:
        """Each decided case has one decision; the certificate is renewed by 4 years from its old expiry
        after a positive one, unchanged (active until it expires) after a negative one."""
        problems = []
        for row in self.rows("assessment", """
                SELECT c.id, c.certificate_expires_on, cert.valid_until, cert.state,
                       array_agg(d.decision ORDER BY d.decided_at) FILTER (WHERE d.id IS NOT NULL)
                           AS decisions
                  FROM cases c JOIN certificates cert ON cert.id = c.certificate_id
                  LEFT JOIN decisions d ON d.case_id = c.id
                 WHERE c.account_id = ANY(%s::uuid[])
                 GROUP BY c.id, c.certificate_expires_on, cert.valid_until, cert.state""", accounts):
            decisions = row["decisions"] or []
            if len(decisions) > 1:
                problems.append(f"case {row['id']}: {len(decisions)} decisions {decisions}")
            expected = (add_years(row["certificate_expires_on"], 4) if decisions == ["positive"]
                        else row["certificate_expires_on"])
            if row["valid_until"] != expected or row["state"] != "active":
                problems.append(f"case {row['id']}: decisions {decisions}, certificate {row['state']} until "
                                f"{row['valid_until']}, expected active until {expected}")
        return problems

    def e_mails(self, accounts: list[str]) -> list[str]:
        """Every e-mail notifications made (to jobcoaches and staff) was sent and arrived (by its
        Message-ID); each of a finished story's e-mails arrived as exactly one message."""
        problems = []
        made = self.rows("notifications", "SELECT id, state, email_address, subject FROM messages "
                         "WHERE channel = 'email'")
        arrived = self.arrived_ids()
        for row in made:
            which = f"e-mail {row['id']} to {row['email_address']} ({row['subject']})"
            if row["state"] != "sent":
                problems.append(f"{which}: {row['state']}")
            elif str(row["id"]) not in arrived:
                problems.append(f"{which}: sent, never arrived")
        for story in self.stories:
            if not story.finished:
                continue
            subjects = collections.Counter()
            seen: set[str] = set()
            for message in self.mailbox.to(story.email):
                if message["Message-ID"] in seen:
                    continue  # the same message again: counted in redelivered_e_mails
                seen.add(message["Message-ID"])
                subjects[str(message["Subject"])] += 1
            expected = MAILS + MAILS_OUTCOME[story.outcome]
            for start in expected + AT_MOST_ONCE:
                n = sum(count for subject, count in subjects.items() if subject.startswith(start))
                most = story.links if start == MAILS[0] else 1
                if n > most or (n == 0 and start not in AT_MOST_ONCE):
                    problems.append(f"story {story.n} ({story.email}): {n} e-mail(s) '{start}...'")
        return problems

    def arrived_ids(self) -> set[str]:
        with self.mailbox.lock:
            return {str(m["Message-ID"]).strip("<>").partition("@")[0] for m in self.mailbox.messages}

    def redelivered(self) -> int:
        """Messages that arrived again under the same Message-ID: the one window mailer.py names (the
        server's 250 reached us, our commit did not), which receiving systems drop."""
        with self.mailbox.lock:
            ids = collections.Counter(str(m["Message-ID"]) for m in self.mailbox.messages)
        return sum(n - 1 for n in ids.values())

    def cases_not_stuck(self, accounts: list[str]) -> list[str]:
        """Every story ran to DNV's decision once the faults stopped: each case is decided."""
        return [f"case {r['id']} in {r['state']}" for r in self.rows(
            "assessment", "SELECT id, state FROM cases WHERE account_id = ANY(%s::uuid[]) "
                          "AND state <> 'decided'", accounts)]

    def dead_letters(self) -> list[str]:
        """Every consumer's dead-letter queue is empty; a letter found is listed with its error."""
        admin = urlsplit(self.system.infra.broker_admin_url)
        prefix = self.system.env["RECERT_QUEUE_PREFIX"]
        queues = requests.get(f"{admin.scheme}://{admin.hostname}:{admin.port}/api/queues/%2F",
                              params={"columns": "name,messages"}, auth=(admin.username, admin.password),
                              timeout=10).json()
        problems = []
        for queue in queues:
            name = queue["name"]
            if name.startswith(prefix) and name.endswith(".dead") and queue.get("messages"):
                for letter in list_dead_letters(self.system.infra.amqp_url, name.removesuffix(".dead")):
                    problems.append(f"{queue['name']}: {letter.event_type} {letter.event_id} after "
                                    f"{letter.retries} retries: {letter.error[:300]}")
        return problems


def run(infra, root: Path, seconds: float, coaches: int, seed: int | None = None) -> dict[str, Any]:
    """Start the soak's PostgreSQL, the SMTP server and every service (through the broker's proxy), run the
    soak, stop everything; returns the report."""
    from aiosmtpd.controller import Controller

    seed = seed if seed is not None else random.randrange(1 << 30)
    # The S3 server of the run (moto) runs in this process and logs every request it serves.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    postgres = PrivatePostgres().create()
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    # The services' databases on the soak's server; broker, exchange and S3 as the run's.
    soak_infra = dataclasses.replace(infra, postgres_url=postgres.url, databases=[])
    system = System(soak_infra, SERVICES, root / "logs", proxied=True, extra_env={
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.5",
        # A refusing server is tried again within seconds, for as long as the soak's refusals last.
        "RECERT_NOTIFICATIONS_SEND_RETRY_BASE_SECONDS": "1",
        "RECERT_NOTIFICATIONS_SEND_RETRY_MAX_SECONDS": "5",
        "RECERT_NOTIFICATIONS_SEND_MAX_ATTEMPTS": "100",
        "RECERT_ASSESSMENT_SCHEDULE_SECONDS": "5",
        # The staff log in once, at the start of a soak that may last half an hour.
        "RECERT_IDENTITY_ACCESS_TOKEN_TTL_SECONDS": str(int(seconds) + 3600),
    })
    try:
        started = time.monotonic()
        system.start()
        startup = time.monotonic() - started
        return {**Soak(system, postgres, mailbox, seconds, coaches, seed).run(),
                "startup_seconds": round(startup, 1)}
    except Exception:
        print(system.logs())
        raise
    finally:
        system.stop()
        controller.stop()
        postgres.destroy()


def summary(report: dict[str, Any]) -> str:
    """The counts, as the soak prints them."""
    stories, faults = report["stories"], report["faults"]
    return "\n".join([
        f"soak: {report['seconds']:.0f} s, {report['coaches']} jobcoaches at once, seed {report['seed']}",
        f"stories: {stories['started']} started, {stories['finished']} finished ({stories['positive']} "
        f"positive, {stories['negative']} negative), {stories['failed']} failed, median "
        f"{stories['median_seconds']} s",
        f"faults: {faults['kill']} processes killed ({faults['kill_web']} web, {faults['kill_worker']} "
        f"worker), {faults['broker']} broker cuts, {faults['postgres']} PostgreSQL restarts, "
        f"{faults['smtp']} SMTP refusal spells ({faults['smtp_refusals']} recipients refused)",
        f"requests: {report['requests']}, 5xx during faults {report['5xx_during_faults']}, outside faults "
        f"{report['5xx_outside_faults']}; unanswered during faults {report['unanswered_during_faults']}, "
        f"outside {report['unanswered_outside_faults']}",
        f"invariants: {'all hold' if not report['invariants']['violations'] else 'VIOLATED'}; "
        f"e-mails redelivered under the same Message-ID: {report['invariants']['redelivered_e_mails']}",
    ])
