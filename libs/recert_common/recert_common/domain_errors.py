"""Refusals raised by domain and service code, and the one table per service that answers them.

Domain and service code say *why* something cannot be done (``EditRefused(reason)``, ``StepOutOfOrder``)
and nothing about HTTP. Each service's ``problems.py`` holds a ``ProblemMap``: for each refusal the
problem+json answer (status, type, Dutch and English texts). ``create_service_app`` installs it, so a refusal
raised anywhere below a view becomes that answer.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from recert_common.errors import Problem
from recert_common.i18n import Message


class DomainError(Exception):
    """A rule refused what was asked. Subclasses carry what the answer needs as attributes."""

    def __init__(self, *args: Any, **facts: Any):
        super().__init__(*args or (type(self).__name__,))
        for name, value in facts.items():
            setattr(self, name, value)


class NotFoundError(DomainError):
    """What was asked for does not exist, or the caller may not see it (the two look the same)."""


class PermissionRefused(DomainError):
    """The caller is known but may not do this."""


class FieldsRefused(DomainError):
    """Input that passed its schema breaks a rule the domain checks (a guessable password, a wrong
    registration password): ``errors`` maps each field to its messages, each a code or an ``i18n.Message``
    (a code with parameters: ``Message("pe.field.date_in_future", day=Day(d))``). Answered as 422 with the
    field errors unless the service's map says otherwise."""

    def __init__(self, errors: Mapping[str, Sequence[str | Message]], detail_code: str | None = None):
        super().__init__("fields refused")
        self.errors = {name: list(codes) for name, codes in errors.items()}
        self.detail_code = detail_code


class NotYetKnown(Exception):
    """An event refers to something whose own event has not been handled yet: the consumer retries later
    (events may arrive in any order across producers, ADR 0005)."""


ProblemFor = Callable[[Any], Problem]


def _validation_problem(error: FieldsRefused) -> Problem:
    from recert_common.errors import ValidationProblem

    if error.detail_code:
        return ValidationProblem(error.errors, code=error.detail_code)
    return ValidationProblem(error.errors)


class ProblemMap:
    """Refusal class to problem: the edge's only knowledge of the domain's refusals.

    A refusal is answered by the entry of its own class or, failing that, of its nearest base class; one
    with no entry is a programming error and answers 500.
    """

    def __init__(self, table: Mapping[type[DomainError], ProblemFor]):
        self.table = {FieldsRefused: _validation_problem, **table}

    def problem_for(self, error: DomainError) -> Problem | None:
        for cls in type(error).__mro__:
            make = self.table.get(cls)
            if make is not None:
                return make(error)
        return None

    def merged(self, other: ProblemMap) -> ProblemMap:
        return ProblemMap({**self.table, **other.table})


__all__ = ["DomainError", "FieldsRefused", "NotFoundError", "NotYetKnown", "PermissionRefused", "ProblemMap"]
