"""Portfolio's problem types, ``PROBLEMS`` (the answer to each refusal of the domain and the use cases), and
the texts a person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from recert_common import i18n
from recert_common.domain_errors import NotFoundError, ProblemMap
from recert_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationProblem,
    extension_members,
    upload_problem,
)
from recert_common.schemas import utc_text
from recert_portfolio.domain import (
    AssessorAssigned,
    CalendarUnavailable,
    DateRefusal,
    EditRefusal,
    EditRefused,
    FieldRefused,
    MeetingDateRefused,
    MeetingNotChangeable,
    NoCurrentCycle,
    NotReady,
    OutsideWindow,
    PeChangedWhileSubmitting,
    ProofRefused,
    SupplementAnnulled,
    SupplementUnrevised,
    UnknownPart,
    WindowRefusal,
    WrongState,
)
from recert_portfolio.mentors import ConsentMissing, MentorRefusal, MentorsForMembersOnly, MentorshipConflict
from recert_portfolio.readiness import Readiness


def no_current_cycle() -> NotFound:
    return NotFound(code="portfolio.detail.no_cycle")


def not_found() -> NotFound:
    """For anything the caller may not see as well as for what does not exist: the two look the same."""
    return NotFound(code="portfolio.detail.not_found")


def unknown_part(part: str) -> NotFound:
    return NotFound(code="portfolio.detail.unknown_part", params={"part": part})


class PortfolioLocked(Conflict):
    """The part (or the meeting list) cannot be changed in the cycle's state."""

    slug, title_code = "portfolio-locked", "portfolio.problem.locked"

    def __init__(self, reason: EditRefusal, *, part: str, due_on: date | None = None):
        super().__init__(code=f"portfolio.detail.locked_{reason}",
                         params={"part": part, "due_on": i18n.Day(due_on) if due_on else ""},
                         extensions={"reason": str(reason), "part": part})


class SubmissionWindowClosed(Conflict):
    slug, title_code = "submission-window-closed", "portfolio.problem.window_closed"
    members = extension_members(reason="string", window_opens_on="string", submit_by="string")

    def __init__(self, reason: WindowRefusal, *, opens_on: date, closes_on: date):
        super().__init__(code=f"portfolio.detail.window_{reason}",
                         params={"opens_on": i18n.Day(opens_on), "closes_on": i18n.Day(closes_on)},
                         extensions={"reason": str(reason), "window_opens_on": opens_on.isoformat(),
                                     "submit_by": closes_on.isoformat()})


class PortfolioNotReady(Conflict):
    """Submit while something is missing; ``missing`` lists it per part, as the readiness check does."""

    slug, title_code = "portfolio-not-ready", "portfolio.problem.not_ready"
    members = extension_members(missing={
        "type": "object", "description": "Per part: code and message",
        "additionalProperties": {"type": "array", "items": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}})

    def __init__(self, readiness: Readiness):
        super().__init__(code="portfolio.detail.not_ready")
        self.readiness = readiness

    def to_dict(self, language: str = i18n.DEFAULT_LANGUAGE, *, request_id: str | None = None) -> dict:
        body = super().to_dict(language, request_id=request_id)
        body["missing"] = {
            part.part: [{"code": m.code, "message": m.message.render(language)} for m in part.missing]
            for part in self.readiness.parts if part.missing
        }
        return body


class PeChangedProblem(Conflict):
    """pe-registry holds other PE activities than portfolio's copy showed (ADR 0044): nothing was submitted,
    and asking again a moment later (the change's event arrived) goes through."""

    slug, title_code = "pe-changed-while-submitting", "portfolio.problem.pe_changed"
    members = extension_members(activity_ids={"type": "array", "items": {"type": "string", "format": "uuid"}})

    def __init__(self, activity_ids: Sequence[UUID]):
        super().__init__(code="portfolio.detail.pe_changed",
                         extensions={"activity_ids": [str(i) for i in activity_ids]})


class StateConflict(Conflict):
    """The cycle is not in a state that allows the action (submit twice, withdraw what is not submitted)."""

    slug, title_code = "invalid-state", "portfolio.problem.invalid_state"
    members = extension_members(state="string")

    def __init__(self, code: str, *, state: str):
        super().__init__(code=code, params={"state": i18n.Label(state)}, extensions={"state": state})


class WithdrawNotAllowed(Conflict):
    slug, title_code = "withdraw-not-allowed", "portfolio.problem.withdraw_not_allowed"

    def __init__(self) -> None:
        super().__init__(code="portfolio.detail.assessor_assigned")


class SupplementIncomplete(Conflict):
    slug, title_code = "supplement-incomplete", "portfolio.problem.supplement_incomplete"
    members = extension_members(parts={"type": "array", "items": {"type": "string"}})

    def __init__(self, parts: tuple[str, ...]):
        super().__init__(code="portfolio.detail.supplement_unrevised", params={"parts": ", ".join(parts)},
                         extensions={"parts": list(parts)})


class SupplementAnnulledProblem(Conflict):
    """The supplement is no longer due: DNV upheld the objection against the postponed decision that asked
    for it and checks the PE of the submitted portfolio again (ADR 0011, amended)."""

    slug, title_code = "supplement-annulled", "portfolio.problem.supplement_annulled"
    members = extension_members(annulled_at={"type": "string", "format": "date-time"})

    def __init__(self, annulled_at: datetime):
        super().__init__(code="portfolio.detail.supplement_annulled",
                         extensions={"annulled_at": utc_text(annulled_at)})


class MeetingConflict(Conflict):
    slug, title_code = "meeting-not-changeable", "portfolio.problem.meeting_not_changeable"

    def __init__(self, code: str):
        super().__init__(code=code)


class MentorsForMembers(Forbidden):
    """The mentor list and invitations are for Noloc members (issue 14)."""

    slug, title_code = "mentors-for-members", "portfolio.problem.mentors_for_members"

    def __init__(self) -> None:
        super().__init__(code="portfolio.detail.mentors_for_members")


class MentorshipConflictProblem(Conflict):
    slug, title_code = "mentorship-conflict", "portfolio.problem.mentorship_conflict"
    members = extension_members(reason="string")

    def __init__(self, reason: MentorRefusal):
        super().__init__(code=f"portfolio.detail.mentorship_{reason}", extensions={"reason": str(reason)})


def invalid_meeting_date(refusal: DateRefusal, *, starts_on: date, today: date, ends_on: date
                         ) -> ValidationProblem:
    return ValidationProblem({"met_on": [f"portfolio.field.date_{refusal}"]},
                             code=f"portfolio.detail.date_{refusal}",
                             params={"starts_on": i18n.Day(starts_on), "today": i18n.Day(today),
                                     "ends_on": i18n.Day(ends_on)})


def invalid_field(field: str, code: str) -> ValidationProblem:
    return ValidationProblem({field: [code]})


#: A proof file we refuse answers the same problem type, title and members as an evidence file refused for
#: the same reason (recert_common.errors.upload_problem).
UploadProblem = upload_problem


_MESSAGES: dict[str, dict[str, str]] = {
    "portfolio.problem.locked": {"nl": "Dit onderdeel kan nu niet worden gewijzigd",
                                 "en": "This part cannot be changed now"},
    "portfolio.problem.window_closed": {"nl": "Indienen kan nu niet", "en": "Submitting is not possible now"},
    "portfolio.problem.not_ready": {"nl": "Het portfolio is nog niet compleet",
                                    "en": "The portfolio is not complete yet"},
    "portfolio.problem.pe_changed": {"nl": "Je PE-activiteiten zijn net gewijzigd",
                                     "en": "Your PE activities have just changed"},
    "portfolio.detail.pe_changed": {
        "nl": "Er is niets ingediend: een PE-activiteit is gewijzigd terwijl je indiende, of een wijziging "
              "is nog niet helemaal verwerkt. Kijk je PE-overzicht na en dien over een paar seconden opnieuw "
              "in.",
        "en": "Nothing was submitted: a PE activity changed while you were submitting, or a change has not "
              "been fully processed yet. Check your PE overview and submit again in a few seconds."},
    "portfolio.problem.invalid_state": {"nl": "Niet mogelijk in deze fase",
                                        "en": "Not possible at this stage"},
    "portfolio.problem.withdraw_not_allowed": {"nl": "Intrekken kan niet meer",
                                               "en": "The portfolio can no longer be withdrawn"},
    "portfolio.problem.supplement_incomplete": {"nl": "De aanvulling is nog niet compleet",
                                                "en": "The supplement is not complete yet"},
    "portfolio.problem.supplement_annulled": {"nl": "Deze aanvulling is vervallen",
                                              "en": "This supplement has been annulled"},
    "portfolio.detail.supplement_annulled": {
        "nl": "Je hoeft deze aanvulling niet meer in te leveren: DNV heeft je bezwaar toegewezen, en het "
              "besluit tot uitstel is vervallen met de aanvulling die het vroeg. DNV toetst je permanente "
              "educatie opnieuw op het portfolio dat je al hebt ingediend; daarna gaat je aanvraag verder.",
        "en": "You no longer need to hand in this supplement: DNV upheld your objection, and the decision "
              "to postpone has been annulled together with the supplement it asked for. DNV will check "
              "your permanent education again on the portfolio you already submitted; then your "
              "application continues."},
    "portfolio.problem.meeting_not_changeable": {"nl": "Deze bijeenkomst kan niet worden gewijzigd",
                                                 "en": "This meeting cannot be changed"},
    "portfolio.detail.no_cycle": {
        "nl": "Je hebt geen lopende hercertificeringscyclus. Die begint zodra je certificaat is "
              "geregistreerd.",
        "en": "You have no recertification cycle in progress. It starts once your certificate is "
              "registered."},
    "portfolio.detail.not_found": {"nl": "Dit is niet gevonden.", "en": "This was not found."},
    "portfolio.detail.unknown_part": {
        "nl": "Onbekend onderdeel {part}; kies A1, A2, A3 of A4.",
        "en": "Unknown part {part}; use A1, A2, A3 or A4."},
    "portfolio.detail.locked_submitted": {
        "nl": "Het portfolio is ingediend; onderdeel {part} kan niet meer worden gewijzigd.",
        "en": "The portfolio has been submitted; part {part} can no longer be changed."},
    "portfolio.detail.locked_closed": {
        "nl": "Deze hercertificeringscyclus is afgesloten; onderdeel {part} kan niet meer worden gewijzigd.",
        "en": "This recertification cycle is closed; part {part} can no longer be changed."},
    "portfolio.detail.locked_not_reopened": {
        "nl": "Onderdeel {part} hoort niet bij de aanvullende opdrachten en blijft gesloten.",
        "en": "Part {part} is not among the supplementary assignments and stays closed."},
    "portfolio.detail.locked_supplement_overdue": {
        "nl": "De termijn voor de aanvulling is op {due_on} verlopen.",
        "en": "The deadline for the supplement passed on {due_on}."},
    "portfolio.detail.window_not_yet_open": {
        "nl": "Indienen kan vanaf {opens_on} tot en met {closes_on}.",
        "en": "The portfolio can be submitted from {opens_on} up to and including {closes_on}."},
    "portfolio.detail.window_closed": {
        "nl": "De termijn om in te dienen is op {closes_on} verlopen.",
        "en": "The period for submitting ended on {closes_on}."},
    "portfolio.detail.not_ready": {
        "nl": "Vul eerst aan wat hieronder per onderdeel ontbreekt.",
        "en": "First complete what is listed below per part."},
    "portfolio.detail.already_submitted": {
        "nl": "Dit portfolio is al ingediend (fase: {state}).",
        "en": "This portfolio has been submitted already (stage: {state})."},
    "portfolio.detail.not_submitted": {
        "nl": "Er is geen ingediend portfolio om in te trekken (fase: {state}).",
        "en": "There is no submitted portfolio to withdraw (stage: {state})."},
    "portfolio.detail.withdrawal_pending": {
        "nl": "Je hebt al gevraagd dit portfolio in te trekken; het antwoord volgt zo.",
        "en": "You have asked to withdraw this portfolio already; the answer follows shortly."},
    "portfolio.detail.no_supplement": {
        "nl": "Er staat geen aanvulling open (fase: {state}).",
        "en": "No supplement is open (stage: {state})."},
    "portfolio.detail.assessor_assigned": {
        "nl": "Er is al een beoordelaar toegewezen; intrekken kan alleen daarvoor.",
        "en": "An assessor has been assigned already; withdrawing is only possible before that."},
    "portfolio.detail.supplement_unrevised": {
        "nl": "Werk eerst deze onderdelen bij: {parts}.", "en": "First revise these parts: {parts}."},
    "portfolio.detail.meeting_from_noloc": {
        "nl": "Deze bijeenkomst komt uit de planningstool van Noloc; die is zelf het bewijs en kan hier niet "
              "worden gewijzigd of verwijderd.",
        "en": "This meeting comes from Noloc's planning tool, which is the proof itself; it cannot be "
              "changed or removed here."},
    "portfolio.detail.meeting_in_use": {
        "nl": "Je reflectieverslag (A3) gaat over deze bijeenkomst. Kies eerst een andere bijeenkomst.",
        "en": "Your reflection report (A3) is about this meeting. Choose another meeting first."},
    "portfolio.detail.date_in_future": {
        "nl": "De datum mag niet in de toekomst liggen (vandaag is {today}).",
        "en": "The date may not be in the future (today is {today})."},
    "portfolio.detail.date_before_period": {
        "nl": "De datum ligt vóór het begin van deze periode ({starts_on}).",
        "en": "The date is before the start of this period ({starts_on})."},
    "portfolio.detail.date_after_period": {
        "nl": "De datum ligt na het einde van deze periode ({ends_on}).",
        "en": "The date is after the end of this period ({ends_on})."},
    "portfolio.field.date_in_future": {"nl": "Datum in de toekomst.", "en": "Date in the future."},
    "portfolio.field.date_before_period": {"nl": "Datum vóór het begin van de periode.",
                                           "en": "Date before the start of the period."},
    "portfolio.field.date_after_period": {"nl": "Datum na het einde van de periode.",
                                          "en": "Date after the end of the period."},
    "portfolio.field.unknown_meeting": {
        "nl": "Deze bijeenkomst staat niet in je lijst van reflectiebijeenkomsten.",
        "en": "This meeting is not in your list of reflection meetings."},
    "portfolio.field.only_for_a1": {"nl": "Alleen voor onderdeel A1.", "en": "Only for part A1."},
    "portfolio.field.only_for_a3": {"nl": "Alleen voor onderdeel A3.", "en": "Only for part A3."},
    # mentors (ADR 0028)
    "portfolio.problem.mentors_for_members": {"nl": "Mentoren zijn er voor leden van Noloc",
                                              "en": "Mentors are for Noloc members"},
    "portfolio.detail.mentors_for_members": {
        "nl": "Je bent aangesloten als externe; de mentoren op dit platform zijn er voor leden van Noloc.",
        "en": "You are an external affiliate; the mentors on this platform are for Noloc members."},
    "portfolio.problem.mentorship_conflict": {"nl": "Dit kan niet bij dit mentorschap",
                                              "en": "Not possible for this mentorship"},
    "portfolio.detail.mentorship_already_mentor": {
        "nl": "Deze mentor kijkt al met je mee.", "en": "This mentor is already your mentor."},
    "portfolio.detail.mentorship_ended": {
        "nl": "Dit mentorschap is al beëindigd.", "en": "This mentorship has ended already."},
    "portfolio.field.consent_required": {
        "nl": "Geef toestemming voor elk onderdeel dat de mentor mag lezen.",
        "en": "Give your consent for each item the mentor may read."},
    "portfolio.field.group_or_supervisor": {
        "nl": "Noem de groep of de supervisor.", "en": "Name the group or the supervisor."},
    "portfolio.detail.calendar_unavailable": {
        "nl": "De agenda-koppeling is op dit platform niet ingesteld.",
        "en": "The calendar feed is not set up on this platform."},
}

i18n.register_messages(_MESSAGES)


PROBLEMS = ProblemMap({
    NotFoundError: lambda error: not_found(),
    NoCurrentCycle: lambda error: no_current_cycle(),
    UnknownPart: lambda error: unknown_part(error.part),
    FieldRefused: lambda error: invalid_field(error.field, f"portfolio.field.{error.reason}"),
    EditRefused: lambda error: PortfolioLocked(error.reason, part=error.part, due_on=error.due_on),
    MeetingDateRefused: lambda error: invalid_meeting_date(error.reason, starts_on=error.starts_on,
                                                           today=error.today, ends_on=error.ends_on),
    MeetingNotChangeable: lambda error: MeetingConflict(f"portfolio.detail.meeting_{error.reason}"),
    OutsideWindow: lambda error: SubmissionWindowClosed(error.reason, opens_on=error.opens_on,
                                                        closes_on=error.closes_on),
    WrongState: lambda error: StateConflict(f"portfolio.detail.{error.reason}", state=str(error.state)),
    NotReady: lambda error: PortfolioNotReady(error.readiness),
    PeChangedWhileSubmitting: lambda error: PeChangedProblem(error.activity_ids),
    AssessorAssigned: lambda error: WithdrawNotAllowed(),
    SupplementUnrevised: lambda error: SupplementIncomplete(error.parts),
    SupplementAnnulled: lambda error: SupplementAnnulledProblem(error.annulled_at),
    ProofRefused: lambda error: UploadProblem(error.refusal),
    CalendarUnavailable: lambda error: ServiceUnavailable(code="portfolio.detail.calendar_unavailable"),
    MentorsForMembersOnly: lambda error: MentorsForMembers(),
    ConsentMissing: lambda error: invalid_field("consent", "portfolio.field.consent_required"),
    MentorshipConflict: lambda error: MentorshipConflictProblem(error.reason),
})

__all__: list[Any] = [
    "PROBLEMS", "MeetingConflict", "MentorsForMembers", "MentorshipConflictProblem", "PeChangedProblem",
    "PortfolioLocked",
    "PortfolioNotReady", "StateConflict",
    "SubmissionWindowClosed", "SupplementAnnulledProblem", "SupplementIncomplete", "UploadProblem",
    "WithdrawNotAllowed", "invalid_field",
    "invalid_meeting_date", "no_current_cycle", "not_found", "unknown_part",
]
