"""An objection upheld against the postponed decision DNV took on the failed PE check alone (ADR 0011,
amended): assessment.objection.decided with next_step "pe_check" annuls that decision with the PE supplement
it asked for, and the case goes back to DNV's PE check. Notifications ends the supplement term (no reminder,
in whatever order the events are handled) and tells the jobcoach once, in her language; an ordinary upheld
objection still promises a new decision. On the real database, through the real consumer, to a real SMTP
server."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from notifications_support import deliver_in_order, event_at, subjects

from recert_common.events import Event
from recert_notifications.store import SupplementDeadlineRepository

from service_harness import wait_for

DUE_ON = date(2027, 8, 1)
REMINDER_DAY = date(2027, 7, 18)  # 14 days before DUE_ON: the schedule's first day to remind


def _postponed_on_b(person, case, decision_id, at: datetime, due_on: date = DUE_ON) -> Event:
    """DNV's round-0 postponed decision on part B after the failed PE check."""
    return event_at("certification.decision.made", {
        "decision_id": decision_id, "case_id": case, "account_id": person.account_id,
        "certificate_id": uuid.uuid4(), "decision": "postponed", "follows_advice": True,
        "objection_deadline": date(2027, 6, 14), "supplement_due_on": due_on,
        "supplements": [{"part": "B", "assignment": "Vul je permanente educatie aan. Wat de PE-toets mist: "
                                                    "18 punten in categorie 1."}]}, at)


def _decided(person, case, decision_id, at: datetime, **outcome) -> Event:
    return event_at("assessment.objection.decided", {
        "objection_id": uuid.uuid4(), "case_id": case, "decision_id": decision_id,
        "account_id": person.account_id, "reason": "De cursus van maart telt mee in categorie 1.", **outcome},
        at)


def _failed_pe_check_and_postponement(h, person, at: datetime) -> tuple[uuid.UUID, uuid.UUID]:
    case, decision = uuid.uuid4(), uuid.uuid4()
    deliver_in_order(h, event_at("assessment.pe_check.completed", {
        "case_id": case, "account_id": person.account_id, "passed": False, "pe_points_counted": Decimal("57"),
        "pe_points_required": Decimal("75"), "findings": [
            {"text": "Categorie 1 heeft 12 van de 30 punten.", "activity_id": None, "category": "1"}]},
        at - timedelta(days=5)), _postponed_on_b(person, case, decision, at))
    deliver_in_order(h, event_at("assessment.objection.filed", {
        "objection_id": uuid.uuid4(), "case_id": case, "decision_id": decision,
        "account_id": person.account_id, "filed_at": at + timedelta(days=3)}, at + timedelta(days=3)))
    return case, decision


def _reminders(h, person) -> list:
    return [r for r in h.mailbox.to(person.email) if r.subject.startswith(("Herinnering", "Reminder"))]


def test_an_objection_upheld_back_to_the_pe_check_ends_the_supplement_term_and_is_told_once(notifications):
    h = notifications
    h.clock.day = date(2027, 5, 1)  # before any reminder is due
    jet = h.person("Jet Bezwaar", "jobcoach")
    karen = h.person("Karen Objection", "jobcoach", language="en")
    piet = h.person("Piet Gewoon", "jobcoach")  # an upheld objection from before next_step: a new decision
    t0 = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    cases, upheld = {}, []
    for person in (jet, karen, piet):
        case, decision = _failed_pe_check_and_postponement(h, person, t0)
        cases[person.account_id] = case
        outcome = {"outcome": "upheld"} if person is piet else {"outcome": "upheld", "next_step": "pe_check"}
        upheld.append(_decided(person, case, decision, t0 + timedelta(days=20), **outcome))
    deliver_in_order(h, *upheld)

    # The schedule reminds Piet, whose term runs on; Jet and Karen have no term left to be reminded of.
    h.clock.day = REMINDER_DAY
    wait_for(lambda: _reminders(h, piet), message="Piet's supplement reminder")
    assert h.service.send_reminders() == 0
    h.settle()
    assert _reminders(h, jet) == [] and _reminders(h, karen) == []
    terms = {row["case_id"]: row for row in h.rows(
        "SELECT case_id, due_on, closed_at, annulled_at FROM supplement_deadlines WHERE case_id = ANY(%s)",
        list(cases.values()))}
    for person, event in zip((jet, karen), upheld[:2], strict=True):
        assert terms[cases[person.account_id]] == {
            "case_id": cases[person.account_id], "due_on": DUE_ON, "closed_at": event.occurred_at,
            "annulled_at": event.occurred_at}
    assert terms[cases[piet.account_id]]["closed_at"] is None

    decided = [(jet, "Je bezwaar is gegrond verklaard: DNV toetst je PE opnieuw"),
               (karen, "Your objection has been upheld: DNV will check your PE again"),
               (piet, "Je bezwaar is gegrond verklaard")]
    for person, subject in decided:
        [mail] = [r for r in h.mailbox.to(person.email) if r.subject == subject]
        [in_app] = [m for m in h.messages(person, "in_app") if m["template"] == "objection_decided"]
        assert in_app["subject"] == subject and in_app["trigger_event_type"] == "assessment.objection.decided"
        if person is jet:
            assert "Het uitgestelde besluit dat DNV nam omdat je de PE-toets niet had gehaald, geldt " \
                   "daarom niet meer." in mail.text
            assert "je hoeft niets in te leveren en er loopt geen termijn meer" in mail.text
            assert "Voldoet je PE, dan gaat je portfolio door naar een beoordelaar" in mail.text
            assert "nieuw besluit" not in mail.text and "DNV toetst je PE opnieuw" in mail.html
        if person is karen:
            assert "The postponed decision DNV took because you did not pass the PE check therefore no " \
                   "longer applies." in mail.text
            assert "If your PE meets the requirements, your portfolio goes on to an assessor" in mail.text
            assert "new decision" not in mail.text
        if person is piet:
            assert "DNV neemt een nieuw besluit over je hercertificering" in mail.text
            assert "PE-toets" not in mail.text

    # Every event again, in the same envelopes, and the objection's outcome in a new one: nothing new.
    before = (Counter(subjects(h.mailbox.all())), h.scalar("SELECT count(*) FROM messages"))
    for event in upheld:
        h.redeliver(event)
        h.republish(event)
    marker = h.person("Mark Marker", "jobcoach")  # handled after everything before it on the queue
    h.wait_mail(marker)
    assert h.service.send_reminders() == 0
    h.settle()
    welcome = Counter({(marker.email, "Welkom bij Register Jobcoach"): 1})
    assert (subjects(h.mailbox.all()), h.scalar("SELECT count(*) FROM messages")) == (
        before[0] + welcome, before[1] + 2)


def test_a_postponed_decision_replayed_after_the_objection_that_annulled_it_opens_nothing_and_is_not_told(
        notifications):
    h = notifications
    h.clock.day = date(2027, 5, 1)
    sara = h.person("Sara Laat", "jobcoach")
    h.wait_mail(sara)
    t0 = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    case, decision = uuid.uuid4(), uuid.uuid4()
    postponed = _postponed_on_b(sara, case, decision, t0)
    upheld = _decided(sara, case, decision, t0 + timedelta(days=20), outcome="upheld", next_step="pe_check")
    # The postponed decision failed and was dead-lettered; the objection's outcome was handled; the operator
    # replayed the decision.
    deliver_in_order(h, upheld, postponed)

    [term] = h.rows("SELECT due_on, closed_at, annulled_at FROM supplement_deadlines WHERE case_id = %s",
                    case)
    assert term == {"due_on": DUE_ON, "closed_at": upheld.occurred_at, "annulled_at": upheld.occurred_at}
    h.clock.day = REMINDER_DAY
    assert h.service.send_reminders() == 0
    h.settle()
    assert [m["template"] for m in h.messages(sara, "email")] == ["account_registered", "objection_decided"]
    assert [r.subject for r in h.mailbox.to(sara.email)] == [
        "Welkom bij Register Jobcoach", "Je bezwaar is gegrond verklaard: DNV toetst je PE opnieuw"]


def test_an_objection_replayed_after_a_newer_postponement_keeps_that_term_and_says_a_new_decision(
        notifications):
    h = notifications
    h.clock.day = date(2027, 5, 1)
    tom = h.person("Tom Later", "jobcoach")
    h.wait_mail(tom)
    t0 = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    case, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    newer = _postponed_on_b(tom, case, second, t0 + timedelta(days=30), due_on=date(2027, 9, 1))
    upheld = _decided(tom, case, first, t0 + timedelta(days=20), outcome="upheld", next_step="pe_check")
    # The objection's outcome failed and was dead-lettered; DNV checked again and postponed once more; the
    # operator replayed the objection's outcome.
    deliver_in_order(h, _postponed_on_b(tom, case, first, t0), newer, upheld)

    [term] = h.rows("SELECT due_on, closed_at, annulled_at FROM supplement_deadlines WHERE case_id = %s",
                    case)
    assert term == {"due_on": date(2027, 9, 1), "closed_at": None, "annulled_at": None}
    h.settle()
    assert [r.subject for r in h.mailbox.to(tom.email)][-1] == "Je bezwaar is gegrond verklaard"


def test_the_deadline_store_keeps_an_annulment_whatever_the_order(notifications):
    """The guard itself, on the real database: an annulment handled first keeps a closed row that the
    postponement it annulled leaves closed, and open() says that postponement is not to be told; a newer
    postponement opens a term again and is told, which the annulled one handled later does not change."""
    h = notifications
    account, case, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    t0 = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)

    def state(conn, case_id=case):
        return conn.execute("SELECT due_on, closed_at, annulled_at FROM supplement_deadlines "
                            "WHERE case_id = %s", (case_id,)).fetchone()

    with h.db.transaction() as conn:
        deadlines = SupplementDeadlineRepository(conn)
        deadlines.annul(case, account, t0 + timedelta(days=20))  # the upheld objection, handled first
        assert state(conn) == {"due_on": None, "closed_at": t0 + timedelta(days=20),
                               "annulled_at": t0 + timedelta(days=20)}
        assert deadlines.open(case, account, DUE_ON, t0) is False  # the postponement it annulled, late
        assert state(conn) == {"due_on": DUE_ON, "closed_at": t0 + timedelta(days=20),
                               "annulled_at": t0 + timedelta(days=20)}
        deadlines.annul(case, account, t0 + timedelta(days=20))  # redelivered: the same
        assert deadlines.due_for_reminder(first_due_on=REMINDER_DAY, last_due_on=DUE_ON, limit=10) == []

        assert deadlines.open(case, account, date(2027, 9, 1), t0 + timedelta(days=60)) is True  # a newer one
        assert state(conn) == {"due_on": date(2027, 9, 1), "closed_at": None,
                               "annulled_at": t0 + timedelta(days=20)}
        assert deadlines.open(case, account, DUE_ON, t0) is False  # the annulled one again: no change
        deadlines.annul(case, account, t0 + timedelta(days=20))  # the old annulment again: no change
        assert state(conn) == {"due_on": date(2027, 9, 1), "closed_at": None,
                               "annulled_at": t0 + timedelta(days=20)}

        # In the usual order: opened, then annulled; a plain close (the supplement) annuls nothing.
        assert deadlines.open(other, account, DUE_ON, t0) is True
        deadlines.close(other, account, t0 + timedelta(days=10))
        assert state(conn, other)["annulled_at"] is None and deadlines.open(other, account, DUE_ON, t0)
        deadlines.annul(other, account, t0 + timedelta(days=20))
        assert state(conn, other) == {"due_on": DUE_ON, "closed_at": t0 + timedelta(days=20),
                                      "annulled_at": t0 + timedelta(days=20)}
