"""Two scheduler workers running at once (and restarted) send each expiry reminder exactly once per
certificate, lapse each certificate once, and report each overdue case once."""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from assessment_support import HEADER, form
from prometheus_client import CollectorRegistry
from psycopg.rows import dict_row

from recert_assessment import worker as assessment_worker
from recert_assessment.domain import EXPIRY_NOTICE_MONTHS, expiry_notice, expiry_notice_due
from recert_assessment.schedule import EXPIRING, Scheduler, expiring_event_data
from recert_assessment.store import CertificateRepository, SqlAssessmentUnitOfWork
from recert_common.db import Database
from recert_common.events import load_event, new_event
from recert_common.rules import add_months, add_years
from recert_common.worker import Schedule, Worker

from service_harness import wait_for

EXPIRES = date(2027, 6, 30)
MOMENTS = [(date(2026, 6, 30), 12), (date(2026, 12, 30), 6), (date(2027, 3, 30), 3), (date(2027, 5, 30), 1)]


class Runs:
    """How often each worker's schedule ran, so the test knows both really took part."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def job(self, name: str, scheduler: Scheduler):
        def run(db: Database):
            scheduler.run(db)
            with self.lock:
                self.counts[name] += 1
        return run

    def wait_both(self, more: int = 3) -> None:
        with self.lock:
            start = dict(self.counts)
        wait_for(lambda: all(self.counts[n] >= start.get(n, 0) + more for n in ("a", "b")),
                 message="both schedulers ran again")


def _start_two(assessment, runs: Runs) -> list[tuple[Worker, Database]]:
    started = []
    for name in ("a", "b"):
        db = Database(assessment.settings.database_url, max_size=3).open(wait=True)
        schedule = Schedule("certificates", 0.01, runs.job(name, Scheduler(assessment.clock)))
        started.append((Worker(assessment.settings, db, (), [schedule], relay=False).start(), db))
    return started


def _stop(started) -> None:
    for worker, db in started:
        worker.stop()
        db.close()


def test_two_schedulers_send_each_expiring_event_exactly_once(assessment):
    assessment.clock.day = date(2026, 6, 1)
    coaches = [assessment.person() for _ in range(12)]
    text = HEADER + "".join(f"{c.membership_number},RJ-TWO-{i:03d},{EXPIRES}{c.holder}\n"
                            for i, c in enumerate(coaches))
    assert assessment.ok(assessment.import_csv(text))["linked"] == len(coaches)
    ids = {e["data"]["certificate_id"] for e in assessment.outbox("certification.certificate.registered")}

    def expiring() -> Counter:
        return Counter((e["data"]["certificate_id"], e["data"]["months_before"])
                       for e in assessment.outbox("certification.certificate.expiring")
                       if e["data"]["certificate_id"] in ids)

    runs = Runs()
    started = _start_two(assessment, runs)
    try:
        runs.wait_both()
        assert expiring() == Counter()  # more than 12 months before expiry
        for sent, (day, months) in enumerate(MOMENTS, start=1):
            assessment.clock.day = day
            wait_for(lambda n=sent: sum(expiring().values()) >= n * len(ids),
                     message=f"{months}-month reminders")
            runs.wait_both()  # both keep running on this day: nothing more may come
            assert expiring() == Counter({(c, m): 1 for c in ids for _, m in MOMENTS[:sent]})
        _stop(started)
        started = _start_two(assessment, runs)  # a restart sends nothing again
        runs.wait_both()
        assert expiring() == Counter({(c, m): 1 for c in ids for _, m in MOMENTS})

        def lapsed_count() -> int:
            return assessment.scalar("SELECT count(*) FROM certificates WHERE id::text = ANY(%s) "
                                     "AND state = 'lapsed'", list(ids))

        # The day after expiry they wait for portfolio's word (ADR 0042); half of them hear it, while both
        # timers run; the rest lapse on the timers once portfolio has been silent for a week.
        assessment.clock.day = date(2027, 7, 1)
        runs.wait_both()
        assert lapsed_count() == 0
        holders = {e["data"]["certificate_id"]: e["data"]["account_id"]
                   for e in assessment.outbox("certification.certificate.registered")}
        for certificate_id in sorted(ids)[:6]:
            holder = holders[certificate_id]
            assessment.publish("portfolio.deadline.missed", {
                "cycle_id": uuid.uuid4(), "account_id": holder, "certificate_id": certificate_id,
                "kind": "regular", "expires_on": EXPIRES, "submit_by": EXPIRES}, subject=holder)
        wait_for(lambda: lapsed_count() == 6, message="lapsed on portfolio's word")
        runs.wait_both()
        assert lapsed_count() == 6
        assessment.clock.day = date(2027, 7, 8)
        wait_for(lambda: lapsed_count() == len(ids), message="lapsed")
        runs.wait_both()
        lapsed = Counter(e["data"]["certificate_id"]
                         for e in assessment.outbox("certification.certificate.lapsed"))
        assert {c: lapsed[c] for c in ids} == dict.fromkeys(ids, 1)
    finally:
        _stop(started)


def test_two_schedulers_report_an_overdue_case_once(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach = assessment.person()
    case = assessment.submit(coach, assessment.certificate(coach, EXPIRES), submitted_on=date(2027, 4, 1))
    assert case["due_on"] == "2027-05-27"

    listing = assessment.ok(assessment.get("/v1/cases/overdue", assessment.officer.token))
    assert case["id"] not in [item["case"]["id"] for item in listing]  # due in 8 weeks: not yet listed
    assessment.clock.day = date(2027, 5, 20)
    [soon] = [i for i in assessment.ok(assessment.get("/v1/cases/overdue", assessment.officer.token))
              if i["case"]["id"] == case["id"]]
    assert (soon["status"], soon["stage"], soon["days_overdue"]) == ("due_soon", "pe_check", 0)

    runs = Runs()
    started = _start_two(assessment, runs)
    try:
        runs.wait_both()
        assert assessment.outbox("assessment.case.overdue", subject=coach.account_id) == []
        assessment.clock.day = date(2027, 5, 30)
        wait_for(lambda: assessment.outbox("assessment.case.overdue", subject=coach.account_id),
                 message="overdue reported")
        runs.wait_both()
        time.sleep(0.05)
        [event] = assessment.outbox("assessment.case.overdue", subject=coach.account_id)
        assert event["data"] == {"case_id": case["id"], "account_id": str(coach.account_id),
                                 "due_on": "2027-05-27", "stage": "pe_check", "assessor_id": None}
    finally:
        _stop(started)
    [late] = [i for i in assessment.ok(assessment.get("/v1/cases/overdue", assessment.officer.token))
              if i["case"]["id"] == case["id"]]
    assert (late["status"], late["days_overdue"]) == ("overdue", 3)


def test_the_overdue_cases_metric_counts_the_open_cases_past_their_due_date(assessment):
    """The operators' alert CasesOverdue reads this gauge (deploy/prometheus/alerts.yml): it counts what
    GET /v1/cases/overdue lists as overdue, and a case counts from the day after its due date."""
    registry = CollectorRegistry()
    for collector in assessment_worker.metrics(assessment.settings, assessment.db, today=assessment.clock):
        registry.register(collector)

    def gauge() -> float:
        return registry.get_sample_value(assessment_worker.OVERDUE_CASES)

    def listed() -> int:
        listing = assessment.ok(assessment.get("/v1/cases/overdue", assessment.officer.token))
        return len([item for item in listing if item["status"] == "overdue"])

    assessment.clock.day = date(2027, 8, 3)
    coach = assessment.person()
    case = assessment.submit(coach, assessment.certificate(coach, date(2027, 10, 31)),
                             submitted_on=date(2027, 8, 3))
    due_on = date.fromisoformat(case["due_on"])
    assessment.clock.day = due_on
    before = gauge()
    assert before == listed()
    assessment.clock.day = due_on + timedelta(days=1)
    assert gauge() == before + 1 == listed()


def test_the_waiting_for_portfolio_metric_counts_expired_certificates_nothing_explains(assessment):
    """The operators' alert LapsesWaitingForPortfolio reads this gauge: a certificate with an account more
    than a day past expiry, without portfolio's word (ADR 0042), a regular case or a decision."""
    registry = CollectorRegistry()
    for collector in assessment_worker.metrics(assessment.settings, assessment.db, today=assessment.clock):
        registry.register(collector)

    def gauge() -> float:
        return registry.get_sample_value(assessment_worker.WAITING_FOR_PORTFOLIO)

    expires = date(2031, 3, 31)  # a period no other test of the module reaches
    assessment.clock.day = date(2031, 3, 1)
    silent, heard, judged = (assessment.person() for _ in range(3))
    silent_certificate = assessment.certificate(silent, expires)
    heard_certificate = assessment.certificate(heard, expires)
    assessment.submit(judged, assessment.certificate(judged, expires), submitted_on=date(2031, 3, 20))
    assessment.clock.day = expires + timedelta(days=1)
    before = gauge()
    assessment.deadline_missed(heard, heard_certificate)
    assessment.clock.day = expires + timedelta(days=2)
    assert gauge() == before + 1  # the silent one; the heard one lapsed, the judged one has its case
    assessment.deadline_missed(silent, silent_certificate)
    assert gauge() == before


def test_the_supplements_waiting_metric_counts_cases_past_the_due_date_without_portfolios_word(assessment):
    """The other half of the alert WaitingForPortfolio: a case more than a day past its supplement's due date
    that DNV cannot decide until portfolio says nothing was handed in (ADR 0042)."""
    registry = CollectorRegistry()
    for collector in assessment_worker.metrics(assessment.settings, assessment.db, today=assessment.clock):
        registry.register(collector)

    def gauge() -> float:
        return registry.get_sample_value(assessment_worker.SUPPLEMENTS_WAITING)

    assessment.clock.day = date(2031, 1, 10)
    coach, assessor = assessment.person(), assessment.person("assessor")
    postponed = form("postponed", failing=("A1",), supplements=("A1",))
    case = assessment.assessed(coach, assessment.certificate(coach, date(2031, 6, 30)), assessor, postponed)
    due_on = date.fromisoformat(assessment.ok(assessment.decide(case, "postponed"), 201)["supplement_due_on"])
    assessment.clock.day = due_on + timedelta(days=1)
    before = gauge()
    assessment.clock.day = due_on + timedelta(days=2)
    assert gauge() == before + 1
    assessment.supplement_missed(coach, assessment.case(case["id"]))
    assert gauge() == before


# --- the set-based pass: the store's rule, its events, two passes at once ---------------------------------

def _seed(conn, expiries: list[date], *, linked: bool = True) -> list[uuid.UUID]:
    """Active certificates expiring on ``expiries``, written straight into the table."""
    ids = [uuid.uuid4() for _ in expiries]
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO certificates (id, number, membership_number, account_id, valid_from, valid_until, "
            "state, registered_at) VALUES (%s, %s, %s, %s, %s, %s, 'active', now())",
            [(i, f"RJ-S{i.hex[:12].upper()}", f"S{i.hex[:16]}", uuid.uuid4() if linked else None,
              add_years(day, -4), day) for i, day in zip(ids, expiries, strict=True)])
    return ids


def _open_case(conn, certificate_id: uuid.UUID, expires_on: date, state: str = "opened") -> None:
    conn.execute(
        "INSERT INTO cases (id, account_id, certificate_id, portfolio_id, cycle_id, submission_id, "
        "submitted_at, certificate_expires_on, is_new_portfolio_after_negative, pe_activity_ids, "
        "pe_points_claimed, reflection_meetings, snapshot_hash, state, due_on) "
        "VALUES (%s, %s, %s, %s, %s, %s, now(), %s, false, '{}', 75, 4, 'x', %s, %s)",
        (uuid.uuid4(), uuid.uuid4(), certificate_id, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), expires_on,
         state, expires_on))


@pytest.mark.parametrize("today", [date(2027, 1, 31), date(2027, 2, 28), date(2028, 2, 29), date(2027, 8, 31),
                                   date(2027, 12, 31), date(2026, 6, 1)])
def test_the_stores_choice_of_reminder_is_the_domains_day_by_day(assessment, today):
    """The store narrows the certificates down in SQL with the domain's rule (expiry_notice_due) written
    again: for every expiry date around the 13 months ahead (month ends and 29 February included) both
    name the same reminder, and a reminder recorded hides exactly that reminder."""
    horizon = add_months(today, 13)
    expiries = [today + timedelta(days=n) for n in range(-3, (horizon - today).days + 4)]
    with psycopg.connect(assessment.settings.database_url, row_factory=dict_row) as conn:
        ids = _seed(conn, expiries)
        store = CertificateRepository(conn)

        def unsent() -> dict[uuid.UUID, int]:
            return {c: months for c, _, months in store.reminders_unsent(today, horizon, EXPIRY_NOTICE_MONTHS)
                    if c in set(ids)}

        expected = {c: months for c, day in zip(ids, expiries, strict=True)
                    if today <= day <= horizon and (months := expiry_notice_due(day, today)) is not None}
        assert unsent() == expected and set(expected.values()) == set(EXPIRY_NOTICE_MONTHS)
        by_id = dict(zip(ids, expiries, strict=True))
        recorded = list(expected)[::2]
        earlier = [c for c in list(expected)[1::2] if expected[c] != 12]  # an earlier reminder, not today's
        for c in recorded:
            conn.execute("INSERT INTO expiry_notices VALUES (%s, %s, %s)", (c, expected[c], by_id[c]))
        for c in earlier:
            conn.execute("INSERT INTO expiry_notices VALUES (%s, 12, %s)", (c, by_id[c]))
        assert unsent() == {c: m for c, m in expected.items() if c not in recorded}
        conn.rollback()


def _pass(assessment, today: date) -> int:
    return Scheduler(lambda: today).send_expiry_notices(lambda: SqlAssessmentUnitOfWork(assessment.db), today)


def test_the_set_based_pass_sends_the_due_reminder_once_with_the_events_new_event_makes(assessment):
    today = date(2031, 3, 15)
    expiries = {12: date(2032, 2, 1), 6: date(2031, 9, 15), 3: date(2031, 6, 15), 1: date(2031, 4, 1)}
    with assessment.db.transaction() as conn:
        due = dict(zip(expiries, _seed(conn, list(expiries.values())), strict=True))
        far, unlinked, held, decided = (*_seed(conn, [date(2032, 6, 1)]), *_seed(conn, [date(2031, 5, 1)],
                                        linked=False), *_seed(conn, [date(2031, 5, 2), date(2031, 5, 3)]))
        _open_case(conn, held, date(2031, 5, 2))
        _open_case(conn, decided, date(2031, 5, 3), state="decided")
        certificates = {c: CertificateRepository(conn).get(c) for c in (*due.values(), decided)}
    ours = {*due.values(), far, unlinked, held, decided}

    def events() -> list[dict]:
        return [e for e in assessment.outbox(EXPIRING) if uuid.UUID(e["data"]["certificate_id"]) in ours]

    assert _pass(assessment, today) >= 5
    sent = events()
    expected = {**{c: months for months, c in due.items()}, decided: 3}  # a decided case holds nothing back
    assert {uuid.UUID(e["data"]["certificate_id"]): e["data"]["months_before"] for e in sent} == expected
    assert len(sent) == len(expected)
    event_ids = {r["event_id"] for r in assessment.rows("SELECT event_id FROM outbox WHERE event_type = %s",
                                                           EXPIRING)}
    for body in sent:
        certificate = certificates[uuid.UUID(body["data"]["certificate_id"])]
        notice = expiry_notice(certificate.id, certificate.valid_until, today)
        made = new_event(EXPIRING, expiring_event_data(certificate, notice), producer="assessment",
                         subject=certificate.account_id).to_message()
        generated = ("id", "occurred_at", "correlation_id")
        assert {k: v for k, v in body.items() if k not in generated} == \
            {k: v for k, v in made.items() if k not in generated}
        loaded = load_event(body)  # the envelope and the data fit their schemas
        assert uuid.UUID(body["id"]) in event_ids and loaded.correlation_id
        assert abs(loaded.occurred_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert _pass(assessment, today) == 0 and len(events()) == len(expected)  # not twice
    later = date(2031, 3, 16)  # the next day the 1-month reminder of the 12-month certificate is not due
    assert _pass(assessment, later) == 0 and len(events()) == len(expected)


def test_two_set_based_passes_at_once_send_each_of_thousands_of_reminders_once(assessment):
    """Two workers' passes over 2,500 due reminders (three batches each) at the same moment: every
    reminder once, none skipped, no deadlock, and the two reports add up to the events written."""
    today = date(2033, 1, 10)
    with assessment.db.transaction() as conn:
        ids = _seed(conn, [today + timedelta(days=n % 300) for n in range(2_500)])
    barrier = threading.Barrier(2)
    reports: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        db = Database(assessment.settings.database_url, max_size=2).open(wait=True)
        try:
            barrier.wait()
            reports.append(Scheduler(lambda: today).send_expiry_notices(lambda: SqlAssessmentUnitOfWork(db),
                                                                        today))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    wanted = set(map(str, ids))
    sent = Counter(e["data"]["certificate_id"] for e in assessment.outbox(EXPIRING)
                   if e["data"]["certificate_id"] in wanted)
    assert sent == Counter(dict.fromkeys(wanted, 1))
    assert assessment.scalar("SELECT count(*) FROM expiry_notices WHERE certificate_id = ANY(%s)",
                             ids) == 2_500
    assert sum(reports) >= 2_500  # this module's other certificates may be reminded too


def test_the_counts_count_what_the_overdue_list_lists_and_a_limit_keeps_its_head(assessment):
    """GET /v1/cases/counts (DNV's overview) counts by state in one query, and its overdue and due_soon are
    what GET /v1/cases/overdue lists with those statuses; ?limit gives the most urgent first."""
    assessment.clock.day = today = date(2029, 3, 1)
    with assessment.db.transaction() as conn:
        ids = _seed(conn, [date(2029, 6, 1)] * 6)
        for certificate_id, due, state in zip(ids, (-9, -1, 0, 5, 30, -4), ("assigned", "opened", "advised",
                                                                             "opened", "opened", "decided"),
                                              strict=True):
            _open_case(conn, certificate_id, today + timedelta(days=due), state=state)
    officer = assessment.officer.token
    counts = assessment.ok(assessment.get("/v1/cases/counts", officer))
    listed = assessment.ok(assessment.get("/v1/cases/overdue", officer))
    statuses = Counter(item["status"] for item in listed)
    assert (counts["overdue"], counts["due_soon"]) == (statuses["overdue"], statuses["due_soon"])
    assert statuses["overdue"] >= 2 and statuses["due_soon"] >= 2
    by_state = {r["state"]: r["n"] for r in assessment.rows("SELECT state, count(*) AS n FROM cases "
                                                            "GROUP BY state")}
    assert counts["by_state"] == {state: by_state.get(state, 0) for state in counts["by_state"]}
    assert len(counts["by_state"]) == 15 and counts["by_state"]["decided"] >= 1
    head = assessment.ok(assessment.get("/v1/cases/overdue?limit=2", officer))
    assert head == listed[:2]
    assert assessment.get("/v1/cases/overdue?limit=0", officer).status_code == 422
    assert assessment.get("/v1/cases/counts", assessment.person("assessor").token).status_code == 403
