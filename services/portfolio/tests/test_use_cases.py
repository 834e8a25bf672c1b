"""Every use case of portfolio's service against the fake unit of work: what it decides, what it stores, what
it publishes, and that a refusal publishes and changes nothing."""
from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import portfolio_fakes as fakes
import pytest

from recert_common.auth import Principal
from recert_common.domain_errors import NotFoundError
from recert_common.http import ServiceUnreachable
from recert_portfolio.domain import (
    AssessorAssigned,
    CycleState,
    DateRefusal,
    EditRefusal,
    EditRefused,
    FieldRefusal,
    FieldRefused,
    MeetingDateRefused,
    MeetingNotChangeable,
    MeetingRefusal,
    NoCurrentCycle,
    NotReady,
    OutsideWindow,
    PeChangedWhileSubmitting,
    ProofRefused,
    StateRefusal,
    SupplementAnnulled,
    SupplementState,
    SupplementUnrevised,
    UnknownPart,
    WindowRefusal,
    WrongState,
)

PDF = b"%PDF-1.7\n%%EOF\n"
EXPIRES = date(2027, 6, 30)  # the certificate the world registers by default (conftest)


def _refused(world, error, call, *args, **kwargs):
    """Run a use case that must be refused: it raises ``error`` and leaves data and events as they were."""
    before, published = repr(world.data), len(world.uow.published)
    with pytest.raises(error) as refused:
        call(*args, **kwargs)
    assert repr(world.data) == before
    assert len(world.uow.published) == published
    return refused.value


def _principal(account_id, *roles):
    return Principal(account_id=account_id, roles=frozenset(roles), amr=frozenset(), token="", claims={})


# --- reading ---------------------------------------------------------------------------------------------


def test_without_a_certificate_there_is_no_current_cycle(world):
    coach = world.coach()
    _refused(world, NoCurrentCycle, world.service.current, coach.account_id)
    _refused(world, NoCurrentCycle, world.service.meetings, coach.account_id)
    _refused(world, NoCurrentCycle, world.service.readiness, coach.account_id)


def test_the_current_cycle_is_seen_as_today(world):
    coach = world.coach()
    world.certificate(coach)
    view = world.service.current(coach.account_id)
    assert view.cycle.state == CycleState.OPEN and view.today == world.today
    assert view.window_open_today and view.editable_parts == ("A1", "A2", "A3", "A4")
    assert world.service.cycle(view.cycle.id).cycle == view.cycle
    assert world.service.cycle(uuid.uuid4()) is None
    cycles, total = world.service.list_cycles(account_id=coach.account_id, page=1, page_size=10)
    assert total == 1 and cycles == [view.cycle]


def test_readiness_names_what_is_missing_until_nothing_is(world):
    coach = world.coach()
    world.certificate(coach)
    view, readiness = world.service.readiness(coach.account_id)
    assert not readiness.ready and "A1" in readiness.missing_codes
    world.complete(coach)
    _, readiness = world.service.readiness(coach.account_id)
    assert readiness.ready, readiness.missing_codes


# --- editing ---------------------------------------------------------------------------------------------


def test_a_draft_is_saved_and_the_first_tick_time_of_a_declaration_wins(world):
    coach = world.coach()
    world.certificate(coach)
    first = world.now
    saved = world.service.save_part(coach.account_id, "A1", text="cv", declared=True)
    assert saved.declared_at == first and saved.works_now_declared_at is None
    world.now = first + timedelta(hours=2)
    again = world.service.save_part(coach.account_id, "A1", text="cv 2", declared=True, declared_now=True)
    assert again.declared_at == first and again.works_now_declared_at == world.now
    kept = world.service.save_part(coach.account_id, "A1", text="cv 3")
    assert (kept.declared_at, kept.works_now_declared_at) == (first, world.now)
    unticked = world.service.save_part(coach.account_id, "A1", text="cv 4", declared=False)
    assert unticked.declared_at is None
    assert world.service.current(coach.account_id).portfolio.part("A1").text == "cv 4"
    assert world.published("portfolio.submitted") == []


def test_fields_that_do_not_fit_the_part_are_refused(world):
    coach = world.coach()
    world.certificate(coach)
    refused = _refused(world, UnknownPart, world.service.save_part, coach.account_id, "A5", text="x")
    assert refused.part == "A5"
    for kwargs, field, reason in (
            ({"declared": True}, "executive_jobcoach_declared", FieldRefusal.ONLY_FOR_A1),
            ({"declared_now": False}, "currently_executive_jobcoach_declared", FieldRefusal.ONLY_FOR_A1)):
        refused = _refused(world, FieldRefused, world.service.save_part, coach.account_id, "A2", text="x",
                           **kwargs)
        assert (refused.field, refused.reason) == (field, reason)
    refused = _refused(world, FieldRefused, world.service.save_part, coach.account_id, "A1", text="x",
                       meeting_id=None)
    assert refused.reason == FieldRefusal.ONLY_FOR_A3
    refused = _refused(world, FieldRefused, world.service.save_part, coach.account_id, "A3", text="x",
                       meeting_id=uuid.uuid4())
    assert (refused.field, refused.reason) == ("meeting_id", FieldRefusal.UNKNOWN_MEETING)


def test_the_report_may_be_about_a_meeting_of_the_cycle_and_may_be_cleared(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="supervision",
                                        supervisor_name="Sanne")
    assert world.service.save_part(coach.account_id, "A3", text="r", meeting_id=meeting.id).meeting_id \
        == meeting.id
    assert world.service.save_part(coach.account_id, "A3", text="r").meeting_id == meeting.id
    assert world.service.save_part(coach.account_id, "A3", text="r", meeting_id=None).meeting_id is None


def test_after_submission_parts_and_meetings_are_locked(world):
    coach, _ = world.submitted()
    refused = _refused(world, EditRefused, world.service.save_part, coach.account_id, "A2", text="later")
    assert (refused.reason, refused.part) == (EditRefusal.SUBMITTED, "A2")
    _refused(world, EditRefused, world.service.add_meeting, coach.account_id, met_on=date(2025, 2, 2),
             kind="intervision", group_name="G")
    refused = _refused(world, WrongState, world.service.save_part, coach.account_id, "A2", text="x",
                       supplement_only=True)
    assert (refused.reason, refused.state) == (StateRefusal.NO_SUPPLEMENT, CycleState.SUBMITTED)


def test_a_meeting_is_added_inside_the_period_and_not_in_the_future(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                        group_name="Groep", duration_minutes=90)
    assert world.service.meetings(coach.account_id) == (meeting,)
    assert world.service.meeting(meeting.id) == meeting and not meeting.proven
    for met_on, reason in ((world.today + timedelta(days=1), DateRefusal.IN_FUTURE),
                           (date(2023, 6, 29), DateRefusal.BEFORE_PERIOD)):
        refused = _refused(world, MeetingDateRefused, world.service.add_meeting, coach.account_id,
                           met_on=met_on, kind="intervision", group_name="Groep")
        assert refused.reason == reason and refused.today == world.today


def test_a_meeting_one_entered_is_deleted_but_not_one_from_noloc_nor_the_reported_one(world):
    coach = world.coach()
    world.certificate(coach)
    mine = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                     group_name="Groep")
    world.noloc_meeting(coach, date(2025, 3, 3))
    noloc = next(m for m in world.service.meetings(coach.account_id) if m.source == "noloc")
    refused = _refused(world, MeetingNotChangeable, world.service.delete_meeting, coach.account_id, noloc.id)
    assert refused.reason == MeetingRefusal.FROM_NOLOC
    world.service.save_part(coach.account_id, "A3", text="r", meeting_id=mine.id)
    refused = _refused(world, MeetingNotChangeable, world.service.delete_meeting, coach.account_id, mine.id)
    assert refused.reason == MeetingRefusal.IN_USE
    _refused(world, NotFoundError, world.service.delete_meeting, world.coach().account_id, mine.id)
    world.service.save_part(coach.account_id, "A3", text="r", meeting_id=noloc.id)
    world.service.delete_meeting(coach.account_id, mine.id)
    assert world.service.meeting(mine.id) is None


# --- proof files -----------------------------------------------------------------------------------------


def test_a_proof_file_is_stored_linked_and_served(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                        group_name="Groep")
    proven = world.service.upload_proof(coach.account_id, meeting.id, io.BytesIO(PDF), filename="p.pdf")
    assert proven.proven and proven.proof.filename == "p.pdf"
    assert proven.proof.content_type == "application/pdf"
    assert world.service.proof(proven.proof.id) == proven.proof
    assert world.service.open_proof(proven.proof) == PDF


def test_a_refused_or_locked_upload_keeps_nothing(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                        group_name="Groep")
    refused = _refused(world, ProofRefused, world.service.upload_proof, coach.account_id, meeting.id,
                       io.BytesIO(b"x" * 2000), filename="big.pdf")
    assert refused.refusal.code == "upload_too_large"
    assert world.objects.objects == {}
    _refused(world, NotFoundError, world.service.upload_proof, world.coach().account_id, meeting.id,
             io.BytesIO(PDF), filename=None)
    coach2, _ = world.submitted()
    submitted_meeting = world.service.meetings(coach2.account_id)[0]
    _refused(world, EditRefused, world.service.upload_proof, coach2.account_id, submitted_meeting.id,
             io.BytesIO(PDF), filename=None)
    assert world.objects.objects == {}


# --- submitting and withdrawing --------------------------------------------------------------------------


def test_submitting_needs_the_window_and_a_complete_portfolio(world):
    coach = world.coach()
    world.certificate(coach)
    world.today = date(2027, 3, 29)
    refused = _refused(world, OutsideWindow, world.service.submit, coach.account_id, token=fakes.TOKEN)
    assert (refused.reason, refused.opens_on, refused.closes_on) == (WindowRefusal.NOT_YET_OPEN,
                                                                     date(2027, 3, 30), date(2027, 6, 30))
    world.today = date(2027, 4, 15)
    refused = _refused(world, NotReady, world.service.submit, coach.account_id, token=fakes.TOKEN)
    assert not refused.readiness.ready


def test_a_submission_freezes_the_snapshot_and_announces_it(world):
    coach, submission_id = world.submitted()
    submission = world.service.submission(submission_id)
    cycle = world.service.current(coach.account_id).cycle
    assert cycle.state == CycleState.SUBMITTED and cycle.submission_id == submission_id
    assert submission.kind == "submission" and submission.about_submission_id == submission_id
    assert json.loads(submission.content)["submission_id"] == str(submission_id)
    [event] = world.published("portfolio.submitted")
    assert event.subject == coach.account_id
    assert event.data["submission_id"] == str(submission_id)
    assert event.data["snapshot_hash"] == submission.snapshot_hash
    assert event.data["reflection_meetings"] == 4 and event.data["pe_points_counted"] == "75"
    assert event.data["is_new_portfolio_after_negative"] is False
    refused = _refused(world, WrongState, world.service.submit, coach.account_id, token=fakes.TOKEN)
    assert refused.reason == StateRefusal.ALREADY_SUBMITTED


def test_a_submission_has_pe_registry_hold_the_snapshots_activities_first(world):
    """ADR 0044: the activities the snapshot names are held read-only in pe-registry before it is sealed,
    compared with every activity of the period as portfolio's copy has it, with the jobcoach's token."""
    coach = world.coach()
    world.certificate(coach)
    world.complete(coach)
    unproven = world.pe_activity(coach, date(2025, 4, 1), "2", evidence=False)
    before_period = world.pe_activity(coach, date(2020, 1, 1), "5")
    _, submission_id = world.submitted(coach)
    [hold] = world.pe_holds.held
    snapshot = json.loads(world.service.submission(submission_id).content)
    assert hold.submission_id == submission_id and hold.token == fakes.TOKEN
    assert [str(i) for i in hold.activity_ids] == snapshot["pe"]["activity_ids"]
    assert unproven in hold.seen and before_period in hold.seen  # the whole copy; the client filters
    assert hold.period.last == date.fromisoformat(snapshot["period_ends_on"])
    assert world.pe_holds.released == []


def test_a_submission_pe_registry_refuses_or_cannot_answer_is_not_made(world):
    coach = world.coach()
    world.certificate(coach)
    world.complete(coach)
    changed = uuid.uuid4()
    world.pe_holds.changed = [changed]
    refused = _refused(world, PeChangedWhileSubmitting, world.service.submit, coach.account_id,
                       token=fakes.TOKEN)
    assert refused.activity_ids == [changed]
    assert world.pe_holds.released == []  # a refused hold holds nothing to let go of
    world.pe_holds.changed, world.pe_holds.away = None, True
    _refused(world, ServiceUnreachable, world.service.submit, coach.account_id, token=fakes.TOKEN)
    assert world.service.current(coach.account_id).cycle.state == CycleState.OPEN
    # Asking again once pe-registry agrees goes through.
    world.pe_holds.away = False
    world.service.submit(coach.account_id, token=fakes.TOKEN)
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUBMITTED


def test_a_hold_whose_submission_fails_is_let_go_of(world, monkeypatch):
    coach = world.coach()
    world.certificate(coach)
    world.complete(coach)

    def broken(submission):
        raise RuntimeError("the database went away while sealing")

    monkeypatch.setattr(world.uow.submissions, "add", broken)
    with pytest.raises(RuntimeError):
        world.service.submit(coach.account_id, token=fakes.TOKEN)
    [hold] = world.pe_holds.held
    assert world.pe_holds.released == [hold.submission_id]
    # A refusal before pe-registry was asked asks nothing.
    _refused(world, WrongState, world.service.submit_supplement, coach.account_id, token=fakes.TOKEN)
    assert len(world.pe_holds.held) == 1 and world.pe_holds.released == [hold.submission_id]


def test_a_last_day_passed_with_nothing_submitted_is_announced_once_and_closes_the_window(world):
    """ADR 0042: assessment lapses the certificate on this announcement alone, so it is final."""
    late, on_time, waiting = world.coach(), world.coach(), world.coach()
    world.certificate(late)
    world.certificate(waiting, date(2027, 7, 31))
    world.complete(late)
    world.submitted(on_time)
    world.today = EXPIRES
    assert world.service.announce_missed_deadlines() == 0  # the last day itself is still in time
    world.today, world.now = EXPIRES + timedelta(days=1), datetime(2027, 6, 30, 22, 5, tzinfo=UTC)
    assert world.service.announce_missed_deadlines() == 1
    assert world.service.announce_missed_deadlines() == 0
    [event] = world.published("portfolio.deadline.missed")
    cycle = world.service.current(late.account_id).cycle
    assert event.subject == late.account_id
    assert event.data == {"cycle_id": str(cycle.id), "account_id": str(late.account_id),
                          "certificate_id": str(cycle.certificate_id), "kind": "regular",
                          "expires_on": "2027-06-30", "submit_by": "2027-06-30"}
    assert cycle.state == CycleState.OPEN and cycle.deadline_missed_at == world.now
    # A submission that read "today" before midnight and got the cycle's lock after the check is refused.
    world.today = EXPIRES
    refused = _refused(world, OutsideWindow, world.service.submit, late.account_id, token=fakes.TOKEN)
    assert refused.reason == WindowRefusal.CLOSED


def test_a_submission_withdrawn_after_the_last_day_makes_the_deadline_missed(world):
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.today = EXPIRES + timedelta(days=1)
    assert world.service.announce_missed_deadlines() == 0  # submitted in time: nothing to announce
    world.withdrawn(coach, case_id, submission_id)
    assert world.service.announce_missed_deadlines() == 1
    assert world.published("portfolio.deadline.missed")[0].data["account_id"] == str(coach.account_id)


def test_a_withdrawal_is_asked_of_assessment_and_takes_effect_when_it_grants_it(world):
    coach = world.coach()
    world.certificate(coach)
    refused = _refused(world, WrongState, world.service.withdraw, coach.account_id)
    assert (refused.reason, refused.state) == (StateRefusal.NOT_SUBMITTED, CycleState.OPEN)
    coach, submission_id = world.submitted(coach)
    case_id = world.case(coach, submission_id)

    view = world.service.withdraw(coach.account_id, "nog niet af")
    # Only asked: the cycle stays submitted and nobody but assessment hears of it yet.
    assert view.cycle.state == CycleState.SUBMITTED and view.cycle.submission_id == submission_id
    assert (view.portfolio.withdrawal.state, view.portfolio.withdrawal.reason) == ("pending", "nog niet af")
    [asked] = world.published("portfolio.withdrawal.requested")
    assert asked.data["submission_id"] == str(submission_id) and asked.data["reason"] == "nog niet af"
    assert world.published("portfolio.withdrawn") == []
    assert world.service.submission(submission_id).withdrawn_at is None
    refused = _refused(world, WrongState, world.service.withdraw, coach.account_id)
    assert refused.reason == StateRefusal.WITHDRAWAL_PENDING

    world.now += timedelta(seconds=1)
    world.withdrawal_answered(coach, case_id, submission_id)
    cycle = world.service.current(coach.account_id)
    assert cycle.cycle.state == CycleState.OPEN and cycle.cycle.submission_id is None
    assert cycle.portfolio.withdrawal is None
    withdrawn = world.service.submission(submission_id)
    assert withdrawn.withdrawn_at == world.now and withdrawn.withdraw_reason == "nog niet af"
    [event] = world.published("portfolio.withdrawn")
    assert event.data["submission_id"] == str(submission_id) and event.data["reason"] == "nog niet af"
    world.withdrawal_answered(coach, case_id, submission_id)  # the same answer again changes nothing
    assert len(world.published("portfolio.withdrawn")) == 1

    again = world.service.submit(coach.account_id, token=fakes.TOKEN).id
    world.case(coach, again, assessor_id=uuid.uuid4())
    _refused(world, AssessorAssigned, world.service.withdraw, coach.account_id)


def test_a_withdrawal_refused_by_assessment_leaves_the_submission_standing(world):
    """The assessor was assigned in assessment before the request got there (ADR 0041)."""
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.service.withdraw(coach.account_id, "toch niet")
    world.withdrawal_answered(coach, case_id, submission_id, refused_at_stage="assigned")

    view = world.service.current(coach.account_id)
    assert view.cycle.state == CycleState.SUBMITTED and view.cycle.submission_id == submission_id
    request = view.portfolio.withdrawal
    assert (request.state, request.refused_at, request.refused_stage) == ("refused", world.now, "assigned")
    assert world.published("portfolio.withdrawn") == []
    assert world.service.submission(submission_id).withdrawn_at is None
    # Asking again is the portfolio's own refusal once the assignment is known.
    world.assign(coach, case_id, uuid.uuid4())
    _refused(world, AssessorAssigned, world.service.withdraw, coach.account_id)


def test_a_withdrawal_granted_after_the_cycle_closed_still_withdraws_the_submission(world):
    """A lapse closed the cycle while the request travelled: the case is withdrawn in assessment, so the
    submission is too (billing credits, pe-registry unlocks), and the closed cycle stays closed."""
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    cycle = world.service.current(coach.account_id).cycle
    world.service.withdraw(coach.account_id)
    world.uow.cycles.save(cycle.close(world.now))
    world.withdrawal_answered(coach, case_id, submission_id)
    assert world.service.submission(submission_id).withdrawn_at == world.now
    assert world.data.cycles[cycle.id].state == CycleState.CLOSED
    [event] = world.published("portfolio.withdrawn")
    assert event.data["cycle_id"] == str(cycle.id)


# --- the supplement --------------------------------------------------------------------------------------


def test_a_supplement_reopens_its_parts_until_they_are_revised_and_submitted(world):
    coach, submission_id = world.submitted()
    _refused(world, NotFoundError, world.service.supplement, coach.account_id)
    case_id = world.case(coach, submission_id)
    world.decide(coach, case_id, "postponed", parts=("A2", "B"))
    supplement = world.service.supplement(coach.account_id)
    assert supplement.parts == ("A2", "B") and supplement.due_on == world.today + timedelta(days=90)
    refused = _refused(world, EditRefused, world.service.save_part, coach.account_id, "A1", text="x",
                       supplement_only=True)
    assert refused.reason == EditRefusal.NOT_REOPENED
    refused = _refused(world, SupplementUnrevised, world.service.submit_supplement, coach.account_id,
                       token=fakes.TOKEN)
    assert refused.parts == ("A2",)
    world.service.save_part(coach.account_id, "A2", text="aangevuld", supplement_only=True)
    assert world.service.supplement(coach.account_id).revised_parts == ("A2",)
    world.now += timedelta(days=1)
    submission = world.service.submit_supplement(coach.account_id, token=fakes.TOKEN)
    assert submission.kind == "supplement" and submission.about_submission_id == submission_id
    # Part B is supplemented: pe-registry held the supplement's activities first (ADR 0044).
    assert [h.submission_id for h in world.pe_holds.held] == [submission_id, submission.id]
    assert world.service.current(coach.account_id).cycle.state == CycleState.SUPPLEMENT_SUBMITTED
    done = world.service.supplement(coach.account_id)
    assert done.submitted_at == world.now and done.supplement_submission_id == submission.id
    [event] = world.published("portfolio.supplement.submitted")
    assert event.data["case_id"] == str(case_id) and event.data["parts"] == ["A2", "B"]
    assert event.data["submission_id"] == str(submission_id)
    assert event.data["supplement_submission_id"] == str(submission.id)
    assert event.data["pe_points_counted"] == "75"  # B supplemented: the PE check is done again
    refused = _refused(world, WrongState, world.service.submit_supplement, coach.account_id,
                       token=fakes.TOKEN)
    assert refused.reason == StateRefusal.NO_SUPPLEMENT


def test_a_supplement_after_its_due_date_is_refused(world):
    coach, _, _ = world.supplement_revised()
    due_on = world.service.supplement(coach.account_id).due_on
    world.today = due_on + timedelta(days=1)
    refused = _refused(world, OutsideWindow, world.service.submit_supplement, coach.account_id,
                       token=fakes.TOKEN)
    assert (refused.reason, refused.closes_on) == (WindowRefusal.CLOSED, due_on)
    refused = _refused(world, EditRefused, world.service.save_part, coach.account_id, "A2", text="te laat")
    assert refused.reason == EditRefusal.SUPPLEMENT_OVERDUE and refused.due_on == due_on


def test_a_supplement_not_handed_in_by_its_due_date_is_announced_once_and_closes_it(world):
    """ADR 0042: DNV may decide without the supplement on this announcement, so it is final."""
    coach, submission_id, case_id = world.supplement_revised()
    supplement = world.service.supplement(coach.account_id)
    world.today = supplement.due_on
    assert world.service.announce_missed_deadlines() == 0  # the due date itself is still in time
    world.today = supplement.due_on + timedelta(days=1)
    assert world.service.announce_missed_deadlines() == 1
    assert world.service.announce_missed_deadlines() == 0
    [event] = world.published("portfolio.supplement.missed")
    cycle = world.service.current(coach.account_id).cycle
    assert event.subject == coach.account_id
    assert event.data == {"supplement_id": str(supplement.id), "case_id": str(case_id),
                          "cycle_id": str(cycle.id), "submission_id": str(submission_id),
                          "account_id": str(coach.account_id), "due_on": supplement.due_on.isoformat()}
    assert world.service.supplement(coach.account_id).missed_at == world.now
    assert world.published("portfolio.deadline.missed") == []  # the cycle was submitted in time
    # A hand-in that read "today" before midnight reaches the cycle after the check: refused, as closed.
    world.today = supplement.due_on
    refused = _refused(world, OutsideWindow, world.service.submit_supplement, coach.account_id,
                       token=fakes.TOKEN)
    assert refused.reason == WindowRefusal.CLOSED


def test_a_supplement_handed_in_on_its_due_date_is_not_announced(world):
    coach, submission_id, _ = world.supplement_revised()
    world.today = world.service.supplement(coach.account_id).due_on
    world.service.submit_supplement(coach.account_id, token=fakes.TOKEN)
    world.today += timedelta(days=1)
    assert world.service.announce_missed_deadlines() == 0
    # Without part B no PE is handed in: pe-registry held only the submission's activities.
    assert [h.submission_id for h in world.pe_holds.held] == [submission_id]


def test_a_late_supplement_is_told_the_day_it_opened_in_the_services_calendar(world):
    coach, submission_id = world.submitted()
    world.now = datetime(2027, 4, 15, 22, 30, tzinfo=UTC)  # 16 April, 00:30 in Amsterdam
    world.decide(coach, world.case(coach, submission_id), "postponed", parts=("A2",))
    world.service.save_part(coach.account_id, "A2", text="aangevuld")
    world.today = world.service.supplement(coach.account_id).due_on + timedelta(days=1)
    refused = _refused(world, OutsideWindow, world.service.submit_supplement, coach.account_id,
                       token=fakes.TOKEN)
    assert refused.opens_on == date(2027, 4, 16)


def test_without_part_b_the_supplement_event_carries_no_pe(world):
    coach, _, _ = world.supplement_revised()
    world.service.submit_supplement(coach.account_id, token=fakes.TOKEN)
    [event] = world.published("portfolio.supplement.submitted")
    assert "pe_points_counted" not in event.data and "pe_activity_ids" not in event.data


# --- the supplement annulled by an upheld objection (ADR 0011, amended) ---------------------------------


def test_an_annulled_supplement_is_refused_at_hand_in_and_asked_of_no_one(world):
    """The jobcoach's page still offers the hand-in after DNV upheld her objection: the refusal says why."""
    coach, submission_id, case_id, decision_id = world.pe_postponed()
    world.now += timedelta(days=10)
    world.objection_decided(coach, case_id, decision_id)
    refused = _refused(world, SupplementAnnulled, world.service.submit_supplement, coach.account_id,
                       token=fakes.TOKEN)
    assert refused.annulled_at == world.now
    assert world.pe_holds.held[-1].submission_id == submission_id  # pe-registry was asked for nothing
    _refused(world, SupplementAnnulled, world.service.save_part, coach.account_id, "A2", text="x",
             supplement_only=True)
    _refused(world, NotFoundError, world.service.supplement, coach.account_id)
    view = world.service.current(coach.account_id)
    assert view.cycle.state == CycleState.SUBMITTED and view.editable_parts == ()
    assert view.portfolio.supplement.state == SupplementState.ANNULLED  # the cycle's view shows it so


def test_an_annulled_supplement_is_never_announced_as_missed(world):
    coach, _, case_id, decision_id = world.pe_postponed()
    due_on = world.service.supplement(coach.account_id).due_on
    world.objection_decided(coach, case_id, decision_id)
    world.today = due_on + timedelta(days=1)
    assert world.service.announce_missed_deadlines() == 0
    assert world.published("portfolio.supplement.missed") == []


def test_after_the_annulment_the_wegwijzer_and_readiness_read_as_before_the_supplement(world):
    coach, submission_id = world.submitted()
    case_id = world.case(coach, submission_id)
    world.today, world.now = date(2027, 8, 1), world.now + timedelta(days=108)  # after expiry
    before = world.service.wegwijzer(coach.account_id), world.service.readiness(coach.account_id)[1]
    decision_id = world.decide(coach, case_id, "postponed", parts=("B",))
    assert world.service.wegwijzer(coach.account_id) != before[0]  # the supplement's deadline
    world.objection_decided(coach, case_id, decision_id)
    after = world.service.wegwijzer(coach.account_id), world.service.readiness(coach.account_id)[1]
    assert after == before
    assert after[0].deadline == EXPIRES and after[1].period.last == EXPIRES
    assert world.service.nudge_behind() == 0  # DNV's turn: nothing for the jobcoach to catch up on


# --- who reads the snapshots -----------------------------------------------------------------------------


def test_snapshots_are_read_by_the_owner_dnv_and_the_assigned_assessor_only(world):
    coach, submission_id = world.submitted()
    other, _ = world.submitted()
    assessor, stranger = uuid.uuid4(), uuid.uuid4()
    world.case(coach, submission_id, assessor_id=assessor)
    submission = world.service.submission(submission_id)
    assert world.service.may_read(_principal(coach.account_id, "jobcoach"), submission)
    assert world.service.may_read(_principal(uuid.uuid4(), "dnv_officer"), submission)
    assert world.service.may_read(_principal(assessor, "assessor"), submission)
    assert not world.service.may_read(_principal(stranger, "assessor"), submission)
    assert not world.service.may_read(_principal(other.account_id, "jobcoach"), submission)
    for principal, expected in ((_principal(coach.account_id, "jobcoach"), 1),
                                (_principal(assessor, "assessor"), 1),
                                (_principal(uuid.uuid4(), "dnv_officer"), 2)):
        items, total = world.service.list_submissions(principal, account_id=None, cycle_id=None, page=1,
                                                      page_size=10)
        assert total == expected == len(items)


def test_the_assessor_reads_a_snapshot_only_until_the_decision_and_a_late_assignment_reopens_nothing(world):
    coach, submission_id = world.submitted()
    assessor = uuid.uuid4()
    case_id = world.case(coach, submission_id, assessor_id=assessor)
    submission = world.service.submission(submission_id)
    reader = _principal(assessor, "assessor")
    assert world.service.may_read(reader, submission)
    world.event("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": uuid.uuid4(), "decision": "positive", "follows_advice": True,
        "objection_deadline": world.today + timedelta(days=42)})
    assert not world.service.may_read(reader, submission)
    world.event("assessment.assessor.assigned", {
        "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor,
        "previous_assessor_id": None, "due_on": world.today}, occurred_at=world.now - timedelta(hours=1))
    assert not world.service.may_read(reader, submission)
    assert world.service.may_read(_principal(uuid.uuid4(), "dnv_officer"), submission)


def test_the_submitted_proof_is_the_one_the_snapshot_lists(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                        group_name="Groep")
    world.service.upload_proof(coach.account_id, meeting.id, io.BytesIO(PDF), filename="eerste.pdf")
    coach, submission_id = world.submitted(coach)
    submission = world.service.submission(submission_id)
    assert world.service.submitted_proof(submission, meeting.id).filename == "eerste.pdf"
    noloc = next(m for m in world.service.meetings(coach.account_id) if m.source == "noloc")
    assert world.service.submitted_proof(submission, noloc.id) is None


def test_reads_by_others_are_logged_for_the_owner(world):
    coach, submission_id = world.submitted()
    officer = _principal(uuid.uuid4(), "dnv_officer")
    world.service.log_read(_principal(coach.account_id, "jobcoach"), coach.account_id, "submission",
                           submission_id)
    world.service.log_read(officer, coach.account_id, "submission", submission_id)
    items, total = world.service.access_log(coach.account_id, page=1, page_size=10)
    assert total == 1 and items[0].reader_id == officer.account_id
    assert items[0].reader_role == "dnv_officer" and items[0].kind == "submission"


# --- retention -------------------------------------------------------------------------------------------


def test_snapshots_and_proofs_go_after_the_retention_period_of_a_final_decision(world):
    coach = world.coach()
    world.certificate(coach)
    meeting = world.service.add_meeting(coach.account_id, met_on=date(2025, 2, 2), kind="intervision",
                                        group_name="Groep")
    key = world.service.upload_proof(coach.account_id, meeting.id, io.BytesIO(PDF), filename=None) \
        .proof.object_key
    coach, submission_id = world.submitted(coach)
    kept, kept_submission = world.submitted()
    world.decide(coach, world.case(coach, submission_id), "positive")
    world.decide(kept, world.case(kept, kept_submission), "postponed")
    retention = timedelta(days=world.settings.retention_days)
    assert world.service.purge_expired_snapshots(world.today + retention - timedelta(days=1)) == (0, 0, 0)
    assert world.service.purge_expired_snapshots(world.today + retention) == (1, 1, 1)
    assert world.service.submission(submission_id) is None and key in world.objects.deleted
    assert world.service.submission(kept_submission) is not None
    assert world.service.purge_expired_snapshots(world.today + retention * 2) == (0, 0, 0)


def test_the_not_ready_problem_documents_its_missing_member():
    from recert_portfolio.problems import PortfolioNotReady

    assert set(PortfolioNotReady.members) == {"missing"}
