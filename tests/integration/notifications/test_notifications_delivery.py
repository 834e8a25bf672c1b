"""E-mail delivery against a real SMTP server: temporary refusals and an outage end in one delivery after
recovery; a server that keeps refusing ends in ``failed`` after the last try, shown to operators, who can send
it again; a permanent refusal fails at once."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from notifications_support import MAX_ATTEMPTS, Refusal
from prometheus_client import CollectorRegistry

from recert_notifications import worker as notifications_worker

from service_harness import wait_for

LOCKED = "Je account is tijdelijk geblokkeerd"


def _lock(h, person):
    return h.publish("identity.account.locked", {"account_id": person.account_id,
                                                 "reason": "failed_passwords",
                                                 "locked_until": datetime(2026, 12, 1, 9, 0, tzinfo=UTC)})


def _row(h, person, template="account_locked"):
    [row] = [m for m in h.messages(person, "email") if m["template"] == template]
    return row


def _events(h, type_, message_id):
    return [b["data"] for b in h.outbox(type_) if b["data"]["message_id"] == str(message_id)]


def _email_metrics(h):
    """The gauges the operators' alerts EmailsFailed and EmailsNotLeaving read (notifications' worker)."""
    registry = CollectorRegistry()
    for collector in notifications_worker.metrics(h.settings, h.db):
        registry.register(collector)
    return {name: registry.get_sample_value(name) for name in notifications_worker.EMAIL_GAUGES}


@pytest.mark.parametrize("refusal", [
    Refusal("451 4.7.1 Greylisted, please try again later", stage="rcpt", times=3),
    Refusal("421 4.3.2 Service shutting down, try again later", stage="data", times=3),
], ids=["451-at-rcpt", "421-at-data"])
def test_a_server_refusing_for_a_while_delivers_after_it_recovers_exactly_once(notifications, refusal):
    h = notifications
    jet = h.person("Jet Tijdelijk", "jobcoach")
    h.wait_mail(jet)
    h.mailbox.refusals[jet.email] = refusal
    _lock(h, jet)
    h.settle()

    locked = [r for r in h.mailbox.to(jet.email) if r.subject == LOCKED]
    assert len(locked) == 1 and refusal.refused == 3
    row = _row(h, jet)
    assert (row["state"], row["attempts"]) == ("sent", 4)
    assert refusal.reply in row["last_error"]  # the last refusal stays on record
    assert locked[0].message["Message-ID"] == f"<{row['id']}@registerjobcoach.nl>"
    failed = _events(h, "notifications.message.failed", row["id"])
    assert [(e["attempts"], e["permanent"]) for e in failed] == [(1, False), (2, False), (3, False)]
    assert [e["channel"] for e in _events(h, "notifications.message.sent", row["id"])] == ["email"]
    # The in-app copy was in the inbox from the start.
    [in_app] = [m for m in h.messages(jet, "in_app") if m["template"] == "account_locked"]
    assert in_app["state"] == "delivered" and in_app["subject"] == LOCKED


def test_mail_made_while_the_server_is_down_is_delivered_once_it_is_back(notifications):
    h = notifications
    jet = h.person("Jet Storing", "jobcoach")
    h.wait_mail(jet)
    h.smtp.stop()
    try:
        _lock(h, jet)
        wait_for(lambda: _row(h, jet)["attempts"] >= 2, message="two tries against the dead server")
        row = _row(h, jet)
        assert row["state"] == "pending" and "Connection" in row["last_error"]
        waiting = _email_metrics(h)  # what the alert EmailsNotLeaving watches
        assert waiting["recert_notifications_emails_retrying"] >= 1
        assert waiting["recert_notifications_emails_pending"] >= 1
        assert waiting["recert_notifications_email_oldest_pending_age_seconds"] > 0
    finally:
        h.smtp.start()
    h.settle()

    assert [r.subject for r in h.mailbox.to(jet.email)] == ["Welkom bij Register Jobcoach", LOCKED]
    row = _row(h, jet)
    assert row["state"] == "sent" and 3 <= row["attempts"] < MAX_ATTEMPTS
    settled = _email_metrics(h)
    assert settled["recert_notifications_emails_pending"] == 0
    assert settled["recert_notifications_emails_retrying"] == 0


def test_a_server_that_keeps_refusing_fails_after_the_last_try_and_operators_can_send_it_again(notifications):
    h = notifications
    jet = h.person("Jet Weigering", "jobcoach")
    h.wait_mail(jet)
    h.settle()  # the mail reaches the mailbox a moment before its row is marked sent
    before = _email_metrics(h)
    assert before["recert_notifications_emails_pending"] == 0
    assert before["recert_notifications_email_oldest_pending_age_seconds"] == 0
    h.mailbox.refusals[jet.email] = Refusal("451 4.3.0 Mailbox temporarily unavailable")
    _lock(h, jet)
    h.settle()

    after = _email_metrics(h)
    assert after["recert_notifications_emails_failed"] == before["recert_notifications_emails_failed"] + 1
    row = _row(h, jet)
    assert (row["state"], row["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert row["failed_at"] is not None and row["next_attempt_at"] is None
    assert [r.subject for r in h.mailbox.to(jet.email)] == ["Welkom bij Register Jobcoach"]
    failed = _events(h, "notifications.message.failed", row["id"])
    assert [e["permanent"] for e in failed] == [False] * (MAX_ATTEMPTS - 1) + [True]

    admin = h.token(uuid.uuid4(), "noloc_admin")
    listed = h.get("/v1/messages/failed", admin).get_json()
    [item] = [i for i in listed["items"] if i["id"] == str(row["id"])]
    assert (item["email_address"], item["template"], item["subject"], item["attempts"]) == (
        jet.email, "account_locked", LOCKED, MAX_ATTEMPTS)
    assert item["last_error"].startswith("recipient refused: 451")
    for role in ("jobcoach", "assessor"):
        assert h.get("/v1/messages/failed", h.token(uuid.uuid4(), role)).status_code == 403
    # DNV sees what did not arrive; sending again is Noloc's, which runs the e-mail.
    dnv = h.token(uuid.uuid4(), "dnv_officer")
    assert str(row["id"]) in [m["id"] for m in h.get("/v1/messages/failed", dnv).get_json()["items"]]
    for token in (jet.token, dnv):
        assert h.post(f"/v1/messages/{row['id']}/retry", token).status_code == 403

    del h.mailbox.refusals[jet.email]
    response = h.post(f"/v1/messages/{row['id']}/retry", admin)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["state"], response.get_json()["attempts"]) == ("pending", 0)
    h.settle()
    assert [r.subject for r in h.mailbox.to(jet.email)] == ["Welkom bij Register Jobcoach", LOCKED]
    assert _row(h, jet)["state"] == "sent"
    assert _email_metrics(h) == before
    assert all(i["id"] != str(row["id"]) for i in h.get("/v1/messages/failed", admin).get_json()["items"])

    again = h.post(f"/v1/messages/{row['id']}/retry", admin)
    assert again.status_code == 409 and again.get_json()["state"] == "sent"
    assert h.post(f"/v1/messages/{uuid.uuid4()}/retry", admin).status_code == 404
    [in_app] = [m for m in h.messages(jet, "in_app") if m["template"] == "account_locked"]
    assert h.post(f"/v1/messages/{in_app['id']}/retry", admin).status_code == 404


def test_a_permanent_refusal_fails_at_once(notifications):
    h = notifications
    jet = h.person("Jet Onbekend", "jobcoach")
    h.wait_mail(jet)
    h.mailbox.refusals[jet.email] = Refusal("550 5.1.1 No such user here")
    _lock(h, jet)
    h.settle()

    row = _row(h, jet)
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert row["last_error"] == "recipient refused: 550 5.1.1 No such user here"
    [failed] = _events(h, "notifications.message.failed", row["id"])
    assert failed["permanent"] is True and failed["attempts"] == 1


def _moved(h, person, address: str) -> None:
    """identity.account.updated: the person's address changed (corrected by Noloc, or by the person)."""
    person.email = address
    h.publish("identity.account.updated", {**h.profile(person), "changed": ["email"]})


def test_a_failed_e_mail_sent_again_after_the_address_was_corrected_goes_to_the_new_address(notifications):
    """The runbook for EmailsFailed (docs/operations.md): correct the address in identity, then send again.
    The retry goes to the address known now, not to the one the e-mail was first made for."""
    h = notifications
    jet = h.person("Jet Typfout", "jobcoach")
    h.wait_mail(jet)
    h.settle()
    old = jet.email
    h.mailbox.refusals[old] = Refusal("550 5.1.1 No such user here")
    _lock(h, jet)
    h.settle()
    row = _row(h, jet)
    assert (row["state"], row["email_address"]) == ("failed", old)

    _moved(h, jet, f"jet.juist.{uuid.uuid4().hex[:6]}@example.org")
    admin = h.token(uuid.uuid4(), "noloc_admin")
    response = h.post(f"/v1/messages/{row['id']}/retry", admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["email_address"] == jet.email  # where the next try goes
    h.settle()

    assert [r.subject for r in h.mailbox.to(jet.email)] == [LOCKED]
    assert [r.subject for r in h.mailbox.to(old)] == ["Welkom bij Register Jobcoach"]
    row = _row(h, jet)
    assert (row["state"], row["email_address"]) == ("sent", jet.email)  # the record says where it went


def test_an_e_mail_waiting_to_be_sent_goes_to_the_address_its_reader_has_when_it_is_sent(notifications):
    h = notifications
    jet = h.person("Jet Verhuist", "jobcoach")
    h.wait_mail(jet)
    h.settle()
    old = jet.email
    h.smtp.stop()
    try:
        _lock(h, jet)
        wait_for(lambda: _row(h, jet)["attempts"] >= 1, message="a try against the dead server")
        _moved(h, jet, f"jet.nieuw.{uuid.uuid4().hex[:6]}@example.org")
    finally:
        h.smtp.start()
    h.settle()

    assert [r.subject for r in h.mailbox.to(jet.email)] == [LOCKED]
    assert [r.subject for r in h.mailbox.to(old)] == ["Welkom bij Register Jobcoach"]
    assert _row(h, jet)["email_address"] == jet.email


def test_an_e_mail_to_an_address_that_is_no_account_keeps_its_address(notifications):
    """No contact to follow (the service desk's mails to an address): the stored address is the address."""
    h = notifications
    address = f"iemand.{uuid.uuid4().hex[:6]}@example.org"
    h.service.desk.open_request_logged_out(email=address, name="Iemand Zonder Account", subject="Inloggen",
                                           text="Ik kom er niet in.", language="nl")
    h.settle()
    [received] = h.mailbox.to(address)
    assert received.recipients == [address]
