"""Retention (the AVG, ADR 0020): a cycle's submitted snapshots and its proof files (rows, and objects in the
real S3 store) are deleted RECERT_PORTFOLIO_RETENTION_DAYS after the final decision on its case, by the
worker's schedule; not before, not after a postponed decision, and never by anything else (the snapshots'
immutability trigger still refuses every other delete)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import psycopg
import pytest
from portfolio_support import PDF

from recert_portfolio.worker import schedules

CURRENT = "/v1/portfolio/cycles/current"


def _submitted_with_proof(portfolio) -> tuple[object, dict, dict, uuid.UUID]:
    portfolio.clock.day = date(2027, 5, 1)
    coach = portfolio.coach()
    portfolio.certificate(coach, date(2027, 6, 30))
    meeting = portfolio.post(f"{CURRENT}/meetings", coach.token, json={
        "met_on": "2026-11-12", "kind": "quality_circle", "group_name": "Kwaliteitskring Zuid"}).get_json()
    assert portfolio.post(f"/v1/portfolio/meetings/{meeting['id']}/proof?filename=kring.pdf", coach.token,
                          data=PDF).status_code == 201
    for day in (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)):
        portfolio.noloc_meeting(coach, day)
    declarations = {"executive_jobcoach_declared": True, "currently_executive_jobcoach_declared": True}
    for part, text in (("A1", "cv"), ("A2", "terugblik"), ("A4", "plan")):
        portfolio.put(f"{CURRENT}/parts/{part}", coach.token,
                      json={"text": text, **(declarations if part == "A1" else {})})
    portfolio.put(f"{CURRENT}/parts/A3", coach.token, json={"text": "r", "meeting_id": meeting["id"]})
    portfolio.pe_activity(coach, date(2026, 2, 2), "75", "1")
    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    case_id = portfolio.case_opened(coach, submission)
    return coach, meeting, submission, case_id


def _decide(portfolio, coach, case_id, decision: str) -> None:
    data = {"decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
            "certificate_id": uuid.uuid4(), "decision": decision, "follows_advice": True,
            "objection_deadline": portfolio.clock() + timedelta(days=42)}
    if decision == "negative":
        data["new_portfolio_deadline"] = portfolio.clock() + timedelta(days=90)
    if decision == "postponed":
        data["supplement_due_on"] = portfolio.clock() + timedelta(days=90)
        data["supplements"] = [{"part": "A2", "assignment": "Vul de terugblik aan."}]
    portfolio.publish("certification.decision.made", data, subject=coach.account_id)


def _count(portfolio, sql: str, *params) -> int:
    with portfolio.service.db.transaction() as conn:
        return next(iter(conn.execute(sql, params).fetchone().values()))


def test_snapshots_and_proofs_are_deleted_after_the_retention_period(portfolio):
    retention = timedelta(days=portfolio.settings.retention_days)
    assert retention == timedelta(days=730)  # the documented default
    decided, coach_meeting, submission, case_id = _submitted_with_proof(portfolio)
    kept, _, kept_submission, kept_case = _submitted_with_proof(portfolio)
    _decide(portfolio, decided, case_id, "positive")
    _decide(portfolio, kept, kept_case, "postponed")  # not final
    with portfolio.service.db.transaction() as conn:
        decided_on = conn.execute("SELECT decided_on FROM decisions WHERE case_id = %s",
                                  (case_id,)).fetchone()["decided_on"]  # the day the event says
    proof_key = portfolio.service.meeting(uuid.UUID(coach_meeting["id"])).proof.object_key
    assert proof_key in portfolio.objects()

    assert portfolio.service.purge_expired_snapshots(decided_on + retention - timedelta(days=1)) == (0, 0, 0)
    assert _count(portfolio, "SELECT count(*) FROM submissions WHERE id = %s", submission["id"]) == 1

    assert portfolio.service.purge_expired_snapshots(decided_on + retention) == (1, 1, 1)
    assert _count(portfolio, "SELECT count(*) FROM submissions WHERE cycle_id = %s",
                  submission["cycle_id"]) == 0
    assert _count(portfolio, "SELECT count(*) FROM proofs WHERE account_id = %s", decided.account_id) == 0
    assert proof_key not in portfolio.objects()
    assert portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", decided.token).status_code == 404
    assert portfolio.get(f"/v1/portfolio/meetings/{coach_meeting['id']}/proof",
                         decided.token).status_code == 404
    # The other jobcoach's snapshot (postponed: not final) stays, and so does its proof.
    assert _count(portfolio, "SELECT count(*) FROM submissions WHERE id = %s", kept_submission["id"]) == 1
    assert _count(portfolio, "SELECT count(*) FROM proofs WHERE account_id = %s", kept.account_id) == 1
    # Once: the next run finds nothing.
    assert portfolio.service.purge_expired_snapshots(decided_on + retention * 2) == (0, 0, 0)

    # Outside the retention job a snapshot still cannot be deleted.
    with pytest.raises(psycopg.errors.RaiseException), portfolio.service.db.transaction() as conn:
        conn.execute("DELETE FROM submissions WHERE id = %s", (kept_submission["id"],))


def test_the_worker_schedules_the_retention(portfolio):
    coach, _, submission, case_id = _submitted_with_proof(portfolio)
    # A request to withdraw that came too late goes with its snapshot.
    assert portfolio.post(f"{CURRENT}/withdraw", coach.token).status_code == 202
    portfolio.withdrawal_answered(coach, case_id, submission, refused_at_stage="assigned")
    _decide(portfolio, coach, case_id, "negative")
    settings = type(portfolio.settings)(**{**portfolio.settings.__dict__, "retention_days": 0})
    [job] = [s for s in schedules(settings, portfolio.service.db) if s.name == "portfolio.retention"]
    assert job.every_seconds == settings.retention_interval_seconds
    job.job(portfolio.service.db)
    assert _count(portfolio, "SELECT count(*) FROM submissions WHERE id = %s", submission["id"]) == 0
    assert _count(portfolio, "SELECT count(*) FROM withdrawal_requests WHERE submission_id = %s",
                  submission["id"]) == 0


def test_an_erased_account_is_forgotten_snapshots_proofs_and_all(portfolio):
    coach, meeting, submission, case_id = _submitted_with_proof(portfolio)
    other, _, other_submission, _ = _submitted_with_proof(portfolio)
    proof_key = portfolio.service.meeting(uuid.UUID(meeting["id"])).proof.object_key
    _, officer = portfolio.staff("dnv_officer")
    assert portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", officer).status_code == 200
    asked = portfolio.post(f"{CURRENT}/withdraw", coach.token, json={"reason": "Persoonlijk."})
    assert asked.status_code == 202
    # What was sent about the person (the withdrawal's reason among it) is kept for audit once published;
    # the relay does not run here, so the rows are marked as it would.
    about = "SELECT count(*) FROM outbox WHERE body ->> 'subject' = %s"
    with portfolio.service.db.transaction() as conn:
        conn.execute("UPDATE outbox SET published_at = now()")
    assert _count(portfolio, about, str(coach.account_id)) >= 2  # submitted, withdrawal asked

    portfolio.publish("identity.account.erased", {"account_id": coach.account_id,
                                                  "closed_at": portfolio.service.now()},
                      subject=coach.account_id)
    assert _count(portfolio, about, str(coach.account_id)) == 0
    assert _count(portfolio, about, str(other.account_id)) >= 1
    for table, column in (("cycles", "account_id"), ("submissions", "account_id"), ("meetings", "account_id"),
                          ("proofs", "account_id"), ("accounts", "account_id"), ("cases", "account_id"),
                          ("pe_activities", "account_id"), ("access_log", "owner_id")):
        assert _count(portfolio, f"SELECT count(*) FROM {table} WHERE {column} = %s",
                      coach.account_id) == 0, table
    assert _count(portfolio, "SELECT count(*) FROM withdrawal_requests WHERE submission_id = %s",
                  submission["id"]) == 0
    assert proof_key not in portfolio.objects()
    assert portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", officer).status_code == 404
    assert portfolio.get(f"/v1/portfolio/submissions/{other_submission['id']}", officer).status_code == 200
    assert _count(portfolio, "SELECT count(*) FROM proofs WHERE account_id = %s", other.account_id) == 1
