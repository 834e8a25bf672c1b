"""Retention (the AVG, ADR 0020): the messages a jobcoach got before a final certification decision are
deleted RECERT_NOTIFICATIONS_RETENTION_DAYS after it, by the worker's schedule; the decision's own message,
later ones, other people's, and those after a postponed (not final) decision stay."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

from recert_common.clock import utcnow
from recert_notifications.worker import schedules


def _decision(h, person, decision: str) -> None:
    today = utcnow().date()
    data = {"decision_id": uuid.uuid4(), "case_id": uuid.uuid4(), "account_id": person.account_id,
            "certificate_id": uuid.uuid4(), "decision": decision, "follows_advice": True,
            "objection_deadline": today + timedelta(days=42)}
    if decision == "negative":
        data["new_portfolio_deadline"] = today + timedelta(days=90)
    if decision == "postponed":
        data["supplement_due_on"] = today + timedelta(days=90)
        data["supplements"] = [{"part": "A2", "assignment": "Vul de terugblik aan."}]
    h.publish("certification.decision.made", data, subject=person.account_id)


def test_messages_before_a_final_decision_are_deleted_after_the_retention_period(notifications):
    h = notifications
    retention = timedelta(days=h.service.settings.retention_days)
    assert retention == timedelta(days=730)  # the documented default
    decided, postponed = h.person("Ans Besluit", "jobcoach"), h.person("Piet Uitstel", "jobcoach")
    h.settle()
    before = {m["id"] for m in h.messages(decided)}
    assert before  # the welcome, in the inbox and by e-mail
    _decision(h, decided, "positive")
    _decision(h, postponed, "postponed")
    h.settle()
    after = {m["id"] for m in h.messages(decided)} - before
    assert after  # the decision's own message
    kept_other = {m["id"] for m in h.messages(postponed)}

    assert h.service.purge_expired_messages(utcnow() + retention - timedelta(days=1)) == (0, 0)
    assert {m["id"] for m in h.messages(decided)} == before | after

    decisions, deleted = h.service.purge_expired_messages(utcnow() + retention + timedelta(days=1))
    assert (decisions, deleted) == (1, len(before))
    assert {m["id"] for m in h.messages(decided)} == after
    assert {m["id"] for m in h.messages(postponed)} == kept_other
    inbox = h.get("/v1/messages", decided.token).get_json()
    assert all(m["id"] not in {str(i) for i in before} for m in inbox["items"])
    assert h.service.purge_expired_messages(utcnow() + retention * 2) == (0, 0)


def test_the_worker_schedules_the_retention(notifications):
    h = notifications
    person = h.person("Kees Direct", "jobcoach")
    h.settle()
    _decision(h, person, "negative")
    h.settle()
    settings = type(h.service.settings)(**{**h.service.settings.__dict__, "retention_days": 0})
    [job] = [s for s in schedules(settings, h.service.db) if s.name == "notifications.retention"]
    assert job.every_seconds == settings.retention_interval_seconds
    job.job(h.service.db)
    assert [m["template"] for m in h.messages(person)] and all(
        m["trigger_event_type"] == "certification.decision.made" for m in h.messages(person))


def test_an_erased_account_is_forgotten(notifications):
    h = notifications
    gone, stays = h.person("Els Weg", "jobcoach"), h.person("Bas Blijft", "jobcoach")
    h.settle()
    assert h.messages(gone) and h.messages(stays)
    h.publish("identity.account.erased", {"account_id": gone.account_id, "closed_at": utcnow()},
              subject=gone.account_id)
    assert h.messages(gone) == []
    assert h.scalar("SELECT count(*) FROM contacts WHERE account_id = %s", gone.account_id) == 0
    assert h.messages(stays)
    assert h.scalar("SELECT count(*) FROM contacts WHERE account_id = %s", stays.account_id) == 1


def test_retention_takes_the_e_mails_of_a_logged_out_request_matched_to_the_jobcoach(notifications):
    """The e-mails to a logged-out requester whose address matched the jobcoach's account (the confirmation
    link, support's answer) have no recipient, so the retention, which went by recipient, kept them; they
    are the jobcoach's messages as much as the answer to a request made logged in. The mail to support
    stays with the request."""
    h = notifications
    coach = h.person("Rosa Bewaard", "jobcoach")
    h.service.desk.open_request_logged_out(email=coach.email, name="Rosa", subject="Kwijt", text="Help",
                                           language="nl")
    [body] = [r["body_text"] for r in h.rows("SELECT body_text FROM messages WHERE template = 'desk_confirm' "
                                              "AND email_address = %s", coach.email)]
    thread, _ = h.service.desk.confirm(re.search(r"\?token=([A-Za-z0-9_-]+)", body).group(1))
    assert thread.request.matched_account_id == coach.account_id
    h.service.desk.answer(uuid.uuid4(), thread.request.id, "Bel ons.")
    h.settle()
    to_request = "SELECT template FROM messages WHERE service_request_id = %s AND email_address = %s"
    assert {r["template"] for r in h.rows(to_request, thread.request.id, coach.email)} == {
        "desk_confirm", "desk_request_answered"}
    _decision(h, coach, "positive")
    h.settle()

    h.service.purge_expired_messages(utcnow() + timedelta(days=h.service.settings.retention_days + 1))
    assert h.rows(to_request, thread.request.id, coach.email) == []
    assert [r["template"] for r in h.rows("SELECT template FROM messages WHERE service_request_id = %s",
                                          thread.request.id)] == ["desk_request_opened"]
