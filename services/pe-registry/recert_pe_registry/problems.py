"""The PE registry's problem types, ``PROBLEMS`` (each refusal of the domain and the use cases -> its
problem+json answer) and the texts a person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from recert_common import i18n
from recert_common.domain_errors import FieldsRefused, ProblemMap
from recert_common.errors import (
    Conflict,
    NotFound,
    UploadProblem,
    ValidationProblem,
    extension_members,
    upload_problem,
    upload_problem_class,
)
from recert_common.filetypes import UploadRefused
from recert_common.submission_holds import CHANGED_SLUG
from recert_pe_registry.domain import (
    AccountNotFound,
    ActivityLocked,
    ActivityNotFound,
    EvidenceContentMissing,
    EvidenceNotFound,
    EvidenceRefused,
    FilenameMissing,
    HoldOutsideSeen,
    ImportedActivityReadOnly,
    MultipartRefused,
    PeChangedSinceSeen,
    ReadingNotFound,
)


class ActivityLockedProblem(Conflict):
    """The activity is part of a submitted portfolio: DNV assesses what was submitted."""

    slug, title_code = "pe-activity-locked", "pe.problem.activity_locked"

    def __init__(self) -> None:
        super().__init__(code="pe.detail.activity_locked")


class ImportedActivityProblem(Conflict):
    slug, title_code = "pe-activity-imported", "pe.problem.activity_imported"
    members = extension_members(fields={"type": "array", "items": {"type": "string"}})

    def __init__(self, fields: Sequence[str]):
        super().__init__(code="pe.detail.activity_imported", params={"fields": ", ".join(fields)},
                         extensions={"fields": list(fields)})


class PeChangedSinceSeenProblem(Conflict):
    """Portfolio's copy of the activities is not what pe-registry holds (ADR 0044); read by portfolio."""

    slug, title_code = CHANGED_SLUG, "pe.problem.changed_since_seen"
    members = extension_members(activity_ids={"type": "array", "items": {"type": "string", "format": "uuid"}})

    def __init__(self, activity_ids: Sequence[UUID]):
        super().__init__(code="pe.detail.changed_since_seen",
                         extensions={"activity_ids": [str(i) for i in activity_ids]})


#: The status of the refusals only evidence uploads meet; recert_common's own refusals bring theirs.
_EVIDENCE_STATUS: Mapping[type[UploadRefused], int] = {FilenameMissing: 400, MultipartRefused: 415}
#: The refusals only evidence uploads meet (besides ``UPLOAD_PROBLEMS``), as problem types.
EVIDENCE_PROBLEMS = tuple(upload_problem_class(refusal.code, status)
                          for refusal, status in _EVIDENCE_STATUS.items())


def upload_refused(refusal: UploadRefused) -> UploadProblem:
    """An upload refusal answers the same problem type, title and members as anywhere else (recert_common)."""
    return upload_problem(refusal, _EVIDENCE_STATUS.get(type(refusal)))


PROBLEMS = ProblemMap({
    # 422 with the broken rules per field; the detail repeats them, so a client showing only the detail
    # still names the problem.
    FieldsRefused: lambda error: ValidationProblem(error.errors, detail_from_errors=True),
    ActivityNotFound: lambda error: NotFound(code="pe.detail.activity_not_found"),
    EvidenceNotFound: lambda error: NotFound(code="pe.detail.evidence_not_found"),
    AccountNotFound: lambda error: NotFound(code="pe.detail.account_not_found"),
    EvidenceContentMissing: lambda error: NotFound(code="pe.detail.evidence_content_missing"),
    ActivityLocked: lambda error: ActivityLockedProblem(),
    ImportedActivityReadOnly: lambda error: ImportedActivityProblem(error.fields),
    EvidenceRefused: lambda error: upload_refused(error.refusal),
    ReadingNotFound: lambda error: NotFound(code="pe.detail.reading_not_found"),
    PeChangedSinceSeen: lambda error: PeChangedSinceSeenProblem(error.activity_ids),
    HoldOutsideSeen: lambda error: ValidationProblem({"activity_ids": ["pe.field.hold_outside_seen"]}),
})


i18n.register_messages({
    "pe.problem.activity_locked": {"nl": "Activiteit is ingediend", "en": "Activity has been submitted"},
    "pe.problem.activity_imported": {"nl": "Activiteit komt uit de Noloc Academie",
                                     "en": "Activity comes from the Noloc Academie"},
    "pe.detail.activity_locked": {
        "nl": "Deze activiteit hoort bij een ingediend portfolio en kan niet meer worden gewijzigd of "
              "verwijderd, en er kan geen bewijs meer bij. Trek je het portfolio in, dan kan het weer.",
        "en": "This activity is part of a submitted portfolio and can no longer be changed or removed, nor "
              "can evidence be added. If you withdraw the portfolio, you can again."},
    "pe.detail.activity_imported": {
        "nl": "Deze activiteit is automatisch overgenomen uit de Noloc Academie; alleen de omschrijving kun "
              "je wijzigen (niet: {fields}).",
        "en": "This activity was imported automatically from the Noloc Academie; only its description can be "
              "changed (not: {fields})."},
    "pe.detail.activity_not_found": {
        "nl": "Er is geen PE-activiteit met dit kenmerk.", "en": "There is no PE activity with this id."},
    "pe.detail.evidence_not_found": {
        "nl": "Er is geen bewijsstuk met dit kenmerk.", "en": "There is no evidence with this id."},
    "pe.detail.evidence_content_missing": {
        "nl": "Het bestand van dit bewijsstuk is niet meer beschikbaar.",
        "en": "The file of this evidence is no longer available."},
    "pe.detail.account_not_found": {
        "nl": "Er zijn geen PE-gegevens van deze jobcoach voor jou beschikbaar.",
        "en": "No PE records of this jobcoach are available to you."},
    "pe.detail.reading_not_found": {
        "nl": "Er is geen document met dit kenmerk dat voor je wordt gelezen.",
        "en": "There is no document with this id being read for you."},
    "pe.field.two_decimals": {
        "nl": "Gebruik hoogstens twee decimalen.", "en": "Use at most two decimals."},
    "pe.problem.changed_since_seen": {"nl": "PE-activiteiten zijn gewijzigd",
                                      "en": "PE activities have changed"},
    "pe.detail.changed_since_seen": {
        "nl": "Je PE-activiteiten zijn gewijzigd sinds portfolio ze voor het laatst zag.",
        "en": "Your PE activities changed since portfolio last saw them."},
    "pe.field.hold_outside_seen": {
        "nl": "Houd alleen activiteiten vast die ook vergeleken worden.",
        "en": "Hold only activities that are compared too."},
    "pe.field.nothing_to_change": {
        "nl": "Geef minstens één veld om te wijzigen.", "en": "Give at least one field to change."},
})
