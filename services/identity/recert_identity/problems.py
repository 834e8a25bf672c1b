"""Identity's problem types, the answer to each refusal of its domain (``problem_map``), and the texts a
person reads, in Dutch and English (ADR 0004)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recert_common import i18n
from recert_common.domain_errors import ProblemMap
from recert_common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationProblem,
    extension_members,
)
from recert_identity.domain import (
    AccountExists,
    AccountLockedOut,
    AccountNotFound,
    AlreadyDisabled,
    ChallengeRefused,
    CodeRefused,
    CredentialsRejected,
    DeskResetRefused,
    DisablingOneself,
    EmailLinkInvalid,
    EmailUnverified,
    InputRefused,
    RefreshRefused,
    TotpNotEnrolled,
    TotpResetNotAllowed,
)


class _FieldErrors:
    """Adds ``errors`` (field -> message codes), as validation problems have, to another problem type: the
    client finds the field to mark in the same place whatever the status."""

    def __init__(self, *args: Any, fields: Mapping[str, Sequence[str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.field_errors = {name: list(codes) for name, codes in (fields or {}).items()}

    def to_dict(self, language: str = i18n.DEFAULT_LANGUAGE, *, request_id: str | None = None) -> dict:
        body = super().to_dict(language, request_id=request_id)
        if self.field_errors:
            body["errors"] = {name: [i18n.translate_field_message(code, language) for code in codes]
                              for name, codes in self.field_errors.items()}
        return body


@dataclass(frozen=True)
class SupportContact:
    """DNV's support, who help with login and the authenticator app (``RECERT_SUPPORT_EMAIL``/``_PHONE``)."""

    email: str
    phone: str = ""

    @property
    def text(self) -> str:
        """"support@example.org" or "support@example.org / 088 123 45 67": the same in every language."""
        return f"{self.email} / {self.phone}" if self.phone else self.email

    def member(self) -> dict[str, str]:
        """The problem document's ``support`` member, for a client that shows the contact on its own."""
        return {"email": self.email, **({"phone": self.phone} if self.phone else {})}


class _WithSupport:
    """Names DNV's support in the detail (``{support}``) and as the ``support`` member of the document."""

    def __init__(self, *args: Any, support: SupportContact, params: Mapping[str, Any] | None = None,
                 extensions: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(*args, params={**(params or {}), "support": support.text},
                         extensions={**(extensions or {}), "support": support.member()}, **kwargs)


class InvalidCredentials(_WithSupport, Unauthorized):
    """Login step 1 failed. One body for an unknown e-mail, a wrong password, a locked or a disabled account:
    anything more would tell a stranger which e-mail addresses have accounts, or confirm a guessed password
    while the account is locked."""

    slug, title_code = "invalid-credentials", "identity.problem.invalid_credentials"

    def __init__(self, support: SupportContact) -> None:
        super().__init__(code="identity.detail.invalid_credentials", support=support)


class ChallengeInvalid(_FieldErrors, Unauthorized):
    slug, title_code = "login-challenge-invalid", "identity.problem.challenge_invalid"

    def __init__(self) -> None:
        super().__init__(code="identity.detail.challenge_invalid",
                         fields={"challenge_id": ["identity.field.challenge_invalid"]})


class CodeRejected(_FieldErrors, _WithSupport, Unauthorized):
    """A wrong, expired or already used code: which of these is not said (and often cannot be known)."""

    slug, title_code = "code-rejected", "identity.problem.code_rejected"

    def __init__(self, support: SupportContact) -> None:
        super().__init__(code="identity.detail.code_rejected", support=support,
                         fields={"code": ["identity.field.code_rejected"]})


class AccountLocked(_WithSupport, TooManyRequests):
    """Said only to a caller who has proven the password (in login step 2 or on a password change)."""

    slug, title_code = "account-locked", "identity.problem.account_locked"
    members = extension_members(locked_until="string")

    def __init__(self, locked_until: datetime, now: datetime, support: SupportContact):
        super().__init__(code="identity.detail.account_locked", support=support,
                         params={"locked_until": locked_until.strftime("%H:%M UTC")},
                         retry_after=max(1, int((locked_until - now).total_seconds()) + 1),
                         extensions={"locked_until": locked_until.isoformat()})


class RefreshTokenInvalid(_FieldErrors, Unauthorized):
    slug, title_code = "refresh-token-invalid", "identity.problem.refresh_token_invalid"

    def __init__(self) -> None:
        super().__init__(code="identity.detail.refresh_token_invalid",
                         fields={"refresh_token": ["identity.field.refresh_token_invalid"]})


class Duplicate(_FieldErrors, Conflict):
    def __init__(self, fields: Sequence[str]):
        super().__init__(code="identity.detail.duplicate",
                         fields={name: [f"identity.field.duplicate_{name}"] for name in fields})


class EmailNotVerified(_WithSupport, Forbidden):
    """Said only to a caller who has proven the password: the address is not verified yet (a new link went
    out with this answer)."""

    slug, title_code = "email-not-verified", "identity.problem.email_not_verified"

    def __init__(self, support: SupportContact) -> None:
        super().__init__(code="identity.detail.email_not_verified", support=support)


class EmailTokenInvalid(_FieldErrors, BadRequest):
    """An e-mailed link that is unknown, expired or used already: which of these is not said."""

    slug, title_code = "email-link-invalid", "identity.problem.email_link_invalid"

    def __init__(self) -> None:
        super().__init__(code="identity.detail.email_link_invalid",
                         fields={"token": ["identity.field.email_link_invalid"]})


class StateConflict(Conflict):
    """The account is not in a state that allows the action (already disabled, no TOTP to reset, ...)."""

    def __init__(self, code: str):
        super().__init__(code=code)


class DeskResetProblem(Conflict):
    """DNV's support may reset an authenticator app only from a service request whose requester is matched
    to the account by a confirmed e-mail address, while the request is not closed (ADR 0029)."""

    slug, title_code = "totp-reset-request-refused", "identity.problem.totp_reset_request_refused"
    members = extension_members(reason="string")

    def __init__(self, reason: str):
        super().__init__(code=f"identity.detail.totp_reset_{reason}", extensions={"reason": reason})


def problem_map(support: SupportContact) -> ProblemMap:
    """The answer to each refusal of identity's domain and use cases. Several name DNV's ``support``
    (configured, so the table is made with the settings: ``create_app``, and the commands' error output)."""
    return ProblemMap({
        InputRefused: lambda error: ValidationProblem(error.errors),
        CredentialsRejected: lambda error: InvalidCredentials(support),
        EmailUnverified: lambda error: EmailNotVerified(support),
        ChallengeRefused: lambda error: ChallengeInvalid(),
        CodeRefused: lambda error: CodeRejected(support),
        AccountLockedOut: lambda error: AccountLocked(error.locked_until, error.now, support),
        RefreshRefused: lambda error: RefreshTokenInvalid(),
        EmailLinkInvalid: lambda error: EmailTokenInvalid(),
        AccountExists: lambda error: Duplicate(error.fields),
        AccountNotFound: lambda error: NotFound(code="identity.detail.account_not_found"),
        AlreadyDisabled: lambda error: StateConflict("identity.detail.already_disabled"),
        DisablingOneself: lambda error: StateConflict("identity.detail.disable_self"),
        TotpNotEnrolled: lambda error: StateConflict("identity.detail.totp_not_enrolled"),
        TotpResetNotAllowed: lambda error: Forbidden(code="identity.detail.totp_reset_by_admin_only"),
        DeskResetRefused: lambda error: DeskResetProblem(error.reason),
    })


i18n.register_messages({
    "identity.problem.invalid_credentials": {"nl": "Inloggen mislukt", "en": "Login failed"},
    "identity.problem.challenge_invalid": {"nl": "Inlogstap verlopen", "en": "Login step expired"},
    "identity.problem.code_rejected": {"nl": "Code niet geaccepteerd", "en": "Code not accepted"},
    "identity.problem.account_locked": {"nl": "Account tijdelijk geblokkeerd",
                                        "en": "Account temporarily locked"},
    "identity.problem.refresh_token_invalid": {"nl": "Sessie verlopen", "en": "Session expired"},
    "identity.problem.email_not_verified": {"nl": "E-mailadres nog niet bevestigd",
                                            "en": "E-mail address not confirmed yet"},
    "identity.problem.email_link_invalid": {"nl": "Link werkt niet meer", "en": "Link no longer works"},
    "identity.detail.email_not_verified": {
        "nl": "Bevestig eerst je e-mailadres: we hebben je net een nieuwe link gestuurd. Geen e-mail "
              "gekregen? Kijk ook bij je ongewenste mail, of vraag de support van DNV om hulp: {support}.",
        "en": "Confirm your e-mail address first: we have just sent you a new link. No e-mail? Check your "
              "spam folder too, or ask DNV's support for help: {support}."},
    "identity.detail.email_link_invalid": {
        "nl": "Deze link is verlopen, al gebruikt of onbekend. Vraag een nieuwe aan.",
        "en": "This link has expired, was used already or is unknown. Ask for a new one."},
    "identity.field.registration_password_wrong": {
        "nl": "Dit is niet het wachtwoord dat je bij je aanmelding koos.",
        "en": "This is not the password you chose when you registered."},
    "identity.field.email_link_invalid": {
        "nl": "Verlopen, gebruikte of onbekende link.", "en": "Expired, used or unknown link."},
    "identity.detail.registration_received": {
        "nl": "Bijna klaar: kijk in je e-mail. Daar lees je hoe je verder gaat.",
        "en": "Almost done: check your e-mail. It tells you how to continue."},
    "identity.detail.password_reset_requested": {
        "nl": "Als er een account met dit e-mailadres is, krijg je een e-mail met een link om een nieuw "
              "wachtwoord te kiezen. De link werkt 30 minuten.",
        "en": "If there is an account with this e-mail address, you will get an e-mail with a link to choose "
              "a new password. The link works for 30 minutes."},
    "identity.detail.invalid_credentials": {
        "nl": "Het e-mailadres of het wachtwoord klopt niet, of het account is (tijdelijk) geblokkeerd: "
              "na te veel mislukte pogingen kan een account een tijd niet inloggen. Kom je er niet uit? "
              "De support van DNV helpt je: {support}.",
        "en": "The e-mail address or the password is wrong, or the account is (temporarily) locked: "
              "after too many failed attempts an account cannot log in for a while. Stuck? DNV's support "
              "helps you: {support}."},
    "identity.detail.challenge_invalid": {
        "nl": "Deze inlogstap is verlopen of al gebruikt. Log opnieuw in met je e-mailadres en wachtwoord.",
        "en": "This login step has expired or was used already. Log in again with your e-mail address and "
              "password."},
    "identity.detail.code_rejected": {
        "nl": "De code klopt niet, is verlopen of is al gebruikt. Wacht op de volgende code in je "
              "authenticator-app en probeer het opnieuw. Heb je je app of telefoon niet meer? De support "
              "van DNV kan de koppeling herstellen: {support}.",
        "en": "The code is wrong, has expired or was used already. Wait for the next code in your "
              "authenticator app and try again. Lost your app or phone? DNV's support can reset the link: "
              "{support}."},
    "identity.detail.account_locked": {
        "nl": "Te veel mislukte pogingen: het account is geblokkeerd tot {locked_until}. Was jij dit niet, "
              "of lukt inloggen daarna nog steeds niet? Neem contact op met de support van DNV: {support}.",
        "en": "Too many failed attempts: the account is locked until {locked_until}. Was this not you, or "
              "can you still not log in after that? Contact DNV's support: {support}."},
    "identity.detail.refresh_token_invalid": {
        "nl": "Je sessie is verlopen of beëindigd. Log opnieuw in.",
        "en": "Your session has expired or was ended. Please log in again."},
    "identity.detail.duplicate": {
        "nl": "Er bestaat al een account met deze gegevens.",
        "en": "An account with these details exists already."},
    "identity.detail.already_disabled": {
        "nl": "Dit account is al uitgeschakeld.", "en": "This account is disabled already."},
    "identity.detail.disable_self": {
        "nl": "Je kunt je eigen account niet uitschakelen.", "en": "You cannot disable your own account."},
    "identity.detail.totp_not_enrolled": {
        "nl": "Dit account heeft nog geen authenticator-app gekoppeld.",
        "en": "This account has no authenticator app linked yet."},
    "identity.problem.totp_reset_request_refused": {
        "nl": "Niet te doen vanuit deze hulpvraag", "en": "Not possible from this service request"},
    "identity.detail.totp_reset_request_not_found": {
        "nl": "Deze hulpvraag is niet gevonden.", "en": "This service request was not found."},
    "identity.detail.totp_reset_request_not_matched": {
        "nl": "Het bevestigde e-mailadres van deze hulpvraag hoort niet bij dit account.",
        "en": "The confirmed e-mail address of this service request does not belong to this account."},
    "identity.detail.totp_reset_request_closed": {
        "nl": "Deze hulpvraag is gesloten.", "en": "This service request is closed."},
    "identity.field.desk_reset_required": {
        "nl": "Vul dit in: de helpdesk koppelt een app alleen los vanuit een hulpvraag, na controle van de "
              "identiteit.",
        "en": "Fill this in: the help desk unlinks an app only from a service request, after checking "
              "identity."},
    "identity.field.desk_request_support_only": {
        "nl": "Alleen de helpdesk koppelt een app los vanuit een hulpvraag. Laat dit veld leeg.",
        "en": "Only the help desk unlinks an app from a service request. Leave this field empty."},
    "identity.detail.totp_reset_by_admin_only": {
        "nl": "De authenticator-app van een DNV-medewerker of Noloc-beheerder kan alleen een Noloc-beheerder "
              "loskoppelen.",
        "en": "Only a Noloc admin can unlink the authenticator app of a DNV officer or a Noloc admin."},
    "identity.detail.account_not_found": {
        "nl": "Er is geen account met dit kenmerk.", "en": "There is no account with this id."},
    "identity.field.challenge_invalid": {
        "nl": "Verlopen of onbekende inlogstap.", "en": "Expired or unknown login step."},
    "identity.field.code_rejected": {
        "nl": "Onjuiste, verlopen of al gebruikte code.", "en": "Wrong, expired or already used code."},
    "identity.field.code_format": {
        "nl": "Vul de 6 cijfers uit je authenticator-app in, of een herstelcode.",
        "en": "Enter the 6 digits from your authenticator app, or a recovery code."},
    "identity.field.refresh_token_invalid": {
        "nl": "Verlopen, ingetrokken of onbekend token.", "en": "Expired, revoked or unknown token."},
    "identity.field.duplicate_email": {
        "nl": "Dit e-mailadres is al in gebruik.", "en": "This e-mail address is in use already."},
    "identity.field.current_password_wrong": {
        "nl": "Het huidige wachtwoord klopt niet.", "en": "The current password is wrong."},
    "identity.field.staff_roles_only": {
        "nl": "Alleen de rollen beoordelaar, DNV-medewerker, Noloc-beheerder, mentor en DNV-support zijn "
              "hier toegestaan.",
        "en": "Only the roles assessor, dnv_officer, noloc_admin, mentor and dnv_support are allowed "
              "here."},
    "identity.field.nothing_to_change": {
        "nl": "Geef minstens één veld om te wijzigen.", "en": "Give at least one field to change."},
    "identity.password.too_short": {
        "nl": "Het wachtwoord moet minstens 12 tekens lang zijn.",
        "en": "The password must be at least 12 characters long."},
    "identity.password.too_long": {
        "nl": "Het wachtwoord mag hoogstens 1024 tekens lang zijn.",
        "en": "The password may be at most 1024 characters long."},
    "identity.password.blank": {
        "nl": "Het wachtwoord mag niet alleen uit spaties bestaan.",
        "en": "The password may not consist of spaces only."},
    "identity.password.is_email": {
        "nl": "Het wachtwoord mag niet je e-mailadres zijn.",
        "en": "The password may not be your e-mail address."},
    "identity.password.guessable": {
        "nl": "Dit wachtwoord is te makkelijk te raden: het is veelgebruikt of lijkt op een woord, naam, "
              "datum of reeks. Kies iets langers en minder voorspelbaars, bijvoorbeeld een paar losse "
              "woorden.",
        "en": "This password is too easy to guess: it is common or looks like a word, name, date or "
              "sequence. Choose something longer and less predictable, such as a few unrelated words."},
    "identity.password.unchanged": {
        "nl": "Het nieuwe wachtwoord moet anders zijn dan het huidige.",
        "en": "The new password must differ from the current one."},
})
