"""Exceptions of the rules package.

Each error a jobcoach may see carries a stable ``code``, the values it is about (``params``) and its
``message``: a catalogue ``Message`` (``recert_common.i18n``) rendered in the reader's language with
``text(language)`` (or handed on as it is, e.g. as a field error, to be rendered with the answer);
``str(error)`` is the Dutch text, so a web layer can map ``code`` to a problem type and pick the language it
needs.
"""
from __future__ import annotations

from typing import Any

from recert_common.i18n import DEFAULT_LANGUAGE, Message, reader_language


class RulesError(ValueError):
    """Base class: the input breaks a rule of the assessment framework."""

    code = "rules_error"

    def __init__(self, message: Message, **params: Any):
        self.message = message
        self.params = params
        super().__init__(self.text(DEFAULT_LANGUAGE))

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``language`` ("en", "en-GB": English; anything else: Dutch)."""
        return self.message.render(reader_language(language))


class InvalidPeAmount(RulesError):
    """A PE amount is not a number, not positive, or larger than the framework allows for one activity.

    ``params``: ``amount`` (as given), ``unit``, ``reason`` ("not_a_number", "not_positive", "negative" or
    "too_large") and, for "too_large", ``maximum``.
    """

    code = "invalid_pe_amount"


class UnknownUnit(RulesError):
    code = "unknown_pe_unit"


class UnknownCategory(RulesError):
    code = "unknown_pe_category"


class UnknownFeeKind(RulesError):
    code = "unknown_fee_kind"


class InvalidRegistrationNumber(RulesError):
    """Neither a Noloc membership number nor an external affiliate number (or not the expected one)."""

    code = "invalid_registration_number"


class FrameworkNotFound(LookupError):
    """No framework file at all, or (for fees) none covering the requested year."""


class FrameworkDataError(ValueError):
    """A framework file is malformed; the message names the file and the offending key."""
