"""The PE registry's problem types and the texts a person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from recert_common import i18n
from recert_common.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    Problem,
    UnsupportedMediaType,
    ValidationProblem,
)
from recert_common.filetypes import UploadRefused
from recert_common.rules import Localized


class InvalidActivity(ValidationProblem):
    """422 with the broken rules per field; the detail repeats them, so a client showing only the detail
    still names the problem."""

    def __init__(self, errors: Mapping[str, Sequence[Localized]]):
        super().__init__({})
        self.localized = {name: list(messages) for name, messages in errors.items()}

    def detail_text(self, language: str = i18n.DEFAULT_LANGUAGE) -> str | None:
        return " ".join(message.get(language) for messages in self.localized.values() for message in messages)

    def to_dict(self, language: str = i18n.DEFAULT_LANGUAGE, *, request_id: str | None = None) -> dict:
        body = super().to_dict(language, request_id=request_id)
        body["errors"] = {name: [message.get(language) for message in messages]
                          for name, messages in self.localized.items()}
        return body


class ActivityLocked(Conflict):
    """The activity is part of a submitted portfolio: DNV assesses what was submitted."""

    slug, title_code = "pe-activity-locked", "pe.problem.activity_locked"

    def __init__(self) -> None:
        super().__init__(code="pe.detail.activity_locked")


class ImportedActivityReadOnly(Conflict):
    slug, title_code = "pe-activity-imported", "pe.problem.activity_imported"

    def __init__(self, fields: Sequence[str]):
        super().__init__(code="pe.detail.activity_imported", params={"fields": ", ".join(fields)},
                         extensions={"fields": list(fields)})


class _Refusal:
    """A refused upload: the detail is the refusal's own sentence, ``reason`` its stable code."""

    def __init__(self, refusal: UploadRefused, **kwargs: Any):
        super().__init__(extensions={"reason": refusal.code}, **kwargs)  # type: ignore[call-arg]
        self.refusal = refusal

    def detail_text(self, language: str = i18n.DEFAULT_LANGUAGE) -> str | None:
        return self.refusal.message(language)


class EvidenceTooLarge(_Refusal, PayloadTooLarge):
    slug, title_code = "evidence-too-large", "pe.problem.evidence_too_large"


class EvidenceTypeRefused(_Refusal, UnsupportedMediaType):
    slug, title_code = "evidence-type-refused", "pe.problem.evidence_type_refused"


class EvidenceRefused(_Refusal, BadRequest):
    slug, title_code = "evidence-refused", "pe.problem.evidence_refused"


def refusal_problem(refusal: UploadRefused) -> Problem:
    """The problem for an upload refusal, by the status the refusal asks for (413, 415, else 400)."""
    if refusal.http_status == 413:
        return EvidenceTooLarge(refusal)
    if refusal.http_status == 415:
        return EvidenceTypeRefused(refusal)
    return EvidenceRefused(refusal)


def activity_not_found() -> NotFound:
    return NotFound(code="pe.detail.activity_not_found")


def evidence_not_found() -> NotFound:
    return NotFound(code="pe.detail.evidence_not_found")


def account_not_found() -> NotFound:
    return NotFound(code="pe.detail.account_not_found")


i18n.register_messages({
    "pe.problem.activity_locked": {"nl": "Activiteit is ingediend", "en": "Activity has been submitted"},
    "pe.problem.activity_imported": {"nl": "Activiteit komt uit de Noloc Academie",
                                     "en": "Activity comes from the Noloc Academie"},
    "pe.problem.evidence_too_large": {"nl": "Bestand te groot", "en": "File too large"},
    "pe.problem.evidence_type_refused": {"nl": "Bestandstype niet toegestaan", "en": "File type not allowed"},
    "pe.problem.evidence_refused": {"nl": "Bestand geweigerd", "en": "File refused"},
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
    "pe.field.two_decimals": {
        "nl": "Gebruik hoogstens twee decimalen.", "en": "Use at most two decimals."},
    "pe.field.blank": {"nl": "Mag niet leeg zijn.", "en": "May not be blank."},
    "pe.field.nothing_to_change": {
        "nl": "Geef minstens één veld om te wijzigen.", "en": "Give at least one field to change."},
})
