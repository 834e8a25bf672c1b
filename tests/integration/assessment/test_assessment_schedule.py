"""Two scheduler workers running at once (and restarted) send each expiry reminder exactly once per
certificate, lapse each certificate once, and report each overdue case once."""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta

from assessment_support import HEADER
from prometheus_client import CollectorRegistry

from recert_assessment import worker as assessment_worker
from recert_assessment.schedule import Scheduler
from recert_common.db import Database
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

        assessment.clock.day = date(2027, 7, 1)
        wait_for(lambda: assessment.scalar("SELECT count(*) FROM certificates WHERE id::text = ANY(%s) "
                                           "AND state = 'lapsed'", list(ids)) == len(ids), message="lapsed")
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
