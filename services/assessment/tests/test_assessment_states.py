"""The case's state machine, transition by transition: every allowed step leads where it should, every other
(state, action) pair is refused."""
from __future__ import annotations

import itertools

import pytest

from recert_assessment.states import CASE_MACHINE, CaseAction, CaseState, is_open, stage
from recert_common.states import TransitionNotAllowed

S, A = CaseState, CaseAction
allows, transition = CASE_MACHINE.allows, CASE_MACHINE.transition

# Written out here rather than read from the module: the test must fail when the table changes by accident.
ALLOWED = {
    (S.OPENED, A.COMPLETE_PE_CHECK): S.AWAITING_PAYMENT,
    (S.OPENED, A.FAIL_PE_CHECK): S.PE_CHECK_FAILED,
    (S.PE_CHECK_FAILED, A.POSTPONE): S.PE_SUPPLEMENT_DUE,
    (S.PE_CHECK_FAILED, A.DECIDE): S.DECIDED,
    (S.PE_SUPPLEMENT_DUE, A.RECEIVE_SUPPLEMENT): S.PE_SUPPLEMENT_RECEIVED,
    (S.PE_SUPPLEMENT_RECEIVED, A.REASSESSMENT_PAID): S.OPENED,
    (S.PE_SUPPLEMENT_DUE, A.DECIDE): S.DECIDED,
    (S.PE_SUPPLEMENT_DUE, A.UPHOLD_OBJECTION): S.OPENED,
    (S.PE_CHECK_FAILED, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_PAYMENT, A.PAYMENT_RECEIVED): S.READY_FOR_ASSIGNMENT,
    (S.READY_FOR_ASSIGNMENT, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ADVISE): S.ADVISED,
    (S.ADVISED, A.DECIDE): S.DECIDED,
    (S.ADVISED, A.POSTPONE): S.SUPPLEMENT_DUE,
    (S.SUPPLEMENT_DUE, A.RECEIVE_SUPPLEMENT): S.SUPPLEMENT_RECEIVED,
    (S.SUPPLEMENT_RECEIVED, A.REASSESSMENT_PAID): S.REASSESSING,
    (S.REASSESSING, A.ADVISE): S.REASSESSED,
    (S.REASSESSED, A.DECIDE): S.DECIDED,
    (S.SUPPLEMENT_DUE, A.DECIDE): S.DECIDED,
    (S.DECIDED, A.UPHOLD_OBJECTION): S.OBJECTION_UPHELD,
    (S.SUPPLEMENT_DUE, A.UPHOLD_OBJECTION): S.OBJECTION_UPHELD,
    (S.OBJECTION_UPHELD, A.DECIDE): S.DECIDED,
    (S.OPENED, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_PAYMENT, A.WITHDRAW): S.WITHDRAWN,
    (S.READY_FOR_ASSIGNMENT, A.WITHDRAW): S.WITHDRAWN,
}
REFUSED = [pair for pair in itertools.product(CaseState, CaseAction) if pair not in ALLOWED]


@pytest.mark.parametrize(("state", "action"), list(ALLOWED), ids=lambda v: str(v))
def test_an_allowed_step_leads_to_its_state(state, action):
    assert allows(state, action)
    assert transition(state, action) == ALLOWED[(state, action)]
    assert transition(str(state), str(action)) == ALLOWED[(state, action)]  # as stored in the database


@pytest.mark.parametrize(("state", "action"), REFUSED, ids=lambda v: str(v))
def test_any_other_step_is_refused(state, action):
    assert not allows(state, action)
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(state, action)
    assert (refused.value.state, refused.value.action) == (state, action)


def test_the_out_of_order_steps_of_the_issue_are_refused():
    assert not allows(S.READY_FOR_ASSIGNMENT, A.ADVISE)  # advice before assignment
    assert not allows(S.ASSIGNED, A.DECIDE)  # decision before advice
    assert not allows(S.DECIDED, A.DECIDE)  # a second decision
    assert not allows(S.ADVISED, A.ADVISE)  # a second advice
    assert not allows(S.ASSIGNED, A.WITHDRAW)  # withdrawing after assignment
    assert not allows(S.REASSESSED, A.POSTPONE)  # a reassessment ends positive or negative


def test_a_failed_pe_check_goes_to_dnv_not_to_payment_or_an_assessor():
    failed = transition(S.OPENED, A.FAIL_PE_CHECK)
    assert failed == S.PE_CHECK_FAILED and stage(failed) == "decision"
    assert not allows(failed, A.PAYMENT_RECEIVED)
    assert not allows(failed, A.ASSIGN)
    assert not allows(failed, A.ADVISE)
    due = transition(failed, A.POSTPONE)
    assert stage(due) == "supplement"
    # After the supplement (and the reassessment fee) the PE check is done again.
    received = transition(due, A.RECEIVE_SUPPLEMENT)
    assert transition(received, A.REASSESSMENT_PAID) == S.OPENED


def test_an_objection_upheld_against_the_pe_postponement_goes_back_to_the_pe_check():
    """ADR 0011, amended: upheld against DNV's round-0 postponed decision, the case is checked again
    (not reopened for a new decision without any advice); once the supplement is in, it cannot be upheld."""
    assert transition(S.PE_SUPPLEMENT_DUE, A.UPHOLD_OBJECTION) == S.OPENED
    assert stage(S.OPENED) == "pe_check"
    assert allows(S.OPENED, A.COMPLETE_PE_CHECK) and allows(S.OPENED, A.FAIL_PE_CHECK)
    assert not allows(S.PE_SUPPLEMENT_RECEIVED, A.UPHOLD_OBJECTION)
    assert not allows(S.PE_CHECK_FAILED, A.UPHOLD_OBJECTION)
    assert not allows(S.OPENED, A.UPHOLD_OBJECTION)


def test_only_a_decision_opens_a_supplement_never_the_advice():
    assert transition(S.ASSIGNED, A.ADVISE) == S.ADVISED
    assert not allows(S.ADVISED, A.RECEIVE_SUPPLEMENT)  # no supplement before DNV decided "postponed"
    assert transition(S.ADVISED, A.POSTPONE) == S.SUPPLEMENT_DUE


def test_every_state_is_reachable_from_opened_and_closed_states_are_final():
    reached, frontier = {S.OPENED}, [S.OPENED]
    while frontier:
        state = frontier.pop()
        for (source, _), target in ALLOWED.items():
            if source == state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(CaseState)
    assert not any(allows(S.WITHDRAWN, action) for action in CaseAction)
    assert {s for s in CaseState if not is_open(s)} == {S.DECIDED, S.WITHDRAWN}


def test_stages_name_who_the_case_waits_for():
    assert stage(S.OPENED) == "pe_check"
    assert {stage(s) for s in (S.AWAITING_PAYMENT, S.READY_FOR_ASSIGNMENT, S.ASSIGNED, S.SUPPLEMENT_RECEIVED,
                               S.REASSESSING)} == {"assessment"}
    assert stage(S.SUPPLEMENT_DUE) == "supplement"
    assert {stage(s) for s in (S.ADVISED, S.REASSESSED, S.OBJECTION_UPHELD)} == {"decision"}
