"""Permanente educatie (PE): converting an activity's amount into points, and summarising a cycle's points.

Rules (numbers from the framework data): points = amount x the unit's points_per_unit (1 per sbu hour,
28 per ECTS, 1 per direct point); a category's points above its maximum are kept (``raw``) but do not count
(``counted``); the cycle is complete when the counted total reaches ``required_total`` AND every category
minimum (category 1: 30) is reached.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from recert_common.i18n import Listing, Message, Number, reader_language, register_messages

from .errors import InvalidPeAmount, UnknownCategory, UnknownUnit
from .framework import Framework, PeCategory, load_framework
from .text import Localized

MISSING_CATEGORY_MINIMUM = "category_minimum"
MISSING_TOTAL = "total"


def _decimal(value: Decimal | int | str) -> Decimal:
    # Floats are refused outright: a binary fraction in a points total is a bug, not an input.
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"PE amounts are Decimal, int or str, not {type(value).__name__}")
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return Decimal("NaN")


def pe_points(amount: Decimal | int | str, unit: str, *, framework: Framework | None = None) -> Decimal:
    """The PE points of one activity of ``amount`` in ``unit`` ("hours", "ects" or "points").

    Raises ``UnknownUnit``, or ``InvalidPeAmount`` when the amount is not a finite number, is zero or
    negative, or exceeds the unit's ``max_per_activity`` (e.g. 500 hours, 20 ECTS, 500 points).
    ``framework`` defaults to the latest.
    """
    framework = framework or load_framework()
    spec = framework.pe.units.get(unit)
    if spec is None:
        known = ", ".join(framework.pe.units)
        raise UnknownUnit(Message("rules.pe.unknown_unit", unit=unit, known=known), unit=unit)
    value = _decimal(amount)
    name = spec.name
    if not value.is_finite():
        raise InvalidPeAmount(
            Message("rules.pe.amount_not_a_number", unit_name=name),
            amount=amount, unit=unit, reason="not_a_number",
        )
    if value < 0:
        raise InvalidPeAmount(
            Message("rules.pe.amount_negative"),
            amount=amount, unit=unit, reason="negative",
        )
    if value == 0:
        # A zero-point activity is a typing error more often than a real activity.
        raise InvalidPeAmount(
            Message("rules.pe.amount_zero"),
            amount=amount, unit=unit, reason="zero",
        )
    if value > spec.max_per_activity:
        raise InvalidPeAmount(
            Message("rules.pe.amount_too_large", maximum=Number(spec.max_per_activity), unit_name=name),
            amount=amount, unit=unit, reason="too_large", maximum=spec.max_per_activity,
        )
    return value * spec.points_per_unit


class PeItem(NamedTuple):
    """One activity's contribution; a plain ``(category, points)`` tuple works as well."""

    category: int
    points: Decimal


@dataclass(frozen=True)
class CategorySummary:
    number: int
    key: str
    name: Localized
    minimum: Decimal
    maximum: Decimal | None
    raw: Decimal  # every recorded point
    counted: Decimal  # raw capped at the maximum
    missing: Decimal  # still needed to reach the minimum (0 when there is none or it is met)

    @property
    def minimum_met(self) -> bool:
        return self.missing == 0

    @property
    def uncounted(self) -> Decimal:
        """Points recorded above the maximum."""
        return self.raw - self.counted

    @property
    def room(self) -> Decimal | None:
        """Points that would still count here (``None``: no maximum)."""
        return None if self.maximum is None else self.maximum - self.counted


@dataclass(frozen=True)
class MissingPoints:
    """One thing still missing, with its sentence (a catalogue ``Message``, rendered in the reader's
    language)."""

    code: str  # MISSING_CATEGORY_MINIMUM or MISSING_TOTAL
    points: Decimal
    category: int | None
    message: Message


@dataclass(frozen=True)
class PeSummary:
    framework_version: str
    required_total: Decimal
    categories: tuple[CategorySummary, ...]  # every category of the framework, by number, also empty ones
    raw_total: Decimal
    counted_total: Decimal
    missing_total: Decimal  # required_total - counted_total, at least 0
    points_still_needed: Decimal  # fewest extra points that complete the cycle (placed in the right category)
    missing: tuple[MissingPoints, ...]  # what to tell the jobcoach; empty when met

    @property
    def minimum_met(self) -> bool:
        """Every category minimum (in practice: category 1 >= 30) is reached."""
        return all(category.minimum_met for category in self.categories)

    @property
    def total_met(self) -> bool:
        return self.missing_total == 0

    @property
    def met(self) -> bool:
        return self.total_met and self.minimum_met

    def category(self, number: int) -> CategorySummary:
        for category in self.categories:
            if category.number == number:
                return category
        raise KeyError(number)

    def missing_messages(self, language: str = "nl") -> list[str]:
        return [item.message.render(reader_language(language)) for item in self.missing]


def pe_summary(
    items: Iterable[tuple[int, Decimal | int | str]], *, framework: Framework | None = None
) -> PeSummary:
    """Summarise ``(category, points)`` items against the framework (default: the latest).

    Raises ``UnknownCategory`` for a category the framework lacks and ``InvalidPeAmount`` for negative or
    non-finite points (zero is accepted here: the summary does not judge single activities).

    How "still missing" is expressed when both a minimum and the total fall short: points placed in a short
    category count for that minimum and for the total (a category with a minimum has room for them), so the
    fewest extra points needed is max(total shortfall, sum of minimum shortfalls) = ``points_still_needed``.
    One sentence per short category ("Nog 12 punten in categorie 1 nodig."), and a total sentence only when
    the total needs more than the minima already ask, naming the part that must go to the short categories
    ("Nog 60 punten in totaal nodig, waarvan minstens 20 in categorie 1.").
    """
    framework = framework or load_framework()
    rules = framework.pe
    raw = {category.number: Decimal(0) for category in rules.categories}
    for category_number, points in items:
        if category_number not in raw:
            known = ", ".join(str(number) for number in raw)
            raise UnknownCategory(Message("rules.pe.unknown_category", category=category_number, known=known),
                                  category=category_number)
        value = _decimal(points)
        if not value.is_finite() or value < 0:
            raise InvalidPeAmount(
                Message("rules.pe.points_negative"),
                amount=points, unit="points", reason="negative" if value.is_finite() else "not_a_number",
            )
        raw[category_number] += value

    summaries = tuple(_summarise(category, raw[category.number]) for category in rules.categories)
    counted_total = sum((s.counted for s in summaries), Decimal(0))
    missing_total = max(rules.required_total - counted_total, Decimal(0))
    short = [s for s in summaries if s.missing > 0]
    minima_short = sum((s.missing for s in short), Decimal(0))

    missing = [_category_sentence(s) for s in short]
    if missing_total > minima_short:
        missing.append(_total_sentence(missing_total, short))
    return PeSummary(
        framework_version=framework.version,
        required_total=rules.required_total,
        categories=summaries,
        raw_total=sum(raw.values(), Decimal(0)),
        counted_total=counted_total,
        missing_total=missing_total,
        points_still_needed=max(missing_total, minima_short),
        missing=tuple(missing),
    )


def _summarise(category: PeCategory, raw: Decimal) -> CategorySummary:
    counted = raw if category.maximum is None else min(raw, category.maximum)
    return CategorySummary(
        number=category.number,
        key=category.key,
        name=category.name,
        minimum=category.minimum,
        maximum=category.maximum,
        raw=raw,
        counted=counted,
        missing=max(category.minimum - counted, Decimal(0)),
    )


def _counted(code: str, value: Decimal) -> str:
    """``code`` + ".one" for exactly one point, else ".other" (either language: "1 punt", "1,5 punten")."""
    return f"{code}.{'one' if value == 1 else 'other'}"


def _category_sentence(summary: CategorySummary) -> MissingPoints:
    n, value = summary.number, summary.missing
    return MissingPoints(
        code=MISSING_CATEGORY_MINIMUM,
        points=value,
        category=n,
        message=Message(_counted("rules.pe.missing.category", value), points=Number(value), category=n),
    )


def _total_sentence(missing_total: Decimal, short: list[CategorySummary]) -> MissingPoints:
    if short:
        parts = Listing(*(Message("rules.pe.missing.part", points=Number(s.missing), category=s.number)
                          for s in short), joined_by="list.and")
        message = Message(_counted("rules.pe.missing.total_of_which", missing_total),
                          points=Number(missing_total), parts=parts)
    else:
        message = Message(_counted("rules.pe.missing.total", missing_total), points=Number(missing_total))
    return MissingPoints(code=MISSING_TOTAL, points=missing_total, category=None, message=message)


register_messages({
    "rules.pe.unknown_unit": {"nl": "Onbekende eenheid {unit!r}; kies uit {known}.",
                              "en": "Unknown unit {unit!r}; use {known}."},
    "rules.pe.amount_not_a_number": {"nl": "Het aantal {unit_name} is geen geldig getal.",
                                     "en": "The number of {unit_name} is not valid."},
    "rules.pe.amount_negative": {"nl": "Het aantal mag niet negatief zijn.",
                                 "en": "The amount may not be negative."},
    "rules.pe.amount_zero": {"nl": "Het aantal moet groter dan nul zijn.",
                             "en": "The amount must be greater than zero."},
    "rules.pe.amount_too_large": {
        "nl": "Meer dan {maximum} {unit_name} voor één activiteit is niet aannemelijk.",
        "en": "More than {maximum} {unit_name} for one activity is not plausible."},
    "rules.pe.unknown_category": {"nl": "Onbekende PE-categorie {category!r}; kies uit {known}.",
                                  "en": "Unknown PE category {category!r}; use {known}."},
    "rules.pe.points_negative": {"nl": "PE-punten moeten een getal van 0 of meer zijn.",
                                 "en": "PE points must be a number of 0 or more."},
    # What the summary still misses ("one": exactly 1 point).
    "rules.pe.missing.category.one": {"nl": "Nog {points} punt in categorie {category} nodig.",
                                      "en": "{points} more point needed in category {category}."},
    "rules.pe.missing.category.other": {"nl": "Nog {points} punten in categorie {category} nodig.",
                                        "en": "{points} more points needed in category {category}."},
    "rules.pe.missing.total.one": {"nl": "Nog {points} punt in totaal nodig.",
                                   "en": "{points} more point needed in total."},
    "rules.pe.missing.total.other": {"nl": "Nog {points} punten in totaal nodig.",
                                     "en": "{points} more points needed in total."},
    "rules.pe.missing.total_of_which.one": {
        "nl": "Nog {points} punt in totaal nodig, waarvan minstens {parts}.",
        "en": "{points} more point needed in total, of which at least {parts}."},
    "rules.pe.missing.total_of_which.other": {
        "nl": "Nog {points} punten in totaal nodig, waarvan minstens {parts}.",
        "en": "{points} more points needed in total, of which at least {parts}."},
    "rules.pe.missing.part": {"nl": "{points} in categorie {category}",
                              "en": "{points} in category {category}"},
})
