"""Every use case of assessment against the fake unit of work: outcomes, refusals, the events published and
none published when refused. No database, broker or network."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from assessment_fakes import EXPIRES, HEADER, World, positive_form, postponed_form, principal, received

from recert_assessment.certificate_csv import LineError
from recert_assessment.domain import (
    AssessmentForm,
    AssessorNotAllowed,
    CertificateState,
    ClaimCodeRejected,
    ClaimThrottled,
    CsvRowsRejected,
    CsvUnreadable,
    Finding,
    FormRefused,
    InvalidInput,
    NoCertificate,
    ObjectionRefused,
    PartVerdict,
    PeRulesNotMet,
    StepOutOfOrder,
)
from recert_assessment.states import CaseState
from recert_common.domain_errors import NotFoundError
from recert_common.rules import supplement_deadline
from recert_common.states import TransitionNotAllowed


@pytest.fixture
def world() -> World:
    return World()


def refused_without_events(world: World, call, error):
    before = list(world.uow.published)
    with pytest.raises(error) as refused:
        call()
    assert world.uow.published == before
    return refused.value


# --- reading ---------------------------------------------------------------------------------------------


def test_who_may_see_a_case(world):
    coach, _, case = world.ready()
    assert world.service.view(coach, case.id).case.id == case.id
    assert world.service.view(world.officer, case.id).stage == "assessment"
    with pytest.raises(NotFoundError):
        world.service.view(principal("jobcoach"), case.id)
    with pytest.raises(NotFoundError):
        world.service.view(principal("assessor"), case.id)


def _assessor_lists(world, assessor) -> list:
    return [item.case.id for item in world.service.list_cases(
        assessor, account_id=None, assessor_id=None, state=None, page=1, page_size=20)[0]]


def test_the_assigned_assessor_reads_the_case_only_while_it_runs(world):
    """DESIGN.md section 4, ADR 0017: an assessor sees the cases assigned to them only while the case runs.
    Waiting for the supplement it still runs; once decided the assessor finds nothing, as for any other
    case, while DNV and the jobcoach keep reading."""
    coach, _, assessor, case = world.advised(postponed_form())
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    assert world.case(case.id).state == CaseState.SUPPLEMENT_DUE
    assert world.service.view(assessor, case.id).case.id == case.id
    assert world.service.pe_check(assessor, case.id).case.id == case.id
    assert world.service.form(assessor, case.id)[1].round == 1
    assert _assessor_lists(world, assessor) == [case.id]

    decided_coach, _, decided_assessor, decided = world.advised()
    assert decided_assessor != assessor
    world.service.decide(world.officer, decided.id, decision="positive", reason=None)
    for read in (world.service.view, world.service.pe_check, world.service.form, world.service.form_pdf,
                 world.service.audit_trail):
        with pytest.raises(NotFoundError):
            read(decided_assessor, decided.id)
    assert _assessor_lists(world, decided_assessor) == []
    assert world.service.list_cases(decided_assessor, account_id=None, assessor_id=None, state="decided",
                                    page=1, page_size=20) == ([], 0)
    assert world.service.view(world.officer, decided.id).case.id == decided.id
    assert world.service.view(decided_coach, decided.id).case.id == decided.id
    assert world.service.form(decided_coach, decided.id)[1].round == 1


def test_the_jobcoach_reads_the_advice_only_with_the_decision_on_it(world):
    coach, _, _, case = world.advised()
    assert world.service.view(coach, case.id).advices == ()
    assert len(world.service.view(world.officer, case.id).advices) == 1
    world.service.decide(world.officer, case.id, decision="positive", reason=None)
    assert len(world.service.view(coach, case.id).advices) == 1


def test_list_cases_by_role(world):
    coach, _, assessor, case = world.advised()
    other_coach, other_certificate = world.coach_with_certificate()
    world.submit(other_coach, other_certificate)
    assert world.service.list_cases(world.officer, account_id=None, assessor_id=None, state=None, page=1,
                                    page_size=20)[1] == 2
    assert [c.case.id for c in world.service.list_cases(coach, account_id=other_coach.account_id,
                                                         assessor_id=None, state=None, page=1,
                                                         page_size=20)[0]] == [case.id]
    listed = world.service.list_cases(assessor, account_id=None, assessor_id=None, state=None, page=1,
                                      page_size=20)[0]
    assert [c.case.id for c in listed] == [case.id]
    # The work list names the jobcoach without opening the case.
    names = world.service.view(assessor, case.id).names
    assert [c.jobcoach_name for c in listed] == [names[coach.account_id]]


def test_the_audit_trail_and_the_overdue_list(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    assert world.service.audit_trail(world.officer, case.id)[0].action == "case_opened"
    assert world.service.overdue() == []
    world.day = case.due_on - timedelta(days=3)
    (soon,) = world.service.overdue()
    assert (soon.status, soon.stage, soon.days_overdue) == ("due_soon", "pe_check", 0)
    world.day = case.due_on + timedelta(days=2)
    (late,) = world.service.overdue()
    assert (late.status, late.days_overdue) == ("overdue", 2)
    assert late.case.jobcoach_name == world.uow.accounts.get(coach.account_id).full_name



def test_the_case_counts_list_every_state_and_the_overdue_and_due_soon_cases(world):
    counts = world.service.case_counts()
    assert set(counts["by_state"]) == {str(state) for state in CaseState}
    assert sum(counts["by_state"].values()) == 0 and (counts["overdue"], counts["due_soon"]) == (0, 0)
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    other, other_certificate = world.coach_with_certificate()
    world.submit(other, other_certificate)
    world.day = case.due_on - timedelta(days=3)
    counts = world.service.case_counts()
    assert counts["by_state"]["opened"] == 2 and (counts["overdue"], counts["due_soon"]) == (0, 2)
    world.day = case.due_on + timedelta(days=1)
    counts = world.service.case_counts()
    assert (counts["overdue"], counts["due_soon"]) == (2, 0)

# --- PE check --------------------------------------------------------------------------------------------


def test_the_pe_check_proposal_is_for_dnv_and_assessors_only(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    view = world.service.pe_check(world.officer, case.id)
    assert view.proposal.summary.met and view.check is None
    with pytest.raises(NotFoundError):
        world.service.pe_check(coach, case.id)


def test_rejecting_and_withdrawing_a_rejection(world):
    coach, certificate = world.coach_with_certificate()
    first, second = world.activity(coach, "45"), world.activity(coach, "30")
    case = world.submit(coach, certificate, activities=[first, second])
    view = world.service.reject_activity(world.officer, case.id, second, "Geen bewijs.")
    assert not view.proposal.summary.met
    refused_without_events(world, lambda: world.service.reject_activity(world.officer, case.id, uuid.uuid4(),
                                                                         "?"), InvalidInput)
    assert world.service.withdraw_rejection(world.officer, case.id, second).proposal.summary.met
    with pytest.raises(NotFoundError):
        world.service.withdraw_rejection(world.officer, case.id, second)
    assert world.uow.audit.actions(case.id)[-2:] == ["pe_activity_rejected",
                                                     "pe_activity_rejection_withdrawn"]
    assert world.uow.published_types() == ["certification.certificate.registered", "assessment.case.opened"]


def test_rejecting_after_the_pe_check_is_out_of_order(world):
    _, _, case = world.ready()
    error = refused_without_events(
        world, lambda: world.service.reject_activity(world.officer, case.id, case.pe_activity_ids[0], "x"),
        StepOutOfOrder)
    assert error.action == "reject_activity"
    with pytest.raises(StepOutOfOrder):
        world.service.withdraw_rejection(world.officer, case.id, case.pe_activity_ids[0])


def test_a_passed_pe_check_waits_for_payment_then_goes_to_an_assessor(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    view = world.service.complete_pe_check(world.officer, case.id, passed=True, findings=[])
    assert view.case.state == CaseState.AWAITING_PAYMENT and view.check.passed
    (event,) = world.uow.events("assessment.pe_check.completed")
    assert event.data["passed"] is True and event.data["pe_points_counted"] == "75"
    world.pay(coach, case)
    assert world.case(case.id).state == CaseState.READY_FOR_ASSIGNMENT


def test_a_payment_before_the_pe_check_lets_the_check_send_the_case_on(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    world.pay(coach, case)
    assert world.case(case.id).paid_at is not None
    view = world.service.complete_pe_check(world.officer, case.id, passed=True, findings=[])
    assert view.case.state == CaseState.READY_FOR_ASSIGNMENT


def test_a_pe_check_cannot_pass_below_the_rules_and_fails_only_with_findings(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate, activities=[world.activity(coach, "20")])
    refused_without_events(world, lambda: world.service.complete_pe_check(world.officer, case.id, passed=True,
                                                                           findings=[]), PeRulesNotMet)
    error = refused_without_events(world, lambda: world.service.complete_pe_check(
        world.officer, case.id, passed=False, findings=[]), InvalidInput)
    assert error.code == "assessment.field.findings_required"
    view = world.service.complete_pe_check(world.officer, case.id, passed=False,
                                           findings=[Finding("Te weinig punten.")])
    assert view.case.state == CaseState.PE_CHECK_FAILED
    refused_without_events(world, lambda: world.service.complete_pe_check(
        world.officer, case.id, passed=False, findings=[Finding("x")]), TransitionNotAllowed)


# --- assessor and advice ---------------------------------------------------------------------------------


def _mentorship(world, coach, mentor, *, started_at=None, ended_at=None) -> uuid.UUID:
    """portfolio's events about a mentorship of ``coach`` with ``mentor`` (ended when ``ended_at``)."""
    ids = {"mentorship_id": uuid.uuid4(), "account_id": coach.account_id, "mentor_id": mentor.account_id}
    started_at = started_at or world.instant
    world.handle(world.handlers.on_mentorship_started, received("portfolio.mentorship.started", {
        **ids, "shared": ["drafts", "meetings", "pe_summary"], "started_at": started_at},
        producer="portfolio"))
    if ended_at is not None:
        world.handle(world.handlers.on_mentorship_ended, received("portfolio.mentorship.ended", {
            **ids, "started_at": started_at, "ended_at": ended_at}, producer="portfolio"))
    return ids["mentorship_id"]


def test_a_mentor_of_the_period_running_or_ended_is_excluded_and_one_ended_before_it_is_not(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    current, past, long_ago = (world.account("assessor", roles=("assessor", "mentor")) for _ in range(3))
    _mentorship(world, coach, current)
    _mentorship(world, coach, past, ended_at=world.instant - timedelta(days=30))
    period_start = case.certificate_expires_on.replace(year=case.certificate_expires_on.year - 4)
    before = datetime.combine(period_start - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    _mentorship(world, coach, long_ago, started_at=before - timedelta(days=300), ended_at=before)
    view = world.service.view(world.officer, case.id)
    assert set(view.mentor_ids) == {current.account_id, past.account_id}
    options = {o.account.account_id: o for o in world.service.assessors_for(world.officer, case.id)}
    assert options[long_ago.account_id].eligible
    assert [options[m.account_id].conflict for m in (current, past)] == ["mentor", "mentor"]


def test_assigning_refuses_conflicts_and_announces_the_assessor(world):
    coach, _, case = world.ready()
    mentor = world.account("assessor", roles=("assessor", "mentor"))
    _mentorship(world, coach, mentor)
    error = refused_without_events(
        world, lambda: world.service.assign(world.officer, case.id, mentor.account_id), AssessorNotAllowed)
    assert error.conflict == "mentor"
    refused_without_events(world, lambda: world.service.assign(world.officer, case.id, coach.account_id),
                           InvalidInput)
    assessor = world.account("assessor")
    view = world.service.assign(world.officer, case.id, assessor.account_id)
    assert view.case.state == CaseState.ASSIGNED and view.case.assessor_id == assessor.account_id
    (event,) = world.uow.events("assessment.assessor.assigned")
    assert event.data["assessor_id"] == str(assessor.account_id)
    world.service.assign(world.officer, case.id, assessor.account_id)  # the same again changes nothing
    assert len(world.uow.events("assessment.assessor.assigned")) == 1


def test_the_assessors_for_a_case_say_who_is_excluded_and_why(world):
    coach, _, case = world.ready()
    mentor, free = world.account("assessor"), world.account("assessor")
    world.account("dnv_officer")  # not an assessor: not listed
    _mentorship(world, coach, mentor, ended_at=world.instant)
    world.service.assign(world.officer, case.id, free.account_id)
    options = {o.account.account_id: o for o in world.service.assessors_for(world.officer, case.id)}
    assert set(options) == {mentor.account_id, free.account_id}
    assert (options[mentor.account_id].eligible, options[mentor.account_id].conflict) == (False, "mentor")
    assert options[free.account_id].eligible and options[free.account_id].assigned
    with pytest.raises(NotFoundError):
        world.service.assessors_for(world.officer, uuid.uuid4())


def test_assigning_before_the_pe_check_is_out_of_order(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate)
    refused_without_events(world, lambda: world.service.assign(world.officer, case.id,
                                                               world.account("assessor").account_id),
                           TransitionNotAllowed)


def test_the_advice_is_given_by_the_assigned_assessor_and_must_fit_the_verdicts(world):
    _, _, case = world.ready()
    assessor = world.account("assessor")
    world.service.assign(world.officer, case.id, assessor.account_id)
    with pytest.raises(NotFoundError):
        world.service.give_advice(principal("assessor"), case.id, positive_form())
    unfit = AssessmentForm(verdicts=positive_form().verdicts, feedback={}, development_advice="x",
                           advice="negative")
    error = refused_without_events(world, lambda: world.service.give_advice(assessor, case.id, unfit),
                                   FormRefused)
    assert "advice" in error.errors
    given = world.service.give_advice(assessor, case.id, positive_form())
    assert given.round == 1 and world.case(case.id).state == CaseState.ADVISED
    (event,) = world.uow.events("assessment.advice.given")
    assert event.data["advice"] == "positive" and event.data["is_reassessment"] is False
    refused_without_events(world, lambda: world.service.give_advice(assessor, case.id, positive_form()),
                           TransitionNotAllowed)


def test_the_form_and_its_pdf(world):
    coach, _, assessor, case = world.advised()
    header, advice = world.service.form(assessor, case.id)
    assert advice.round == 1 and header.certificate_number.startswith("RJ-")
    with pytest.raises(NotFoundError):
        world.service.form(coach, case.id)  # not before DNV decided
    with pytest.raises(NotFoundError):
        world.service.form(world.officer, case.id, 2)
    document, round_ = world.service.form_pdf(world.officer, case.id)
    assert document.startswith(b"%PDF") and round_ == 1


# --- decision --------------------------------------------------------------------------------------------


def test_a_positive_decision_renews_the_certificate_from_its_old_expiry_date(world):
    coach, certificate, _, case = world.advised()
    decision = world.service.decide(world.officer, case.id, decision="positive", reason=None)
    assert decision.follows_advice and world.case(case.id).state == CaseState.DECIDED
    renewed = world.uow.certificates.get(certificate.id)
    assert (renewed.valid_from, renewed.valid_until) == (EXPIRES, date(2031, 6, 30))
    assert world.uow.published_types()[-2:] == ["certification.decision.made",
                                                "certification.certificate.renewed"]
    assert world.uow.audit.actions(case.id)[-2:] == ["decision_made", "certificate_renewed"]


def test_departing_from_the_advice_needs_a_reason(world):
    _, _, _, case = world.advised()
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="negative", reason=None),
                                   InvalidInput)
    assert error.field_name == "reason"
    decision = world.service.decide(world.officer, case.id, decision="negative", reason="Onvoldoende.")
    assert not decision.follows_advice and decision.new_portfolio_deadline is not None
    # Before the expiry date a negative decision lets nothing lapse yet.
    assert world.uow.certificates.of_account(decision.decided_by) is None
    assert "certification.certificate.lapsed" not in world.uow.published_types()


def test_a_negative_decision_after_expiry_lapses_the_certificate(world):
    coach, certificate, _, case = world.advised()
    world.day = EXPIRES + timedelta(days=1)
    world.service.decide(world.officer, case.id, decision="negative", reason="Onvoldoende.")
    assert world.uow.certificates.get(certificate.id).state == CertificateState.LAPSED
    (lapsed,) = world.uow.events("certification.certificate.lapsed")
    assert lapsed.data["reason"] == "negative_decision"


def test_a_negative_decision_on_the_new_portfolio_after_a_negative_one_opens_no_third(world):
    """ADR 0009: one second chance only. The negative decision on the whole new portfolio has no new-portfolio
    deadline, so neither the e-mails nor the tile promise a third portfolio."""
    coach, certificate, assessor, case = world.advised()
    first = world.service.decide(world.officer, case.id, decision="negative", reason="Onvoldoende.")
    assert first.new_portfolio_deadline is not None
    assert world.service.certificates.tile(coach.account_id).window.last == first.new_portfolio_deadline

    world.instant += timedelta(days=1)  # the decisions are ordered by their time, as in the database
    again = world.submit(coach, certificate, after_negative=True)
    world.service.complete_pe_check(world.officer, again.id, passed=True, findings=[])
    world.pay(coach, world.case(again.id))
    second_assessor = world.account("assessor")
    world.service.assign(world.officer, again.id, second_assessor.account_id)
    world.service.give_advice(second_assessor, again.id, positive_form())
    world.instant += timedelta(days=1)
    last = world.service.decide(world.officer, again.id, decision="negative", reason="Weer onvoldoende.")
    assert last.new_portfolio_deadline is None
    assert world.uow.events("certification.decision.made")[-1].data["new_portfolio_deadline"] is None
    tile = world.service.certificates.tile(coach.account_id)
    assert tile.window is None and not tile.window_open
    world.day = EXPIRES + timedelta(days=1)  # the lapse promises no new portfolio either
    world.scheduler.run_in(lambda: world.uow)
    (lapsed,) = world.uow.events("certification.certificate.lapsed")
    assert lapsed.data["new_portfolio_deadline"] is None


def test_a_postponed_decision_opens_the_supplement_once(world):
    coach, _, assessor, case = world.advised(postponed_form())
    decision = world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    case = world.case(case.id)
    assert case.state == CaseState.SUPPLEMENT_DUE and case.supplement_due_on == decision.supplement_due_on
    (event,) = world.uow.events("certification.decision.made")
    assert event.data["supplements"] == [{"part": "A1", "assignment": "Werk A1 opnieuw uit."}]
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="negative", reason="x"),
                                   InvalidInput)
    assert error.code == "assessment.field.supplement_still_due"
    world.day = case.supplement_due_on + timedelta(days=1)
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="positive", reason="x"),
                                   InvalidInput)
    assert error.code == "assessment.field.negative_only_without_supplement"
    world.supplement_missed(coach, case)
    world.service.decide(world.officer, case.id, decision="negative", reason="Geen aanvulling.")
    assert world.case(case.id).state == CaseState.DECIDED


def test_a_supplement_handed_in_on_its_due_date_and_heard_late_is_reassessed_not_decided_without(world):
    """The race of ADR 0042: the officer tries the negative decision the day after the due date, before the
    supplement's event arrived. Without portfolio's word that nothing came, the decision is refused."""
    coach, _, _, case = world.advised(postponed_form())
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    case = world.case(case.id)
    world.day = case.supplement_due_on + timedelta(days=1)
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="negative", reason="x"),
                                   InvalidInput)
    assert error.code == "assessment.field.supplement_not_reported_missing"
    world.handle(world.handlers.on_supplement, received("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case.id, "portfolio_id": case.portfolio_id,
        "submission_id": case.submission_id, "account_id": coach.account_id, "parts": ["A1"],
        "submitted_at": datetime.combine(case.supplement_due_on, time(21, 50), tzinfo=UTC),
        "snapshot_hash": "cd" * 32}, producer="portfolio", subject=coach.account_id))
    assert world.case(case.id).state == CaseState.SUPPLEMENT_RECEIVED


def test_without_portfolios_word_a_week_after_the_due_date_dnv_decides_without_the_supplement(world):
    coach, _, _, case = world.advised(postponed_form())
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    case = world.case(case.id)
    world.day = case.supplement_due_on + timedelta(days=7)
    refused_without_events(world, lambda: world.service.decide(world.officer, case.id, decision="negative",
                                                               reason="x"), InvalidInput)
    world.day = case.supplement_due_on + timedelta(days=8)
    world.service.decide(world.officer, case.id, decision="negative", reason="Geen aanvulling.")
    assert world.case(case.id).state == CaseState.DECIDED


def test_portfolios_word_about_a_supplement_counts_once_and_only_for_the_cases_term(world):
    coach, _, _, case = world.advised(postponed_form())
    world.supplement_missed(coach, case, due_on=date(2027, 7, 15))  # no supplement due yet: nothing to say
    assert world.case(case.id).supplement_missed_at is None
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    case = world.case(case.id)
    world.day = case.supplement_due_on + timedelta(days=1)
    world.supplement_missed(coach, case)
    first = world.case(case.id).supplement_missed_at
    world.instant += timedelta(hours=1)
    world.supplement_missed(coach, case)
    assert first is not None and world.case(case.id).supplement_missed_at == first
    assert world.uow.audit.actions(case.id).count("supplement_missed") == 1


def test_a_postponed_decision_needs_a_postponed_advice(world):
    _, _, _, case = world.advised()
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="postponed", reason="x"),
                                   InvalidInput)
    assert error.code == "assessment.field.postponed_needs_postponed_advice"


def test_a_failed_pe_check_is_decided_on_part_b(world):
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate, activities=[world.activity(coach, "20")])
    world.service.complete_pe_check(world.officer, case.id, passed=False, findings=[Finding("Te weinig.")])
    # DNV decides next, before any assessor: no assessment step shows.
    assert [(s.step, s.status) for s in world.service.view(coach, case.id).progress] == [
        ("submitted", "done"), ("pe_check", "done"), ("decision", "current")]
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="negative", reason=None),
                                   InvalidInput)
    assert error.code == "assessment.field.failed_pe_check_postponed_first"
    decision = world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    assert decision.round == 0 and world.case(case.id).state == CaseState.PE_SUPPLEMENT_DUE
    (event,) = world.uow.events("certification.decision.made")
    assert event.data["supplements"][0]["part"] == "B"
    assert "Te weinig." in event.data["supplements"][0]["assignment"]


def _postponed_on_the_pe_check(world, *, after_negative: bool = False, coach=None, certificate=None):
    """A case whose PE check failed on an activity DNV rejected, and DNV's postponed decision on B (round 0).
    Returns the jobcoach, the certificate, the case, that decision and the rejected activity."""
    if coach is None:
        coach, certificate = world.coach_with_certificate()
    rejected = world.activity(coach, "45")
    case = world.submit(coach, certificate, activities=[rejected, world.activity(coach, "30")],
                        after_negative=after_negative)
    world.service.reject_activity(world.officer, case.id, rejected, "Het bewijs ontbreekt.")
    world.service.complete_pe_check(world.officer, case.id, passed=False, findings=[])
    decision = world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    assert decision.round == 0 and world.case(case.id).state == CaseState.PE_SUPPLEMENT_DUE
    return coach, certificate, world.case(case.id), decision, rejected


def _later(world, days: int) -> None:
    world.day += timedelta(days=days)
    world.instant += timedelta(days=days)


def _uphold(world, coach, case, reason: str = "Het bewijs zat er wel bij.", *, days: int = 1):
    """The jobcoach objects; ``days`` later DNV upholds the objection."""
    objection = world.service.file_objection(coach, case.id, "Mijn PE is wel voldoende.")
    _later(world, days)
    world.service.decide_objection(world.officer, case.id, objection.id, outcome="upheld", reason=reason)
    return objection


def _hand_in_pe_supplement(world, coach, case) -> None:
    """Portfolio's word that the jobcoach handed in the supplement for B, with a new activity of 80 points."""
    world.handle(world.handlers.on_supplement, received("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case.id, "portfolio_id": case.portfolio_id,
        "submission_id": case.submission_id, "account_id": coach.account_id, "parts": ["B"],
        "submitted_at": world.instant, "snapshot_hash": "cd" * 32,
        "pe_activity_ids": [world.activity(coach, "80")], "pe_points_counted": Decimal(80)},
        producer="portfolio", subject=coach.account_id))


def test_an_objection_upheld_against_the_postponement_on_the_pe_check_sends_the_case_back_to_the_check(world):
    """ADR 0011, amended: the PE verdict was wrong, so DNV's round-0 postponed decision is annulled with the
    supplement it asked for, and the case goes back to DNV's PE check on the submission's activities, due 8
    weeks from the uphold; then on to payment and an assessor as any case. Before, upholding was refused."""
    coach, certificate, case, decision, rejected = _postponed_on_the_pe_check(world)
    world.pay(coach, case)  # the recertification fee, paid while the case waited for the supplement
    before = world.service.case_counts()
    objection = _uphold(world, coach, case, days=60)  # past the case's first due date
    assert world.day > case.opened_at.date() + timedelta(weeks=8)

    resumed = world.case(case.id)
    assert (resumed.state, resumed.due_on, resumed.supplement_due_on, resumed.supplement_missed_at) == (
        CaseState.OPENED, world.day + timedelta(weeks=8), None, None)
    assert resumed.pe_activity_ids == case.pe_activity_ids and resumed.paid_at is not None
    (annulled,) = world.uow.decisions.of_case(case.id)
    assert (annulled.id, annulled.annulled_at, annulled.annulled_by_objection_id) == (
        decision.id, world.instant, objection.id)
    (event,) = world.uow.events("assessment.objection.decided")
    assert (event.data["outcome"], event.data["next_step"], event.data["decision_id"]) == (
        "upheld", "pe_check", str(decision.id))
    decided, resumption = world.uow.audit.of_case(case.id)[-2:]
    assert (decided.action, decided.details["next_step"]) == ("objection_decided", "pe_check")
    assert (resumption.action, resumption.role, resumption.actor_id) == (
        "case_resumed_at_pe_check", "dnv_officer", world.officer.account_id)
    assert resumption.details == {
        "objection_id": str(objection.id), "annulled_decision_id": str(decision.id),
        "annulled_supplement_due_on": decision.supplement_due_on.isoformat(),
        "due_on": resumed.due_on.isoformat()}

    # DNV's overview: back in "opened", not overdue (the new due date), no supplement waiting.
    counts = world.service.case_counts()
    assert (counts["by_state"]["opened"], counts["by_state"]["pe_supplement_due"]) == (
        before["by_state"]["opened"] + 1, before["by_state"]["pe_supplement_due"] - 1)
    assert counts["overdue"] == 0 and world.service.overdue() == []

    # The annulled decision stands no more: nothing to object to, no step of the progress.
    error = refused_without_events(world, lambda: world.service.file_objection(coach, case.id, "Nog eens."),
                                   ObjectionRefused)
    assert error.reason == "no_decision"
    steps = world.service.view(coach, case.id).progress
    assert [(s.step, s.status) for s in steps] == [
        ("submitted", "done"), ("pe_check", "current"), ("assessment", "upcoming"), ("decision", "upcoming")]
    assert [s.expected_by for s in steps[1:]] == [resumed.due_on] * 3
    assert steps[3].expected_from is None  # not the window of the submission, long past

    # The check again: the submission's activities, the earlier rejection still there to withdraw, and no
    # completed check while it is open.
    view = world.service.pe_check(world.officer, case.id)
    assert [a.activity_id for a in view.proposal.activities] == list(case.pe_activity_ids)
    assert view.check is None and view.proposal.activities[0].rejection is not None
    _later(world, 3)
    world.service.withdraw_rejection(world.officer, case.id, rejected)
    world.service.complete_pe_check(world.officer, case.id, passed=True, findings=[])
    assert world.case(case.id).state == CaseState.READY_FOR_ASSIGNMENT  # the fee paid before applies
    steps = world.service.view(coach, case.id).progress
    assert [(s.step, s.status) for s in steps] == [
        ("submitted", "done"), ("pe_check", "done"), ("assessment", "current"), ("decision", "upcoming")]
    assert steps[1].done_on == world.day

    # On to an assessor as any case.
    assessor = world.account("assessor")
    world.service.assign(world.officer, case.id, assessor.account_id)
    world.service.give_advice(assessor, case.id, positive_form())
    positive = world.service.decide(world.officer, case.id, decision="positive", reason=None)
    assert (positive.round, positive.follows_advice) == (1, True)
    assert world.uow.certificates.get(certificate.id).valid_until == date(2031, 6, 30)
    steps = world.service.view(coach, case.id).progress
    assert [s.status for s in steps] == ["done"] * 4 and steps[3].done_on == positive.decided_on


def test_after_the_objection_a_pe_check_failing_again_is_postponed_on_b_as_a_first_one(world):
    """The annulled postponed decision does not use up the case's one postponed decision (ADR 0011, amended):
    a successful objection must not leave the jobcoach worse off than had DNV not erred. A check that fails
    again gets its postponed decision on B, with the findings of the check done again, and a supplement term
    from that decision; negative and positive are refused as after any failed check. That new postponed
    decision is the case's one: after its supplement fails the check, only negative follows."""
    coach, certificate, case, decision, rejected = _postponed_on_the_pe_check(world)
    _uphold(world, coach, case)
    _later(world, 2)
    world.service.complete_pe_check(world.officer, case.id, passed=False,
                                    findings=[Finding("Het bewijs ontbreekt nog steeds.")])
    assert world.case(case.id).state == CaseState.PE_CHECK_FAILED
    steps = world.service.view(coach, case.id).progress
    assert [(s.step, s.status) for s in steps] == [
        ("submitted", "done"), ("pe_check", "done"), ("decision", "current")]
    assert steps[1].done_on == world.day
    for attempt in ("negative", "positive"):
        error = refused_without_events(world, lambda attempt=attempt: world.service.decide(
            world.officer, case.id, decision=attempt, reason="x"), InvalidInput)
        assert (error.field_name, error.code) == (
            "decision", "assessment.field.failed_pe_check_postponed_first")

    again = world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    assert (again.round, again.follows_advice) == (0, True)
    assert again.supplement_due_on == supplement_deadline(world.day) != decision.supplement_due_on
    resumed = world.case(case.id)
    assert (resumed.state, resumed.supplement_due_on) == (
        CaseState.PE_SUPPLEMENT_DUE, again.supplement_due_on)
    made = world.uow.events("certification.decision.made")[-1].data
    assert (made["decision_id"], made["decision"], made["supplement_due_on"]) == (
        str(again.id), "postponed", again.supplement_due_on.isoformat())
    assert [s["part"] for s in made["supplements"]] == ["B"]
    assert "Het bewijs ontbreekt nog steeds." in made["supplements"][0]["assignment"]
    # The new decision stands: an objection is against it, not the annulled one.
    objection = world.service.file_objection(coach, case.id, "Weer oneens.")
    assert objection.decision_id == again.id

    # Its supplement handed in, paid, and failing the check too: now only negative.
    _hand_in_pe_supplement(world, coach, case)
    world.pay(coach, case, kind="reassessment")
    assert world.case(case.id).state == CaseState.OPENED
    world.service.complete_pe_check(world.officer, case.id, passed=False,
                                    findings=[Finding("Nog altijd te weinig punten.")])
    for attempt in ("postponed", "positive"):
        error = refused_without_events(world, lambda attempt=attempt: world.service.decide(
            world.officer, case.id, decision=attempt, reason="x"), InvalidInput)
        assert (error.field_name, error.code) == (
            "decision", "assessment.field.failed_pe_check_negative_only")
    negative = world.service.decide(world.officer, case.id, decision="negative", reason=None)
    assert (negative.round, negative.supplement_due_on) == (0, None)
    assert world.case(case.id).state == CaseState.DECIDED


def test_a_reassessment_fee_paid_for_a_hand_in_that_crossed_the_uphold_counts_for_the_next_supplement(world):
    """ADR 0011, amended: a supplement handed in as DNV's uphold crossed it is ignored here (and annulled in
    portfolio), but billing invoiced it. Paid, that fee counts for the case's next supplement: the jobcoach
    does not pay twice for one reassessment."""
    coach, _, case, _, _ = _postponed_on_the_pe_check(world)
    _uphold(world, coach, case)
    _hand_in_pe_supplement(world, coach, case)
    assert world.case(case.id).state == CaseState.OPENED  # ignored
    world.pay(coach, case, kind="reassessment")
    assert world.case(case.id).state == CaseState.OPENED
    world.service.complete_pe_check(world.officer, case.id, passed=False, findings=[Finding("Te weinig.")])
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    _hand_in_pe_supplement(world, coach, case)
    assert world.case(case.id).state == CaseState.OPENED  # received, and on to the check: paid already
    assert world.uow.audit.actions(case.id).count("supplement_to_pe_check") == 1


def test_after_the_objection_the_assessor_may_advise_postponed_and_dnv_postpone(world):
    """The annulled decision used up nothing: in the resumed case the assessor may advise postponed on A1 or
    A3, and DNV's postponed decision opens the supplement term for them, as in any case."""
    coach, certificate, case, decision, rejected = _postponed_on_the_pe_check(world)
    world.pay(coach, case)
    _uphold(world, coach, case)
    world.service.withdraw_rejection(world.officer, case.id, rejected)
    world.service.complete_pe_check(world.officer, case.id, passed=True, findings=[])
    assessor = world.account("assessor")
    world.service.assign(world.officer, case.id, assessor.account_id)
    world.service.give_advice(assessor, case.id, postponed_form())
    postponed = world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    assert postponed.round == 1 and postponed.supplement_due_on == supplement_deadline(world.day)
    assert world.case(case.id).state == CaseState.SUPPLEMENT_DUE


def test_a_supplement_or_portfolios_word_about_it_heard_after_the_uphold_changes_nothing(world):
    """Portfolio hears of the uphold only from the event: a supplement handed in meanwhile, its invoice
    paid, or the word that none came by the annulled due date, leave the resumed case at the PE check on the
    submission's activities."""
    coach, _, case, decision, _ = _postponed_on_the_pe_check(world)
    _uphold(world, coach, case)
    _hand_in_pe_supplement(world, coach, case)
    world.pay(coach, world.case(case.id), "reassessment")
    world.day = decision.supplement_due_on + timedelta(days=1)
    world.supplement_missed(coach, case, due_on=decision.supplement_due_on)
    resumed = world.case(case.id)
    assert (resumed.state, resumed.pe_activity_ids, resumed.supplement_missed_at) == (
        CaseState.OPENED, case.pe_activity_ids, None)
    assert world.uow.supplements.of_case(case.id) is None
    assert "supplement_submitted" not in world.uow.audit.actions(case.id)


def test_once_the_pe_supplement_is_handed_in_the_objection_is_no_longer_upheld(world):
    """The table has no way back from pe_supplement_received: the case goes on with the supplement (the
    check again on its activities); the objection can be rejected, or waits until a later decision
    replaces the postponed one."""
    coach, _, case, decision, _ = _postponed_on_the_pe_check(world)
    objection = world.service.file_objection(coach, case.id, "Mijn PE is wel voldoende.")
    _hand_in_pe_supplement(world, coach, case)
    error = refused_without_events(world, lambda: world.service.decide_objection(
        world.officer, case.id, objection.id, outcome="upheld", reason="Terecht."), TransitionNotAllowed)
    assert (error.state, error.action) == (CaseState.PE_SUPPLEMENT_RECEIVED, "uphold_objection")
    assert world.uow.decisions.of_case(case.id)[0].annulled_at is None


def test_after_the_uphold_in_a_new_portfolio_the_tile_offers_the_window_of_the_negative_decision(world):
    """The annulled decision is not the period's latest: as before any decision on the new portfolio, the
    jobcoach's tile shows the window the negative decision opened (not the regular 3 months)."""
    negative_form = AssessmentForm(
        verdicts=(PartVerdict("A1", "does_not_meet", "Te summier."), PartVerdict("A3", "meets", "Goed."),
                  PartVerdict("B", "meets", "Goed.")),
        feedback={}, development_advice="Verdiep je.", advice="negative")
    coach, certificate, _, regular = world.advised(negative_form)
    negative = world.service.decide(world.officer, regular.id, decision="negative", reason=None)
    _later(world, 5)
    _, _, case, _, _ = _postponed_on_the_pe_check(world, after_negative=True, coach=coach,
                                                  certificate=certificate)
    _uphold(world, coach, case)
    tile = world.service.certificates.tile(coach.account_id)
    assert (tile.window.first, tile.window.last) == (negative.decided_on, negative.new_portfolio_deadline)


def test_no_positive_decision_in_a_case_without_an_advice(world):
    """Kept beside the refusal above: a case without an advice (reopened by an objection upheld before
    that refusal existed) still never gets a positive decision."""
    coach, certificate = world.coach_with_certificate()
    case = world.submit(coach, certificate, activities=[world.activity(coach, "20")])
    world.service.complete_pe_check(world.officer, case.id, passed=False, findings=[Finding("Te weinig.")])
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    world.uow.cases.update(case.id, state=CaseState.OBJECTION_UPHELD)
    error = refused_without_events(world, lambda: world.service.decide(
        world.officer, case.id, decision="positive", reason="Bezwaar gegrond."), InvalidInput)
    assert (error.field_name, error.code) == ("decision", "assessment.field.positive_needs_advice")
    assert world.uow.certificates.get(certificate.id).valid_until == certificate.valid_until


def test_deciding_is_out_of_order_before_the_advice(world):
    _, _, case = world.ready()
    error = refused_without_events(world, lambda: world.service.decide(world.officer, case.id,
                                                                       decision="positive", reason=None),
                                   TransitionNotAllowed)
    assert (error.state, error.action) == (CaseState.READY_FOR_ASSIGNMENT, "decide")


# --- objection -------------------------------------------------------------------------------------------


def test_an_objection_against_a_negative_decision_within_its_term(world):
    coach, _, _, case = world.advised()
    refused_without_events(world, lambda: world.service.file_objection(coach, case.id, "Oneens."),
                           ObjectionRefused)
    decision = world.service.decide(world.officer, case.id, decision="negative", reason="Onvoldoende.")
    objection = world.service.file_objection(coach, case.id, "Oneens.")
    assert objection.decision_id == decision.id
    assert world.uow.published_types()[-1] == "assessment.objection.filed"
    error = refused_without_events(world, lambda: world.service.file_objection(coach, case.id, "Nog eens."),
                                   ObjectionRefused)
    assert error.reason == "already_filed"
    upheld = world.service.decide_objection(world.officer, case.id, objection.id, outcome="upheld",
                                            reason="Terecht.")
    assert upheld.outcome == "upheld" and world.case(case.id).state == CaseState.OBJECTION_UPHELD
    assert world.uow.published_types()[-1] == "assessment.objection.decided"
    assert world.uow.events("assessment.objection.decided")[-1].data["next_step"] == "new_decision"
    error = refused_without_events(world, lambda: world.service.decide_objection(
        world.officer, case.id, objection.id, outcome="rejected", reason="x"), ObjectionRefused)
    assert error.reason == "already_decided"


def test_no_objection_after_the_term_or_against_a_positive_decision(world):
    coach, _, _, case = world.advised()
    decision = world.service.decide(world.officer, case.id, decision="negative", reason="Onvoldoende.")
    world.day = decision.objection_deadline + timedelta(days=1)
    error = refused_without_events(world, lambda: world.service.file_objection(coach, case.id, "Oneens."),
                                   ObjectionRefused)
    assert (error.reason, error.deadline) == ("term_passed", decision.objection_deadline)
    other, _, _, positive = world.advised()
    world.service.decide(world.officer, positive.id, decision="positive", reason=None)
    assert refused_without_events(world, lambda: world.service.file_objection(other, positive.id, "x"),
                                  ObjectionRefused).reason == "positive_decision"


def test_a_rejected_objection_leaves_the_decision_standing(world):
    coach, _, _, case = world.advised()
    world.service.decide(world.officer, case.id, decision="negative", reason="Onvoldoende.")
    objection = world.service.file_objection(coach, case.id, "Oneens.")
    world.service.decide_objection(world.officer, case.id, objection.id, outcome="rejected", reason="Nee.")
    assert world.case(case.id).state == CaseState.DECIDED
    assert world.uow.events("assessment.objection.decided")[-1].data["next_step"] is None
    with pytest.raises(NotFoundError):
        world.service.decide_objection(world.officer, case.id, uuid.uuid4(), outcome="rejected", reason="x")


def test_an_objection_against_a_replaced_decision_cannot_be_upheld_but_gets_its_answer(world):
    """An objection against a postponed decision may still be open when the decision on the supplement has
    replaced it (here: positive, the certificate renewed). Upholding it then would reopen a decided case."""
    coach, certificate, assessor, case = world.advised(postponed_form())
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    objection = world.service.file_objection(coach, case.id, "Het uitstel is onterecht.")
    world.instant += timedelta(days=20)  # the decisions are ordered by their time, as in the database
    world.handle(world.handlers.on_supplement, received("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case.id, "portfolio_id": case.portfolio_id,
        "submission_id": case.submission_id, "account_id": coach.account_id, "parts": ["A1"],
        "submitted_at": world.instant, "snapshot_hash": "cd" * 32}, producer="portfolio",
        subject=coach.account_id))
    world.pay(coach, world.case(case.id), "reassessment")
    world.service.give_advice(assessor, case.id, positive_form())
    world.service.decide(world.officer, case.id, decision="positive", reason=None)
    renewed = world.uow.certificates.get(certificate.id)
    assert renewed.valid_until > certificate.valid_until

    error = refused_without_events(world, lambda: world.service.decide_objection(
        world.officer, case.id, objection.id, outcome="upheld", reason="Terecht."), ObjectionRefused)
    assert error.reason == "decision_replaced"
    assert world.case(case.id).state == CaseState.DECIDED
    answered = world.service.decide_objection(world.officer, case.id, objection.id, outcome="rejected",
                                              reason="Het besluit is vervangen door een positief besluit.")
    assert answered.outcome == "rejected" and world.case(case.id).state == CaseState.DECIDED
    assert world.uow.certificates.get(certificate.id) == renewed


def test_an_objection_against_a_postponed_decision_is_upheld_while_that_decision_stands(world):
    coach, _, _, case = world.advised(postponed_form())
    world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    objection = world.service.file_objection(coach, case.id, "Het uitstel is onterecht.")
    world.service.decide_objection(world.officer, case.id, objection.id, outcome="upheld", reason="Terecht.")
    assert world.case(case.id).state == CaseState.OBJECTION_UPHELD


# --- certificates ----------------------------------------------------------------------------------------


def test_the_import_is_all_or_nothing_and_idempotent(world):
    good = f"{HEADER}12345678,RJ-1,2027-06-30,a@example.org,An\n"
    assert world.service.certificates.import_csv(good.encode()).created == 1
    again = world.service.certificates.import_csv(good.encode())
    assert (again.created, again.unchanged) == (0, 1)
    bad = f"{HEADER}87654321,RJ-2,2027-06-30,b@example.org,Bo\n12345679,RJ-1,2027-06-30,c@example.org,Cy\n"
    error = refused_without_events(world, lambda: world.service.certificates.import_csv(bad.encode()),
                                   CsvRowsRejected)
    assert [e.code for e in error.errors if isinstance(e, LineError)] == ["number_taken"]
    assert world.uow.certificates.by_number("RJ-2") is None  # nothing of the refused file stayed
    with pytest.raises(CsvUnreadable):
        world.service.certificates.import_csv(b"")


def test_the_tile_and_dnvs_list(world):
    coach, certificate = world.coach_with_certificate()
    tile = world.service.certificates.tile(coach.account_id)
    assert tile.window_open and tile.days_left == (EXPIRES - world.day).days
    with pytest.raises(NoCertificate):
        world.service.certificates.tile(uuid.uuid4())
    view = world.service.certificates.get(certificate.id)
    assert view.name and view.certificate.number == certificate.number
    assert world.service.certificates.get(uuid.uuid4()) is None
    items, total = world.service.certificates.list(number=certificate.number, account_id=None, state=None,
                                                   page=1, page_size=20)
    assert total == 1 and items[0].certificate.id == certificate.id


def test_the_register_lists_active_certificates_only(world):
    coach, certificate = world.coach_with_certificate()
    assert world.service.certificates.register_entry(certificate.number.lower()).name == "Jet"
    assert [e.certificate_number for e in world.service.certificates.search_register(" Jet ")] == [
        certificate.number]
    world.day = EXPIRES + timedelta(days=1)
    world.deadline_missed(coach, certificate)
    assert world.service.certificates.register_entry(certificate.number) is None
    assert world.service.certificates.search_register(certificate.number) == []


def test_a_claim_code_links_the_waiting_certificate(world):
    number = "23456789"
    world.service.certificates.import_csv(f"{HEADER}{number},RJ-9,2027-06-30,noloc@example.org,Jet\n".encode())
    coach = world.account(number=number, email="other@example.org")  # another address: not linked
    certificate = world.uow.certificates.by_number("RJ-9")
    assert certificate.account_id is None
    code, _ = world.service.certificates.issue_claim_code(certificate.id, issued_by=world.admin.account_id)
    refused_without_events(world, lambda: world.service.certificates.redeem_claim_code(coach.account_id,
                                                                                        "WRONG-CODE-0"),
                           ClaimCodeRejected)
    claimed = world.service.certificates.redeem_claim_code(coach.account_id, code)
    assert claimed.account_id == coach.account_id
    assert world.uow.published_types()[-1] == "certification.certificate.registered"
    # Each try was counted under the account's lock; the one that worked is not a failure.
    since = world.instant - timedelta(minutes=15)
    assert world.uow.claim_codes.locked == [coach.account_id] * 2
    assert world.uow.claim_codes.failures_since(coach.account_id, since) == 1
    with pytest.raises(NotFoundError):
        world.service.certificates.issue_claim_code(uuid.uuid4(), issued_by=world.admin.account_id)


def test_a_claim_that_fails_for_another_reason_than_the_code_is_not_counted(world, monkeypatch):
    coach = world.account(number="45678901")

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(world.uow.claim_codes, "take", broken)
    with pytest.raises(RuntimeError):
        world.service.certificates.redeem_claim_code(coach.account_id, "ABCD-EFGH-JKMN")
    assert world.uow.claim_codes.failures_since(coach.account_id, world.instant - timedelta(minutes=15)) == 0


def test_wrong_claim_codes_are_throttled(world):
    coach = world.account(number="34567890")
    for _ in range(5):
        with pytest.raises(ClaimCodeRejected):
            world.service.certificates.redeem_claim_code(coach.account_id, "WRONG-CODE-0")
    with pytest.raises(ClaimThrottled):
        world.service.certificates.redeem_claim_code(coach.account_id, "WRONG-CODE-0")


# --- the schedule ----------------------------------------------------------------------------------------


def test_the_schedule_reminds_lapses_and_reports_once(world):
    coach, certificate = world.coach_with_certificate()
    world.day = date(2027, 5, 30)
    assert world.scheduler.run_in(lambda: world.uow).expiring == 1
    assert world.scheduler.run_in(lambda: world.uow).expiring == 0
    (reminder,) = world.uow.events("certification.certificate.expiring")
    assert reminder.data["months_before"] == 1
    other, other_certificate = world.coach_with_certificate(date(2027, 9, 30))
    case = world.submit(other, other_certificate)
    world.day = EXPIRES + timedelta(days=1)
    report = world.scheduler.run_in(lambda: world.uow)
    assert report.lapsed == 0 and report.overdue == 1  # the lapse waits for portfolio's word (ADR 0042)
    (overdue,) = world.uow.events("assessment.case.overdue")
    assert overdue.data["case_id"] == str(case.id) and overdue.data["stage"] == "pe_check"
    assert world.scheduler.run_in(lambda: world.uow) == type(report)()
    world.day = EXPIRES + timedelta(days=8)  # portfolio stayed silent: assessment lapses it on its own
    assert world.scheduler.run_in(lambda: world.uow) == type(report)(lapsed=1)
    assert world.uow.certificates.get(certificate.id).state == CertificateState.LAPSED
    assert world.scheduler.run_in(lambda: world.uow) == type(report)()


def test_a_portfolio_submitted_on_the_last_day_and_heard_after_expiry_is_judged_not_lapsed(world):
    """The race of ADR 0042: the submission's event reaches assessment after the timer's first pass past
    expiry. The certificate waits for portfolio's word, which never comes for a submitted cycle."""
    coach, certificate = world.coach_with_certificate()
    world.day = EXPIRES + timedelta(days=1)
    assert world.scheduler.run_in(lambda: world.uow).lapsed == 0
    world.instant = datetime.combine(EXPIRES, time(21, 59), tzinfo=UTC)  # 23:59 in Amsterdam
    case = world.submit(coach, certificate)
    assert case is not None and case.certificate_expires_on == EXPIRES
    world.day = EXPIRES + timedelta(days=30)
    assert world.scheduler.run_in(lambda: world.uow).lapsed == 0  # the case holds it
    assert world.uow.certificates.get(certificate.id).state == CertificateState.ACTIVE
    assert world.uow.events("certification.certificate.lapsed") == []


def test_portfolios_word_lapses_the_certificate_once_and_only_for_its_period_and_holder(world):
    coach, certificate = world.coach_with_certificate()
    other = world.account(number="99999999")
    world.day = EXPIRES + timedelta(days=1)
    world.deadline_missed(other, certificate)  # a cycle of another account: not this certificate's holder
    world.deadline_missed(coach, certificate, expires_on=EXPIRES - timedelta(days=1461))  # an older period
    assert world.uow.certificates.get(certificate.id).state == CertificateState.ACTIVE
    world.deadline_missed(coach, certificate)
    world.deadline_missed(coach, certificate)
    lapsed = world.uow.certificates.get(certificate.id)
    assert (lapsed.state, lapsed.lapsed_on, lapsed.lapse_reason) == (
        CertificateState.LAPSED, EXPIRES + timedelta(days=1), "not_recertified")
    (event,) = world.uow.events("certification.certificate.lapsed")
    assert event.data["reason"] == "not_recertified" and event.data["account_id"] == str(coach.account_id)


def test_portfolios_word_heard_before_assessments_day_turned_lapses_on_the_next_pass(world):
    """Portfolio's clock a little ahead: the word arrives while assessment's calendar still reads the last
    day. It is kept, and the timer's first pass of the next day lapses the certificate."""
    coach, certificate = world.coach_with_certificate()
    world.day = EXPIRES
    world.deadline_missed(coach, certificate)
    assert world.uow.certificates.get(certificate.id).state == CertificateState.ACTIVE
    assert world.scheduler.run_in(lambda: world.uow).lapsed == 0
    world.day = EXPIRES + timedelta(days=1)
    assert world.scheduler.run_in(lambda: world.uow).lapsed == 1


def test_portfolios_word_does_not_lapse_a_certificate_a_case_holds(world):
    coach, certificate, _, case = world.advised()
    world.day = EXPIRES + timedelta(days=1)
    world.deadline_missed(coach, certificate)
    assert world.uow.certificates.get(certificate.id).state == CertificateState.ACTIVE


def test_a_running_case_holds_the_certificate_past_expiry(world):
    coach, certificate, _, case = world.advised()
    world.day = EXPIRES + timedelta(days=1)
    assert world.scheduler.run_in(lambda: world.uow).lapsed == 0
    world.service.decide(world.officer, case.id, decision="positive", reason=None)
    assert world.uow.certificates.get(certificate.id).valid_until == date(2031, 6, 30)


def test_the_jobcoach_follows_her_case_step_by_step_with_its_dates(world):
    coach, _, _, case = world.advised(postponed_form())
    steps = world.service.view(coach, case.id).progress
    assert [(s.step, s.status) for s in steps] == [
        ("submitted", "done"), ("pe_check", "done"), ("assessment", "done"), ("decision", "current")]
    assert steps[2].done_on is None  # the advice stays DNV's until the decision
    assert steps[3].expected_by == case.due_on and steps[3].expected_from < case.due_on
    assert world.service.view(world.officer, case.id).progress[2].done_on is not None
    decision = world.service.decide(world.officer, case.id, decision="postponed", reason=None)
    steps = world.service.view(coach, case.id).progress
    assert [(s.step, s.round, s.status) for s in steps] == [
        ("submitted", 1, "done"), ("pe_check", 1, "done"), ("assessment", 1, "done"), ("decision", 1, "done"),
        ("supplement", 2, "current"), ("reassessment", 2, "upcoming"), ("decision", 2, "upcoming")]
    assert steps[3].done_on == decision.decided_on and steps[2].done_on is not None
    assert steps[4].expected_by == decision.supplement_due_on and steps[5].expected_by is None
