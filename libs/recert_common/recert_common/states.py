"""A state machine given by a table: ``(state, action) -> next state``. Each service keeps its own table.

Portfolio's cycle and assessment's case both move only along their table, and both need the same three
questions answered: what follows this action, is it allowed, and what may be done from here.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from recert_common.domain_errors import DomainError

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class TransitionNotAllowed(DomainError):
    def __init__(self, state: StrEnum, action: StrEnum):
        super().__init__(f"{action} is not allowed in state {state}")
        self.state = state
        self.action = action


class StateMachine(Generic[S, A]):
    def __init__(self, states: type[S], actions: type[A], table: Mapping[tuple[S, A], S]):
        self.states = states
        self.actions = actions
        self.table = dict(table)

    def transition(self, state: S | str, action: A | str) -> S:
        """The state after ``action``; raises ``TransitionNotAllowed`` when the table does not allow it."""
        key = (self.states(state), self.actions(action))
        try:
            return self.table[key]
        except KeyError:
            raise TransitionNotAllowed(*key) from None

    def allows(self, state: S | str, action: A | str) -> bool:
        return (self.states(state), self.actions(action)) in self.table

    def actions_from(self, state: S | str) -> frozenset[A]:
        state = self.states(state)
        return frozenset(action for (from_state, action) in self.table if from_state == state)


__all__ = ["StateMachine", "TransitionNotAllowed"]
