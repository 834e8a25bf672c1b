"""Fees as Noloc charges them and the register as it should read, through the gateway with every service
running as a process (issue 10, ADR 0013):

- registering on the platform costs nothing, for an external affiliate as for a member: the affiliate
  number (and its one-time fee) comes from Noloc's secretariat before anyone registers here;
- the register fee of an external affiliate is invoiced once per certificate year, counted from the
  certificate's start date: a certificate that started on 1 September 2024 and is loaded on 10 January 2025
  is invoiced for 1 September 2024 - 31 August 2025 (at 2024's figure), unless the import says Noloc was
  paid for it already; the next certificate year is invoiced when it starts, once, also with two billing
  workers; members are never invoiced;
- a lapsed certificate leaves the public register (404 as an unknown number, absent from searches) while
  its holder still sees it.

The services' "today" is fixed by their RECERT_<SERVICE>_TODAY settings; a new day is a restart.
"""
from __future__ import annotations

import time
import uuid
from datetime import date

import pytest

from e2e_fixtures import app_fixture, office_fixture, running_system
from frontend import Frontend, Person, unique_member_number
from journeys import eventually, ok
from processes import System

SERVICES = ["identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"]
IMPORTED_ON = date(2025, 1, 10)
VALID_UNTIL = date(2028, 9, 1)  # so the certificate started on 1 September 2024
NEXT_YEAR_STARTS = date(2025, 9, 1)
HEADER = "noloc_number,certificate_number,valid_until,email,name,register_fee_paid_until\n"


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory):
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_ASSESSMENT_TODAY": IMPORTED_ON.isoformat(),
        "RECERT_PORTFOLIO_TODAY": IMPORTED_ON.isoformat(),
        "RECERT_PORTFOLIO_DEADLINE_INTERVAL_SECONDS": "0.5",
        "RECERT_BILLING_TODAY": IMPORTED_ON.isoformat(),
        "RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS": "0.5",
    }) as system:
        yield system


app = app_fixture()
office = office_fixture()


def restart(system: System, service: str, today: date, *, workers: int = 1) -> None:
    """Stop the service's processes and start them again on ``today`` (``workers`` worker processes)."""
    for process in system.processes:
        if process.name.startswith(f"{service}-") and process.popen.poll() is None:
            process.stop()
    system.env[f"RECERT_{service.upper()}_TODAY"] = today.isoformat()
    web = system.start_web(service)
    system.wait_healthy(service, web)
    for _ in range(workers):
        system.wait_for_line(system.start_worker(service), '"worker started"')


def jobcoach(app: Frontend, kind: str, surname: str | None = None) -> Person:
    number = f"EXT-{uuid.uuid4().int % 900_000 + 100_000}" if kind == "affiliate" else unique_member_number()
    return app.login(app.register(number=number, full_name=f"Jet {surname or 'Jobcoach'}"))


def import_csv(app: Frontend, office, rows: list[tuple[Person, str, date, date | None]]) -> dict:
    """Noloc's CSV; the register_fee_paid_until column only when a row states the date."""
    with_paid = any(paid for *_, paid in rows)
    lines = [f"{person.account['membership_number']},{certificate},{until},{person.email},"
             f"{person.account['full_name']}"
             + (f",{paid or ''}" if with_paid else "") for person, certificate, until, paid in rows]
    header = HEADER if with_paid else HEADER.replace(",register_fee_paid_until", "")
    body = (header + "\n".join(lines) + "\n").encode()
    return ok(app.post("certificates/import", office.admin, data=body, headers={"Content-Type": "text/csv"}))


def invoices(app: Frontend, person: Person) -> list[dict]:
    return ok(app.get("invoices", person, params={"page_size": 100}))["items"]


def years(app: Frontend, person: Person) -> list[tuple[str, str, str]]:
    """(kind, first day, last day) of the person's invoices, oldest first."""
    return sorted((i["kind"], i["period_start"], i["period_end"]) for i in invoices(app, person))


def number() -> str:
    return f"RJ-{uuid.uuid4().hex[:8].upper()}"


def load_in_order(app: Frontend, office, rows: list[tuple[Person, str, date, date | None]]) -> None:
    """Load the rows one by one, each once the one before is in the register: billing then handles their
    events in this order (one producer, one queue), so once the last one's invoice is there, the ones
    before were handled too."""
    for row in rows:
        import_csv(app, office, [row])
        eventually(lambda person=row[0]: app.get("certificates/mine", person).status_code == 200,
                   what="the certificate in the register")


FIRST_YEAR = ("register_fee", "2024-09-01", "2025-08-31")
SECOND_YEAR = ("register_fee", "2025-09-01", "2026-08-31")


def test_registering_costs_nothing_and_the_register_fee_is_per_certificate_year(app, office):
    member, affiliate = jobcoach(app, "member"), jobcoach(app, "affiliate")
    load_in_order(app, office, [(member, number(), VALID_UNTIL, None),
                                (affiliate, number(), VALID_UNTIL, None)])
    eventually(lambda: invoices(app, affiliate), what="the affiliate's register fee")
    [invoice] = invoices(app, affiliate)  # and no affiliate-number fee next to it
    assert (invoice["kind"], invoice["period_start"], invoice["period_end"]) == FIRST_YEAR
    assert (invoice["issuer"], invoice["issued_on"], invoice["period_year"]) == ("Noloc", "2025-01-10", 2024)
    assert (invoice["net"]["amount"], invoice["gross"]["amount"]) == ("212.50", "257.13")
    assert invoice["number"].startswith("Noloc-2025-")
    assert invoices(app, member) == []


def test_a_year_paid_to_noloc_is_not_invoiced_and_the_next_year_is_invoiced_once(app, office, system):
    paid, unpaid = jobcoach(app, "affiliate"), jobcoach(app, "affiliate")
    load_in_order(app, office, [(paid, number(), VALID_UNTIL, date(2025, 8, 31)),
                                (unpaid, number(), VALID_UNTIL, None)])
    eventually(lambda: invoices(app, unpaid), what="the unpaid affiliate's register fee")
    assert years(app, unpaid) == [FIRST_YEAR]
    assert invoices(app, paid) == []

    # 1 September 2025: the next certificate year starts; two billing workers run the schedule every
    # half second, and each account gets it invoiced once.
    restart(system, "billing", NEXT_YEAR_STARTS, workers=2)
    eventually(lambda: len(invoices(app, unpaid)) == 2 and invoices(app, paid),
               what="the next certificate year's register fees")
    time.sleep(3)  # several more rounds of both workers' schedule
    assert years(app, unpaid) == [FIRST_YEAR, SECOND_YEAR]
    assert years(app, paid) == [SECOND_YEAR]
    numbers = [i["number"] for person in (unpaid, paid) for i in invoices(app, person)]
    assert len(set(numbers)) == 3 and all(n.startswith("Noloc-2025-") for n in numbers)


def test_a_lapsed_certificate_leaves_the_register_and_its_holder_still_sees_it(app, office, system):
    surname = f"Vervallen{uuid.uuid4().hex[:6]}"
    holder = jobcoach(app, "member", surname)
    lapsing = number()
    import_csv(app, office, [(holder, lapsing, date(2025, 2, 1), None)])
    eventually(lambda: app.get(f"register/{lapsing}").status_code == 200, what="the register entry")
    # The name searched for comes with identity's account event, which may arrive after the certificate.
    def found() -> list[str]:
        return [e["certificate_number"] for e in ok(app.get("register", params={"q": surname}))["items"]]

    eventually(lambda: found() == [lapsing], what="the register entry found by the holder's surname")

    # The day after the expiry date: portfolio announces that nothing was submitted, and assessment lapses
    # the certificate on it (ADR 0042).
    restart(system, "assessment", date(2025, 2, 2))
    restart(system, "portfolio", date(2025, 2, 2))

    def gone():
        return app.get(f"register/{lapsing}").status_code == 404

    eventually(gone, what="the lapsed certificate gone from the register")
    for language in ("nl", "en"):
        headers = {"Accept-Language": language}
        lapsed = app.get(f"register/{lapsing}", headers=headers)
        unknown = app.get(f"register/{number()}", headers=headers)
        assert lapsed.status_code == unknown.status_code == 404
        assert lapsed.headers["Content-Type"].startswith("application/problem+json")
        same = ("type", "title", "status", "detail")
        assert {k: lapsed.json()[k] for k in same} == {k: unknown.json()[k] for k in same}
        assert set(lapsed.json()) - {"instance"} == set(unknown.json()) - {"instance"}
    assert ok(app.get("register", params={"q": surname}))["items"] == []
    assert ok(app.get("register", params={"q": lapsing}))["items"] == []

    # The holder still sees their certificate, lapsed.
    mine = ok(app.get("certificates/mine", holder))
    assert (mine["certificate_number"], mine["state"]) == (lapsing, "lapsed")
