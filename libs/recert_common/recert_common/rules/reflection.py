"""Part A3: how many reflection meetings (intervisie, supervisie, coaching, kwaliteitskring) must be proven,
and how many reflection reports written."""
from __future__ import annotations

from .framework import Framework, load_framework


def required_reflection_meetings(expiry_year: int, *, framework: Framework | None = None) -> int:
    """Meetings to prove in the cycle of a certificate expiring in ``expiry_year``.

    Packaged data: 1 up to and including 2024 (decision: years before 2024 also 1), 2 in 2025, 3 in 2026,
    4 from 2027 on. ``framework`` defaults to the framework of the expiry year, so a later file cannot change
    the count for a cohort that has already expired.
    """
    if isinstance(expiry_year, bool) or not isinstance(expiry_year, int):
        raise TypeError(f"expiry_year must be an int, not {type(expiry_year).__name__}")
    rules = (framework or load_framework(expiry_year)).reflection
    meetings = rules.required_meetings[0].meetings
    for step in rules.required_meetings[1:]:
        if step.expiry_year_from <= expiry_year:
            meetings = step.meetings
    return meetings


def required_reflection_reports(*, framework: Framework | None = None) -> int:
    """Reflection reports to write (each about one of the meetings): exactly 1 in the packaged data."""
    return (framework or load_framework()).reflection.required_reports
