"""Events handled late (ADR 0010, amended 2026-12-07): a handler that fails is retried at the back of the
queue and, after its last try, dead-lettered; an operator replays it later, after events that came after it.
The read models that time and word the messages keep what the later events said, on the real database
through the real consumer."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from recert_common.events import Event, new_event
from recert_notifications.store import SubmissionRepository

from service_harness import wait_for

PRODUCERS = {"identity": "identity", "portfolio": "portfolio", "certification": "assessment"}


def _event(type_: str, data: dict, at: datetime) -> Event:
    made = new_event(type_, data, producer=PRODUCERS[type_.split(".")[0]], subject=data.get("account_id"))
    return dataclasses.replace(made, occurred_at=at)


def _deliver(h, *events: Event) -> None:
    """One after the other, each handled before the next is published: the order they are handled in."""
    for event in events:
        h.publish_raw(event.to_json(), event.type)
        h.wait_handled(event.id)


# --- a submission replayed after its withdrawal ----------------------------------------------------------


def _submitted(person, certificate_id, expires_on: date, at: datetime) -> Event:
    return _event("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
        "account_id": person.account_id, "certificate_id": certificate_id,
        "certificate_expires_on": expires_on, "submitted_at": at, "snapshot_hash": "d" * 64,
        "pe_activity_ids": [], "pe_points_counted": Decimal("75"), "reflection_meetings": 4,
        "is_new_portfolio_after_negative": False}, at)


def _withdrawn(submitted: Event, at: datetime) -> Event:
    data = submitted.data
    return _event("portfolio.withdrawn", {
        "portfolio_id": data["portfolio_id"], "cycle_id": data["cycle_id"],
        "submission_id": data["submission_id"], "account_id": data["account_id"],
        "reason": "Nog niet compleet"}, at)


def test_a_submission_replayed_after_its_withdrawal_leaves_the_period_without_a_portfolio(notifications):
    h = notifications
    jet = h.person("Jet Laat", "jobcoach")
    h.wait_mail(jet)
    certificate, expires_on = uuid.uuid4(), date(2027, 6, 30)
    t0 = datetime.now(UTC) - timedelta(days=3)
    submitted = _submitted(jet, certificate, expires_on, t0)
    withdrawn = _withdrawn(submitted, t0 + timedelta(days=1))
    # The submission failed and was dead-lettered; the withdrawal was handled; then the operator replayed.
    _deliver(h, withdrawn, submitted)

    [row] = h.rows("SELECT certificate_id, certificate_expires_on, withdrawn_at FROM submissions "
                   "WHERE submission_id = %s", submitted.data["submission_id"])
    assert row == {"certificate_id": certificate, "certificate_expires_on": expires_on,
                   "withdrawn_at": withdrawn.occurred_at}
    # No "portfolio received" after the withdrawal was told.
    assert [m["template"] for m in h.messages(jet, "email")] == ["account_registered", "portfolio_withdrawn"]

    h.clock.day = date(2027, 6, 1)
    h.publish("certification.certificate.expiring", {
        "certificate_id": certificate, "certificate_number": "RJ-2023-0077", "account_id": jet.account_id,
        "months_before": 1, "valid_until": expires_on, "window_opens_on": date(2027, 3, 30),
        "window_open": True})
    [reminder] = wait_for(lambda: [r for r in h.mailbox.to(jet.email)
                                   if r.subject.startswith("Je certificaat verloopt")],
                          message="the reminder")
    assert "Je hebt je portfolio al ingediend" not in reminder.text
    assert "dien je niet op tijd in, dan vervalt je certificaat" in reminder.text


def test_the_submissions_store_keeps_a_withdrawal_that_came_first(notifications):
    """The guard itself, on the real database: a withdrawal of a submission not known yet is kept, and the
    submission recorded later fills the row in and stays withdrawn; one not withdrawn counts."""
    h = notifications
    account, certificate, expires_on = uuid.uuid4(), uuid.uuid4(), date(2027, 6, 30)
    withdrawn_id, standing_id = uuid.uuid4(), uuid.uuid4()
    t0 = datetime(2027, 4, 2, 9, 30, tzinfo=UTC)
    with h.db.transaction() as conn:
        submissions = SubmissionRepository(conn)
        submissions.withdraw(withdrawn_id, account, t0 + timedelta(days=1))
        assert not submissions.has_submission(certificate, expires_on)
        assert submissions.record(submission_id=withdrawn_id, account_id=account, certificate_id=certificate,
                                  certificate_expires_on=expires_on, submitted_at=t0) is False
        assert not submissions.has_submission(certificate, expires_on)
        # A second withdrawal (a republished event) keeps the first time.
        submissions.withdraw(withdrawn_id, account, t0 + timedelta(days=5))
        assert submissions.record(submission_id=standing_id, account_id=account, certificate_id=certificate,
                                  certificate_expires_on=expires_on, submitted_at=t0 + timedelta(days=2))
        assert submissions.has_submission(certificate, expires_on)
        rows = conn.execute("SELECT submission_id, submitted_at, withdrawn_at FROM submissions "
                            "WHERE account_id = %s ORDER BY submitted_at", (account,)).fetchall()
    assert rows == [
        {"submission_id": withdrawn_id, "submitted_at": t0, "withdrawn_at": t0 + timedelta(days=1)},
        {"submission_id": standing_id, "submitted_at": t0 + timedelta(days=2), "withdrawn_at": None}]
