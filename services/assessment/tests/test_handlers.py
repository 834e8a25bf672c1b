"""Every event handler of assessment against the fake unit of work: what it changes, what it publishes, and
that a redelivered or out-of-order event has no second effect."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from assessment_fakes import HEADER, World, postponed_form, received

from recert_assessment.domain import Finding
from recert_assessment.states import CaseState
from recert_common.domain_errors import NotYetKnown


@pytest.fixture
def world() -> World:
    return World()


def supplement_event(world: World, case, parts, **extra):
    return received("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case.id, "portfolio_id": case.portfolio_id,
        "submission_id": case.submission_id, "account_id": case.account_id, "parts": parts,
        "submitted_at": world.instant, "snapshot_hash": "cd" * 32, **extra},
        producer="portfolio", subject=case.account_id)


# --- accounts --------------------------------------------------------------------------------------------


def test_an_account_links_the_certificate_whose_holder_it_is(world):
    world.service.certificates.import_csv(f"{HEADER}45678901,RJ-7,2027-06-30,jet@example.org,Jet\n".encode())
    coach = world.account(number="45678901", email="jet@example.org")
    certificate = world.uow.certificates.by_number("RJ-7")
    assert certificate.account_id == coach.account_id
    (registered,) = world.uow.events("certification.certificate.registered")
    assert registered.data["account_id"] == str(coach.account_id)


def test_a_number_alone_links_nothing(world):
    world.service.certificates.import_csv(f"{HEADER}45678902,RJ-8,2027-06-30,jet@example.org,Jet\n".encode())
    world.account(number="45678902", email="someone.else@example.org")
    assert world.uow.certificates.by_number("RJ-8").account_id is None
    assert world.uow.published == []


def test_an_older_account_update_arriving_late_changes_nothing(world):
    newer = datetime(2027, 4, 2, tzinfo=UTC)
    coach = world.account(number="45678903", occurred_at=newer)
    stale = received("identity.account.updated", {
        "account_id": coach.account_id, "email": "old@example.org", "full_name": "Oude naam",
        "roles": ["jobcoach"], "membership_kind": "member", "membership_number": "45678903",
        "preferred_language": "nl", "changed": ["full_name"]}, producer="identity",
        subject=coach.account_id, occurred_at=newer - timedelta(days=1))
    world.handle(world.handlers.on_account, stale)
    assert world.uow.accounts.get(coach.account_id).full_name != "Oude naam"


# --- PE read model ---------------------------------------------------------------------------------------


def test_pe_activities_and_their_evidence_follow_pe_registry(world):
    coach = world.account(number="45678904")
    activity_id = world.activity(coach, "12")
    evidence_id = uuid.uuid4()
    attached = received("pe.evidence.attached", {
        "evidence_id": evidence_id, "activity_id": activity_id, "account_id": coach.account_id,
        "sha256": "ab" * 32, "size": 10, "content_type": "application/pdf", "filename": "bewijs.pdf"},
        producer="pe-registry", subject=coach.account_id)
    world.handle(world.handlers.on_pe_evidence, attached)
    world.handle(world.handlers.on_pe_evidence, attached)  # redelivered
    (activity,) = world.uow.pe_activities.get_many([activity_id]).values()
    assert activity.points == Decimal(12) and [e.filename for e in activity.evidence] == ["bewijs.pdf"]
    world.handle(world.handlers.on_pe_evidence_removed, received("pe.evidence.removed", {
        "evidence_id": evidence_id, "activity_id": activity_id, "account_id": coach.account_id,
        "sha256": "ab" * 32},
        producer="pe-registry", subject=coach.account_id))
    assert world.uow.pe_activities.get_many([activity_id])[activity_id].evidence == ()
    world.handle(world.handlers.on_pe_activity_removed, received("pe.activity.removed", {
        "activity_id": activity_id, "account_id": coach.account_id, "category": "1", "points": Decimal(12)},
        producer="pe-registry", subject=coach.account_id))
    assert world.uow.pe_activities.get_many([activity_id]) == {}



def test_an_updated_activity_replaces_what_was_recorded(world):
    coach = world.account(number="45678904")
    activity_id = world.activity(coach, "12")
    updated = received("pe.activity.updated", {
        "activity_id": activity_id, "account_id": coach.account_id, "category": "2",
        "title": "Intervisie", "completed_on": date(2025, 4, 1), "unit": "sbu", "amount": Decimal(20),
        "points": Decimal(20), "source": "manual"}, producer="pe-registry", subject=coach.account_id)
    world.handle(world.handlers.table()["pe.activity.updated"], updated)
    world.handle(world.handlers.table()["pe.activity.updated"], updated)  # redelivered
    (activity,) = world.uow.pe_activities.get_many([activity_id]).values()
    assert (activity.category, activity.points, activity.title) == ("2", Decimal(20), "Intervisie")


def _activity_event(coach, activity_id, event_type: str, points: str, at: datetime, title: str = "Training"):
    return received(event_type, {
        "activity_id": activity_id, "account_id": coach.account_id, "category": "1", "title": title,
        "completed_on": date(2025, 4, 1), "unit": "sbu", "amount": Decimal(points), "points": Decimal(points),
        "source": "manual"}, producer="pe-registry", subject=coach.account_id, occurred_at=at)


def _evidence_event(coach, activity_id, evidence_id, event_type: str, at: datetime):
    data = {"evidence_id": evidence_id, "activity_id": activity_id, "account_id": coach.account_id,
            "sha256": "ab" * 32}
    if event_type == "pe.evidence.attached":
        data |= {"size": 10, "content_type": "application/pdf", "filename": "bewijs.pdf"}
    return received(event_type, data, producer="pe-registry", subject=coach.account_id, occurred_at=at)


def test_an_older_activity_event_handled_late_does_not_overwrite_a_newer_one(world):
    """ADR 0044 (amended): a retried event goes to the back of the queue; a dead letter is replayed later."""
    coach = world.account(number="45678904")
    activity_id, t0 = uuid.uuid4(), datetime(2027, 3, 1, 10, tzinfo=UTC)
    handle = world.handlers.table()
    world.handle(handle["pe.activity.recorded"], _activity_event(coach, activity_id, "pe.activity.recorded",
                                                                  "12", t0))
    world.handle(handle["pe.activity.updated"], _activity_event(
        coach, activity_id, "pe.activity.updated", "30", t0 + timedelta(minutes=2), "Nieuw"))
    world.handle(handle["pe.activity.updated"], _activity_event(  # the older update, retried
        coach, activity_id, "pe.activity.updated", "20", t0 + timedelta(minutes=1), "Oud"))
    world.handle(handle["pe.activity.recorded"], _activity_event(coach, activity_id, "pe.activity.recorded",
                                                                  "12", t0))  # replayed
    (activity,) = world.uow.pe_activities.get_many([activity_id]).values()
    assert (activity.points, activity.title) == (Decimal(30), "Nieuw")


def test_a_removed_activity_or_evidence_is_not_brought_back_by_a_late_event(world):
    coach = world.account(number="45678904")
    activity_id, evidence_id, kept_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    t0 = datetime(2027, 3, 1, 10, tzinfo=UTC)
    handle = world.handlers.table()
    world.handle(handle["pe.activity.recorded"], _activity_event(coach, activity_id, "pe.activity.recorded",
                                                                  "12", t0))
    world.handle(handle["pe.activity.removed"], received("pe.activity.removed", {
        "activity_id": activity_id, "account_id": coach.account_id, "category": "1", "points": Decimal(12)},
        producer="pe-registry", subject=coach.account_id, occurred_at=t0 + timedelta(minutes=5)))
    # An update made before the removal, retried after it, and the evidence's attachment, also late.
    world.handle(handle["pe.activity.updated"], _activity_event(
        coach, activity_id, "pe.activity.updated", "20", t0 + timedelta(minutes=1)))
    world.handle(handle["pe.evidence.attached"], _evidence_event(
        coach, activity_id, evidence_id, "pe.evidence.attached", t0 + timedelta(minutes=2)))
    assert world.uow.pe_activities.get_many([activity_id]) == {}
    assert evidence_id not in world.uow.pe_activities.evidence

    # Evidence removed from an activity that stays: a late attachment does not bring the file back.
    world.handle(handle["pe.activity.recorded"], _activity_event(coach, kept_id, "pe.activity.recorded",
                                                                  "8", t0))
    world.handle(handle["pe.evidence.removed"], _evidence_event(
        coach, kept_id, evidence_id, "pe.evidence.removed", t0 + timedelta(minutes=3)))
    world.handle(handle["pe.evidence.attached"], _evidence_event(
        coach, kept_id, evidence_id, "pe.evidence.attached", t0 + timedelta(minutes=1)))
    assert world.uow.pe_activities.get_many([kept_id])[kept_id].evidence == ()


# --- cases -----------------------------------------------------------------------------------------------


def test_a_submission_opens_one_case(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    assert case.state == CaseState.OPENED and case.due_on == date(2027, 6, 10)
    (opened,) = world.uow.events("assessment.case.opened")
    assert opened.data["case_id"] == str(case.id)
    event = received("portfolio.submitted", {
        "portfolio_id": case.portfolio_id, "cycle_id": case.cycle_id, "submission_id": case.submission_id,
        "account_id": coach.account_id, "certificate_id": certificate.id,
        "certificate_expires_on": certificate.valid_until, "submitted_at": world.instant,
        "snapshot_hash": "ab" * 32, "pe_activity_ids": [], "pe_points_counted": Decimal(75),
        "reflection_meetings": 4, "is_new_portfolio_after_negative": False}, producer="portfolio",
        subject=coach.account_id)
    world.handle(world.handlers.on_submitted, event)
    assert len(world.uow.cases.rows) == 1 and len(world.uow.events("assessment.case.opened")) == 1


def test_a_payment_before_its_case_is_kept_and_applied_when_the_case_opens(world):
    coach, certificate = world.coach_with_certificate()
    submission_id = uuid.uuid4()
    world.handle(world.handlers.on_invoice_paid, received("billing.invoice.paid", {
        "invoice_id": uuid.uuid4(), "number": "DNV-2027-0002", "issuer": "DNV",
        "account_id": coach.account_id,
        "kind": "recertification", "submission_id": submission_id, "case_id": None,
        "amount": {"amount": Decimal("242.00"), "currency": "EUR"}, "paid_on": world.day},
        producer="billing", subject=coach.account_id))
    world.handle(world.handlers.on_submitted, received("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
        "account_id": coach.account_id, "certificate_id": certificate.id,
        "certificate_expires_on": certificate.valid_until, "submitted_at": world.instant,
        "snapshot_hash": "ab" * 32, "pe_activity_ids": [], "pe_points_counted": Decimal(75),
        "reflection_meetings": 4, "is_new_portfolio_after_negative": False}, producer="portfolio",
        subject=coach.account_id))
    case = world.uow.cases.by_submission(submission_id)
    assert case.paid_at is not None and world.uow.audit.actions(case.id)[-1] == "invoice_paid"


def test_payments_of_others_and_redelivered_payments_change_nothing(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    world.handle(world.handlers.on_invoice_paid, received("billing.invoice.paid", {
        "invoice_id": uuid.uuid4(), "number": "NOL-2027-0001", "issuer": "Noloc",
        "account_id": coach.account_id,
        "kind": "register_fee", "submission_id": None, "case_id": None,
        "amount": {"amount": Decimal("212.50"), "currency": "EUR"}, "paid_on": world.day},
        producer="billing", subject=coach.account_id))
    assert world.uow.paid_invoices.rows == {}
    world.pay(coach, case)
    paid_at = world.case(case.id).paid_at
    world.instant += timedelta(hours=1)
    world.pay(coach, case)  # a second recertification payment for the same case
    assert world.case(case.id).paid_at == paid_at
    assert world.uow.audit.actions(case.id).count("invoice_paid") == 1


def _withdrawal_requested(case, reason=None):
    return received("portfolio.withdrawal.requested", {
        "portfolio_id": case.portfolio_id, "cycle_id": case.cycle_id, "submission_id": case.submission_id,
        "account_id": case.account_id, "requested_at": datetime(2027, 4, 15, 10, tzinfo=UTC),
        "reason": reason},
        producer="portfolio", subject=case.account_id)


def test_a_request_to_withdraw_ends_the_case_before_an_assessor_and_is_answered(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    asked = _withdrawal_requested(case, "Toch later.")
    world.handle(world.handlers.on_withdrawal_requested, asked)
    assert world.case(case.id).state == CaseState.WITHDRAWN
    [granted] = world.uow.events("assessment.case.withdrawn")
    assert granted.data == {"case_id": str(case.id), "account_id": str(coach.account_id),
                            "submission_id": str(case.submission_id), "reason": "Toch later."}
    world.handle(world.handlers.on_withdrawal_requested, asked)  # redelivered: nothing more
    assert world.uow.audit.actions(case.id).count("case_withdrawn") == 1
    assert len(world.uow.events("assessment.case.withdrawn")) == 1
    assert world.uow.events("assessment.withdrawal.refused") == []


def test_a_request_to_withdraw_after_the_assignment_is_refused_and_the_case_goes_on(world):
    _, _, _, assigned = world.advised()
    world.handle(world.handlers.on_withdrawal_requested, _withdrawal_requested(assigned))
    assert world.case(assigned.id).state == CaseState.ADVISED
    [refused] = world.uow.events("assessment.withdrawal.refused")
    assert (refused.data["case_id"], refused.data["stage"]) == (str(assigned.id), "advised")
    assert world.uow.audit.actions(assigned.id)[-1] == "withdrawal_refused"
    assert world.uow.events("assessment.case.withdrawn") == []


def test_a_request_to_withdraw_a_case_not_opened_yet_is_retried_later(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    world.uow.cases.rows.clear()
    with pytest.raises(NotYetKnown):
        world.handle(world.handlers.on_withdrawal_requested, _withdrawal_requested(case))


def test_a_supplement_for_an_unknown_case_is_retried_later(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    event = supplement_event(world, case, ["A1"])
    world.uow.cases.rows.clear()
    with pytest.raises(NotYetKnown):
        world.handle(world.handlers.on_supplement, event)


def test_a_supplement_goes_back_to_the_assessor_once_the_reassessment_is_paid(world):
    coach, _, assessor, case = world.advised(postponed_form())
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    own = uuid.uuid4()
    event = supplement_event(world, world.case(case.id), ["A1"], supplement_submission_id=own)
    world.handle(world.handlers.on_supplement, event)
    assert world.case(case.id).state == CaseState.SUPPLEMENT_RECEIVED
    supplement = world.uow.supplements.of_case(case.id)
    assert supplement.submission_id == case.submission_id and supplement.supplement_submission_id == own
    world.handle(world.handlers.on_supplement, event)  # redelivered
    assert world.uow.audit.actions(case.id).count("supplement_submitted") == 1
    world.pay(coach, world.case(case.id), kind="reassessment")
    case = world.case(case.id)
    assert case.state == CaseState.REASSESSING and case.reassessment_paid_at is not None
    assert world.uow.audit.actions(case.id)[-1] == "supplement_to_assessor"


def test_a_supplement_for_a_case_that_waits_for_none_is_ignored(world):
    _, _, case = world.ready()
    world.handle(world.handlers.on_supplement, supplement_event(world, case, ["A1"]))
    assert world.uow.supplements.rows == {} and world.case(case.id).state == CaseState.READY_FOR_ASSIGNMENT


def test_a_supplement_for_b_brings_new_activities_and_goes_back_to_the_pe_check(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate, activities=[world.activity(coach, "20")])
    world.service.complete_pe_check(world.officer, case.id, passed=False, findings=[Finding("Te weinig.")])
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    world.pay(coach, world.case(case.id), kind="reassessment")  # paid before the supplement came
    more = [world.activity(coach, "45"), world.activity(coach, "30")]
    world.handle(world.handlers.on_supplement, supplement_event(
        world, world.case(case.id), ["B"], pe_activity_ids=more, pe_points_counted=Decimal(75)))
    case = world.case(case.id)
    assert case.state == CaseState.OPENED and case.pe_activity_ids == tuple(more)
    assert world.uow.audit.actions(case.id)[-1] == "supplement_to_pe_check"
    assert world.service.pe_check(world.officer, case.id).proposal.summary.met
