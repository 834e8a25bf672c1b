"""Every event handler of the PE registry against the in-memory unit of work: the read models it keeps,
what it imports and publishes, and that a redelivered or late event changes nothing."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pe_registry_fakes import (
    NOW,
    assessor_assigned,
    case_opened,
    certificate,
    completion,
    decided,
    event,
    handle,
    registered,
    submitted,
)

from recert_common.rules import InvalidPeAmount


def _holder(uow, handlers, number="12345678"):
    coach = uuid.uuid4()
    handle(uow, handlers.on_certificate, certificate(coach))
    handle(uow, handlers.on_account, registered(coach, number))
    return coach


# --- accounts and Noloc ----------------------------------------------------------------------------------


def test_an_account_keeps_its_newest_membership_number_and_ignores_a_late_one(handlers, uow, db):
    coach = uuid.uuid4()
    handle(uow, handlers.on_account, registered(coach, "12345678"))
    handle(uow, handlers.on_account, registered(coach, "87654321", type_="identity.account.updated",
                                               at=NOW + timedelta(minutes=5)))
    handle(uow, handlers.on_account, registered(coach, "11111111", type_="identity.account.updated",
                                               at=NOW + timedelta(minutes=1)))
    assert db.accounts[coach][0] == "87654321"
    assert uow.published == []


def test_a_completion_of_a_known_holder_becomes_one_category_1_activity(handlers, uow, db):
    coach = _holder(uow, handlers)
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))  # the same completion again
    [activity] = db.activities.values()
    assert (activity.account_id, activity.category, activity.source, activity.external_id,
            activity.points) == (coach, 1, "noloc_academy", "academy-1", Decimal("1.5"))
    [recorded] = uow.published
    assert (recorded.type, recorded.data["source"]) == ("pe.activity.recorded", "noloc_academy")


def test_a_removed_import_is_not_imported_again(handlers, service, uow, db):
    coach = _holder(uow, handlers)
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))
    service.remove_activity(coach, next(iter(db.activities)))
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))
    assert db.activities == {}


def test_a_completion_without_a_holder_is_parked_and_applied_when_the_holder_is_known(handlers, uow, db):
    coach = uuid.uuid4()
    handle(uow, handlers.on_account, registered(coach, "12345678"))  # no certificate: not the holder yet
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))
    assert (db.activities, uow.published, len(db.parked)) == ({}, [], 1)

    handle(uow, handlers.on_certificate, certificate(coach))
    [activity] = db.activities.values()
    assert (activity.account_id, db.parked) == (coach, {})
    assert uow.published_types() == ["pe.activity.recorded"]


def test_a_parked_completion_is_applied_when_the_certificate_holder_registers(handlers, uow, db):
    coach = uuid.uuid4()
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))
    handle(uow, handlers.on_certificate, certificate(coach))
    assert db.activities == {}
    handle(uow, handlers.on_account, registered(coach, "12345678"))
    assert [a.account_id for a in db.activities.values()] == [coach]


def test_an_implausible_completion_fails_before_it_is_parked(handlers, uow, db):
    with pytest.raises(InvalidPeAmount):
        handle(uow, handlers.on_noloc_activity_completed, completion("12345678", amount=Decimal(9999)))
    assert (db.parked, uow.published) == ({}, [])


# --- certificates, cases and decisions -------------------------------------------------------------------


def test_a_renewal_starts_the_period_the_day_after_the_decision_in_the_configured_zone(handlers, uow, db):
    coach = uuid.uuid4()
    handle(uow, handlers.on_certificate, certificate(
        coach, type_="certification.certificate.renewed", valid_from=date(2026, 6, 1),
        valid_until=date(2030, 6, 1)))
    # NOW is 1 April in Amsterdam: the period starts on 2 April.
    assert db.periods[coach].starts_on == date(2026, 4, 2)
    handle(uow, handlers.on_certificate, certificate(coach, valid_from=date(2020, 1, 1),
                                                     valid_until=date(2024, 1, 1)))
    assert db.periods[coach].valid_until == date(2030, 6, 1)  # the longer-running certificate stays


def test_an_imported_certificate_counts_from_its_first_day(handlers, uow, db):
    coach = uuid.uuid4()
    handle(uow, handlers.on_certificate, certificate(coach, valid_from=date(2025, 2, 3)))
    assert db.periods[coach].starts_on == date(2025, 2, 3)


def test_a_postponed_decision_extends_the_period_and_a_final_one_starts_retention(handlers, uow, db):
    coach, certificate_id, case_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    handle(uow, handlers.on_certificate, certificate(coach, certificate_id=certificate_id))
    handle(uow, handlers.on_decision_made, decided(coach, case_id, "postponed", certificate_id=certificate_id,
                                                   supplement_due_on=date(2028, 4, 1)))
    assert db.periods[coach].extended_until == date(2028, 4, 1)
    assert db.final_decisions == {}
    handle(uow, handlers.on_decision_made, decided(coach, case_id, "negative", certificate_id=uuid.uuid4(),
                                                   new_portfolio_deadline=date(2028, 5, 1)))
    assert db.periods[coach].extended_until == date(2028, 4, 1)  # another certificate: not extended
    assert [v[0] for v in db.final_decisions.values()] == [coach]
    handle(uow, handlers.on_decision_made, decided(coach, case_id, "positive"))
    assert len(db.final_decisions) == 2
    assert uow.published == []


def test_an_assessors_access_opens_on_assignment_and_supplement_and_closes_on_decision(handlers, uow, db):
    coach, case_id, assessor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    handle(uow, handlers.on_case_opened, case_opened(coach, case_id, uuid.uuid4()))
    handle(uow, handlers.on_assessor_assigned, assessor_assigned(coach, case_id, assessor))
    assert uow.cases.is_assessing(assessor, coach)
    handle(uow, handlers.on_decision_made, decided(coach, case_id, "postponed",
                                                   supplement_due_on=date(2026, 7, 1)))
    assert not uow.cases.is_assessing(assessor, coach)
    handle(uow, handlers.on_supplement_submitted, event(
        "portfolio.supplement.submitted", {"case_id": case_id, "account_id": coach},
        at=NOW + timedelta(days=1)))
    assert uow.cases.is_assessing(assessor, coach)
    # A late assignment event (older than the last change) changes nothing.
    other = uuid.uuid4()
    handle(uow, handlers.on_assessor_assigned, assessor_assigned(coach, case_id, other,
                                                                 at=NOW - timedelta(days=1)))
    assert not uow.cases.is_assessing(other, coach)


def test_a_part_b_supplement_locks_its_activities_and_makes_them_the_cases(handlers, service, uow, db):
    coach, case_id, assessor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = service.record_activity(coach, title="Cursus", provider="X", completed_on=date(2026, 1, 5),
                                    category=1, amount=Decimal(2), unit="sbu")
    submission_id = uuid.uuid4()
    handle(uow, handlers.on_portfolio_submitted, submitted(coach, submission_id, [first.id]))
    handle(uow, handlers.on_case_opened, case_opened(coach, case_id, submission_id))
    handle(uow, handlers.on_assessor_assigned, assessor_assigned(coach, case_id, assessor))
    handle(uow, handlers.on_decision_made, decided(coach, case_id, "postponed",
                                                   supplement_due_on=date(2026, 7, 1)))
    late = service.record_activity(coach, title="Training", provider="Y", completed_on=date(2026, 1, 6),
                                   category=2, amount=Decimal(3), unit="sbu")
    supplement = {"case_id": case_id, "account_id": coach, "submission_id": submission_id,
                  "supplement_submission_id": uuid.uuid4(), "pe_activity_ids": [first.id, late.id]}
    handle(uow, handlers.on_supplement_submitted,
           event("portfolio.supplement.submitted", supplement, at=NOW + timedelta(days=1)))
    assert uow.activities.get(late.id).locked
    assert uow.cases.is_assessing(assessor, coach, late.id)
    # Without Part B the event carries no activities and locks nothing.
    other = service.record_activity(coach, title="Intervisie", provider="Z", completed_on=date(2026, 1, 7),
                                    category=2, amount=Decimal(1), unit="sbu")
    handle(uow, handlers.on_supplement_submitted, event("portfolio.supplement.submitted", {
        **supplement, "supplement_submission_id": uuid.uuid4(), "pe_activity_ids": None},
        at=NOW + timedelta(days=2)))
    assert not uow.activities.get(other.id).locked


def test_a_submission_locks_its_activities_and_a_withdrawal_releases_them(handlers, service, uow, db):
    coach = uuid.uuid4()
    activity = service.record_activity(coach, title="Cursus", provider="X", completed_on=date(2026, 1, 5),
                                       category=1, amount=Decimal(2), unit="sbu")
    submission_id = uuid.uuid4()
    handle(uow, handlers.on_portfolio_submitted, submitted(coach, submission_id, [activity.id]))
    handle(uow, handlers.on_portfolio_submitted, submitted(coach, submission_id, [activity.id]))  # again
    assert uow.activities.get(activity.id).locked
    handle(uow, handlers.on_portfolio_withdrawn,
           event("portfolio.withdrawn", {"submission_id": submission_id, "account_id": coach}))
    assert not uow.activities.get(activity.id).locked


def _facts(uow, coach):
    return uow.activities.facts_in_period(coach, date(2025, 1, 1), date(2026, 3, 31))


def test_a_submitted_event_handled_after_the_withdrawal_locks_nothing(handlers, service, uow, db):
    """portfolio.submitted failed and was dead-lettered; the withdrawal was granted and handled (its hold
    went); then the dead letter is replayed. Nothing may stay locked: no withdrawal comes again."""
    coach = uuid.uuid4()
    activity = service.record_activity(coach, title="Cursus", provider="X", completed_on=date(2026, 1, 5),
                                       category=1, amount=Decimal(2), unit="sbu")
    submission_id = uuid.uuid4()
    service.hold_for_submission(coach, submission_id=submission_id, first=date(2025, 1, 1),
                                last=date(2026, 3, 31), seen=_facts(uow, coach), activity_ids=[activity.id])
    assert uow.activities.get(activity.id).locked
    handle(uow, handlers.on_portfolio_withdrawn,
           event("portfolio.withdrawn", {"submission_id": submission_id, "account_id": coach},
                 at=NOW + timedelta(minutes=5)))
    assert not uow.activities.get(activity.id).locked

    handle(uow, handlers.on_portfolio_submitted, submitted(coach, submission_id, [activity.id]))  # replayed
    assert not uow.activities.get(activity.id).locked
    assert db.submission_locks == {}
    assert service.update_activity(coach, activity.id, {"title": "Na intrekken"}).title == "Na intrekken"
    # A later submission of the same activities locks them as usual.
    handle(uow, handlers.on_portfolio_submitted, submitted(coach, uuid.uuid4(), [activity.id]))
    assert uow.activities.get(activity.id).locked


def test_a_supplement_under_a_withdrawn_submission_locks_nothing(handlers, service, uow, db):
    """An older supplement event (no supplement_submission_id) locks under the case's own submission; once
    that submission is withdrawn, such an event handled late locks nothing either (ADR 0043)."""
    coach, case_id = uuid.uuid4(), uuid.uuid4()
    activity = service.record_activity(coach, title="Cursus", provider="X", completed_on=date(2026, 1, 5),
                                       category=1, amount=Decimal(2), unit="sbu")
    submission_id = uuid.uuid4()
    handle(uow, handlers.on_portfolio_withdrawn,
           event("portfolio.withdrawn", {"submission_id": submission_id, "account_id": coach}))
    handle(uow, handlers.on_supplement_submitted, event("portfolio.supplement.submitted", {
        "case_id": case_id, "account_id": coach, "submission_id": submission_id,
        "pe_activity_ids": [activity.id]}, at=NOW + timedelta(days=1)))
    assert not uow.activities.get(activity.id).locked
    assert db.submission_locks == {}


# --- erasure ---------------------------------------------------------------------------------------------


def test_an_erased_account_is_forgotten_with_its_files(handlers, service, uow, db, objects):
    coach = _holder(uow, handlers)
    activity = service.record_activity(coach, title="Cursus", provider="X", completed_on=date(2026, 1, 5),
                                       category=1, amount=Decimal(2), unit="sbu")
    service.attach_evidence(coach, activity.id, io.BytesIO(b"%PDF-1.7\nbewijs\n%%EOF\n"), filename="b.pdf")
    handle(uow, handlers.on_portfolio_withdrawn,
           event("portfolio.withdrawn", {"submission_id": uuid.uuid4(), "account_id": coach}))
    other = _holder(uow, handlers, "87654321")
    handle(uow, handlers.on_account_erased, event("identity.account.erased", {
        "account_id": coach, "closed_at": datetime(2026, 1, 1, tzinfo=UTC)}))
    assert (db.activities, db.evidence, objects.objects, db.withdrawn_submissions) == ({}, {}, {}, {})
    assert set(db.accounts) == {other} and set(db.periods) == {other}
    handle(uow, handlers.on_account_erased, event("identity.account.erased", {  # redelivered: no error
        "account_id": coach, "closed_at": datetime(2026, 1, 1, tzinfo=UTC)}))


def test_every_consumed_type_has_a_handler_and_runs_in_a_joined_unit_of_work(settings):
    from recert_pe_registry.handlers import subscriptions

    [subscription] = subscriptions(settings, db=None)
    assert subscription.purpose == "events"
    assert set(subscription.handlers) == {
        "identity.account.registered", "identity.account.updated", "identity.account.erased",
        "noloc.academy.activity.completed", "certification.certificate.registered",
        "certification.certificate.renewed", "certification.certificate.reactivated",
        "assessment.case.opened", "assessment.assessor.assigned", "certification.decision.made",
        "portfolio.supplement.submitted", "portfolio.submitted", "portfolio.withdrawn",
        "portfolio.mentorship.started", "portfolio.mentorship.ended"}
    assert subscription.handlers["portfolio.withdrawn"].__name__ == "on_portfolio_withdrawn"


def test_a_handled_event_commits_once(handlers, uow):
    handle(uow, handlers.on_case_opened, case_opened(uuid.uuid4(), uuid.uuid4(), uuid.uuid4()))
    assert uow.commits == 1
