"""Who hears of what, once per fact, and the rules of e-mail delivery."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from recert_notifications import domain
from recert_notifications.domain import DNV_OFFICER, State


def test_an_event_about_a_jobcoach_goes_to_that_jobcoach():
    account = uuid.uuid4()
    [notice] = domain.notices_for("portfolio.submitted", {"account_id": account, "submission_id": "s1"},
                                  uuid.uuid4())
    assert (notice.template, notice.account_id, notice.role) == ("portfolio_submitted", account, None)


def test_an_assignment_goes_to_the_assessor_and_new_or_overdue_cases_to_dnv_officers():
    jobcoach, assessor, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    [assigned] = domain.notices_for("assessment.assessor.assigned", {
        "case_id": case, "account_id": jobcoach, "assessor_id": assessor}, uuid.uuid4())
    assert assigned.account_id == assessor
    overdue = {"case_id": case, "account_id": jobcoach, "stage": "assessment", "due_on": date(2027, 5, 1)}
    for event_type, data in (("assessment.case.opened", {"case_id": case, "account_id": jobcoach}),
                             ("assessment.case.overdue", overdue)):
        [notice] = domain.notices_for(event_type, data, uuid.uuid4())
        assert (notice.role, notice.account_id) == (DNV_OFFICER, None)


def test_events_nobody_needs_to_hear_about_make_no_notices():
    assert domain.notices_for("identity.account.updated", {"account_id": uuid.uuid4()}, uuid.uuid4()) == []
    assert domain.notices_for("certification.certificate.registered", {"account_id": uuid.uuid4()},
                              uuid.uuid4()) == []


def test_the_same_fact_in_a_new_envelope_is_the_same_notice_and_another_fact_is_not():
    data = {"certificate_id": uuid.uuid4(), "account_id": uuid.uuid4(), "valid_until": date(2027, 6, 30),
            "months_before": 3}
    first = domain.notices_for("certification.certificate.expiring", data, uuid.uuid4())
    again = domain.notices_for("certification.certificate.expiring", dict(data), uuid.uuid4())
    later = domain.notices_for("certification.certificate.expiring", {**data, "months_before": 1},
                               uuid.uuid4())
    assert first == again
    assert first[0].fact_key != later[0].fact_key
    assert first[0].fact_key.startswith("certificate_expiring:certificate_id=")


def test_an_event_without_a_natural_key_is_its_own_fact():
    account = uuid.uuid4()
    one = domain.notices_for("identity.totp.enrolled", {"account_id": account, "after_reset": False},
                             uuid.uuid4())
    two = domain.notices_for("identity.totp.enrolled", {"account_id": account, "after_reset": False},
                             uuid.uuid4())
    assert one[0].fact_key != two[0].fact_key


def test_every_routed_template_and_the_reminder_are_known_templates():
    assert domain.SUPPLEMENT_DUE_SOON in domain.TEMPLATES
    assert {route.template for routes in domain.ROUTES.values() for route in routes} < domain.TEMPLATES


def test_a_supplement_reminder_is_one_per_case_and_due_date():
    case, account = uuid.uuid4(), uuid.uuid4()
    first = domain.supplement_reminder(case, account, date(2027, 8, 1))
    assert first == domain.supplement_reminder(case, account, date(2027, 8, 1))
    assert first.fact_key != domain.supplement_reminder(case, account, date(2027, 9, 1)).fact_key


@pytest.mark.parametrize(("today", "due"), [
    (date(2027, 7, 17), False), (date(2027, 7, 18), True), (date(2027, 8, 1), True),
    (date(2027, 8, 2), False)])
def test_a_reminder_is_due_from_fourteen_days_before_up_to_the_due_date(today, due):
    first, last = domain.reminder_window(today, 14)
    assert (first <= date(2027, 8, 1) <= last) is due


def test_retries_back_off_doubling_up_to_the_cap():
    delays = [domain.retry_delay(n, base_seconds=30, max_seconds=3600) for n in range(1, 10)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert delays[-1] == timedelta(hours=1) and max(delays) == timedelta(hours=1)
    with pytest.raises(ValueError):
        domain.retry_delay(0, base_seconds=30, max_seconds=60)


def test_a_failed_attempt_is_retried_until_the_last_and_a_permanent_refusal_at_once():
    options = {"max_attempts": 3, "base_seconds": 1, "max_seconds": 10}
    assert domain.after_failed_attempt(1, permanent=False, **options) == domain.AttemptOutcome(
        State.PENDING, timedelta(seconds=1))
    assert domain.after_failed_attempt(2, permanent=False, **options).next_attempt_in == timedelta(seconds=2)
    last = domain.after_failed_attempt(3, permanent=False, **options)
    assert last == domain.AttemptOutcome(State.FAILED, None)
    assert domain.after_failed_attempt(1, permanent=True, **options).state == State.FAILED
