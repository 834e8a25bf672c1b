"""Assessment's problem types, ``PROBLEMS`` (the answer to each refusal of the domain and the use cases), and
the texts a person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from recert_assessment import credentials, domain
from recert_assessment.certificate_csv import LineError, MalformedCsv
from recert_assessment.domain import AssessorConflict
from recert_assessment.states import CaseAction, CaseState
from recert_common import i18n
from recert_common.domain_errors import NotFoundError, ProblemMap
from recert_common.errors import (
    Conflict,
    NotFound,
    Problem,
    TooManyRequests,
    ValidationProblem,
    extension_members,
)
from recert_common.states import TransitionNotAllowed


def not_found() -> NotFound:
    """For anything the caller may not see as well as for what does not exist: the two look the same."""
    return NotFound(code="assessment.detail.not_found")


def no_certificate() -> NotFound:
    return NotFound(code="assessment.detail.no_certificate")


def invalid(field: str, code: str, **params: Any) -> ValidationProblem:
    return ValidationProblem({field: [code]}, code="assessment.detail.invalid_input", params=params)


def _iso(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}


class StepOutOfOrderProblem(Conflict):
    """The case is not in a state that allows the step (advice before assignment, a second decision)."""

    slug, title_code = "step-out-of-order", "assessment.problem.step_out_of_order"

    def __init__(self, action: CaseAction | str, state: CaseState | str):
        super().__init__(code=f"assessment.detail.not_now_{action}", params={"state": i18n.Label(state)},
                         extensions={"state": str(state), "action": str(action)})


class AssessorNotAllowedProblem(Conflict):
    slug, title_code = "assessor-conflict", "assessment.problem.assessor_conflict"
    members = extension_members(conflict="string")

    def __init__(self, conflict: AssessorConflict):
        super().__init__(code=f"assessment.detail.assessor_{conflict}",
                         extensions={"conflict": str(conflict)})


class PeRulesNotMetProblem(Conflict):
    slug, title_code = "pe-rules-not-met", "assessment.problem.pe_rules_not_met"
    members = extension_members(points_counted="string", points_required="string")

    def __init__(self, counted: str, required: str):
        super().__init__(code="assessment.detail.pe_rules_not_met",
                         params={"counted": counted, "required": required},
                         extensions={"points_counted": counted, "points_required": required})


class ObjectionRefusedProblem(Conflict):
    slug, title_code = "objection-refused", "assessment.problem.objection_refused"
    members = extension_members(reason="string")

    def __init__(self, reason: str, **params: Any):
        """``deadline`` (a date, or its ISO text) is written as a date in the reader's language; the
        ``deadline`` member stays ISO."""
        shown = dict(params)
        if "deadline" in params:
            deadline = params["deadline"]
            params["deadline"] = str(deadline)
            day = deadline if isinstance(deadline, date) else date.fromisoformat(deadline)
            shown["deadline"] = i18n.Day(day)
        super().__init__(code=f"assessment.detail.objection_{reason}", params=shown,
                         extensions={"reason": reason, **params})


class CertificateConflictProblem(Conflict):
    slug, title_code = "certificate-conflict", "assessment.problem.certificate_conflict"
    members = extension_members(reason="string")

    def __init__(self, reason: str, **params: Any):
        super().__init__(code=f"assessment.detail.certificate_{reason}", params=params,
                         extensions={"reason": reason})


class ClaimCodeRejectedProblem(ValidationProblem):
    """A claim code that is wrong, used, expired, or for a certificate linked meanwhile: which is not said."""

    slug, title_code = "claim-code-rejected", "assessment.problem.claim_code_rejected"

    def __init__(self) -> None:
        super().__init__({"code": ["assessment.field.claim_code_rejected"]},
                         code="assessment.detail.claim_code_rejected")


class ClaimThrottledProblem(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(code="assessment.detail.claim_throttled", retry_after=retry_after)


class CsvUnreadableProblem(Problem):
    """The file is not the certificate CSV at all: nothing was imported."""

    status, slug, title_code = 422, "csv-unreadable", "assessment.problem.csv_unreadable"
    members = extension_members(state="string", action="string")

    def __init__(self, malformed: MalformedCsv):
        super().__init__(code=f"assessment.import.{malformed.code}",
                         params={k: str(v) for k, v in malformed.params.items()},
                         extensions={"code": malformed.code})


class CsvRowsRejectedProblem(Problem):
    """Lines of the file are wrong: nothing was imported; each wrong line is listed."""

    status, slug, title_code = 422, "csv-rows-rejected", "assessment.problem.csv_rows_rejected"
    members = extension_members(lines={"type": "array", "items": {
                                           "type": "object", "required": ["line", "field", "code", "message"],
                                           "properties": {"line": {"type": "integer"},
                                                          "field": {"type": "string"},
                                                          "code": {"type": "string"},
                                                          "message": {"type": "string"}}},
                                       "description": "Each wrong line: line, field, code, message"},
                                lines_total="integer", code="string")
    MAX_LISTED = 1000

    def __init__(self, errors: Iterable[LineError]):
        self.line_errors = sorted(errors, key=lambda e: (e.line, e.field))
        super().__init__(code="assessment.detail.csv_rows_rejected",
                         params={"count": len({e.line for e in self.line_errors})})

    def to_dict(self, language: str = i18n.DEFAULT_LANGUAGE, *, request_id: str | None = None) -> dict:
        body = super().to_dict(language, request_id=request_id)
        body["lines"] = [
            {"line": e.line, "field": e.field, "code": e.code,
             "message": i18n.translate(f"assessment.import.{e.code}", language,
                                       **{k: str(v) for k, v in e.params.items()})}
            for e in self.line_errors[:self.MAX_LISTED]]
        body["lines_total"] = len(self.line_errors)
        return body


class CredentialUnavailableProblem(Conflict):
    """The certificate lapsed, or Noloc's import names no holder: no credential is issued for it
    (ADR 0030)."""

    slug, title_code = "credential-unavailable", "assessment.problem.credential_unavailable"
    members = extension_members(reason="string")

    def __init__(self, reason: str):
        super().__init__(code=f"assessment.detail.credential_{reason}", extensions={"reason": reason})


class StatusListFullProblem(Problem):
    """No free place in the status list: an operator starts the next list (ADR 0030)."""

    status, slug, title_code = 503, "status-list-full", "assessment.problem.status_list_full"

    def __init__(self) -> None:
        super().__init__(code="assessment.detail.status_list_full")


PROBLEMS = ProblemMap({
    NotFoundError: lambda e: not_found(),
    domain.NoCertificate: lambda e: no_certificate(),
    TransitionNotAllowed: lambda e: StepOutOfOrderProblem(e.action, e.state),
    domain.StepOutOfOrder: lambda e: StepOutOfOrderProblem(e.action, e.state),
    domain.InvalidInput: lambda e: invalid(e.field_name, e.code, **_iso(e.params)),
    domain.FormRefused: lambda e: ValidationProblem(e.errors, code="assessment.detail.invalid_input"),
    domain.AssessorNotAllowed: lambda e: AssessorNotAllowedProblem(e.conflict),
    domain.PeRulesNotMet: lambda e: PeRulesNotMetProblem(str(e.counted), str(e.required)),
    domain.ObjectionRefused: lambda e: ObjectionRefusedProblem(
        e.reason, **({"deadline": e.deadline.isoformat()} if e.deadline is not None else {})),
    domain.CertificateConflict: lambda e: CertificateConflictProblem(e.reason, **_iso(e.params)),
    domain.ClaimCodeRejected: lambda e: ClaimCodeRejectedProblem(),
    domain.ClaimThrottled: lambda e: ClaimThrottledProblem(e.retry_after),
    domain.CsvUnreadable: lambda e: CsvUnreadableProblem(e.malformed),
    domain.CsvRowsRejected: lambda e: CsvRowsRejectedProblem(e.errors),
    credentials.CredentialUnavailable: lambda e: CredentialUnavailableProblem(e.reason),
    credentials.StatusListFull: lambda e: StatusListFullProblem(),
})


_NOT_NOW = {
    "complete_pe_check": ("De PE-toets kan alleen worden afgerond zolang die openstaat (fase: {state}).",
                          "The PE check can only be completed while it is open (stage: {state})."),
    "fail_pe_check": ("De PE-toets kan alleen worden afgerond zolang die openstaat (fase: {state}).",
                      "The PE check can only be completed while it is open (stage: {state})."),
    "payment_received": ("Er wordt nu geen betaling verwacht (fase: {state}).",
                         "No payment is expected now (stage: {state})."),
    "assign": ("Een beoordelaar kan pas worden toegewezen na de PE-toets en de betaling, en vóór het advies "
               "(fase: {state}).",
               "An assessor can be assigned only after the PE check and the payment, and before the advice "
               "(stage: {state})."),
    "advise": ("Advies kan alleen worden gegeven door de toegewezen beoordelaar, één keer per beoordeling "
               "(fase: {state}).",
               "Advice can be given only by the assigned assessor, once per assessment (stage: {state})."),
    "postpone": ("Een besluit kan pas worden genomen na het advies of een niet behaalde PE-toets, en één "
                 "keer (fase: {state}).",
                 "A decision can be taken only after the advice or a failed PE check, and once "
                 "(stage: {state})."),
    "decide": ("Een besluit kan pas worden genomen na het advies of een niet behaalde PE-toets, en één keer "
               "(fase: {state}).",
               "A decision can be taken only after the advice or a failed PE check, and once "
               "(stage: {state})."),
    "receive_supplement": ("Er wordt nu geen aanvulling verwacht (fase: {state}).",
                           "No supplement is expected now (stage: {state})."),
    "reassessment_paid": ("Er wordt nu geen betaling verwacht (fase: {state}).",
                          "No payment is expected now (stage: {state})."),
    "uphold_objection": ("Het bezwaar kan in deze fase niet meer worden toegewezen (fase: {state}).",
                         "The objection can no longer be upheld at this stage (stage: {state})."),
    "withdraw": ("Intrekken kan alleen vóór de toewijzing van een beoordelaar (fase: {state}).",
                 "Withdrawing is possible only before an assessor is assigned (stage: {state})."),
    "reject_activity": ("Activiteiten kunnen alleen tijdens de PE-toets worden afgekeurd (fase: {state}).",
                        "Activities can be rejected only during the PE check (stage: {state})."),
}

_IMPORT = {
    "not_utf8": ("Het bestand is geen UTF-8-tekst (byte {position}).",
                 "The file is not UTF-8 text (byte {position})."),
    "not_text": ("Het bestand is geen tekstbestand.", "The file is not a text file."),
    "empty": ("Het bestand is leeg.", "The file is empty."),
    "header_duplicate_columns": ("De kopregel noemt kolommen dubbel: {columns}.",
                                 "The header names columns twice: {columns}."),
    "header_columns": ("De eerste regel moet de kolomnamen {expected} bevatten (ontbreekt: {missing}; "
                       "onbekend: {unknown}).",
                       "The first line must hold the column names {expected} (missing: {missing}; unknown: "
                       "{unknown})."),
    "unreadable": ("Het bestand is geen geldige CSV (regel {line}).",
                   "The file is not valid CSV (line {line})."),
    "field_count": ("Deze regel heeft {found} velden in plaats van {expected}.",
                    "This line has {found} fields instead of {expected}."),
    "required": ("Dit veld is leeg.", "This field is empty."),
    "noloc_number_invalid": ("{value} is geen Noloc-lidmaatschapsnummer of aansluitnummer.",
                             "{value} is not a Noloc membership or affiliate number."),
    "certificate_number_invalid": (
        "{value} is geen geldig certificaatnummer (letters, cijfers, '-', '.', '/'; hoogstens 32 tekens).",
        "{value} is not a valid certificate number (letters, digits, '-', '.', '/'; at most 32 characters)."),
    "date_invalid": ("{value} is geen datum (gebruik 2027-06-30 of 30-06-2027).",
                     "{value} is not a date (use 2027-06-30 or 30-06-2027)."),
    "date_in_past": ("De einddatum {value} ligt in het verleden: dit certificaat is niet meer geldig.",
                     "The expiry date {value} is in the past: this certificate is no longer valid."),
    "email_invalid": ("{value} is geen e-mailadres.", "{value} is not an e-mail address."),
    "too_long": ("Dit veld is langer dan {max} tekens.", "This field is longer than {max} characters."),
    "duplicate_in_file": ("Dit nummer staat al op regel {first_line} van het bestand.",
                          "This number is already on line {first_line} of the file."),
    "number_taken": ("Certificaat {value} is al geregistreerd met andere gegevens.",
                     "Certificate {value} is already registered with other data."),
    "member_has_certificate": ("Dit Noloc-nummer heeft al certificaat {value}.",
                               "This Noloc number already holds certificate {value}."),
}

_MESSAGES: dict[str, dict[str, str]] = {
    "assessment.problem.step_out_of_order": {"nl": "Deze stap kan nu niet",
                                             "en": "This step is not possible now"},
    "assessment.problem.assessor_conflict": {"nl": "Deze beoordelaar mag dit portfolio niet beoordelen",
                                             "en": "This assessor may not assess this portfolio"},
    "assessment.problem.pe_rules_not_met": {"nl": "De PE-punten voldoen niet aan de regels",
                                            "en": "The PE points do not meet the rules"},
    "assessment.problem.objection_refused": {"nl": "Bezwaar is niet mogelijk",
                                             "en": "An objection is not possible"},
    "assessment.problem.certificate_conflict": {"nl": "Het certificaat past hier niet bij",
                                                "en": "The certificate does not match"},
    "assessment.problem.csv_unreadable": {"nl": "Het bestand kan niet worden gelezen",
                                          "en": "The file cannot be read"},
    "assessment.problem.csv_rows_rejected": {"nl": "Het bestand bevat fouten",
                                             "en": "The file contains errors"},
    "assessment.problem.claim_code_rejected": {"nl": "Code niet geaccepteerd", "en": "Code not accepted"},
    "assessment.detail.claim_code_rejected": {
        "nl": "Deze code klopt niet, is al gebruikt of is verlopen. Controleer de code, of vraag Noloc of "
              "DNV om een nieuwe.",
        "en": "This code is wrong, was used already or has expired. Check the code, or ask Noloc or DNV for "
              "a new one."},
    "assessment.field.claim_code_rejected": {"nl": "Onjuiste, gebruikte of verlopen code.",
                                             "en": "Wrong, used or expired code."},
    "assessment.detail.claim_throttled": {
        "nl": "Te veel onjuiste codes achter elkaar. Probeer het over een kwartier opnieuw.",
        "en": "Too many wrong codes in a row. Try again in a quarter of an hour."},
    "assessment.detail.certificate_already_linked": {
        "nl": "Dit certificaat is al aan een account gekoppeld: een claimcode is niet nodig.",
        "en": "This certificate is linked to an account already: no claim code is needed."},
    "assessment.detail.certificate_claim_number_differs": {
        "nl": "Dit certificaat hoort bij een ander Noloc-nummer dan het nummer van je account. Neem contact "
              "op met Noloc.",
        "en": "This certificate belongs to another Noloc number than your account's. Please contact Noloc."},
    "assessment.detail.certificate_account_has_certificate": {
        "nl": "Aan je account is al een ander certificaat gekoppeld.",
        "en": "Another certificate is linked to your account already."},
    "assessment.detail.not_found": {"nl": "Dit is niet gevonden.", "en": "This was not found."},
    "assessment.detail.no_certificate": {"nl": "Er is (nog) geen certificaat op je naam geregistreerd.",
                                         "en": "No certificate is registered in your name (yet)."},
    "assessment.detail.invalid_input": {"nl": "Controleer de gemarkeerde velden.",
                                        "en": "Check the fields marked."},
    "assessment.detail.assessor_is_jobcoach": {"nl": "Een jobcoach kan zijn eigen portfolio niet beoordelen.",
                                               "en": "A jobcoach cannot assess their own portfolio."},
    "assessment.detail.assessor_mentor": {"nl": "Mentor van deze jobcoach.",
                                          "en": "Mentor of this jobcoach."},
    "assessment.detail.assessor_previous_assessor": {
        "nl": "Deze beoordelaar heeft het vorige portfolio van de jobcoach beoordeeld.",
        "en": "This assessor assessed the jobcoach's previous portfolio."},
    "assessment.detail.pe_rules_not_met": {
        "nl": "Na de afgekeurde activiteiten tellen {counted} PE-punten; vereist zijn {required} en de "
              "minimumaantallen per categorie. Rond de toets af als niet behaald, met bevindingen.",
        "en": "After the rejected activities {counted} PE points count; {required} are required as well as "
              "the minimum per category. Complete the check as failed, with findings."},
    "assessment.detail.objection_term_passed": {
        "nl": "De bezwaartermijn is op {deadline} verlopen.",
        "en": "The objection term ended on {deadline}."},
    "assessment.detail.objection_already_filed": {
        "nl": "Tegen dit besluit is al bezwaar gemaakt.",
        "en": "An objection against this decision was filed already."},
    "assessment.detail.objection_positive_decision": {
        "nl": "Tegen een positief besluit kan geen bezwaar worden gemaakt.",
        "en": "No objection can be filed against a positive decision."},
    "assessment.detail.objection_no_decision": {
        "nl": "Er is nog geen besluit om bezwaar tegen te maken.",
        "en": "There is no decision to object to yet."},
    "assessment.detail.objection_decision_replaced": {
        "nl": "Na het besluit waartegen dit bezwaar is gemaakt, is al een nieuw besluit genomen. Het bezwaar "
              "kan niet meer worden toegewezen; je kunt het nog wel afwijzen, met een toelichting.",
        "en": "A new decision has been taken since the decision this objection is against. The objection can "
              "no longer be upheld; you can still reject it, with an explanation."},
    "assessment.detail.objection_decided_on_pe_check": {
        "nl": "Dit bezwaar gaat over een negatief besluit dat alleen op de PE-toets rust. Toewijzen kan hier "
              "nog niet: de jobcoach kan intussen een heel nieuw portfolio maken en het certificaat kan zijn "
              "vervallen. Laat het bezwaar open en handel het buiten het platform af, of wijs het af met een "
              "toelichting.",
        "en": "This objection is against a negative decision taken on the PE check alone. It cannot be "
              "upheld here yet: the jobcoach may be building a whole new portfolio meanwhile and the "
              "certificate may have lapsed. Leave the objection open and settle it outside the platform, or "
              "reject it with an explanation."},
    "assessment.detail.objection_already_decided": {
        "nl": "Over dit bezwaar is al beslist.", "en": "This objection has been decided already."},
    "assessment.detail.certificate_missing": {
        "nl": "Het certificaat van dit dossier is niet bekend.",
        "en": "The certificate of this case is not known."},
    "assessment.detail.certificate_period_mismatch": {
        "nl": "Het certificaat loopt tot {valid_until}, dit dossier gaat over de periode tot {expires_on}.",
        "en": "The certificate runs until {valid_until}; this case is about the period until {expires_on}."},
    "assessment.detail.csv_rows_rejected": {
        "nl": "{count} regel(s) bevatten fouten; er is niets ingelezen. Verbeter de regels hieronder en lees "
              "het bestand opnieuw in.",
        "en": "{count} line(s) contain errors; nothing was imported. Correct the lines below and load the "
              "file again."},
    "assessment.field.verdict_missing": {"nl": "Geef een oordeel voor dit onderdeel.",
                                         "en": "Give a verdict for this part."},
    "assessment.field.positive_with_unmet_part": {
        "nl": "Een positief advies kan niet als een onderdeel niet voldoet.",
        "en": "A positive advice is not possible when a part does not meet the requirements."},
    "assessment.field.not_positive_without_unmet_part": {
        "nl": "Alle onderdelen voldoen: het advies is dan positief.",
        "en": "Every part meets the requirements: the advice is then positive."},
    "assessment.field.reassessment_not_postponed": {
        "nl": "Na een aanvulling is het advies positief of negatief.",
        "en": "After a supplement the advice is positive or negative."},
    "assessment.field.supplement_for_met_part": {
        "nl": "Aanvullende opdrachten alleen voor onderdelen die niet voldoen.",
        "en": "Supplementary assignments only for parts that do not meet the requirements."},
    "assessment.field.supplement_missing": {
        "nl": "Geef een aanvullende opdracht voor elk onderdeel dat niet voldoet.",
        "en": "Give a supplementary assignment for every part that does not meet the requirements."},
    "assessment.field.supplements_only_when_postponed": {
        "nl": "Aanvullende opdrachten horen alleen bij een uitgesteld advies.",
        "en": "Supplementary assignments belong to a postponed advice only."},
    "assessment.field.reason_required": {
        "nl": "Geef een reden als het besluit afwijkt van het advies.",
        "en": "Give a reason when the decision departs from the advice."},
    "assessment.field.postponed_needs_postponed_advice": {
        "nl": "Uitstellen kan alleen na een uitgesteld advies (met de aanvullende opdrachten van de "
              "beoordelaar).",
        "en": "Postponing is possible only after a postponed advice (with the assessor's supplementary "
              "assignments)."},
    "assessment.field.meets_against_failed_pe_check": {
        "nl": "DNV heeft de PE-toets niet goedgekeurd: onderdeel B kan dan niet voldoen.",
        "en": "DNV's PE check failed: part B cannot meet the requirements."},
    "assessment.field.one_supplement_per_case": {
        "nl": "Dit dossier heeft zijn ene uitgestelde besluit al gehad; het besluit is nu positief of "
              "negatief.",
        "en": "This case has had its one postponed decision already; the decision is now positive or "
              "negative."},
    "assessment.field.failed_pe_check_postponed_first": {
        "nl": "Na een niet behaalde PE-toets krijgt de jobcoach eerst een aanvullingstermijn voor B "
              "(besluit: uitgesteld).",
        "en": "After a failed PE check the jobcoach first gets a supplement term for B (decision: "
              "postponed)."},
    "assessment.field.positive_needs_advice": {
        "nl": "Een positief besluit kan pas na het advies van een beoordelaar: in dit dossier heeft nog "
              "niemand het portfolio (A1 en A3) beoordeeld.",
        "en": "A positive decision needs an assessor's advice: nobody has assessed the portfolio (A1 and A3) "
              "in this case yet."},
    "assessment.field.failed_pe_check_negative_only": {
        "nl": "De PE-toets is opnieuw niet behaald en dit dossier heeft zijn ene uitgestelde besluit al "
              "gehad: alleen een negatief besluit is nog mogelijk.",
        "en": "The PE check failed again and this case has had its one postponed decision: only a "
              "negative decision is possible now."},
    "assessment.field.supplement_still_due": {
        "nl": "De termijn voor de aanvulling loopt nog; zonder aanvulling kan pas daarna negatief worden "
              "besloten.",
        "en": "The supplement is still due; without it a negative decision is possible only after its due "
              "date."},
    "assessment.field.supplement_not_reported_missing": {
        "nl": "Het portfolio heeft nog niet bevestigd dat de aanvulling niet is ingeleverd: een aanvulling "
              "van de laatste dag kan nog onderweg zijn. Probeer het over een paar minuten opnieuw.",
        "en": "The portfolio has not yet confirmed that the supplement was not handed in: one handed in on "
              "the last day may still be on its way. Try again in a few minutes."},
    "assessment.field.negative_only_without_supplement": {
        "nl": "Zonder aanvulling kan alleen negatief worden besloten.",
        "en": "Without the supplement only a negative decision is possible."},
    "assessment.field.not_an_assessor": {"nl": "Dit account is geen beoordelaar.",
                                         "en": "This account is not an assessor."},
    "assessment.field.not_in_snapshot": {"nl": "Deze activiteit hoort niet bij het ingediende portfolio.",
                                         "en": "This activity is not part of the submitted portfolio."},
    "assessment.field.findings_required": {"nl": "Noem de bevindingen als de toets niet is behaald.",
                                           "en": "Give the findings when the check is failed."},
}
for action, (nl, en) in _NOT_NOW.items():
    _MESSAGES[f"assessment.detail.not_now_{action}"] = {"nl": nl, "en": en}
for code, (nl, en) in _IMPORT.items():
    _MESSAGES[f"assessment.import.{code}"] = {"nl": nl, "en": en}

# --- verifiable credentials (ADR 0030) ---
_MESSAGES.update({
    "assessment.problem.credential_unavailable": {"nl": "Geen credential voor dit certificaat",
                                                  "en": "No credential for this certificate"},
    "assessment.detail.credential_certificate_lapsed": {
        "nl": "Je certificaat is vervallen. Een credential kan alleen voor een geldig certificaat.",
        "en": "Your certificate has lapsed. A credential is issued for a valid certificate only."},
    "assessment.detail.credential_holder_name_unknown": {
        "nl": "Noloc heeft nog geen naam bij je certificaat doorgegeven, dus een credential kan nog niet. "
              "Neem contact op met de helpdesk.",
        "en": "Noloc has not given a name with your certificate yet, so no credential can be made. Contact "
              "the help desk."},
    "assessment.problem.status_list_full": {"nl": "De statuslijst is vol", "en": "The status list is full"},
    "assessment.detail.status_list_full": {
        "nl": "Er kan nu geen credential worden gemaakt. Probeer het later opnieuw of neem contact op met "
              "de helpdesk.",
        "en": "No credential can be made now. Try again later or contact the help desk."},
})

i18n.register_messages(_MESSAGES)
