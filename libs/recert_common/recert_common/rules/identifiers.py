"""Noloc membership numbers and external affiliate numbers ("aansluitnummers").

The formats are data (``identifiers`` in the framework file). Noloc's real membership format is unknown; the
packaged default is 6 to 8 digits for members and "EXT-" + 6 digits for affiliates, whose numbers this
platform issues. The two formats may not overlap, so the kind follows from the number alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from recert_common.i18n import Message, register_messages

from .errors import InvalidRegistrationNumber
from .framework import Framework, load_framework

KIND_MEMBER = "member"
KIND_AFFILIATE = "affiliate"


@dataclass(frozen=True)
class RegistrationNumber:
    kind: str  # KIND_MEMBER or KIND_AFFILIATE
    value: str  # normalised: no surrounding spaces, upper case


def normalise_registration_number(raw: str) -> str:
    return raw.strip().upper()


def parse_registration_number(
    raw: str, *, expected_kind: str | None = None, framework: Framework | None = None
) -> RegistrationNumber:
    """Classify and normalise a membership or affiliate number; raises ``InvalidRegistrationNumber`` when it
    is neither, or not of ``expected_kind``. ``framework`` defaults to the latest."""
    if not isinstance(raw, str):
        raise TypeError(f"a registration number is a str, not {type(raw).__name__}")
    rules = (framework or load_framework()).identifiers
    value = normalise_registration_number(raw)
    kind = None
    if rules.membership_number.pattern.fullmatch(value):
        kind = KIND_MEMBER
    elif rules.affiliate_number.pattern.fullmatch(value):
        kind = KIND_AFFILIATE
    member_example, affiliate_example = rules.membership_number.example, rules.affiliate_number.example
    if kind is None or (expected_kind is not None and kind != expected_kind):
        code = {KIND_MEMBER: "rules.identifiers.not_a_membership_number",
                KIND_AFFILIATE: "rules.identifiers.not_an_affiliate_number"}.get(
            expected_kind, "rules.identifiers.neither_number")
        message = Message(code, value=raw, member_example=member_example,
                          affiliate_example=affiliate_example)
        raise InvalidRegistrationNumber(message, value=raw, expected_kind=expected_kind, kind=kind)
    return RegistrationNumber(kind=kind, value=value)


def is_membership_number(raw: str, *, framework: Framework | None = None) -> bool:
    return _is(raw, KIND_MEMBER, framework)


def is_affiliate_number(raw: str, *, framework: Framework | None = None) -> bool:
    return _is(raw, KIND_AFFILIATE, framework)


def _is(raw: str, kind: str, framework: Framework | None) -> bool:
    try:
        parse_registration_number(raw, expected_kind=kind, framework=framework)
    except InvalidRegistrationNumber:
        return False
    return True


def format_affiliate_number(sequence: int, *, framework: Framework | None = None) -> str:
    """The affiliate number for the platform's ``sequence``-th affiliate (1 -> "EXT-000001")."""
    rules = (framework or load_framework()).identifiers.affiliate_number
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError(f"an affiliate sequence is a positive int, not {sequence!r}")
    value = rules.template.format(number=sequence) if rules.template else None
    if value is None or not rules.pattern.fullmatch(value):
        raise ValueError(f"sequence {sequence} does not fit the affiliate-number format")
    return value


register_messages({
    "rules.identifiers.not_a_membership_number": {
        "nl": "{value!r} is geen geldig Noloc-lidmaatschapsnummer (bijvoorbeeld {member_example}).",
        "en": "{value!r} is not a valid Noloc membership number (for example {member_example})."},
    "rules.identifiers.not_an_affiliate_number": {
        "nl": "{value!r} is geen geldig aansluitnummer (bijvoorbeeld {affiliate_example}).",
        "en": "{value!r} is not a valid affiliate number (for example {affiliate_example})."},
    "rules.identifiers.neither_number": {
        "nl": "{value!r} is geen lidmaatschapsnummer (bijvoorbeeld {member_example}) "
              "en geen aansluitnummer (bijvoorbeeld {affiliate_example}).",
        "en": "{value!r} is neither a membership number (for example {member_example}) "
              "nor an affiliate number (for example {affiliate_example})."},
})
