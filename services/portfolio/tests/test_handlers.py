"""Every event portfolio consumes, handled against the fake unit of work: what it changes, what it announces,
and that a redelivered or reordered event has no second effect."""
from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import portfolio_fakes as fakes
import pytest

from recert_common.auth import Principal
from recert_common.domain_errors import NotYetKnown
from recert_common.events import registry as event_registry
from recert_common.rules import add_years
from recert_portfolio.domain import CycleKind, CycleState

PDF = b"%PDF-1.7\n%%EOF\n"


def _cycles(world, coach):
    return sorted((c for c in world.data.cycles.values() if c.account_id == coach.account_id),
                  key=lambda c: c.opened_at)


def test_every_type_portfolio_subscribes_to_is_one_the_catalogue_names_portfolio_a_consumer_of(world):
    for type_ in world.routes:
        assert event_registry.get(type_) is not None


# --- identity --------------------------------------------------------------------------------------------


def test_an_older_account_update_arriving_late_changes_nothing(world):
    coach = world.coach(register=False)
    world.account(coach, number="11111111", occurred_at=world.now)
    world.account(coach, number="22222222", occurred_at=world.now - timedelta(minutes=5), updated=True)
    assert world.uow.accounts.membership_number_of(coach.account_id) == "11111111"
    world.account(coach, number="33333333", occurred_at=world.now + timedelta(minutes=5), updated=True)
    assert world.uow.accounts.membership_number_of(coach.account_id) == "33333333"


def test_an_erased_account_is_forgotten_with_its_proof_files(world):
    coach, submission_id = world.submitted()
    _, other_submission = world.submitted()
    world.event("identity.account.erased", {"account_id": coach.account_id, "closed_at": world.now})
    assert world.service.submission(submission_id) is None
    assert world.uow.cycles.current(coach.account_id) is None
    assert world.uow.accounts.membership_number_of(coach.account_id) is None
    assert world.uow.pe.activities(coach.account_id) == ()
    assert world.service.submission(other_submission) is not None


def test_erasure_deletes_the_proof_objects(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                        group_name="Groep")
    key = world.service.upload_proof(coach.account_id, meeting.id, io.BytesIO(PDF), filename=None) \
        .proof.object_key
    world.event("identity.account.erased", {"account_id": coach.account_id, "closed_at": world.now})
    assert key in world.objects.deleted and world.data.proofs == {}


# --- Noloc -----------------------------------------------------------------------------------------------


def test_a_noloc_meeting_waits_for_the_holder_of_its_number_and_arrives_once(world):
    coach = world.coach()
    external_id = world.noloc_meeting(coach, date(2025, 4, 4))  # no certificate yet: parked
    assert world.data.attendance[external_id].account_id is None
    world.certificate(coach)
    [meeting] = world.service.meetings(coach.account_id)
    assert meeting.source == "noloc" and meeting.external_id == external_id and meeting.proven
    world.noloc_meeting(coach, date(2025, 4, 4), external_id=external_id)  # sent again
    assert len(world.service.meetings(coach.account_id)) == 1


def test_a_noloc_meeting_outside_the_period_stays_parked(world):
    coach = world.coach()
    world.certificate(coach)
    external_id = world.noloc_meeting(coach, date(2023, 1, 1))
    assert world.service.meetings(coach.account_id) == ()
    assert world.data.attendance[external_id].meeting_id is None


def test_a_number_given_by_an_account_without_a_certificate_claims_nothing(world):
    holder = world.coach()
    world.certificate(holder)
    pretender = world.coach(register=False)
    world.account(pretender, number=holder.membership_number)
    world.noloc_meeting(holder, date(2025, 4, 4))
    assert len(world.service.meetings(holder.account_id)) == 1


# --- pe-registry -----------------------------------------------------------------------------------------


def test_pe_activities_and_their_evidence_follow_pe_registry(world):
    coach = world.coach()
    world.certificate(coach)
    activity_id = world.pe_activity(coach, date(2025, 3, 1), "40", evidence=False)
    [activity] = world.uow.pe.activities(coach.account_id)
    assert not activity.proven
    evidence_id = world.evidence(coach, activity_id)
    assert world.uow.pe.activities(coach.account_id)[0].proven
    world.event("pe.activity.updated", {
        "activity_id": activity_id, "account_id": coach.account_id, "category": "1", "title": "Training",
        "completed_on": date(2025, 3, 2), "unit": "sbu", "amount": "50", "points": "50", "source": "manual",
        "external_id": None})
    [activity] = world.uow.pe.activities(coach.account_id)
    assert activity.points == 50 and activity.completed_on == date(2025, 3, 2) and activity.proven
    sha = activity.evidence_sha256s[0]
    world.event("pe.evidence.removed", {"evidence_id": evidence_id, "activity_id": activity_id,
                                        "account_id": coach.account_id, "sha256": sha})
    assert not world.uow.pe.activities(coach.account_id)[0].proven
    world.event("pe.activity.removed", {"activity_id": activity_id, "account_id": coach.account_id,
                                        "category": "1", "points": "50"})
    assert world.uow.pe.activities(coach.account_id) == ()


def _activity_event(world, coach, type_, activity_id, *, title="Training", points="40", at):
    world.event(type_, {
        "activity_id": activity_id, "account_id": coach.account_id, "category": "1", "title": title,
        "completed_on": date(2025, 3, 1), "unit": "sbu", "amount": points, "points": points,
        "source": "manual", "external_id": None}, occurred_at=at)


def _removed(world, coach, activity_id, *, at):
    world.event("pe.activity.removed", {"activity_id": activity_id, "account_id": coach.account_id,
                                        "category": "1", "points": "40"}, occurred_at=at)


def test_an_update_handled_after_the_removal_brings_no_activity_back(world):
    """A retried or replayed pe.activity.updated handled after pe.activity.removed: the activity stays gone,
    or every later hold of the jobcoach's submission would be refused (ADR 0044)."""
    coach = world.coach()
    world.certificate(coach)
    t = world.now - timedelta(hours=1)
    activity_id = uuid.uuid4()
    _activity_event(world, coach, "pe.activity.recorded", activity_id, at=t)
    _removed(world, coach, activity_id, at=t + timedelta(minutes=2))
    _activity_event(world, coach, "pe.activity.updated", activity_id, title="Later",
                    at=t + timedelta(minutes=1))
    assert world.uow.pe.activities(coach.account_id) == ()
    # Nor does a recorded event that failed at first and is replayed after the removal.
    other = uuid.uuid4()
    _removed(world, coach, other, at=t + timedelta(minutes=4))
    _activity_event(world, coach, "pe.activity.recorded", other, at=t + timedelta(minutes=3))
    assert world.uow.pe.activities(coach.account_id) == ()


def test_an_older_update_handled_after_a_newer_one_changes_nothing(world):
    coach = world.coach()
    world.certificate(coach)
    t = world.now - timedelta(hours=1)
    activity_id = uuid.uuid4()
    _activity_event(world, coach, "pe.activity.recorded", activity_id, title="Eerst", at=t)
    _activity_event(world, coach, "pe.activity.updated", activity_id, title="Nieuwst", points="50",
                    at=t + timedelta(minutes=2))
    _activity_event(world, coach, "pe.activity.updated", activity_id, title="Tussen", points="45",
                    at=t + timedelta(minutes=1))
    _activity_event(world, coach, "pe.activity.recorded", activity_id, title="Eerst", at=t)
    [activity] = world.uow.pe.activities(coach.account_id)
    assert (activity.title, activity.points) == ("Nieuwst", 50)
    # A newer event still applies.
    _activity_event(world, coach, "pe.activity.updated", activity_id, title="Laatst",
                    at=t + timedelta(minutes=3))
    assert world.uow.pe.activities(coach.account_id)[0].title == "Laatst"


def test_evidence_attached_after_its_removal_or_its_activitys_stays_gone(world):
    """pe.evidence.attached handled after pe.evidence.removed (or after its activity's removal) adds no
    evidence hash to the copy: the hold compares them (ADR 0044)."""
    coach = world.coach()
    world.certificate(coach)
    t = world.now - timedelta(hours=1)
    activity_id = uuid.uuid4()
    _activity_event(world, coach, "pe.activity.recorded", activity_id, at=t)
    evidence_id, sha = uuid.uuid4(), "a" * 64
    attached = {"evidence_id": evidence_id, "activity_id": activity_id, "account_id": coach.account_id,
                "sha256": sha, "size": 10, "content_type": "application/pdf", "filename": "bewijs.pdf"}
    world.event("pe.evidence.removed", {"evidence_id": evidence_id, "activity_id": activity_id,
                                        "account_id": coach.account_id, "sha256": sha},
                occurred_at=t + timedelta(minutes=2))
    world.event("pe.evidence.attached", attached, occurred_at=t + timedelta(minutes=1))
    [activity] = world.uow.pe.activities(coach.account_id)
    assert activity.evidence_sha256s == () and not activity.proven

    gone, gone_evidence = uuid.uuid4(), uuid.uuid4()
    _activity_event(world, coach, "pe.activity.recorded", gone, at=t)
    _removed(world, coach, gone, at=t + timedelta(minutes=2))
    world.event("pe.evidence.attached", {**attached, "evidence_id": gone_evidence, "activity_id": gone},
                occurred_at=t + timedelta(minutes=1))
    assert gone_evidence not in world.data.pe_evidence


def test_an_erased_account_leaves_no_tombstones_of_its_pe(world):
    coach = world.coach()
    world.certificate(coach)
    activity_id = world.pe_activity(coach, date(2025, 3, 1), "40")
    _removed(world, coach, activity_id, at=world.now)
    world.event("identity.account.erased", {"account_id": coach.account_id, "closed_at": world.now})
    assert world.data.pe_removed_activities == {} and world.data.pe_removed_evidence == {}


# --- certificates ----------------------------------------------------------------------------------------


def test_a_registered_certificate_opens_one_cycle_and_announces_it(world):
    coach = world.coach()
    certificate_id = world.certificate(coach)
    [cycle] = _cycles(world, coach)
    assert (cycle.state, cycle.kind) == (CycleState.OPEN, CycleKind.REGULAR)
    assert cycle.expires_on == date(2027, 6, 30)
    assert cycle.starts_on == add_years(date(2027, 6, 30), -4)
    [event] = world.published("portfolio.cycle.opened")
    assert event.data["certificate_id"] == str(certificate_id) and event.data["kind"] == "regular"
    world.certificate(coach, certificate_id=certificate_id)  # sent again
    assert len(_cycles(world, coach)) == 1 and len(world.published("portfolio.cycle.opened")) == 1


@pytest.mark.parametrize("type_", ["certification.certificate.renewed",
                                   "certification.certificate.reactivated"])
def test_a_renewal_closes_the_cycle_and_opens_the_next_from_the_day_after_the_decision(world, type_):
    coach, submission_id = world.submitted()
    certificate_id = world.data.cycles[world.data.submissions[submission_id].cycle_id].certificate_id
    decision_id = world.decide(coach, world.case(coach, submission_id), "positive")
    world.event(type_, {"certificate_id": certificate_id, "certificate_number": "RJ-1",
                        "account_id": coach.account_id, "valid_from": date(2027, 6, 30),
                        "valid_until": date(2031, 6, 30), "decision_id": decision_id,
                        **({"previous_valid_until": date(2027, 6, 30)} if type_.endswith("renewed") else {})})
    old, new = _cycles(world, coach)
    assert old.state == CycleState.CLOSED and old.closed_at == world.now
    assert new.state == CycleState.OPEN and new.starts_on == world.today + timedelta(days=1)
    assert len(world.published("portfolio.cycle.opened")) == 2


def test_a_lapse_without_recertification_closes_the_open_cycle_only(world):
    coach = world.coach()
    certificate_id = world.certificate(coach)
    lapse = {"certificate_id": certificate_id, "certificate_number": "RJ-1", "account_id": coach.account_id,
             "lapsed_on": date(2027, 7, 1), "new_portfolio_deadline": None}
    world.event("certification.certificate.lapsed", {**lapse, "reason": "negative_decision"})
    assert world.service.current(coach.account_id).cycle.state == CycleState.OPEN
    world.event("certification.certificate.lapsed", {**lapse, "certificate_id": uuid.uuid4(),
                                                     "reason": "not_recertified"})
    assert world.service.current(coach.account_id).cycle.state == CycleState.OPEN
    world.event("certification.certificate.lapsed", {**lapse, "reason": "not_recertified"})
    [cycle] = _cycles(world, coach)
    assert cycle.state == CycleState.CLOSED and world.uow.cycles.current(coach.account_id) is None


# --- assessment ------------------------------------------------------------------------------------------


def test_a_case_is_known_from_either_event_first(world):
    coach, submission_id = world.submitted()
    case_id, assessor_id = uuid.uuid4(), uuid.uuid4()
    world.assign(coach, case_id, assessor_id)
    assert world.uow.cases.get(case_id).submission_id is None
    cycle = world.service.current(coach.account_id).cycle
    world.event("assessment.case.opened", {
        "case_id": case_id, "account_id": coach.account_id, "portfolio_id": cycle.portfolio_id,
        "submission_id": submission_id, "due_on": world.today + timedelta(weeks=8)})
    case = world.uow.cases.get(case_id)
    assert (case.submission_id, case.assessor_id) == (submission_id, assessor_id)


def _assessor(account_id):
    return Principal(account_id=account_id, roles=frozenset({"assessor"}), amr=frozenset(), token="",
                     claims={})


def _assigned(world, coach, case_id, assessor_id, *, at):
    world.event("assessment.assessor.assigned", {
        "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor_id,
        "previous_assessor_id": None, "due_on": world.today + timedelta(weeks=8)}, occurred_at=at)


def test_an_assignment_handled_after_the_reassignment_leaves_the_case_with_the_new_assessor(world):
    """Assessment assigned A, then reassigned the case to B (A had a conflict of interest); A's event failed
    in portfolio and came back after B's (a retry at the back of the queue, or a replayed dead letter)."""
    coach, submission_id = world.submitted()
    first, second = uuid.uuid4(), uuid.uuid4()
    case_id = world.case(coach, submission_id)
    _assigned(world, coach, case_id, second, at=world.now + timedelta(hours=1))
    _assigned(world, coach, case_id, first, at=world.now)  # the late one
    assert world.uow.cases.get(case_id).assessor_id == second
    submission = world.service.submission(submission_id)
    assert world.service.may_read(_assessor(second), submission)
    assert not world.service.may_read(_assessor(first), submission)
    # A reassignment newer than the one stored applies, and so does one of the same time.
    _assigned(world, coach, case_id, first, at=world.now + timedelta(hours=2))
    assert world.uow.cases.get(case_id).assessor_id == first
    _assigned(world, coach, case_id, second, at=world.now + timedelta(hours=2))
    assert world.uow.cases.get(case_id).assessor_id == second


def test_a_decision_about_an_unknown_case_is_retried_later(world):
    coach, _ = world.submitted()
    published = len(world.uow.published)
    with pytest.raises(NotYetKnown):
        world.decide(coach, uuid.uuid4(), "negative")
    assert len(world.uow.published) == published and world.data.decisions == {}


def test_a_postponed_decision_opens_the_supplement_and_extends_the_period(world):
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.today, world.now = date(2027, 8, 1), world.now + timedelta(days=108)
    late = world.noloc_meeting(coach, date(2027, 7, 15))  # after expiry: waits for the supplement
    assert world.data.attendance[late].meeting_id is None
    decision_id = world.decide(coach, case_id, "postponed", parts=("A3", "B"))
    cycle = world.service.current(coach.account_id).cycle
    supplement = world.service.supplement(coach.account_id)
    assert cycle.state == CycleState.SUPPLEMENT_OPEN
    assert (supplement.case_id, supplement.submission_id, supplement.parts) == (case_id, submission_id,
                                                                                ("A3", "B"))
    assert supplement.due_on == date(2027, 10, 30) and supplement.opened_at == world.now
    assert world.data.attendance[late].meeting_id is not None
    assert supplement.decision_id == decision_id
    before = repr(world.data)
    world.decide(coach, case_id, "postponed", parts=("A3", "B"), decision_id=decision_id)  # delivered again
    assert repr(world.data) == before
    # Another postponed decision while this one's supplement is in force comes only after an upheld
    # objection annulled it (ADR 0011): it waits for that objection's event, opening nothing meanwhile.
    with pytest.raises(NotYetKnown):
        world.decide(coach, case_id, "postponed")
    assert repr(world.data) == before


def test_a_postponed_decision_for_a_cycle_not_waiting_for_it_is_ignored(world):
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.withdrawn(coach, case_id, submission_id)
    world.decide(coach, case_id, "postponed")
    assert world.data.supplements == {}
    assert world.service.current(coach.account_id).cycle.state == CycleState.OPEN


def test_a_positive_decision_is_recorded_and_changes_nothing_else(world):
    coach, submission_id = world.submitted()
    world.decide(coach, world.case(coach, submission_id), "positive")
    assert [d["decision"] for d in world.data.decisions.values()] == ["positive"]
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUBMITTED


def test_a_negative_decision_opens_a_whole_new_portfolio_once(world):
    coach, submission_id = world.submitted()
    certificate_id = uuid.uuid4()
    world.decide(coach, world.case(coach, submission_id), "negative", certificate_id=certificate_id)
    old, new = _cycles(world, coach)
    assert old.state == CycleState.CLOSED
    assert (new.kind, new.state, new.previous_cycle_id) == (CycleKind.AFTER_NEGATIVE, CycleState.OPEN, old.id)
    assert (new.window_opens_on, new.submit_by) == (world.today, world.today + timedelta(days=90))
    assert (new.starts_on, new.expires_on) == (old.starts_on, old.expires_on)
    opened = world.published("portfolio.cycle.opened")[-1]
    assert opened.data["kind"] == "after_negative" and opened.data["certificate_id"] == str(certificate_id)
    # The new portfolio starts from the old one: texts, meetings, the report about the copied meeting.
    copied = world.service.current(coach.account_id).portfolio
    assert copied.part("A2").text == "Tekst van A2." and len(copied.meetings) == 4
    assert copied.part("A3").meeting_id in {m.id for m in copied.meetings}
    assert not {m.id for m in copied.meetings} & {m.id for m in world.uow.meetings.of_cycle(old.id)}

    second = world.service.submit(coach.account_id, token=fakes.TOKEN).id
    world.decide(coach, world.case(coach, second), "negative")
    assert [c.state for c in _cycles(world, coach)] == [CycleState.CLOSED, CycleState.CLOSED]
    assert len(world.published("portfolio.cycle.opened")) == 2  # no third chance


def test_a_negative_decision_on_a_closed_cycle_changes_nothing(world):
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.decide(coach, case_id, "negative")
    before = len(world.uow.published)
    world.decide(coach, case_id, "negative")
    assert len(world.uow.published) == before and len(_cycles(world, coach)) == 2


# --- an upheld objection sends the case back to DNV's PE check (ADR 0011, amended) ---------------------


def test_an_objection_upheld_back_to_the_pe_check_annuls_the_supplement_and_the_submission_waits(world):
    coach, submission_id, case_id, decision_id = world.pe_postponed()
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUPPLEMENT_OPEN
    published = len(world.uow.published)
    world.now += timedelta(days=20)
    world.objection_decided(coach, case_id, decision_id)

    cycle = world.service.current(coach.account_id).cycle
    assert (cycle.state, cycle.submission_id) == (CycleState.SUBMITTED, submission_id)
    [supplement] = world.data.supplements.values()
    assert (supplement.case_id, supplement.annulled_at, supplement.submitted_at) == (case_id, world.now, None)
    assert len(world.uow.published) == published  # nothing to announce: assessment decided it
    # Delivered again (replayed from the dead letters under a new id, say): nothing changes any more.
    before = repr(world.data)
    world.now += timedelta(hours=1)
    world.objection_decided(coach, case_id, decision_id)
    assert repr(world.data) == before and len(world.uow.published) == published


@pytest.mark.parametrize(("outcome", "next_step"), [
    ("rejected", None), ("upheld", "new_decision"), ("upheld", None)])
def test_an_objection_rejected_or_followed_by_a_new_decision_changes_nothing_here(world, outcome, next_step):
    coach, _, case_id, decision_id = world.pe_postponed()
    before, published = repr(world.data), len(world.uow.published)
    world.objection_decided(coach, case_id, decision_id, outcome=outcome, next_step=next_step)
    assert repr(world.data) == before and len(world.uow.published) == published


def test_a_supplement_handed_in_as_the_uphold_crossed_it_is_annulled_and_a_later_postponement_opens_one(
        world, caplog):
    """The jobcoach handed the supplement in as DNV upheld her objection (before assessment or portfolio heard
    of the other): assessment ignores the hand-in, so portfolio annuls it too, says so, and the cycle waits
    for assessment again. Before, the cycle stayed "supplement submitted" and a later postponed decision on
    the case found no cycle waiting for it: a term nobody could hand anything in for."""
    coach, _, case_id, decision_id = world.pe_postponed()
    handed_in = world.service.submit_supplement(coach.account_id, token=fakes.TOKEN)
    with caplog.at_level("WARNING", logger="recert_portfolio.handlers"):
        world.objection_decided(coach, case_id, decision_id)
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUBMITTED
    [annulled] = world.data.supplements.values()
    assert (annulled.supplement_submission_id, annulled.annulled_at) == (handed_in.id, world.now)
    assert any("handed in" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)

    world.now += timedelta(days=30)
    second = world.decide(coach, case_id, "postponed", parts=("B",))
    supplement = world.service.supplement(coach.account_id)
    assert (supplement.decision_id, supplement.annulled_at, supplement.submitted_at) == (second, None, None)
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUPPLEMENT_OPEN


def test_an_upheld_objection_waits_for_its_case_and_for_the_decision_objected_to(world):
    coach, submission_id = world.submitted()
    case_id, decision_id = uuid.uuid4(), uuid.uuid4()
    before = repr(world.data)
    with pytest.raises(NotYetKnown):  # the case's opening is being retried
        world.objection_decided(coach, case_id, decision_id)
    assert repr(world.data) == before
    cycle = world.service.current(coach.account_id).cycle
    world.event("assessment.case.opened", {
        "case_id": case_id, "account_id": coach.account_id, "portfolio_id": cycle.portfolio_id,
        "submission_id": submission_id, "due_on": world.today + timedelta(weeks=8)})
    before = repr(world.data)
    with pytest.raises(NotYetKnown):  # the postponed decision is being retried
        world.objection_decided(coach, case_id, decision_id)
    assert repr(world.data) == before

    world.decide(coach, case_id, "postponed", parts=("B",), decision_id=decision_id)
    world.objection_decided(coach, case_id, decision_id)  # the retry
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUBMITTED
    assert world.uow.supplements.of_case(case_id).annulled_at == world.now


def test_an_upheld_objection_about_a_decision_that_opened_no_supplement_changes_nothing(world):
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.withdrawn(coach, case_id, submission_id)
    decision_id = world.decide(coach, case_id, "postponed")  # the cycle was not waiting for it
    before = repr(world.data)
    world.objection_decided(coach, case_id, decision_id)
    assert repr(world.data) == before and world.data.supplements == {}


def test_an_upheld_objection_back_to_the_pe_check_against_a_negative_decision_changes_nothing(world):
    """Not built here (ADR 0011, amended): the round-0 negative closed the cycle and opened a new one."""
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    decision_id = world.decide(coach, case_id, "negative")
    before = repr(world.data)
    world.objection_decided(coach, case_id, decision_id)
    assert repr(world.data) == before


def test_noloc_meetings_that_joined_while_the_supplement_ran_stay_and_no_more_join_after_it(world):
    """The supplement's due date extended the period past the expiry date: Noloc meetings after the expiry
    joined the cycle. They stay (they are proof of real meetings); the annulled supplement extends the
    period no further, so a later one waits as it did before the supplement."""
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.today, world.now = date(2027, 8, 1), world.now + timedelta(days=108)
    joined = world.noloc_meeting(coach, date(2027, 7, 15))
    decision_id = world.decide(coach, case_id, "postponed", parts=("B",))
    assert world.data.attendance[joined].meeting_id is not None
    world.objection_decided(coach, case_id, decision_id)
    later = world.noloc_meeting(coach, date(2027, 7, 20))
    meetings = {m.id for m in world.service.meetings(coach.account_id)}
    assert world.data.attendance[joined].meeting_id in meetings
    assert world.data.attendance[later].meeting_id is None
    _, readiness = world.service.readiness(coach.account_id)
    assert readiness.period.last == date(2027, 6, 30)


def test_a_later_postponed_decision_on_the_case_opens_a_supplement_of_its_own(world):
    """Back at the PE check the case goes on as any case; should DNV postpone it again (its rule, not
    portfolio's), the annulled supplement does not stand in the way."""
    coach, _, case_id, decision_id = world.pe_postponed()
    world.objection_decided(coach, case_id, decision_id)
    world.now += timedelta(days=30)
    world.decide(coach, case_id, "postponed", parts=("A2",))
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUPPLEMENT_OPEN
    supplement = world.service.supplement(coach.account_id)
    assert (supplement.parts, supplement.annulled_at, supplement.opened_at) == (("A2",), None, world.now)
    assert len(world.data.supplements) == 2


def test_an_upheld_objection_handled_after_the_next_postponement_leaves_that_ones_supplement(world):
    """The case went back to the PE check, failed it again and DNV postponed once more: the new supplement is
    the new decision's. The objection's event, handled again now (under a new id, as a replay by hand would
    be), annuls nothing: the supplement of the decision it was against was annulled already."""
    coach, _, case_id, first = world.pe_postponed()
    objection_id = uuid.uuid4()
    world.objection_decided(coach, case_id, first, objection_id=objection_id)
    world.now += timedelta(days=30)
    second = world.decide(coach, case_id, "postponed", parts=("B",))
    assert world.service.supplement(coach.account_id).decision_id == second
    before = repr(world.data)
    world.objection_decided(coach, case_id, first, objection_id=objection_id)
    assert repr(world.data) == before
    assert world.service.supplement(coach.account_id).annulled_at is None


def test_the_next_postponement_heard_before_the_objection_that_annulled_the_first_waits_for_it(world):
    """The other order: DNV's second postponed decision reaches portfolio while the objection's event, which
    annulled the first one's supplement, is being retried. The decision waits for it (``NotYetKnown``), then
    opens its own supplement; the objection annuls the first one's, not the new one."""
    coach, _, case_id, first = world.pe_postponed()
    world.now += timedelta(days=30)
    before = repr(world.data)
    second = uuid.uuid4()
    with pytest.raises(NotYetKnown):
        world.decide(coach, case_id, "postponed", parts=("B",), decision_id=second)
    assert repr(world.data) == before
    world.objection_decided(coach, case_id, first)
    world.decide(coach, case_id, "postponed", parts=("B",), decision_id=second)  # the retry
    supplement = world.service.supplement(coach.account_id)
    assert (supplement.decision_id, supplement.annulled_at) == (second, None)
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUPPLEMENT_OPEN
    assert sorted(s.decision_id == first for s in world.data.supplements.values()) == [False, True]
