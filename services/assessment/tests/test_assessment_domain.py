"""Rules of the assessment service that need no database: the form's consistency, reminders, renewal, the
tile, the automatic PE check and conflicts of interest."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from recert_assessment.domain import (
    AssessmentForm,
    AssessorConflict,
    Case,
    Certificate,
    CertificateState,
    Decision,
    LapseReason,
    PartVerdict,
    PeActivity,
    Rejection,
    SupplementAssignment,
    assessor_conflict,
    case_due_on,
    claim_code_hash,
    expiry_notice,
    expiry_notice_due,
    form_refusals,
    imported_valid_from,
    lapse_reason,
    new_claim_code,
    pe_check_proposal,
    renewal,
    tile,
)
from recert_assessment.states import CaseState
from recert_common.rules import load_framework

T0 = datetime(2027, 5, 1, 9, tzinfo=UTC)


def form(advice="positive", *, a1="meets", a3="meets", b="meets", supplements=()) -> AssessmentForm:
    return AssessmentForm(
        verdicts=(PartVerdict("A1", a1, "cv"), PartVerdict("A3", a3, "reflectie"), PartVerdict("B", b, "pe")),
        feedback={"A2": "mooi"}, development_advice="door", advice=advice,
        supplements=tuple(SupplementAssignment(p, "doe het over") for p in supplements))


def certificate(valid_until=date(2027, 6, 30), state=CertificateState.ACTIVE) -> Certificate:
    return Certificate(id=uuid.uuid4(), number="RJ-1", membership_number="1234567", account_id=uuid.uuid4(),
                       valid_from=date(2023, 6, 30), valid_until=valid_until, state=state)


def case(account_id=None) -> Case:
    return Case(id=uuid.uuid4(), account_id=account_id or uuid.uuid4(), certificate_id=uuid.uuid4(),
                portfolio_id=uuid.uuid4(), cycle_id=uuid.uuid4(), submission_id=uuid.uuid4(), submitted_at=T0,
                certificate_expires_on=date(2027, 6, 30), is_new_portfolio_after_negative=False,
                pe_activity_ids=(), pe_points_claimed=Decimal(75), reflection_meetings=4,
                snapshot_hash="a" * 64, state=CaseState.OPENED, due_on=date(2027, 6, 26), opened_at=T0)


# --- the form --------------------------------------------------------------------------------------------


def test_a_consistent_form_is_accepted():
    assert form_refusals(form("positive"), reassessment=False) == {}
    assert form_refusals(form("negative", b="does_not_meet"), reassessment=False) == {}
    assert form_refusals(form("postponed", a3="does_not_meet", supplements=("A3",)), reassessment=False) == {}
    assert form_refusals(form("negative", a1="does_not_meet"), reassessment=True) == {}


@pytest.mark.parametrize(("the_form", "reassessment", "errors"), [
    (form("positive", a3="does_not_meet"), False, {"advice": ["assessment.field.positive_with_unmet_part"]}),
    (form("negative"), False, {"advice": ["assessment.field.not_positive_without_unmet_part"]}),
    (form("postponed", supplements=("A1",)), False,
     {"advice": ["assessment.field.not_positive_without_unmet_part"],
      "supplements": ["assessment.field.supplement_for_met_part"]}),
    (form("postponed", a3="does_not_meet", b="does_not_meet", supplements=("A3",)), False,
     {"supplements": ["assessment.field.supplement_missing"]}),
    (form("postponed", a3="does_not_meet", supplements=("A3", "A1")), False,
     {"supplements": ["assessment.field.supplement_for_met_part"]}),
    (form("negative", a3="does_not_meet", supplements=("A3",)), False,
     {"supplements": ["assessment.field.supplements_only_when_postponed"]}),
    (form("postponed", a3="does_not_meet", supplements=("A3",)), True,
     {"advice": ["assessment.field.reassessment_not_postponed"]}),
])
def test_an_inconsistent_form_is_refused_per_field(the_form, reassessment, errors):
    assert form_refusals(the_form, reassessment=reassessment) == errors


def test_every_assessed_part_needs_a_verdict():
    partial = AssessmentForm(verdicts=(PartVerdict("A1", "meets", "cv"),), feedback={},
                             development_advice="x", advice="positive")
    assert form_refusals(partial, reassessment=False) == {
        "parts.A3": ["assessment.field.verdict_missing"], "parts.B": ["assessment.field.verdict_missing"]}


# --- dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "months"), [
    (date(2026, 6, 29), None),  # more than a year before
    (date(2026, 6, 30), 12),
    (date(2026, 12, 29), 12),
    (date(2026, 12, 30), 6),
    (date(2027, 3, 30), 3),
    (date(2027, 4, 30), 3),  # loaded two months before expiry: the 3-month reminder, not 12 and 6
    (date(2027, 5, 30), 1),
    (date(2027, 6, 30), 1),  # the expiry day itself
    (date(2027, 7, 1), None),  # expired: no reminder
])
def test_only_the_latest_due_reminder_is_due(today, months):
    assert expiry_notice_due(date(2027, 6, 30), today) == months


def test_the_notice_due_carries_the_reminder_and_the_submission_window():
    certificate_id = uuid.uuid4()
    assert expiry_notice(certificate_id, date(2027, 6, 30), date(2026, 6, 29)) is None
    six = expiry_notice(certificate_id, date(2027, 6, 30), date(2027, 1, 5))
    assert (six.certificate_id, six.months_before, six.valid_until) == (certificate_id, 6, date(2027, 6, 30))
    assert (six.window_opens_on, six.window_open) == (date(2027, 3, 30), False)
    # 31 May: the 3-month moment and the window clamp to the end of February, the window is open.
    late = expiry_notice(certificate_id, date(2027, 5, 31), date(2027, 2, 28))
    assert (late.months_before, late.window_opens_on, late.window_open) == (3, date(2027, 2, 28), True)


def test_a_renewal_runs_four_years_from_the_old_expiry_date():
    june = date(2027, 6, 30)
    assert renewal(certificate(june), june) == (june, date(2031, 6, 30))
    # 29 February clamps in a year without it
    leap = date(2028, 2, 29)
    assert renewal(certificate(leap), leap) == (leap, date(2032, 2, 29))
    assert renewal(certificate(date(2024, 2, 29)), date(2024, 2, 29))[1] == date(2028, 2, 29)
    assert imported_valid_from(date(2027, 6, 30)) == date(2023, 6, 30)
    assert case_due_on(date(2027, 5, 1)) == date(2027, 6, 26)  # 8 weeks


# --- the tile --------------------------------------------------------------------------------------------


def test_the_tile_counts_days_and_knows_the_window():
    cert = certificate(date(2027, 6, 30))
    before = tile(cert, date(2027, 3, 29), None)
    assert (before.days_left, before.window_open) == (93, False)
    assert (before.window.first, before.window.last) == (date(2027, 3, 30), date(2027, 6, 30))
    assert tile(cert, date(2027, 3, 30), None).window_open
    last = tile(cert, date(2027, 6, 30), None)
    assert (last.days_left, last.window_open) == (0, True)
    assert tile(cert, date(2027, 7, 5), None).days_left == 0


def test_after_a_negative_decision_the_window_is_for_a_new_portfolio():
    negative = Decision(id=uuid.uuid4(), case_id=uuid.uuid4(), round=1, decision="negative",
                        follows_advice=True, reason=None, decided_on=date(2027, 6, 10),
                        objection_deadline=date(2027, 7, 22), new_portfolio_deadline=date(2027, 9, 10),
                        supplement_due_on=None, decided_by=uuid.uuid4(), decided_at=T0)
    lapsed = certificate(date(2027, 6, 30), CertificateState.LAPSED)
    after = tile(lapsed, date(2027, 8, 1), negative)
    assert after.window_open
    assert (after.window.first, after.window.last) == (date(2027, 6, 10), date(2027, 9, 10))
    assert not tile(lapsed, date(2027, 9, 11), negative).window_open
    assert tile(lapsed, date(2027, 8, 1), None).window is None


def test_after_the_negative_decision_on_the_new_portfolio_no_window_opens():
    """ADR 0009: one second chance only. That decision has no new-portfolio deadline, and the tile shows no
    submission window, whether the certificate has lapsed yet or not."""
    last = Decision(id=uuid.uuid4(), case_id=uuid.uuid4(), round=1, decision="negative",
                    follows_advice=True, reason=None, decided_on=date(2027, 6, 10),
                    objection_deadline=date(2027, 7, 22), new_portfolio_deadline=None,
                    supplement_due_on=None, decided_by=uuid.uuid4(), decided_at=T0)
    for state in (CertificateState.ACTIVE, CertificateState.LAPSED):
        after = tile(certificate(date(2027, 6, 30), state), date(2027, 6, 15), last)
        assert after.window is None and not after.window_open


def test_a_certificate_with_an_account_waits_for_portfolios_word_before_it_lapses():
    """ADR 0042: a portfolio submitted on the last day may still be on its way to assessment."""
    held, unlinked = certificate(date(2027, 6, 30)), replace(certificate(date(2027, 6, 30)), account_id=None)
    negative = Decision(id=uuid.uuid4(), case_id=uuid.uuid4(), round=1, decision="negative",
                        follows_advice=True, reason=None, decided_on=date(2027, 5, 10),
                        objection_deadline=date(2027, 6, 21), new_portfolio_deadline=date(2027, 8, 10),
                        supplement_due_on=None, decided_by=uuid.uuid4(), decided_at=T0)

    def reason(cert, today, *, deadline_missed=False, negative=None, case_open=False):
        if deadline_missed:
            cert = replace(cert, deadline_missed_for=cert.valid_until)
        return lapse_reason(cert, today, regular_case_open=case_open, negative=negative)

    assert reason(held, date(2027, 6, 30), deadline_missed=True) is None  # not expired yet
    assert reason(held, date(2027, 7, 1)) is None
    assert reason(held, date(2027, 7, 1), deadline_missed=True) == LapseReason.NOT_RECERTIFIED
    assert reason(held, date(2027, 7, 1), deadline_missed=True, case_open=True) is None
    assert reason(held, date(2027, 7, 1), negative=negative) == LapseReason.NEGATIVE_DECISION
    assert reason(unlinked, date(2027, 7, 1)) == LapseReason.NOT_RECERTIFIED  # no account, no portfolio
    # Portfolio silent: 7 days after expiry the timer lapses it on assessment's knowledge alone.
    assert reason(held, date(2027, 7, 7)) is None
    assert reason(held, date(2027, 7, 8)) == LapseReason.NOT_RECERTIFIED
    # Portfolio's word about an earlier period says nothing about this one.
    assert reason(replace(held, deadline_missed_for=date(2023, 6, 30)), date(2027, 7, 1)) is None


# --- the PE check ----------------------------------------------------------------------------------------


def activity(points: str, category: str = "1") -> PeActivity:
    return PeActivity(activity_id=uuid.uuid4(), account_id=uuid.uuid4(), category=category, title="Cursus",
                      completed_on=date(2026, 1, 1), unit="sbu", amount=Decimal(points),
                      points=Decimal(points), source="manual")


def test_the_pe_rules_are_applied_to_the_snapshot_minus_rejections():
    framework = load_framework(2027)
    a, b, c = activity("45"), activity("30", "training_in_field"), activity("25", "6")  # self-study: max 10
    missing = uuid.uuid4()
    ids = (a.activity_id, b.activity_id, c.activity_id, missing)
    known = {x.activity_id: x for x in (a, b, c)}
    proposal = pe_check_proposal(ids, known, {}, framework)
    assert proposal.summary.met and proposal.summary.counted_total == Decimal(85)
    assert proposal.unknown_activity_ids == (missing,)
    assert [x.counted for x in proposal.activities] == [True, True, True, False]

    rejection = Rejection(b.activity_id, "Geen bewijs", uuid.uuid4(), T0)
    rejected = pe_check_proposal(ids, known, {b.activity_id: rejection}, framework)
    assert not rejected.summary.met and rejected.summary.counted_total == Decimal(55)
    assert rejected.activities[1].rejection == rejection and not rejected.activities[1].counted


def test_an_activity_in_an_unknown_category_does_not_count():
    odd = activity("80", "no-such-category")
    proposal = pe_check_proposal((odd.activity_id,), {odd.activity_id: odd}, {}, load_framework(2027))
    assert proposal.summary.counted_total == 0 and not proposal.activities[0].counted


# --- conflicts of interest -------------------------------------------------------------------------------


def test_mentor_previous_assessor_and_the_jobcoach_are_refused():
    the_case, mentor, previous, fresh = case(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert assessor_conflict(fresh, the_case, [mentor], previous) is None
    assert assessor_conflict(mentor, the_case, [mentor], previous) == AssessorConflict.MENTOR
    assert assessor_conflict(previous, the_case, [mentor], previous) == AssessorConflict.PREVIOUS_ASSESSOR
    assert assessor_conflict(the_case.account_id, the_case, [], None) == AssessorConflict.IS_JOBCOACH


def test_b_cannot_meet_against_a_failed_pe_check():
    assert form_refusals(form("positive"), reassessment=False, pe_check_failed=True) == {
        "parts.B": ["assessment.field.meets_against_failed_pe_check"]}
    assert form_refusals(form("positive"), reassessment=False, pe_check_failed=False) == {}
    assert form_refusals(form("negative", b="does_not_meet"), reassessment=False, pe_check_failed=True) == {}


def test_the_pe_supplement_assignment_is_what_the_check_found_missing():
    from recert_assessment.domain import Finding, pe_supplement_assignment
    assignment = pe_supplement_assignment([Finding("Bewijs ontbreekt bij de cursus."), Finding("  "),
                                           Finding("Categorie 1 heeft 20 van de 30 punten.")])
    assert assignment.part == "B"
    assert assignment.assignment == ("Vul je permanente educatie aan. Wat de PE-toets mist: Bewijs ontbreekt "
                                     "bij de cursus. Categorie 1 heeft 20 van de 30 punten.")
    # A finding without a full stop becomes a sentence; no findings, no dangling colon.
    assert pe_supplement_assignment([Finding("Te weinig punten")]).assignment.endswith(
        "mist: Te weinig punten.")
    assert pe_supplement_assignment([Finding(" ")]).assignment == "Vul je permanente educatie aan."


# --- who holds a certificate (ADR 0018) ------------------------------------------------------------------


def test_a_certificate_belongs_to_the_account_with_the_imports_number_and_address():
    certificate = Certificate(id=uuid.uuid4(), number="RJ-1", membership_number="1234567", account_id=None,
                              valid_from=date(2023, 6, 30), valid_until=date(2027, 6, 30),
                              state=CertificateState.ACTIVE, holder_email="Anna@Example.org ",
                              holder_name="Anna de Vries")
    assert certificate.belongs_to("anna@example.org", "1234567")
    assert not certificate.belongs_to("sjaak@example.org", "1234567")  # the number alone: no
    assert not certificate.belongs_to("anna@example.org", "7654321")
    assert not certificate.belongs_to(None, "1234567")
    assert not replace(certificate, holder_email=None).belongs_to("anna@example.org", "1234567")


def test_claim_codes_are_random_and_read_forgivingly():
    codes = {new_claim_code() for _ in range(200)}
    assert len(codes) == 200
    code = next(iter(codes))
    assert len(code) == 14 and code.count("-") == 2
    assert claim_code_hash(code) == claim_code_hash(code.lower().replace("-", " "))
    assert claim_code_hash("O1IL-0000-0000") == claim_code_hash("0111-0000-0000")
