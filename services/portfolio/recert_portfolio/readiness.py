"""The readiness check: per part, what is still missing before a portfolio can be submitted.

Each missing item has a stable ``code`` (for clients and tests), its parameters and its sentence: a catalogue
``Message`` (``portfolio.readiness.<code>``, PE shortfalls ``rules.pe.missing.*``), rendered in the reader's
language where the answer is made. Part B (PE) is judged by ``recert_common.rules.pe_summary`` over the
activities in the cycle's period (``domain.pe_period``: up to the supplement deadline once a supplement is
granted) that have proof (an evidence file, or imported from the Noloc Academie), with the framework of the
expiry year. Activities without proof are named (``pe_evidence_missing``) while part B is short, and never
counted: the same rule as pe-registry's summary.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from recert_common.i18n import Day, Message, Number, register_messages
from recert_common.rules import DateRange, Framework, PeSummary, pe_summary
from recert_portfolio.domain import Cycle, Meeting, Part, PeActivity, Supplement, pe_period


@dataclass(frozen=True)
class Missing:
    code: str
    message: Message
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartReadiness:
    part: str
    missing: tuple[Missing, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Readiness:
    parts: tuple[PartReadiness, ...]  # A1, A2, A3, A4, B
    required_meetings: int
    proven_meetings: int
    required_reports: int  # the framework's reflection.required_reports
    pe: PeSummary
    pe_activities: tuple[PeActivity, ...]  # the activities in the cycle's period with proof, as counted
    uncountable_activity_ids: tuple[str, ...]  # categories the framework does not know
    unproven_activities: tuple[PeActivity, ...] = ()  # in the period, without evidence: not counted
    period: DateRange | None = None  # the PE period the activities were taken from

    @property
    def ready(self) -> bool:
        return all(part.complete for part in self.parts)

    def part(self, name: str) -> PartReadiness:
        return next(p for p in self.parts if p.part == name)

    @property
    def missing_codes(self) -> dict[str, list[str]]:
        return {p.part: [m.code for m in p.missing] for p in self.parts if p.missing}


def _empty(code: str) -> Missing:
    """A missing item whose sentence has no parameters: ``portfolio.readiness.<code>``."""
    return Missing(code, Message(f"portfolio.readiness.{code}"))


def _a1(part: Part) -> list[Missing]:
    missing = []
    if not part.has_text:
        missing.append(_empty("a1_text_missing"))
    if part.declared_at is None:
        missing.append(_empty("a1_declaration_missing"))
    if part.works_now_declared_at is None:
        missing.append(_empty("a1_current_declaration_missing"))
    return missing


def _a2(part: Part) -> list[Missing]:
    if part.has_text:
        return []
    return [_empty("a2_text_missing")]


def _a4(part: Part) -> list[Missing]:
    if part.has_text:
        return []
    return [_empty("a4_text_missing")]


def _a3(cycle: Cycle, part: Part, meetings: Sequence[Meeting], required: int, reports: int) -> list[Missing]:
    """``reports``: the reflection reports the framework asks for. A3 holds one report (its text, about the
    meeting ``part.meeting_id``), so a framework asking for more leaves A3 incomplete, saying so, rather
    than being silently read as one."""
    missing = []
    written = 1 if part.has_text else 0
    if written < reports:
        if reports == 1:
            message = Message("portfolio.readiness.a3_report_missing")
        else:
            message = Message("portfolio.readiness.a3_reports_missing", required=reports, written=written)
        missing.append(Missing("a3_report_missing", message, {"required": reports, "written": written}))
    if part.meeting_id is None or all(m.id != part.meeting_id for m in meetings):
        missing.append(_empty("a3_report_meeting_missing"))
    proven = sum(1 for m in meetings if m.proven)
    if proven < required:
        short = required - proven
        year = cycle.expires_on.year
        missing.append(Missing(
            "a3_meetings_missing",
            Message(f"portfolio.readiness.a3_meetings_missing.{'one' if short == 1 else 'other'}",
                    short=short, year=year, required=required, proven=proven),
            {"required": required, "proven": proven, "short": short, "expiry_year": year},
        ))
        for meeting in meetings:
            if not meeting.proven:
                missing.append(Missing(
                    "a3_proof_missing",
                    Message("portfolio.readiness.a3_proof_missing", day=Day(meeting.met_on)),
                    {"meeting_id": str(meeting.id)},
                ))
    return missing


def activities_in_period(cycle: Cycle, activities: Iterable[PeActivity],
                         supplement: Supplement | None = None) -> tuple[PeActivity, ...]:
    period = pe_period(cycle, supplement)
    return tuple(sorted((a for a in activities if a.completed_on in period),
                        key=lambda a: (a.completed_on, str(a.activity_id))))


def summarise_pe(cycle: Cycle, activities: Iterable[PeActivity], framework: Framework,
                 supplement: Supplement | None = None
                 ) -> tuple[PeSummary, tuple[PeActivity, ...], tuple[str, ...], tuple[PeActivity, ...]]:
    """The summary over the period's activities with proof; those, the unknown-category ids among them,
    and the period's activities without proof."""
    counted, unknown = [], []
    in_period = activities_in_period(cycle, activities, supplement)
    proven = tuple(a for a in in_period if a.proven)
    for activity in proven:
        number = framework.pe.category_number(activity.category)
        if number is None:
            unknown.append(str(activity.activity_id))
        else:
            counted.append((number, activity.points))
    unproven = tuple(a for a in in_period if not a.proven)
    return pe_summary(counted, framework=framework), proven, tuple(unknown), unproven


def _b(summary: PeSummary, unproven: Sequence[PeActivity]) -> list[Missing]:
    missing = [Missing(f"pe_{item.code}", item.message,
                       {"points": str(item.points), **({"category": item.category} if item.category else {})})
               for item in summary.missing]
    if missing:
        for activity in unproven:
            points = activity.points
            missing.append(Missing(
                "pe_evidence_missing",
                Message("portfolio.readiness.pe_evidence_missing", title=activity.title,
                        day=Day(activity.completed_on), points=Number(points)),
                {"activity_id": str(activity.activity_id), "points": str(points)}))
    return missing


def assess(cycle: Cycle, parts: Mapping[str, Part], meetings: Sequence[Meeting],
           activities: Iterable[PeActivity], *, framework: Framework | None = None,
           supplement: Supplement | None = None) -> Readiness:
    framework = framework or cycle.framework()
    required = cycle.required_meetings
    summary, in_period, unknown, unproven = summarise_pe(cycle, activities, framework, supplement)

    def part(name: str) -> Part:
        return parts.get(name) or Part(name)

    by_part = {
        "A1": _a1(part("A1")),
        "A2": _a2(part("A2")),
        "A3": _a3(cycle, part("A3"), meetings, required, framework.reflection.required_reports),
        "A4": _a4(part("A4")),
        "B": _b(summary, unproven),
    }
    return Readiness(
        parts=tuple(PartReadiness(name, tuple(items)) for name, items in by_part.items()),
        required_meetings=required,
        proven_meetings=sum(1 for m in meetings if m.proven),
        required_reports=framework.reflection.required_reports,
        pe=summary,
        pe_activities=in_period,
        uncountable_activity_ids=unknown,
        unproven_activities=unproven,
        period=pe_period(cycle, supplement),
    )


register_messages({
    "portfolio.readiness.a1_text_missing": {
        "nl": "Het beroepsgerichte cv (A1) is nog leeg.", "en": "The professional CV (A1) is still empty."},
    "portfolio.readiness.a1_declaration_missing": {
        "nl": "Vink de verklaring aan dat je de afgelopen vier jaar als uitvoerend jobcoach hebt gewerkt.",
        "en": "Tick the declaration that you worked as executive jobcoach in the past four years."},
    "portfolio.readiness.a1_current_declaration_missing": {
        "nl": "Vink de verklaring aan dat je nu als uitvoerend jobcoach werkt.",
        "en": "Tick the declaration that you work as executive jobcoach now."},
    "portfolio.readiness.a2_text_missing": {
        "nl": "De terugblik op het ontwikkelplan (A2) is nog leeg.",
        "en": "The retrospective on the development plan (A2) is still empty."},
    "portfolio.readiness.a4_text_missing": {
        "nl": "Het ontwikkelplan (A4) is nog leeg.", "en": "The development plan (A4) is still empty."},
    "portfolio.readiness.a3_report_missing": {
        "nl": "Het reflectieverslag (A3) is nog leeg.", "en": "The reflection report (A3) is still empty."},
    "portfolio.readiness.a3_reports_missing": {
        "nl": "Het toetsingskader vraagt {required} reflectieverslagen; A3 bevat er {written}.",
        "en": "The assessment framework asks for {required} reflection reports; A3 holds {written}."},
    "portfolio.readiness.a3_report_meeting_missing": {
        "nl": "Kies over welke reflectiebijeenkomst het reflectieverslag gaat.",
        "en": "Choose the reflection meeting the reflection report is about."},
    # "one": exactly one meeting short.
    "portfolio.readiness.a3_meetings_missing.one": {
        "nl": "Nog {short} reflectiebijeenkomst met bewijs nodig: voor een certificaat dat in {year} "
              "verloopt zijn er {required} vereist, er zijn er nu {proven}.",
        "en": "{short} more reflection meeting with proof needed: a certificate expiring in {year} requires "
              "{required}, there are {proven} now."},
    "portfolio.readiness.a3_meetings_missing.other": {
        "nl": "Nog {short} reflectiebijeenkomsten met bewijs nodig: voor een certificaat dat in {year} "
              "verloopt zijn er {required} vereist, er zijn er nu {proven}.",
        "en": "{short} more reflection meetings with proof needed: a certificate expiring in {year} requires "
              "{required}, there are {proven} now."},
    "portfolio.readiness.a3_proof_missing": {
        "nl": "Bij de bijeenkomst van {day} ontbreekt nog het bewijs.",
        "en": "The meeting of {day} has no proof yet."},
    "portfolio.readiness.pe_evidence_missing": {
        "nl": "Bewijs ontbreekt bij '{title}' ({day}): voeg in je PE-overzicht een bewijsstuk toe, dan "
              "tellen de {points} punten mee.",
        "en": "Evidence missing for '{title}' ({day}): add a piece of evidence in your PE overview and its "
              "{points} points count."},
})
