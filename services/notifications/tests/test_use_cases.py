"""Notifications' use cases on the in-memory unit of work: sending e-mail with retries, the inbox, the
operators' retry, supplement reminders and retention; refusals publish nothing."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from notifications_fakes import FakeMessageRepository

from recert_notifications.domain import Channel, MessageNotFailed, MessageNotFound, State
from recert_notifications.mailer import SendFailed
from recert_notifications.problems import PROBLEMS

# --- sending e-mail --------------------------------------------------------------------------------------


def test_due_e_mails_are_sent_marked_sent_and_announced(world):
    jet, ann = world.person("Jet de Vries"), world.person("Ann Smith", language="en")
    assert world.service.send_due() == 2
    assert world.service.send_due() == 0
    assert [(m.to_address, m.to_name, m.language) for m in world.mailer.sent] == [
        (jet.email, "Jet de Vries", "nl"), (ann.email, "Ann Smith", "en")]
    [email] = world.messages(jet, Channel.EMAIL)
    assert (email.state, email.attempts, email.next_attempt_at) == (State.SENT, 1, None)
    assert world.mailer.sent[0].message_id == email.id and world.mailer.sent[0].subject == email.subject
    sent = [e for e in world.published("notifications.message.sent") if e.data["channel"] == "email"]
    assert [(e.data["message_id"], e.subject) for e in sent][0] == (email.id, jet.account_id)
    assert world.mailer.closed == 2  # one session per run


def test_an_e_mail_accepted_before_the_database_failed_is_recorded_sent_without_sending_it_again(
        world, monkeypatch):
    """The soak under faults: PostgreSQL restarting between the SMTP server's 250 and our commit sent the
    e-mail a second time once the database was back."""
    jet = world.person("Jet de Vries")
    recorded = FakeMessageRepository.mark_sent

    def database_gone(self, message_id, attempts):
        monkeypatch.setattr(FakeMessageRepository, "mark_sent", recorded)  # back for the next run
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(FakeMessageRepository, "mark_sent", database_gone)
    with pytest.raises(psycopg.OperationalError):
        world.service.send_due()
    [email] = world.messages(jet, Channel.EMAIL)
    assert email.state == State.PENDING and len(world.mailer.sent) == 1  # handed over, not recorded

    assert world.service.send_due() == 1
    assert len(world.mailer.sent) == 1  # not sent again
    [email] = world.messages(jet, Channel.EMAIL)
    assert (email.state, email.attempts) == (State.SENT, 1)
    sent = [e for e in world.published("notifications.message.sent") if e.data["channel"] == "email"]
    assert [e.data["message_id"] for e in sent] == [email.id]
    assert world.service.send_due() == 0 and len(world.mailer.sent) == 1


def test_a_temporary_failure_is_retried_with_back_off_until_the_last_try(world):
    jet = world.person("Jet de Vries")
    world.mailer.fail(jet.email, SendFailed("451 4.7.1 greylisted"))
    assert world.service.send_due() == 1
    [email] = world.messages(jet, Channel.EMAIL)
    assert (email.state, email.attempts, email.last_error) == (State.PENDING, 1, "451 4.7.1 greylisted")
    assert world.service.send_due() == 0  # not due before its back-off has passed
    for _ in (2, 3):
        world.db.advance(timedelta(hours=1))
        assert world.service.send_due() == 1
    [email] = world.messages(jet, Channel.EMAIL)
    assert (email.state, email.attempts, email.next_attempt_at) == (State.FAILED, 3, None)
    failed = world.published("notifications.message.failed")
    assert [(e.data["attempts"], e.data["permanent"]) for e in failed] == [(1, False), (2, False), (3, True)]
    assert failed[0].data["error"] == "451 4.7.1 greylisted" and failed[0].subject == jet.account_id


def test_the_back_off_doubles_from_the_configured_base(world):
    jet = world.person("Jet de Vries")
    world.mailer.fail(jet.email, SendFailed("451 try later"))
    world.service.send_due()
    [email] = world.messages(jet, Channel.EMAIL)
    assert timedelta(seconds=29) < email.next_attempt_at - world.db.clock <= timedelta(seconds=30)


def test_a_permanent_refusal_fails_at_once(world):
    jet = world.person("Jet de Vries")
    world.mailer.fail(jet.email, SendFailed("550 no such user", permanent=True))
    world.service.send_due()
    [email] = world.messages(jet, Channel.EMAIL)
    assert (email.state, email.attempts) == (State.FAILED, 1) and email.failed_at is not None
    [failed] = world.published("notifications.message.failed")
    assert failed.data["permanent"] is True


def test_an_unreachable_server_ends_the_batch(world):
    jet = world.person("Jet de Vries")
    world.person("Ann Smith")
    world.mailer.fail(jet.email, SendFailed("ConnectionRefusedError", connection=True))
    assert world.service.send_due() == 1
    assert world.mailer.sent == []


def test_a_run_sends_at_most_a_batch(make_world):
    world = make_world(send_batch_size=2)
    for name in ("Een", "Twee", "Drie"):
        world.person(name)
    assert [world.service.send_due() for _ in range(3)] == [2, 1, 0]


# --- the inbox -------------------------------------------------------------------------------------------


def _three_messages(world):
    jet = world.person("Jet de Vries")
    for months in (3, 1):
        world.handle("certification.certificate.expiring",
                     world.expiring(jet, certificate_id=uuid.uuid4(), months_before=months))
    return jet


def test_the_inbox_is_newest_first_with_pages_and_an_unread_filter(world):
    jet = _three_messages(world)
    items, total = world.service.inbox(jet.account_id, unread_only=False, page=1, page_size=2)
    assert total == 3 and [m.template for m in items] == ["certificate_expiring", "certificate_expiring"]
    assert items[0].created_at > items[1].created_at and all(m.channel == Channel.IN_APP for m in items)
    [oldest], _ = world.service.inbox(jet.account_id, unread_only=False, page=2, page_size=2)
    assert oldest.template == "account_registered"
    world.service.mark_read(jet.account_id, oldest.id)
    unread, total = world.service.inbox(jet.account_id, unread_only=True, page=1, page_size=20)
    assert total == 2 and oldest.id not in {m.id for m in unread}
    assert world.service.unread_count(jet.account_id) == 2


def test_reading_keeps_the_first_instant_and_read_all_counts_what_was_unread(world):
    jet = _three_messages(world)
    items, _ = world.service.inbox(jet.account_id, unread_only=False, page=1, page_size=20)
    first = world.service.mark_read(jet.account_id, items[0].id)
    assert first.read_at is not None
    assert world.service.mark_read(jet.account_id, items[0].id).read_at == first.read_at
    assert world.service.inbox_message(jet.account_id, items[0].id).read_at == first.read_at
    assert world.service.mark_all_read(jet.account_id) == 2
    assert world.service.mark_all_read(jet.account_id) == 0
    assert world.service.unread_count(jet.account_id) == 0


def test_someone_elses_message_and_an_e_mail_are_not_found_in_the_inbox(world):
    jet, ann = world.person("Jet de Vries"), world.person("Ann Smith")
    [in_app] = world.messages(jet, Channel.IN_APP)
    [email] = world.messages(jet, Channel.EMAIL)
    before = len(world.published())
    for reader, message_id in ((ann.account_id, in_app.id), (jet.account_id, email.id),
                               (jet.account_id, uuid.uuid4())):
        with pytest.raises(MessageNotFound):
            world.service.inbox_message(reader, message_id)
        with pytest.raises(MessageNotFound):
            world.service.mark_read(reader, message_id)
    assert world.messages(jet, Channel.IN_APP)[0].read_at is None
    assert len(world.published()) == before


# --- operators -------------------------------------------------------------------------------------------


def test_failed_e_mails_are_listed_latest_first_and_may_be_sent_again(world):
    jet, ann = world.person("Jet de Vries"), world.person("Ann Smith")
    for person in (jet, ann):
        world.mailer.fail(person.email, SendFailed("550 refused", permanent=True), times=1)
    world.service.send_due()
    items, total = world.service.failed_emails(page=1, page_size=20)
    assert total == 2 and [m.email_address for m in items] == [ann.email, jet.email]
    requeued = world.service.retry(items[1].id)
    assert (requeued.state, requeued.attempts, requeued.failed_at) == (State.PENDING, 0, None)
    assert world.service.send_due() == 1 and world.mailer.sent[-1].to_address == jet.email
    assert world.service.failed_emails(page=1, page_size=20)[1] == 1


def _moved(world, person, address):
    person.email = address
    world.handle("identity.account.updated", {**world.profile(person), "changed": ["email"]})


def test_a_failed_e_mail_sent_again_after_the_address_was_corrected_goes_to_the_new_address(world):
    jet = world.person("Jet de Vries")
    old = jet.email
    world.mailer.fail(old, SendFailed("550 no such user", permanent=True))
    world.service.send_due()
    [failed] = world.service.failed_emails(page=1, page_size=20)[0]
    _moved(world, jet, "jet@juist.example.org")
    assert world.service.retry(failed.id).email_address == "jet@juist.example.org"
    world.service.send_due()
    assert [m.to_address for m in world.mailer.sent] == ["jet@juist.example.org"]
    assert world.db.messages[failed.id].email_address == "jet@juist.example.org"


def test_an_e_mail_waiting_when_its_reader_changed_address_goes_to_the_new_address(world):
    jet = world.person("Jet de Vries")  # the welcome waits
    _moved(world, jet, "jet@nieuw.example.org")
    world.service.send_due()
    assert [m.to_address for m in world.mailer.sent] == ["jet@nieuw.example.org"]
    [email] = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "account_registered"]
    assert (email.state, email.email_address) == (State.SENT, "jet@nieuw.example.org")


def test_a_verification_link_stays_with_the_address_it_verifies(world):
    jet = world.person("Jet de Vries", register=False)
    world.handle("identity.email.verification_requested", {
        **world.profile(jet), "token": "t0ken-Abc_123-" * 3,
        "expires_at": datetime(2027, 7, 19, 9, 0, tzinfo=UTC)})
    verified_address = jet.email
    _moved(world, jet, "jet@anders.example.org")
    world.service.send_due()
    [link] = [m for m in world.mailer.sent if "t0ken" in m.text]
    assert link.to_address == verified_address


def test_only_a_failed_e_mail_may_be_retried(world):
    jet = world.person("Jet de Vries")
    [email] = world.messages(jet, Channel.EMAIL)
    [in_app] = world.messages(jet, Channel.IN_APP)
    before = len(world.published())
    with pytest.raises(MessageNotFailed) as refused:
        world.service.retry(email.id)
    assert refused.value.state == "pending"
    for message_id in (in_app.id, uuid.uuid4()):
        with pytest.raises(MessageNotFound):
            world.service.retry(message_id)
    assert world.messages(jet, Channel.EMAIL) == [email] and len(world.published()) == before


def test_the_refusals_are_answered_as_before():
    not_failed = PROBLEMS.problem_for(MessageNotFailed(state="sent"))
    assert (not_failed.status, not_failed.slug, not_failed.extensions) == (409, "message-not-failed",
                                                                           {"state": "sent"})
    assert PROBLEMS.problem_for(MessageNotFound(message_id=uuid.uuid4())).status == 404


# --- supplement reminders --------------------------------------------------------------------------------


def test_a_supplement_is_reminded_of_once_from_fourteen_days_before_its_due_date(world):
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case,
                                                               supplement_due_on=date(2027, 8, 1)))
    world.day = date(2027, 7, 17)
    assert world.service.send_reminders() == 0
    world.day = date(2027, 7, 18)
    assert world.service.send_reminders() == 2  # e-mail and in-app
    assert world.service.send_reminders() == 0
    [email] = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "supplement_due_soon"]
    assert email.subject == "Herinnering: lever je aanvulling uiterlijk 1 augustus 2027 in"
    assert email.trigger_event_id is None and email.trigger_event_type is None
    # A later postponement with a new date is reminded of again.
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case,
                                                               supplement_due_on=date(2027, 7, 25)))
    assert world.service.send_reminders() == 2


def test_no_reminder_once_the_supplement_is_in(world):
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case))
    world.handle("portfolio.supplement.submitted", world.supplement(jet, case_id=case))
    assert world.service.send_reminders() == 0


def test_a_reminder_for_someone_not_known_yet_waits_for_the_next_run(world):
    ghost = world.person("Nog Onbekend", register=False)
    world.handle("certification.decision.made", world.decision(ghost, "postponed", case_id=uuid.uuid4()))
    assert world.service.send_reminders() == 0
    world.handle("identity.account.registered", world.profile(ghost))
    assert world.service.send_reminders() == 2


# --- retention (ADR 0020) --------------------------------------------------------------------------------


def test_messages_before_a_final_decision_are_deleted_after_the_retention_period(world):
    jet, ann = world.person("Jet de Vries"), world.person("Ann Smith")
    world.service.send_due()
    world.handle("certification.certificate.expiring",
                 world.expiring(jet, certificate_id=uuid.uuid4(), months_before=1))  # e-mail still pending
    decided = world.handle("certification.decision.made",
                           world.decision(jet, "positive", case_id=uuid.uuid4()), occurred_at=world.db.now())
    decided_at = world.db.final_decisions[decided.data["decision_id"]]["decided_at"]
    retention = timedelta(days=world.settings.retention_days)
    assert world.service.purge_expired_messages(decided_at + retention - timedelta(days=1)) == (0, 0)
    # The welcome (e-mail sent, in-app) and the reminder's in-app message go; its pending e-mail stays.
    assert world.service.purge_expired_messages(decided_at + retention + timedelta(days=1)) == (1, 3)
    left = {(m.template, m.channel) for m in world.messages(jet)}
    assert left == {("certificate_expiring", Channel.EMAIL), ("decision_made", Channel.EMAIL),
                    ("decision_made", Channel.IN_APP)}
    assert len(world.messages(ann)) == 2
    assert world.service.purge_expired_messages(decided_at + retention * 2) == (0, 0)
