"""The readiness check: per part, what is still missing before a portfolio can be submitted.

Each missing item has a stable ``code`` (for clients and tests), its parameters and a sentence in Dutch and
English. Part B (PE) is judged by ``recert_common.rules.pe_summary`` over the activities in the cycle's
period (``domain.pe_period``: up to the supplement deadline once a supplement is granted) that have proof
(an evidence file, or imported from the Noloc Academie), with the framework of the expiry year. Activities
without proof are named (``pe_evidence_missing``) while part B is short, and never counted: the same rule
as pe-registry's summary.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from recert_common.i18n import format_date
from recert_common.rules import DateRange, Framework, Localized, PeSummary, format_number, pe_summary
from recert_portfolio.domain import Cycle, Meeting, Part, PeActivity, Supplement, pe_period


@dataclass(frozen=True)
class Missing:
    code: str
    message: Localized
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


def _empty(code: str, nl: str, en: str) -> Missing:
    return Missing(code, Localized(nl=nl, en=en))


def _a1(part: Part) -> list[Missing]:
    missing = []
    if not part.has_text:
        missing.append(_empty("a1_text_missing", "Het beroepsgerichte cv (A1) is nog leeg.",
                              "The professional CV (A1) is still empty."))
    if part.declared_at is None:
        missing.append(_empty(
            "a1_declaration_missing",
            "Vink de verklaring aan dat je de afgelopen vier jaar als uitvoerend jobcoach hebt gewerkt.",
            "Tick the declaration that you worked as executive jobcoach in the past four years."))
    if part.works_now_declared_at is None:
        missing.append(_empty(
            "a1_current_declaration_missing",
            "Vink de verklaring aan dat je nu als uitvoerend jobcoach werkt.",
            "Tick the declaration that you work as executive jobcoach now."))
    return missing


def _a2(part: Part) -> list[Missing]:
    if part.has_text:
        return []
    return [_empty("a2_text_missing", "De terugblik op het ontwikkelplan (A2) is nog leeg.",
                   "The retrospective on the development plan (A2) is still empty.")]


def _a4(part: Part) -> list[Missing]:
    if part.has_text:
        return []
    return [_empty("a4_text_missing", "Het ontwikkelplan (A4) is nog leeg.",
                   "The development plan (A4) is still empty.")]


def _meetings_word(count: int, language: str) -> str:
    if language == "nl":
        return "reflectiebijeenkomst" if count == 1 else "reflectiebijeenkomsten"
    return "reflection meeting" if count == 1 else "reflection meetings"


def _a3(cycle: Cycle, part: Part, meetings: Sequence[Meeting], required: int, reports: int) -> list[Missing]:
    """``reports``: the reflection reports the framework asks for. A3 holds one report (its text, about the
    meeting ``part.meeting_id``), so a framework asking for more leaves A3 incomplete, saying so, rather
    than being silently read as one."""
    missing = []
    written = 1 if part.has_text else 0
    if written < reports:
        if reports == 1:
            message = Localized(nl="Het reflectieverslag (A3) is nog leeg.",
                                en="The reflection report (A3) is still empty.")
        else:
            message = Localized(
                nl=f"Het toetsingskader vraagt {reports} reflectieverslagen; A3 bevat er {written}.",
                en=f"The assessment framework asks for {reports} reflection reports; A3 holds {written}.")
        missing.append(Missing("a3_report_missing", message, {"required": reports, "written": written}))
    if part.meeting_id is None or all(m.id != part.meeting_id for m in meetings):
        missing.append(_empty("a3_report_meeting_missing",
                              "Kies over welke reflectiebijeenkomst het reflectieverslag gaat.",
                              "Choose the reflection meeting the reflection report is about."))
    proven = sum(1 for m in meetings if m.proven)
    if proven < required:
        short = required - proven
        year = cycle.expires_on.year
        missing.append(Missing(
            "a3_meetings_missing",
            Localized(
                nl=f"Nog {short} {_meetings_word(short, 'nl')} met bewijs nodig: voor een certificaat dat in "
                   f"{year} verloopt zijn er {required} vereist, er zijn er nu {proven}.",
                en=f"{short} more {_meetings_word(short, 'en')} with proof needed: a certificate expiring in "
                   f"{year} requires {required}, there are {proven} now."),
            {"required": required, "proven": proven, "short": short, "expiry_year": year},
        ))
        for meeting in meetings:
            if not meeting.proven:
                missing.append(Missing(
                    "a3_proof_missing",
                    Localized(nl=f"Bij de bijeenkomst van {format_date(meeting.met_on, 'nl')} ontbreekt nog "
                                 "het bewijs.",
                              en=f"The meeting of {format_date(meeting.met_on, 'en')} has no proof yet."),
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
            title, points = activity.title, activity.points
            nl_day, en_day = (format_date(activity.completed_on, lang) for lang in ("nl", "en"))
            missing.append(Missing(
                "pe_evidence_missing",
                Localized(nl=f"Bewijs ontbreekt bij '{title}' ({nl_day}): voeg in je PE-overzicht een "
                             f"bewijsstuk toe, dan tellen de {format_number(points, 'nl')} punten mee.",
                          en=f"Evidence missing for '{title}' ({en_day}): add a piece of evidence in "
                             f"your PE overview and its {format_number(points, 'en')} points count."),
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
