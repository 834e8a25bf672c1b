"""Events handled late (ADR 0010, amended 2026-12-07): a handler that fails is retried at the back of the
queue and, after its last try, dead-lettered; an operator replays it later, after events that came after it.
The read models that time and word the messages keep what the later events said, on the real database
through the real consumer."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from notifications_support import deliver_in_order, event_at

from recert_common.events import Event
from recert_notifications.store import ContactRepository, SubmissionRepository, SupplementDeadlineRepository

from service_harness import wait_for

# --- a submission replayed after its withdrawal ----------------------------------------------------------


def _submitted(person, certificate_id, expires_on: date, at: datetime) -> Event:
    return event_at("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
        "account_id": person.account_id, "certificate_id": certificate_id,
        "certificate_expires_on": expires_on, "submitted_at": at, "snapshot_hash": "d" * 64,
        "pe_activity_ids": [], "pe_points_counted": Decimal("75"), "reflection_meetings": 4,
        "is_new_portfolio_after_negative": False}, at)


def _withdrawn(submitted: Event, at: datetime) -> Event:
    data = submitted.data
    return event_at("portfolio.withdrawn", {
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
    deliver_in_order(h, withdrawn, submitted)

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


# --- a postponed decision replayed after the supplement or the final decision ----------------------------


def _decision(person, case, decision: str, at: datetime, due_on: date | None = None) -> Event:
    data = {"decision_id": uuid.uuid4(), "case_id": case, "account_id": person.account_id,
            "certificate_id": uuid.uuid4(), "decision": decision, "follows_advice": True,
            "objection_deadline": date(2027, 8, 15)}
    if decision == "postponed":
        data.update(supplement_due_on=due_on, supplements=[{"part": "A3", "assignment": "Verdiep het."}])
    if decision == "negative":
        data.update(new_portfolio_deadline=date(2027, 10, 1))
    return event_at("certification.decision.made", data, at)


def _supplement(person, case, at: datetime) -> Event:
    return event_at("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case, "portfolio_id": uuid.uuid4(),
        "submission_id": uuid.uuid4(), "account_id": person.account_id, "parts": ["A3"], "submitted_at": at,
        "snapshot_hash": "e" * 64}, at)


def test_a_postponed_decision_replayed_after_the_supplement_or_the_final_decision_reminds_of_nothing(
        notifications):
    h = notifications
    sara = h.person("Sara Laat", "jobcoach")
    h.wait_mail(sara)
    t0 = datetime.now(UTC) - timedelta(days=60)
    handed_in, decided = uuid.uuid4(), uuid.uuid4()
    due_on = date(2027, 8, 1)
    # Each postponed decision was dead-lettered and replayed after what came next in its case.
    deliver_in_order(h, _supplement(sara, handed_in, t0 + timedelta(days=20)),
                     _decision(sara, handed_in, "postponed", t0, due_on),
                     _supplement(sara, decided, t0 + timedelta(days=20)),
                     _decision(sara, decided, "negative", t0 + timedelta(days=40)),
                     _decision(sara, decided, "postponed", t0, due_on))
    rows = h.rows("SELECT case_id, due_on, closed_at FROM supplement_deadlines WHERE account_id = %s",
                  sara.account_id)
    assert len(rows) == 2 and all(row["closed_at"] is not None and row["due_on"] == due_on for row in rows)

    h.clock.day = date(2027, 7, 25)
    assert h.service.send_reminders() == 0
    h.settle()
    assert [r for r in h.mailbox.to(sara.email) if r.subject.startswith("Herinnering")] == []


def test_the_deadline_store_keeps_each_term_as_its_decisions_say(notifications):
    """The guard itself, on the real database: a close handled first keeps a closed row that an older
    postponement leaves closed; a newer postponement opens the term again with its date, which an older close
    or an older postponement handled after it does not change."""
    h = notifications
    account, case = uuid.uuid4(), uuid.uuid4()
    t0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

    def state(conn):
        return conn.execute("SELECT due_on, closed_at FROM supplement_deadlines WHERE case_id = %s",
                            (case,)).fetchone()

    with h.db.transaction() as conn:
        deadlines = SupplementDeadlineRepository(conn)
        deadlines.close(case, account, t0 + timedelta(days=20))  # the supplement, handled first
        assert state(conn) == {"due_on": None, "closed_at": t0 + timedelta(days=20)}
        deadlines.open(case, account, date(2027, 6, 1), t0)  # its postponed decision, late
        assert state(conn) == {"due_on": date(2027, 6, 1), "closed_at": t0 + timedelta(days=20)}
        deadlines.open(case, account, date(2027, 8, 1), t0 + timedelta(days=40))  # a new postponement
        assert state(conn) == {"due_on": date(2027, 8, 1), "closed_at": None}
        deadlines.close(case, account, t0 + timedelta(days=20))  # the first supplement again, late
        deadlines.open(case, account, date(2027, 6, 1), t0)  # the first postponement again, late
        assert state(conn) == {"due_on": date(2027, 8, 1), "closed_at": None}
        found = deadlines.due_for_reminder(first_due_on=date(2027, 7, 25), last_due_on=date(2027, 8, 8),
                                           limit=10)
        assert [d.case_id for d in found] == [case]
        deadlines.close(case, account, t0 + timedelta(days=70))  # the final decision
        deadlines.open(case, account, date(2027, 8, 1), t0 + timedelta(days=40))  # the new one, late
        assert state(conn) == {"due_on": date(2027, 8, 1), "closed_at": t0 + timedelta(days=70)}
        assert deadlines.due_for_reminder(first_due_on=date(2027, 7, 25), last_due_on=date(2027, 8, 8),
                                          limit=10) == []


# --- an account's registration or profile replayed after it was disabled or erased -----------------------


def test_an_account_registered_late_after_it_was_disabled_hears_nothing_and_matches_nothing(notifications):
    h = notifications
    t0 = datetime.now(UTC) - timedelta(hours=2)
    olga = h.person("Olga Weg", "dnv_officer", register=False)
    ria = h.person("Ria Dicht", "jobcoach", register=False)
    for person in (olga, ria):
        # The registration failed and was dead-lettered; the account was disabled; the operator replayed.
        disabled = event_at("identity.account.disabled", {
            "account_id": person.account_id, "disabled_by": None, "reason": "Vertrokken"},
            t0 + timedelta(hours=1))
        deliver_in_order(h, disabled, event_at("identity.account.registered", h.profile(person), t0))
    contacts = h.rows("SELECT account_id, disabled_at FROM contacts WHERE account_id = ANY(%s)",
                      [olga.account_id, ria.account_id])
    assert len(contacts) == 2 and all(c["disabled_at"] == t0 + timedelta(hours=1) for c in contacts)

    otto = h.person("Otto Blijft", "dnv_officer")
    h.publish("assessment.case.opened", {"case_id": uuid.uuid4(), "account_id": ria.account_id,
                                         "portfolio_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
                                         "due_on": date(2027, 9, 1)})
    h.publish("identity.totp.enrolled", {"account_id": ria.account_id, "after_reset": False})
    wait_for(lambda: len(h.mailbox.to(otto.email)) >= 2, message="Otto's welcome and the new case")
    h.settle()
    assert h.messages(olga) == [] and h.messages(ria) == []
    assert h.mailbox.to(olga.email) == [] and h.mailbox.to(ria.email) == []
    with h.db.transaction() as conn:
        contacts = ContactRepository(conn)
        assert olga.account_id not in [c.account_id for c in contacts.with_role("dnv_officer")]
        assert contacts.by_confirmed_email(ria.email) == []


def test_a_profile_replayed_after_the_erasure_brings_no_personal_data_back(notifications):
    h = notifications
    t0 = datetime.now(UTC) - timedelta(days=40)
    jan = h.person("Jan Vergeten", "jobcoach", register=False)
    updated = event_at("identity.account.updated", {**h.profile(jan), "changed": ["full_name"]},
                       t0 + timedelta(days=1))
    erased = event_at("identity.account.erased", {"account_id": jan.account_id, "closed_at": t0},
                      t0 + timedelta(days=30))
    registered = event_at("identity.account.registered", h.profile(jan), t0 - timedelta(days=1))
    deliver_in_order(h, registered, erased, updated)
    h.publish("identity.totp.enrolled", {"account_id": jan.account_id, "after_reset": False})
    h.settle()
    assert h.rows("SELECT * FROM contacts WHERE account_id = %s", jan.account_id) == []
    assert h.rows("SELECT * FROM parked_notices WHERE recipient_id = %s", jan.account_id) == []
    assert h.messages(jan) == []
    assert h.rows("SELECT * FROM contact_tombstones WHERE account_id = %s", jan.account_id) == [
        {"account_id": jan.account_id, "disabled_at": None, "erased_at": erased.occurred_at}]


def test_the_contact_store_keeps_what_identity_ended(notifications):
    """The guard itself, on the real database: a disablement of an account not known yet is kept and the
    contact made later is disabled; an erasure leaves only the id and its time, and no later profile makes
    the contact again."""
    h = notifications
    disabled_first, erased = uuid.uuid4(), uuid.uuid4()
    t0 = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)

    def profile(account_id, at: datetime) -> dict:
        return {"account_id": account_id, "full_name": "Iemand", "email": f"{account_id.hex}@example.org",
                "language": "nl", "roles": ["dnv_officer"], "as_of": at}

    with h.db.transaction() as conn:
        contacts = ContactRepository(conn)
        contacts.disable(disabled_first, t0 + timedelta(hours=1))
        assert contacts.get(disabled_first) is None
        assert contacts.upsert(**profile(disabled_first, t0))
        contacts.confirm_email(disabled_first, f"{disabled_first.hex}@example.org")
        assert contacts.get(disabled_first).disabled
        assert contacts.upsert(**profile(disabled_first, t0 + timedelta(hours=2)))
        assert contacts.get(disabled_first).disabled
        assert disabled_first not in [c.account_id for c in contacts.with_role("dnv_officer")]
        assert contacts.by_confirmed_email(f"{disabled_first.hex}@example.org") == []

        assert contacts.upsert(**profile(erased, t0))
        contacts.erase(erased, t0 + timedelta(days=30))
        assert contacts.erased(erased) and not contacts.erased(disabled_first)
        assert not contacts.upsert(**profile(erased, t0 + timedelta(days=1)))
        assert not contacts.upsert(**profile(erased, t0 + timedelta(days=31)))
        assert contacts.get(erased) is None
        assert conn.execute("SELECT * FROM contact_tombstones WHERE account_id = %s", (erased,)).fetchall() \
            == [{"account_id": erased, "disabled_at": None, "erased_at": t0 + timedelta(days=30)}]
