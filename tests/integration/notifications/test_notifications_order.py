"""Events in any order: a notice about a person not known yet waits for their contact; profiles follow
identity's latest word; disabled accounts hear nothing more; supplement reminders come once, and not after
the supplement arrived."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from recert_common.events import new_event

from service_harness import wait_for


def _submitted(person, **extra) -> dict:
    return {"portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
            "account_id": person.account_id, "certificate_id": uuid.uuid4(),
            "certificate_expires_on": date(2027, 6, 30),
            "submitted_at": datetime(2027, 4, 2, 9, 30, tzinfo=UTC),
            "snapshot_hash": "d" * 64, "pe_activity_ids": [], "pe_points_counted": Decimal("75"),
            "reflection_meetings": 4, "is_new_portfolio_after_negative": False, **extra}


def test_an_event_about_someone_not_known_yet_waits_for_their_account_and_is_then_sent_once(notifications):
    h = notifications
    karel = h.person("Karel Appel", "jobcoach", language="en", register=False)
    anna = h.person("Anna Later", "assessor", register=False)
    submitted = h.publish("portfolio.submitted", _submitted(karel))
    assigned = h.publish("assessment.assessor.assigned", {
        "case_id": uuid.uuid4(), "account_id": karel.account_id, "assessor_id": anna.account_id,
        "due_on": date(2027, 5, 28)})
    assert h.messages(karel) == [] and h.messages(anna) == []
    parked = h.rows("SELECT recipient_id, template, event_id FROM parked_notices "
                    "WHERE recipient_id = ANY(%s) ORDER BY template", [karel.account_id, anna.account_id])
    assert parked == [{"recipient_id": anna.account_id, "template": "assessor_assigned",
                       "event_id": assigned.id},
                      {"recipient_id": karel.account_id, "template": "portfolio_submitted",
                       "event_id": submitted.id}]

    h.register(karel)
    received = h.wait_mail(karel, 2)
    assert sorted(r.subject for r in received) == ["Welcome to Register Jobcoach",
                                                   "Your portfolio has been submitted"]
    [row] = [m for m in h.messages(karel, "email") if m["template"] == "portfolio_submitted"]
    assert row["trigger_event_id"] == submitted.id
    h.register(anna)
    # Anna hears of the case, and it names Karel, whose contact is known by now.
    subjects = [r.subject for r in h.wait_mail(anna, 2)]
    assert "Nieuwe beoordeling voor jou: portfolio van Karel Appel" in subjects
    assert h.scalar("SELECT count(*) FROM parked_notices WHERE recipient_id = ANY(%s)",
                    [karel.account_id, anna.account_id]) == 0

    # Everything again, in the same envelopes: nothing new.
    for event in (submitted, assigned):
        h.redeliver(event)
    h.register(karel)  # a new envelope for the same registration: one welcome is enough
    h.settle()
    assert len(h.mailbox.to(karel.email)) == 2 and len(h.mailbox.to(anna.email)) == 2
    assert len(h.messages(karel)) == 4


def test_a_changed_profile_is_used_from_then_on_and_an_older_one_arriving_late_is_ignored(notifications):
    h = notifications
    jan = h.person("Jan Wit", "jobcoach")
    registered_at = h.published[-1].occurred_at
    h.wait_mail(jan)
    moved = dataclasses.replace(jan, email=f"nieuw.{jan.email}", language="en")
    h.publish("identity.account.updated", {**h.profile(moved), "changed": ["email", "preferred_language"]})
    # An update from before the registration, handled late (identity's relay retried it): ignored.
    stale = dataclasses.replace(
        new_event("identity.account.updated", {**h.profile(jan), "full_name": "Jan Oud",
                                               "changed": ["full_name"]},
                  producer="identity", subject=jan.account_id),
        occurred_at=registered_at - timedelta(days=1))
    h.redeliver(stale)
    h.wait_handled(stale.id)

    h.publish("identity.totp.enrolled", {"account_id": jan.account_id, "after_reset": False})
    [mail] = h.wait_mail(moved)
    assert mail.subject == "Authenticator app linked to your account"
    assert mail.message["To"] == f"Jan Wit <{moved.email}>"
    contact = h.rows("SELECT full_name, email, language FROM contacts WHERE account_id = %s", jan.account_id)
    assert contact == [{"full_name": "Jan Wit", "email": moved.email, "language": "en"}]


def test_a_disabled_account_hears_nothing_more(notifications):
    h = notifications
    ria = h.person("Ria Weg", "jobcoach")
    h.wait_mail(ria)
    h.publish("identity.account.disabled", {"account_id": ria.account_id, "disabled_by": uuid.uuid4(),
                                            "reason": "Vertrokken"})
    h.publish("identity.totp.enrolled", {"account_id": ria.account_id, "after_reset": True})
    h.settle()
    assert [m["template"] for m in h.messages(ria)] == ["account_registered", "account_registered"]
    assert len(h.mailbox.to(ria.email)) == 1


def _postponed(h, person, case, due_on):
    """DNV's postponed decision: the supplement term starts, and with it the reminder (ADR 0011)."""
    return h.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case, "account_id": person.account_id,
        "certificate_id": uuid.uuid4(), "decision": "postponed", "follows_advice": True,
        "objection_deadline": date(2027, 8, 15), "supplement_due_on": due_on,
        "supplements": [{"part": "A3", "assignment": "Verdiep de reflectie."}]})


def _reminders(h, person):
    return [r for r in h.mailbox.to(person.email) if r.subject.startswith("Herinnering")]


def test_a_supplement_is_reminded_of_once_per_due_date_and_not_once_it_arrived(notifications):
    h = notifications
    sara, tom = h.person("Sara Laat", "jobcoach"), h.person("Tom Vroeg", "jobcoach")
    sara_case, tom_case = uuid.uuid4(), uuid.uuid4()
    # A postponed advice starts no term: nothing is reminded of until DNV decides.
    h.publish("assessment.advice.given", {
        "case_id": sara_case, "account_id": sara.account_id, "assessor_id": uuid.uuid4(),
        "advice": "postponed", "is_reassessment": False,
        "supplements": [{"part": "A3", "assignment": "Verdiep de reflectie."}]})
    h.clock.day = date(2027, 7, 18)
    h.settle()
    assert h.service.send_reminders() == 0
    h.clock.day = date(2027, 5, 1)  # the decisions come long before the reminders are due
    _postponed(h, sara, sara_case, date(2027, 8, 1))
    _postponed(h, tom, tom_case, date(2027, 8, 1))
    h.publish("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": tom_case, "portfolio_id": uuid.uuid4(),
        "submission_id": uuid.uuid4(), "account_id": tom.account_id, "parts": ["A3"],
        "submitted_at": datetime(2027, 7, 10, 8, 0, tzinfo=UTC), "snapshot_hash": "e" * 64})

    h.clock.day = date(2027, 7, 17)  # fifteen days before: not yet
    assert h.service.send_reminders() == 0
    assert _reminders(h, sara) == []

    h.clock.day = date(2027, 7, 18)
    [reminder] = wait_for(lambda: _reminders(h, sara), message="Sara's reminder")
    assert reminder.subject == "Herinnering: lever je aanvulling uiterlijk 1 augustus 2027 in"
    h.clock.day = date(2027, 7, 25)  # the schedule runs again and again: still one
    assert h.service.send_reminders() == 0
    h.settle()
    assert len(_reminders(h, sara)) == 1 and _reminders(h, tom) == []

    # A later postponed decision (after an upheld objection) with a new date: that date is reminded of too.
    _postponed(h, sara, sara_case, date(2027, 10, 1))
    h.clock.day = date(2027, 9, 20)
    wait_for(lambda: len(_reminders(h, sara)) == 2, message="the reminder of the new date")
    assert _reminders(h, sara)[1].subject == "Herinnering: lever je aanvulling uiterlijk 1 oktober 2027 in"
    assert "Je hebt daarvoor nog 11 dagen." in _reminders(h, sara)[1].text
