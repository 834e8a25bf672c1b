"""The life of an assessment case: its states, the actions that move it, and every allowed transition in one
table. Anything not in the table is refused. No Flask, no SQL, no broker.

The assessor's advice is internal to DNV: only DNV's decision moves the case towards the jobcoach. A
postponed decision (never the advice) opens the supplement, 3 months from the decision date.

    opened --complete_pe_check--> awaiting_payment --payment_received--> ready_for_assignment
    ready_for_assignment --assign--> assigned (--assign--> assigned: reassignment) --advise--> advised
    advised --decide--> decided                                       (positive or negative)
    advised --postpone--> supplement_due --receive_supplement--> supplement_received
    supplement_received --reassessment_paid--> reassessing --advise--> reassessed --decide--> decided
    supplement_due --decide--> decided                                (negative: supplement not delivered)

A failed PE check stops the case before payment and assessor (ADR 0011): DNV decides on part B.

    opened --fail_pe_check--> pe_check_failed --postpone--> pe_supplement_due   (postponed decision on B)
    pe_supplement_due --receive_supplement--> pe_supplement_received
    pe_supplement_received --reassessment_paid--> opened                (the PE check is done again)
    pe_supplement_due --decide--> decided                             (negative: supplement not delivered)
    pe_check_failed --decide--> decided      (negative: the check of the supplement failed too: one postponed
                                              decision a case, an annulled one not counted)

Objections and withdrawal:

    decided | supplement_due --uphold_objection--> objection_upheld --decide--> decided
    pe_supplement_due --uphold_objection--> opened       (the round-0 postponed decision is annulled with the
                                                          supplement it asked for: the PE check is done again)
    opened | pe_check_failed | awaiting_payment | ready_for_assignment --withdraw--> withdrawn
"""
from __future__ import annotations

import enum
from collections.abc import Mapping

from recert_common.states import StateMachine


class CaseState(enum.StrEnum):
    OPENED = "opened"  # waiting for DNV's PE check
    PE_CHECK_FAILED = "pe_check_failed"  # the PE check has findings: DNV decides on part B
    PE_SUPPLEMENT_DUE = "pe_supplement_due"  # postponed on B: the jobcoach supplements the PE
    PE_SUPPLEMENT_RECEIVED = "pe_supplement_received"  # waiting for the reassessment invoice to be paid
    AWAITING_PAYMENT = "awaiting_payment"  # PE check done; the recertification invoice is not paid yet
    READY_FOR_ASSIGNMENT = "ready_for_assignment"
    ASSIGNED = "assigned"  # the assessor fills in the assessment form
    ADVISED = "advised"  # waiting for DNV's decision
    SUPPLEMENT_DUE = "supplement_due"  # postponed: the jobcoach delivers the supplementary assignments
    SUPPLEMENT_RECEIVED = "supplement_received"  # waiting for the reassessment invoice to be paid
    REASSESSING = "reassessing"  # the same assessor judges the supplement
    REASSESSED = "reassessed"  # waiting for DNV's final decision
    OBJECTION_UPHELD = "objection_upheld"  # an objection was upheld: DNV takes a new decision
    DECIDED = "decided"  # positive or negative
    WITHDRAWN = "withdrawn"


class CaseAction(enum.StrEnum):
    COMPLETE_PE_CHECK = "complete_pe_check"  # passed
    FAIL_PE_CHECK = "fail_pe_check"  # completed with findings
    PAYMENT_RECEIVED = "payment_received"
    ASSIGN = "assign"
    ADVISE = "advise"
    POSTPONE = "postpone"  # a postponed decision
    DECIDE = "decide"  # a positive or negative decision
    RECEIVE_SUPPLEMENT = "receive_supplement"
    REASSESSMENT_PAID = "reassessment_paid"
    UPHOLD_OBJECTION = "uphold_objection"
    WITHDRAW = "withdraw"


S, A = CaseState, CaseAction

TRANSITIONS: Mapping[tuple[CaseState, CaseAction], CaseState] = {
    (S.OPENED, A.COMPLETE_PE_CHECK): S.AWAITING_PAYMENT,
    (S.OPENED, A.FAIL_PE_CHECK): S.PE_CHECK_FAILED,
    # The failed PE check's own decision path: one supplement for B, then the PE check again. The service
    # allows "postponed" only once per case (one annulled by an upheld objection not counted), and
    # "negative" only once the case had it and the check of the supplement failed too.
    (S.PE_CHECK_FAILED, A.POSTPONE): S.PE_SUPPLEMENT_DUE,
    (S.PE_CHECK_FAILED, A.DECIDE): S.DECIDED,
    (S.PE_SUPPLEMENT_DUE, A.RECEIVE_SUPPLEMENT): S.PE_SUPPLEMENT_RECEIVED,
    (S.PE_SUPPLEMENT_RECEIVED, A.REASSESSMENT_PAID): S.OPENED,
    (S.PE_SUPPLEMENT_DUE, A.DECIDE): S.DECIDED,
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
    # The supplement never came: DNV ends the case (the service allows only a negative decision after the
    # supplement's due date).
    (S.SUPPLEMENT_DUE, A.DECIDE): S.DECIDED,
    (S.DECIDED, A.UPHOLD_OBJECTION): S.OBJECTION_UPHELD,
    (S.SUPPLEMENT_DUE, A.UPHOLD_OBJECTION): S.OBJECTION_UPHELD,
    # Only DNV's round-0 postponed decision (after a failed PE check) leads here. Upheld, it is annulled with
    # the supplement it asked for and DNV checks the submission's PE again (ADR 0011, amended); the annulled
    # decision does not use up the case's one postponed decision.
    (S.PE_SUPPLEMENT_DUE, A.UPHOLD_OBJECTION): S.OPENED,
    (S.OBJECTION_UPHELD, A.DECIDE): S.DECIDED,
    # Portfolio allows withdrawing only until an assessor is assigned.
    (S.OPENED, A.WITHDRAW): S.WITHDRAWN,
    (S.PE_CHECK_FAILED, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_PAYMENT, A.WITHDRAW): S.WITHDRAWN,
    (S.READY_FOR_ASSIGNMENT, A.WITHDRAW): S.WITHDRAWN,
}

# Waiting for the jobcoach's supplement after a postponed decision.
SUPPLEMENT_STATES = frozenset({S.SUPPLEMENT_DUE, S.PE_SUPPLEMENT_DUE})

# A case in one of these states is finished: it holds no certificate open and is never overdue.
CLOSED_STATES = frozenset({S.DECIDED, S.WITHDRAWN})


# Moves a case along TRANSITIONS; a step the table does not have raises recert_common's
# ``TransitionNotAllowed``, which the edge answers as "step out of order".
CASE_MACHINE: StateMachine[CaseState, CaseAction] = StateMachine(CaseState, CaseAction, TRANSITIONS)


def is_open(state: CaseState | str) -> bool:
    return CaseState(state) not in CLOSED_STATES


def stage(state: CaseState | str) -> str:
    """Where a case stands, as ``assessment.case.overdue`` names it."""
    state = CaseState(state)
    if state in (S.OPENED, S.PE_SUPPLEMENT_RECEIVED):
        return "pe_check"
    if state in (S.SUPPLEMENT_DUE, S.PE_SUPPLEMENT_DUE):
        return "supplement"
    if state in (S.ADVISED, S.REASSESSED, S.OBJECTION_UPHELD, S.PE_CHECK_FAILED):
        return "decision"
    return "assessment"
