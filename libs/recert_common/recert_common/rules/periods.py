"""Dates of a certificate's life: validity, submission window, supplement and re-submission deadlines, and
when the assessment result is due.

Month arithmetic clamps to the end of the month: when the target month is shorter than the start day, the
result is the target month's last day (31 May - 3 months = 28 Feb, or 29 Feb in a leap year; 29 Feb 2096 + 4
years = 28 Feb 2100). Every range is inclusive at both ends. A certificate is valid up to and including its
expiry date and lapses the day after; a renewed certificate runs from the old expiry date.

Functions take ``datetime.date`` only: a ``datetime`` is refused, because which calendar day an instant falls
on depends on a time zone the caller must choose (Europe/Amsterdam for what a jobcoach sees). Each function's
``framework`` defaults to the framework of the year of its date argument.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .framework import Framework, load_framework

RESULT_ON_TRACK = "on_track"  # before the normal window (6 weeks) opens
RESULT_DUE_SOON = "due_soon"  # inside the normal window, up to and including the due date
RESULT_OVERDUE = "overdue"  # after the due date (8 weeks)


def _as_date(value: date, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (may be negative), clamped to the last day of the target month."""
    _as_date(day, "day")
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes 28 February in a non-leap target year."""
    return add_months(day, 12 * years)


@dataclass(frozen=True)
class DateRange:
    """Days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= _as_date(day, "day") <= self.last


@dataclass(frozen=True)
class ValidityPeriod:
    valid_from: date
    expires_on: date  # the last valid day

    def __contains__(self, day: date) -> bool:
        return self.valid_from <= _as_date(day, "day") <= self.expires_on

    @property
    def lapses_on(self) -> date:
        """The first day without a certificate if no positive decision came in time."""
        return self.expires_on + timedelta(days=1)


def _framework(framework: Framework | None, day: date) -> Framework:
    return framework or load_framework(day.year)


def certificate_validity(certified_on: date, *, framework: Framework | None = None) -> ValidityPeriod:
    """A first certificate: from the certification date for ``validity_years`` (4)."""
    rules = _framework(framework, _as_date(certified_on, "certified_on")).periods
    return ValidityPeriod(valid_from=certified_on, expires_on=add_years(certified_on, rules.validity_years))


def renewed_validity(old_expires_on: date, *, framework: Framework | None = None) -> ValidityPeriod:
    """A recertified certificate keeps its rhythm: from the old expiry date for ``validity_years`` (4),
    however early or late within the window the portfolio was submitted or decided."""
    old = _as_date(old_expires_on, "old_expires_on")
    rules = _framework(framework, old).periods
    return ValidityPeriod(valid_from=old, expires_on=add_years(old, rules.validity_years))


def submission_window(expires_on: date, *, framework: Framework | None = None) -> DateRange:
    """When a portfolio may be submitted: from 3 months before expiry up to and including the expiry date.

    Clamping makes the window start earlier, never later (31 May -> 28/29 Feb), in the jobcoach's favour.
    """
    rules = _framework(framework, _as_date(expires_on, "expires_on")).periods
    return DateRange(first=add_months(expires_on, -rules.submission_window_months), last=expires_on)


def can_submit(expires_on: date, on: date, *, framework: Framework | None = None) -> bool:
    return on in submission_window(expires_on, framework=framework)


def supplement_deadline(decision_on: date, *, framework: Framework | None = None) -> date:
    """Last day to deliver the supplementary assignments after DNV's postponed decision taken on
    ``decision_on`` (never counted from the assessor's advice: ADR 0011)."""
    rules = _framework(framework, _as_date(decision_on, "decision_on")).periods
    return add_months(decision_on, rules.supplement_months)


def new_portfolio_deadline(decision_on: date, *, framework: Framework | None = None) -> date:
    """Last day to submit a whole new portfolio after a negative decision taken on ``decision_on``."""
    rules = _framework(framework, _as_date(decision_on, "decision_on")).periods
    return add_months(decision_on, rules.new_portfolio_months)


def next_cycle_start(certified_on: date, *, framework: Framework | None = None) -> date:
    """First day of the next cycle (PE points count from here): the day after a (re)certification decision."""
    rules = _framework(framework, _as_date(certified_on, "certified_on")).periods
    return certified_on + timedelta(days=rules.next_cycle_offset_days)


def pe_period_first_day(*, valid_from: date, decided_on: date | None,
                        framework: Framework | None = None) -> date:
    """The first day of a PE period: PE activities and reflection meetings count from this day on.

    The one rule for pe-registry, portfolio and assessment (glossary: *PE-periode*; ADR 0012):

    - after a (re)certification decision taken on this platform (``decided_on``): the day after the
      decision (``next_cycle_start``), whether the renewed certificate runs from an expiry date still to
      come or already passed (a late decision after a supplement);
    - for a certificate taken over without a decision here (an import: ``decided_on`` is None): the
      certificate's own first day, ``valid_from``, which is the certification date we know of.
    """
    start = _as_date(valid_from, "valid_from")
    if decided_on is None:
        return start
    return next_cycle_start(_as_date(decided_on, "decided_on"), framework=framework)


def pe_period_last_day(expires_on: date, *, extended_until: date | None = None) -> date:
    """The last day of a PE period: the certificate's expiry date, or a later deadline that lets the
    jobcoach complete the portfolio after it (the supplement deadline while a supplement is open, the
    deadline of a whole new portfolio after a negative decision). An earlier deadline never shortens it."""
    last = _as_date(expires_on, "expires_on")
    if extended_until is None:
        return last
    return max(last, _as_date(extended_until, "extended_until"))


def pe_period(*, valid_from: date, decided_on: date | None, expires_on: date,
              extended_until: date | None = None, framework: Framework | None = None) -> DateRange:
    """Both ends of a PE period (see ``pe_period_first_day`` and ``pe_period_last_day``)."""
    return DateRange(first=pe_period_first_day(valid_from=valid_from, decided_on=decided_on,
                                               framework=framework),
                     last=pe_period_last_day(expires_on, extended_until=extended_until))


def result_due_on(submitted_on: date, *, framework: Framework | None = None) -> date:
    """The day the result is due: 8 weeks after submission."""
    rules = _framework(framework, _as_date(submitted_on, "submitted_on")).periods
    return submitted_on + timedelta(weeks=rules.result_due_weeks)


def result_expected_window(submitted_on: date, *, framework: Framework | None = None) -> DateRange:
    """When a result normally arrives: 6 to 8 weeks after submission."""
    rules = _framework(framework, _as_date(submitted_on, "submitted_on")).periods
    return DateRange(
        first=submitted_on + timedelta(weeks=rules.result_normal_weeks),
        last=submitted_on + timedelta(weeks=rules.result_due_weeks),
    )


def result_status(submitted_on: date, today: date, *, framework: Framework | None = None) -> str:
    """``RESULT_ON_TRACK`` before week 6, ``RESULT_DUE_SOON`` from week 6 up to and including the due date,
    ``RESULT_OVERDUE`` after it. Only meaningful while no result has been given."""
    window = result_expected_window(submitted_on, framework=framework)
    today = _as_date(today, "today")
    if today > window.last:
        return RESULT_OVERDUE
    if today >= window.first:
        return RESULT_DUE_SOON
    return RESULT_ON_TRACK
