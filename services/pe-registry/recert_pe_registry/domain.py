"""The rules of PE activities and their evidence, and the refusals they give: no Flask, no SQL, no broker,
no HTTP (``problems.py`` answers the refusals).

Numbers (points per unit, the most one activity may claim, categories with their minimum and maximum) come
from the assessment framework in ``recert_common.rules``; this module decides what to do with them.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from recert_common.domain_errors import DomainError, FieldsRefused, NotFoundError
from recert_common.events.catalogue import READING_FAILURES  # noqa: F401 (the vocabulary, re-exported)
from recert_common.filetypes import UploadRefused, safe_filename
from recert_common.i18n import Day, Message, Number, format_date, register_messages
from recert_common.roles import Role
from recert_common.rules import (
    UNIT_ECTS,
    UNIT_HOURS,
    UNIT_POINTS,
    Framework,
    InvalidPeAmount,
    PeSummary,
    UnknownUnit,
    add_years,
    load_framework,
    pe_period_last_day,
    pe_points,
    pe_summary,
)

# Units as the API and the events name them, and the framework's name for each. "sbu" (studiebelastinguur)
# is the study-load hour; "points" are PE points a provider awards directly.
UNIT_SBU = "sbu"
UNITS: Mapping[str, str] = {UNIT_SBU: UNIT_HOURS, "ects": UNIT_ECTS, "points": UNIT_POINTS}

SOURCE_MANUAL = "manual"
SOURCE_NOLOC = "noloc_academy"

#: Noloc Academie activities are training in the field.
NOLOC_CATEGORY = 1

#: What a piece of evidence is, as the jobcoach labels it (optional; "other" when not said).
#: ``planning_tool``: the proof Noloc's planning tool gives of attending (a download or its e-mail);
#: ``report`` covers reports and filled-in forms such as the reflection-meeting form (often .docx).
EVIDENCE_KINDS = ("certificate", "confirmation_email", "screenshot", "invoice", "report", "planning_tool",
                  "other")

#: Decimals a jobcoach may give for an amount (half hours, quarter ECTS).
AMOUNT_PLACES = 2

PERIOD_CERTIFICATE = "certificate"  # from the certificate read model
PERIOD_FALLBACK = "fallback"  # no certificate known yet: the last validity_years up to today
PERIOD_REQUESTED = "requested"  # from and/or to given by the caller


# --- refusals ---------------------------------------------------------------------------------------------


class ActivityNotFound(NotFoundError):
    """No such activity, or not one the caller may see."""


class EvidenceNotFound(NotFoundError):
    """No such evidence, or not one the caller may see."""


class AccountNotFound(NotFoundError):
    """No PE records of this jobcoach the caller may see."""


class EvidenceContentMissing(NotFoundError):
    """The evidence row is there, its object is not (an operator must look)."""


class ActivityLocked(DomainError):
    """The activity is part of a submitted portfolio: DNV assesses what was submitted."""


class ImportedActivityReadOnly(DomainError):
    """Changes to what the Noloc Academie vouches for on an imported activity; ``fields`` names them."""

    fields: list[str]


class EvidenceRefused(DomainError):
    """An upload not stored as evidence; ``refusal`` (a ``recert_common.filetypes.UploadRefused``) says
    why."""

    refusal: UploadRefused


# --- who may read what ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    account_id: UUID
    roles: frozenset[str]


def may_read(viewer: Viewer, owner_id: UUID, *, assigned: bool) -> bool:
    """The owner, any DNV officer, and an assessor assigned to a case of the owner read a jobcoach's PE
    (activities, evidence, summary). Nobody else: not other jobcoaches, not Noloc admins."""
    if viewer.account_id == owner_id:
        return True
    if Role.DNV_OFFICER in viewer.roles:
        return True
    return Role.ASSESSOR in viewer.roles and assigned


def may_read_summary(viewer: Viewer, owner_id: UUID, *, assigned: bool, mentoring: bool) -> bool:
    """The summary is read by those who read the PE, and by the jobcoach's mentor while the mentorship runs
    (ADR 0028): the mentor reads the summary only, never the activities or their evidence."""
    return may_read(viewer, owner_id, assigned=assigned) or (Role.MENTOR in viewer.roles and mentoring)


def needs_assignment_check(viewer: Viewer, owner_id: UUID) -> bool:
    """Whether ``may_read`` depends on an assignment (so the caller need not look one up otherwise)."""
    return (viewer.account_id != owner_id and Role.DNV_OFFICER not in viewer.roles
            and Role.ASSESSOR in viewer.roles)


# --- periods ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days from ``first`` to ``last``, both included."""

    first: date
    last: date
    source: str

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


def fallback_period(today: date, framework: Framework) -> Period:
    """While no certificate is known: the length of one certificate's validity, up to today."""
    return Period(add_years(today, -framework.periods.validity_years), today, PERIOD_FALLBACK)


def requested_period(default: Period, first: date | None, last: date | None) -> Period:
    """The caller's ``from``/``to`` where given, the default period's where not."""
    if first is None and last is None:
        return default
    period = Period(first or default.first, last or default.last, PERIOD_REQUESTED)
    if period.first > period.last:
        raise FieldsRefused({"from": [
            Message("pe.field.period_reversed", first=Day(period.first), last=Day(period.last))]})
    return period


@dataclass(frozen=True)
class CertificatePeriod:
    """The account's current certificate as the PE registry knows it (from certification's events)."""

    account_id: UUID
    certificate_id: UUID
    starts_on: date
    valid_from: date
    valid_until: date
    extended_until: date | None
    occurred_at: datetime

    def pe_period(self) -> Period:
        """From the period's first day up to expiry, or up to a later supplement or new-portfolio deadline."""
        last = pe_period_last_day(self.valid_until, extended_until=self.extended_until)
        return Period(self.starts_on, last, PERIOD_CERTIFICATE)


def current_period(certificate: CertificatePeriod | None, today: date) -> Period:
    """The jobcoach's current PE period: the certificate's, else the fallback."""
    if certificate is not None:
        return certificate.pe_period()
    return fallback_period(today, load_framework(today.year))


def summary_framework(certificate: CertificatePeriod | None, period: Period) -> Framework:
    """The framework a summary of ``period`` is weighed with: that of the certificate's expiry year when the
    period ends within the certificate's PE period, as portfolio weighs the cycle's readiness and snapshot
    (``Cycle.framework``) also when a supplement or a new portfolio extends the period into a later year
    (ADR 0012, amended); else, no certificate being known for it, the year of the period's last day."""
    if certificate is not None and period.last in certificate.pe_period():
        return load_framework(certificate.valid_until.year)
    return load_framework(period.last.year)


def day_text(day: date, language: str) -> str:
    """A date as the platform writes it: "1 maart 2024" / "1 March 2024" (``recert_common.i18n``)."""
    return format_date(day, language)


# --- activities -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyLoad:
    """What an activity claims: an amount in a unit, and the PE points that follow."""

    amount: Decimal
    unit: str
    points: Decimal


def category_message(category: int, framework: Framework) -> Message | None:
    """Why ``category`` cannot be used, or None when it can."""
    if framework.pe.category(category) is not None:
        return None
    known = ", ".join(str(c.number) for c in framework.pe.categories)
    return Message("pe.field.category_unknown", category=category, known=known)


def study_load(amount: Decimal, unit: str, framework: Framework) -> StudyLoad:
    """The points of ``amount`` in ``unit`` (an API unit), or ``InvalidPeAmount``/``UnknownUnit``."""
    if unit not in UNITS:
        known = ", ".join(UNITS)
        raise UnknownUnit(Message("rules.pe.unknown_unit", unit=unit, known=known), unit=unit)
    points = pe_points(amount, UNITS[unit], framework=framework)
    return StudyLoad(_plain(Decimal(amount)), unit, _plain(points))


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros (14.0 -> 14, 2.50 -> 2.5), so events and answers show what people write."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def check_activity(*, category: int, amount: Decimal, unit: str, completed_on: date, framework: Framework,
                   period_start: date, today: date) -> StudyLoad:
    """Every rule a jobcoach's activity must meet; all broken rules at once in ``FieldsRefused``.

    The category must be in the framework; the amount positive and plausible for one activity (the
    framework's maximum per unit, e.g. 500 hours or 20 ECTS); the date not after today and not before the
    current period.
    """
    errors: dict[str, list[Message]] = {}
    message = category_message(category, framework)
    if message is not None:
        errors["category"] = [message]
    load = None
    try:
        load = study_load(amount, unit, framework)
    except (InvalidPeAmount, UnknownUnit) as exc:
        errors["unit" if isinstance(exc, UnknownUnit) else "amount"] = [exc.message]
    if completed_on > today:
        errors["completed_on"] = [Message("pe.field.date_in_future", day=Day(completed_on))]
    elif completed_on < period_start:
        errors["completed_on"] = [
            Message("pe.field.date_before_period", day=Day(completed_on), period_start=Day(period_start))]
    if errors:
        raise FieldsRefused(errors)
    assert load is not None
    return load


def noloc_study_load(*, amount: Decimal | None, unit: str | None, points: Decimal | None,
                     framework: Framework) -> StudyLoad:
    """A Noloc Academie completion carries a study load (``sbu`` or ``ects``) or points awarded directly."""
    if points is not None:
        return study_load(points, "points", framework)
    if amount is None or unit is None:
        raise InvalidPeAmount(
            Message("pe.field.no_study_load"),
            amount=None, unit=unit, reason="not_a_number")
    return study_load(amount, unit, framework)


@dataclass(frozen=True)
class Activity:
    id: UUID
    account_id: UUID
    title: str
    provider: str
    completed_on: date
    category: int
    amount: Decimal
    unit: str
    points: Decimal
    description: str | None
    source: str
    external_id: str | None
    framework_version: str
    created_at: datetime
    updated_at: datetime
    locked: bool = False
    evidence: tuple[Evidence, ...] = ()

    @property
    def imported(self) -> bool:
        return self.source != SOURCE_MANUAL

    def ensure_writable(self) -> None:
        """``ActivityLocked`` while the activity is part of a submitted portfolio."""
        if self.locked:
            raise ActivityLocked()


@dataclass(frozen=True)
class ActivityDraft:
    """A new activity as the rules accept it, before it is stored (which adds its timestamps)."""

    id: UUID
    account_id: UUID
    title: str
    provider: str
    completed_on: date
    category: int
    amount: Decimal
    unit: str
    points: Decimal
    description: str | None
    source: str
    external_id: str | None
    framework_version: str


def manual_activity(activity_id: UUID, account_id: UUID, *, title: str, provider: str, completed_on: date,
                    category: int, amount: Decimal, unit: str, description: str | None, period_start: date,
                    today: date) -> ActivityDraft:
    """An activity the jobcoach records, checked (``FieldsRefused``) against the framework of its year."""
    framework = load_framework(completed_on.year)
    load = check_activity(category=category, amount=amount, unit=unit, completed_on=completed_on,
                          framework=framework, period_start=period_start, today=today)
    return ActivityDraft(activity_id, account_id, title, provider, completed_on, category, load.amount,
                         load.unit, load.points, description, SOURCE_MANUAL, None, framework.version)


def noloc_activity(activity_id: UUID, account_id: UUID, data: Mapping[str, Any]) -> ActivityDraft:
    """A Noloc Academie completion as a category-1 activity. Its date is not judged against the period:
    Noloc vouches for it, and the summary counts by period."""
    completed_on = data["completed_on"]
    framework = load_framework(completed_on.year)
    load = noloc_study_load(amount=data.get("amount"), unit=data.get("unit"), points=data.get("points"),
                            framework=framework)
    return ActivityDraft(activity_id, account_id, data["title"], data["provider"], completed_on,
                         NOLOC_CATEGORY, load.amount, load.unit, load.points, None, SOURCE_NOLOC,
                         data["external_id"], framework.version)


#: Fields a jobcoach may change on an activity imported from the Noloc Academie: what Noloc vouches for
#: (title, provider, date, study load, category) stays as Noloc sent it.
IMPORTED_CHANGEABLE = frozenset({"description"})

#: The fields that make up the study load: changing one checks the activity again and computes its points.
STUDY_LOAD_FIELDS = ("category", "amount", "unit", "completed_on")


def refused_changes(activity: Activity, changes: Iterable[str]) -> list[str]:
    """The fields in ``changes`` the jobcoach may not change on ``activity``."""
    if not activity.imported:
        return []
    return sorted(set(changes) - IMPORTED_CHANGEABLE)


def revised_values(activity: Activity, changes: Mapping[str, Any], *, period_start: date | None,
                   today: date) -> dict[str, Any]:
    """What to store for ``changes`` to ``activity``: refused when submitted (``ActivityLocked``), for what
    Noloc vouches for (``ImportedActivityReadOnly``) or when the new study load or date breaks a rule
    (``FieldsRefused``); with the points computed again when the study load changes.

    ``period_start`` is needed only when the date changes: an unchanged date is not judged again, as the
    period may have moved on since the activity was recorded.
    """
    activity.ensure_writable()
    refused = refused_changes(activity, changes)
    if refused:
        raise ImportedActivityReadOnly(fields=refused)
    values = dict(changes)
    if any(name in changes for name in STUDY_LOAD_FIELDS):
        merged = {name: changes.get(name, getattr(activity, name)) for name in STUDY_LOAD_FIELDS}
        framework = load_framework(merged["completed_on"].year)
        date_changed = "completed_on" in changes
        if date_changed and period_start is None:
            raise ValueError("a new date is judged against the current period's start")
        load = check_activity(**merged, framework=framework,
                              period_start=period_start if date_changed else date.min,
                              today=today if date_changed else date.max)
        values.update(amount=load.amount, unit=load.unit, points=load.points,
                      framework_version=framework.version)
    return values


# --- evidence ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    id: UUID
    activity_id: UUID
    account_id: UUID
    object_key: str
    sha256: str
    size: int
    content_type: str
    filename: str
    kind: str
    created_at: datetime


# --- holding a submission's activities (ADR 0044) ---------------------------------------------------------


@dataclass(frozen=True)
class ActivityFacts:
    """What a submitted snapshot records of an activity, so what portfolio's copy and pe-registry must agree
    on for the snapshot to be true."""

    id: UUID
    category: int
    title: str
    completed_on: date
    points: Decimal
    evidence_sha256s: frozenset[str]


class PeChangedSinceSeen(DomainError):
    """Portfolio's copy of the jobcoach's activities in the period is not what pe-registry holds: an activity
    was changed, added or removed since, or its event is still on its way. ``activity_ids`` names them."""

    activity_ids: list[UUID]


class HoldOutsideSeen(DomainError):
    """Activities asked to be held that were not among those seen."""


def changed_since_seen(seen: Iterable[ActivityFacts], held: Iterable[ActivityFacts]) -> list[UUID]:
    """The activities on which ``seen`` (portfolio's copy) and ``held`` (pe-registry's, locked) differ:
    changed, or present on one side only. Sorted, so that the answer does not depend on the order given."""
    theirs, ours = {a.id: a for a in seen}, {a.id: a for a in held}
    return sorted((i for i in theirs.keys() | ours.keys() if theirs.get(i) != ours.get(i)), key=str)


def check_hold(seen: Sequence[ActivityFacts], held: Sequence[ActivityFacts],
               hold_ids: Iterable[UUID]) -> None:
    """Refuse to hold unless every activity to hold was seen and everything seen is as pe-registry has it."""
    if not set(hold_ids) <= {a.id for a in seen}:
        raise HoldOutsideSeen()
    changed = changed_since_seen(seen, held)
    if changed:
        raise PeChangedSinceSeen(activity_ids=changed)


class FilenameMissing(UploadRefused):
    code = "filename_missing"

    def __init__(self) -> None:
        super().__init__(Message("pe.upload.filename_missing"))


class MultipartRefused(UploadRefused):
    """The file must be the body itself: a form would be stored as its own encoding."""

    code = "multipart_refused"

    def __init__(self) -> None:
        super().__init__(Message("pe.upload.multipart_refused"))


def evidence_filename(content_type: str | None, filename: str | None) -> str:
    """The name an upload is stored under, or ``EvidenceRefused`` for what can be refused before the body is
    read: a form instead of a file, a missing or unsafe name."""
    try:
        if content_type and content_type.lower().startswith("multipart/"):
            raise MultipartRefused()
        if filename is None:
            raise FilenameMissing()
        return safe_filename(filename)
    except UploadRefused as refusal:
        raise EvidenceRefused(refusal=refusal) from None


class Dedup(enum.Enum):
    NEW = "new"  # a file this jobcoach has not stored before
    SAME_ACTIVITY = "same_activity"  # already evidence of this activity: nothing to add
    LINK = "link"  # stored for another activity: a new evidence row on the stored object


@dataclass(frozen=True)
class DedupVerdict:
    outcome: Dedup
    existing: Evidence | None = None


def dedup(activity_id: UUID, same_file: Sequence[Evidence]) -> DedupVerdict:
    """What to do with an upload whose SHA-256 matches ``same_file`` (this jobcoach's evidence)."""
    for evidence in same_file:
        if evidence.activity_id == activity_id:
            return DedupVerdict(Dedup.SAME_ACTIVITY, evidence)
    if same_file:
        return DedupVerdict(Dedup.LINK, same_file[0])
    return DedupVerdict(Dedup.NEW)


def evidence_object_key(account_id: UUID, upload_id: UUID) -> str:
    """Where an upload's bytes go: chosen before they are seen, so never derived from the content."""
    return f"accounts/{account_id}/evidence/{upload_id}"


# --- summary ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryItem:
    """An activity as the summary weighs it."""

    activity_id: UUID
    title: str
    completed_on: date
    category: int
    points: Decimal
    evidenced: bool  # at least one evidence file, or imported from the Noloc Academie


def has_proof(source: str, evidence_count: int) -> bool:
    """An activity counts only with proof: an evidence file, or Noloc's own record of the completion (an
    activity imported from the Noloc Academie is proven by the import itself)."""
    return source != SOURCE_MANUAL or evidence_count > 0


def evidence_missing_message(item: SummaryItem) -> Message:
    return Message("pe.summary.evidence_missing", title=item.title, day=Day(item.completed_on),
                   points=Number(item.points))


@dataclass(frozen=True)
class Summary:
    """``result`` weighs only the activities with proof (what readiness and the snapshot count);
    ``without_evidence`` are the others, recorded but not counted until proof is added."""

    account_id: UUID
    period: Period
    result: PeSummary
    framework: Framework
    activity_counts: Mapping[int, int] = field(default_factory=dict)
    without_evidence: tuple[SummaryItem, ...] = ()

    @property
    def recorded_total(self) -> Decimal:
        """Every point recorded in the period, with or without evidence, before maxima."""
        return self.result.raw_total + self.without_evidence_total

    @property
    def without_evidence_total(self) -> Decimal:
        return sum((item.points for item in self.without_evidence), Decimal(0))


def summarise(account_id: UUID, period: Period, items: Iterable[SummaryItem],
              framework: Framework) -> Summary:
    """Raw and counted points per category over the activities with proof, the minimum and maxima applied,
    what is still missing, and the activities that lack evidence (not counted).

    Activities of a category the framework no longer lists (replaced by configuration) are left out
    rather than failing the whole summary.
    """
    known = {category.number for category in framework.pe.categories}
    kept = [item for item in items if item.category in known]
    proven = [item for item in kept if item.evidenced]
    counts: dict[int, int] = {}
    for item in proven:
        counts[item.category] = counts.get(item.category, 0) + 1
    lacking = tuple(sorted((item for item in kept if not item.evidenced),
                           key=lambda item: (item.completed_on, str(item.activity_id))))
    result = pe_summary([(item.category, item.points) for item in proven], framework=framework)
    return Summary(account_id, period, result, framework, counts, lacking)


register_messages({
    "pe.field.period_reversed": {
        "nl": "De begindatum ({first}) ligt na de einddatum ({last}).",
        "en": "The start date ({first}) is after the end date ({last})."},
    "pe.field.category_unknown": {
        "nl": "Categorie {category} bestaat niet; kies uit {known}.",
        "en": "Category {category} does not exist; choose from {known}."},
    "pe.field.date_in_future": {
        "nl": "De datum {day} ligt in de toekomst.", "en": "The date {day} is in the future."},
    "pe.field.date_before_period": {
        "nl": "De datum {day} ligt vóór het begin van je huidige periode ({period_start}); die activiteit "
              "telt niet meer mee.",
        "en": "The date {day} is before the start of your current period ({period_start}); that activity no "
              "longer counts."},
    "pe.field.no_study_load": {"nl": "Geen studielast en geen punten.", "en": "No study load and no points."},
    "pe.upload.filename_missing": {
        "nl": "Geef de naam van het bestand mee (in de kop Content-Disposition of als ?filename=).",
        "en": "Give the file's name (in the Content-Disposition header or as ?filename=)."},
    "pe.upload.multipart_refused": {
        "nl": "Stuur het bestand zelf als inhoud van het verzoek, niet als formulier (multipart).",
        "en": "Send the file itself as the request body, not as a form (multipart)."},
    "pe.summary.evidence_missing": {
        "nl": "Bewijs ontbreekt bij '{title}' ({day}): voeg een bewijsstuk toe, dan tellen de {points} "
              "punten mee.",
        "en": "Evidence missing for '{title}' ({day}): add a piece of evidence and its {points} points "
              "count."},
})


# --- evidence read for the jobcoach (ADR 0027) --------------------------------------------------------------

READING_PENDING, READING_PROPOSED, READING_FAILED = "pending", "proposed", "failed"
#: Why a reading failed (READING_FAILURES): the file could not be opened, held no text, the OCR program is
#: missing (an operator must install it), or every attempt failed for another reason.


class ReadingNotFound(NotFoundError):
    """No such reading, or not one of the caller's."""


@dataclass(frozen=True)
class Reading:
    id: UUID
    account_id: UUID
    object_key: str
    sha256: str
    size: int
    content_type: str
    filename: str
    state: str
    attempts: int
    method: str | None
    failure: str | None
    proposal: Mapping[str, Any] | None
    created_at: datetime
    read_at: datetime | None


#: The evidence kind a confirmed reading's file gets, by its type.
_READING_EVIDENCE_KINDS = {"application/pdf": "certificate", "message/rfc822": "confirmation_email",
                           "image/png": "screenshot", "image/jpeg": "screenshot"}


def reading_evidence_kind(content_type: str) -> str:
    return _READING_EVIDENCE_KINDS.get(content_type, "other")


def proposal_data(proposal: Any) -> dict[str, Any]:
    """A ``reading.Proposal`` as stored and sent: dates ISO, numbers as decimal strings, absent as None."""
    return {
        "title": proposal.title, "provider": proposal.provider,
        "completed_on": proposal.completed_on.isoformat() if proposal.completed_on else None,
        "amount": str(proposal.amount) if proposal.amount is not None else None, "unit": proposal.unit,
        "points": str(proposal.points) if proposal.points is not None else None,
        "category": proposal.category,
    }


def reading_retry_delay(attempts: int, base_seconds: float) -> float:
    """Seconds before a failed attempt is tried again: doubling from ``base_seconds``."""
    return base_seconds * (2 ** max(0, attempts - 1))


def reading_failure_message(reason: str) -> Message:
    return Message(f"pe.reading.failure.{reason}")


register_messages({
    "pe.reading.failure.unreadable": {
        "nl": "We konden dit bestand niet openen. Vul de activiteit zelf in, of probeer een ander bestand.",
        "en": "We could not open this file. Fill in the activity yourself, or try another file."},
    "pe.reading.failure.no_text": {
        "nl": "We vonden geen tekst in dit bestand. Een scan als PDF lezen we niet: stuur een foto of "
              "schermafbeelding, of vul de activiteit zelf in.",
        "en": "We found no text in this file. We do not read a scan saved as PDF: send a photo or "
              "screenshot, or fill in the activity yourself."},
    "pe.reading.failure.ocr_missing": {
        "nl": "Afbeeldingen lezen is nu niet mogelijk. Vul de activiteit zelf in; je bestand blijft bewaard.",
        "en": "Reading images is not possible right now. Fill in the activity yourself; your file is kept."},
    "pe.reading.failure.gave_up": {
        "nl": "Het lezen is een paar keer mislukt. Vul de activiteit zelf in; je bestand blijft bewaard.",
        "en": "Reading failed a few times. Fill in the activity yourself; your file is kept."},
})
