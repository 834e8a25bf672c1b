"""The portal's users for the load test (``bench/bench_load.py``): locust users of every role, each asking the
gateway what the portal's screens ask of it (web/src), with a pause between screens.

Run by ``bench_load.py`` as ``python -m locust -f bench/load_users.py --headless ...`` once the system is up
and its people exist. It reads the people from the JSON file named by ``LOAD_SEED`` (tokens, ids, the cases
each may open) and writes every request it made (when, which operation, how long, and what went wrong) to
``LOAD_RESULTS``, from which ``bench_load.py`` computes its figures. An answer that is not 2xx, or a composed
answer (dashboard, work list, overview) with a part missing, is an error, kept with its status and body.

Operations are named by method and path as the API documents them (``GET /cases/{case_id}``), so that one
operation asked from several screens is counted once.
"""
from __future__ import annotations

import json
import os
import random
import time
from datetime import date, timedelta
from itertools import count

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

SEED = json.loads(open(os.environ["LOAD_SEED"]).read())
THINK = tuple(float(part) for part in os.environ.get("LOAD_THINK_SECONDS", "1,3").split(","))
RECORDS: list[tuple[float, str, float, str | None]] = []  # (started, operation, ms, error)
SPAWNED: dict[str, float] = {}


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_) -> None:
    SPAWNED.setdefault("at", time.time())


@events.quitting.add_listener
def _write(**_) -> None:
    with open(os.environ["LOAD_RESULTS"], "w") as out:
        json.dump({"spawning_complete_at": SPAWNED.get("at"), "records": RECORDS}, out)


class PortalUser(FastHttpUser):
    """One person of ``role`` (a key of the seed file), each user another one of them."""

    abstract = True
    role = ""
    wait_time = between(*THINK)
    _next = count()

    def on_start(self) -> None:
        people = SEED[self.role]
        self.me = people[next(type(self)._next) % len(people)]
        self.headers = {"Accept-Language": "nl", "Authorization": f"Bearer {self.me['token']}"}

    def call(self, method: str, operation: str, path: str | None = None, **kwargs) -> dict | None:
        """``operation`` (``GET /pe/summary``) at ``path`` (the operation's own path unless given)."""
        path = path or operation.split(" ", 1)[1]
        headers = {**getattr(self, "headers", {"Accept-Language": "nl"}), **kwargs.pop("headers", {})}
        started = time.time()
        with self.client.request(method, f"/api/v1{path}", name=operation, headers=headers,
                                 catch_response=True, **kwargs) as response:
            ms = (time.time() - started) * 1000
            error, body = None, None
            if not 200 <= (response.status_code or 0) < 300:
                error = f"{response.status_code} {(response.text or str(response.error))[:300]}"
            elif response.text:
                body = response.json()
                if isinstance(body, dict) and body.get("partial"):
                    error = f"{response.status_code} partial: missing {body.get('missing')}"
            if error:
                response.failure(error)
            RECORDS.append((started, operation, round(ms, 2), error))
            return body


class Jobcoach(PortalUser):
    """Every screen also asks the menu's unread count (case/menu.tsx refreshes it on each navigation)."""

    role = "jobcoach"
    weight = 80

    def on_start(self) -> None:
        super().on_start()
        self.saves = count()

    def menu(self) -> None:
        self.call("GET", "GET /messages/unread-count")

    @task(3)
    def dashboard(self) -> None:  # Home.tsx
        self.call("GET", "GET /dashboard")
        self.menu()

    @task(3)
    def pe_list(self) -> None:  # pe/List.tsx
        self.call("GET", "GET /pe/summary")
        self.call("GET", "GET /pe/activities")
        self.menu()

    @task(1)
    def pe_summary(self) -> None:  # pe/Summary.tsx
        self.call("GET", "GET /pe/summary")
        self.menu()

    @task(1)
    def add_activity(self) -> None:  # pe/Activity.tsx: the form, then saving it
        self.call("GET", "GET /pe/categories")
        self.menu()
        self.call("POST", "POST /pe/activities", json={
            "title": "Training gespreksvoering", "provider": "Opleider B.V.",
            "category": random.randint(1, 6), "unit": "sbu", "amount": str(random.randint(1, 8)),
            "completed_on": str(date.today() - timedelta(days=random.randint(1, 150)))})

    @task(2)
    def portfolio(self) -> None:  # portfolio/screens.tsx: the cycle and its readiness
        self.call("GET", "GET /portfolio/cycles/current")
        self.call("GET", "GET /portfolio/cycles/current/readiness")
        self.menu()

    @task(1)
    def save_part(self) -> None:  # portfolio/screens.tsx: a part's text saved
        self.call("PUT", "PUT /portfolio/cycles/current/parts/{part}", "/portfolio/cycles/current/parts/A2",
                  json={"text": f"Terugblik op vier jaar als jobcoach, versie {next(self.saves)}."})

    @task(1)
    def messages(self) -> None:  # case/Inbox.tsx; now and then all marked read
        self.call("GET", "GET /messages")
        self.menu()
        if random.random() < 0.3:
            self.call("POST", "POST /messages/read-all")


class Assessor(PortalUser):
    role = "assessor"
    weight = 6

    @task(3)
    def worklist(self) -> None:  # assessor/Worklist.tsx
        self.call("GET", "GET /worklist")

    @task(2)
    def case(self) -> None:  # assessor/data.ts: the case, the submission, the PE check and the form
        case = random.choice(self.me["cases"])
        self.call("GET", "GET /cases/{case_id}", f"/cases/{case['id']}")
        self.call("GET", "GET /portfolio/submissions/{submission_id}",
                  f"/portfolio/submissions/{case['submission_id']}")
        self.call("GET", "GET /cases/{case_id}/pe-check", f"/cases/{case['id']}/pe-check")


class DnvOfficer(PortalUser):
    role = "dnv"
    weight = 5

    @task(2)
    def overview(self) -> None:  # dnv/screens.tsx: the start screen
        self.call("GET", "GET /overview")

    @task(2)
    def cases(self) -> None:  # dnv/screens.tsx: the case list
        self.call("GET", "GET /cases", params={"page_size": 50})

    @task(1)
    def case(self) -> None:  # dnv/data.ts and the audit trail
        case = random.choice(SEED["cases"])
        self.call("GET", "GET /cases/{case_id}", f"/cases/{case['id']}")
        self.call("GET", "GET /cases/{case_id}/audit", f"/cases/{case['id']}/audit")


class NolocAdmin(PortalUser):
    role = "noloc"
    weight = 3

    @task(3)
    def register_search(self) -> None:  # Lookup.tsx
        self.call("GET", "GET /register", params={"q": random.choice(SEED["public"]["surnames"])})

    @task(1)
    def staff(self) -> None:  # account/StaffAccounts.tsx
        self.call("GET", "GET /admin/accounts")

    @task(1)
    def failed_messages(self) -> None:  # dnv/screens.tsx: the failed e-mails
        self.call("GET", "GET /messages/failed")


class Mentor(PortalUser):
    role = "mentor"
    weight = 3

    @task(2)
    def mentorships(self) -> None:  # mentors/screens.tsx: the mentor's jobcoaches
        self.call("GET", "GET /portfolio/mentorships")

    @task(1)
    def mentee(self) -> None:  # mentors/screens.tsx: one jobcoach's portfolio and PE summary
        mentee = random.choice(self.me["mentees"])
        self.call("GET", "GET /portfolio/mentorships/{mentorship_id}/portfolio",
                  f"/portfolio/mentorships/{mentee['mentorship_id']}/portfolio")
        self.call("GET", "GET /pe/accounts/{account_id}/summary",
                  f"/pe/accounts/{mentee['account_id']}/summary")


class Visitor(PortalUser):
    """Someone without an account: the public register and the verification of a credential."""

    role = "public"
    weight = 3

    def on_start(self) -> None:
        self.headers = {"Accept-Language": "nl"}

    @task(2)
    def search(self) -> None:  # Lookup.tsx
        self.call("GET", "GET /register", params={"q": random.choice(SEED["public"]["surnames"])})

    @task(2)
    def entry(self) -> None:  # the register's entry of one certificate
        number = random.choice(SEED["public"]["numbers"])
        self.call("GET", "GET /register/{certificate_number}", f"/register/{number}")

    @task(1)
    def verify(self) -> None:  # credentials/Verify.tsx: a pasted credential
        self.call("POST", "POST /credentials/verify",
                  json={"credential": random.choice(SEED["public"]["credentials"])})


# How many of each: fixed by the seed (bench_load.py splits LOAD_USERS), so that every user has a person.
# (In a function: locust takes every User class among the module's names, a loop variable too.)
def _fix_counts() -> None:
    for user in (Jobcoach, Assessor, DnvOfficer, NolocAdmin, Mentor, Visitor):
        user.fixed_count = SEED["users"][user.role]


_fix_counts()
