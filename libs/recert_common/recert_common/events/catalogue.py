"""Every event type of the platform: one marshmallow schema for the ``data`` of each type.

This module is the contract between services. Each schema says what a producer must put in and what a
consumer may rely on; ``required=True`` marks what consumers rely on. Events carry enough state that their
consumers can act without calling the producer back (the read models of DESIGN.md section 2).

Conventions that hold for every type:

- ``subject`` in the envelope is the account the event is about. ``account_id`` is repeated in ``data``
  whenever there is an account, because most consumers key their read models on it; for the ``noloc.*``
  events Noloc does not know our account ids, so there is no subject and ``membership_number`` is the link.
- Money is ``{"amount": "242.00", "currency": "EUR"}``: two decimals, never a float.
- Instants are RFC 3339 with an offset (``AwareDateTime``); calendar days are ISO dates.
- Data schemas exclude unknown fields, so a producer may add an optional field without a new version. Any
  change a consumer would notice (a new required field, a removed field, a changed meaning) is a new version,
  registered next to the old one.
"""
from __future__ import annotations

from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from recert_common.events.registry import event_type

# --- vocabularies that consumers switch on -------------------------------------------------------------

ROLES = ("jobcoach", "assessor", "dnv_officer", "noloc_admin", "mentor", "dnv_support")
LANGUAGES = ("nl", "en")
MEMBERSHIP_KINDS = ("member", "affiliate")
PARTS = ("A1", "A2", "A3", "A4", "B")
PE_UNITS = ("sbu", "ects", "points")  # study-load hours, ECTS credits, PE points awarded directly
PE_SOURCES = ("manual", "noloc_academy")
EVIDENCE_CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain", "message/rfc822",
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
ADVICES = ("positive", "postponed", "negative")
DECISIONS = ("positive", "postponed", "negative")
ISSUERS = ("DNV", "Noloc")
# "affiliate_number": historic only (invoices issued before ADR 0013); billing issues no such invoice now.
INVOICE_KINDS = ("recertification", "reassessment", "register_fee", "affiliate_number")
REFLECTION_MEETING_KINDS = ("intervision", "supervision", "coaching", "quality_circle")
MESSAGE_CHANNELS = ("email", "in_app")
CURRENCIES = ("EUR",)

SHA256_HEX = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lower-case hex SHA-256 digest.")

# Which services are expected to act on each type (DESIGN.md section 2). Documentation, not wiring: each
# service binds its own queues; this feeds the AsyncAPI document and docs/events.md.
CONSUMERS: dict[str, tuple[str, ...]] = {}


def _event(type_: str, *, producer: str, summary: str, consumers: tuple[str, ...], version: int = 1):
    """``@event_type`` plus the expected consumers, kept side by side so that neither is forgotten."""

    def decorate(schema: type[Schema]) -> type[Schema]:
        event_type(type_, version=version, producer=producer, summary=summary)(schema)
        CONSUMERS[type_] = tuple(consumers)
        return schema

    return decorate


# --- small shared pieces -------------------------------------------------------------------------------


class EventData(Schema):
    """Base of every data schema: unknown fields are dropped so producers can add optional ones."""

    class Meta:
        unknown = EXCLUDE


class WireDecimal(fields.Decimal):
    """A decimal sent as a string (``"12.5"``), never in exponent notation; non-negative unless told.

    A value that is no number at all is dumped unchanged so that ``new_event``'s validation reports it as
    ``InvalidEvent`` instead of the dump failing with a bare ``decimal`` error.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=Decimal("0")))
        super().__init__(as_string=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return value
        return format(self._wire(number), "f")

    def _wire(self, number: Decimal) -> Decimal:
        return number


class Cents(WireDecimal):
    """Money: exactly two decimals on the wire (``"200.00"``).

    Whole amounts are padded on dump; an amount with more than two decimals is dumped as it is, so that
    validation rejects it instead of rounding money silently.
    """

    def _wire(self, number: Decimal) -> Decimal:
        if number.is_finite() and number.as_tuple().exponent >= -2:
            return number.quantize(Decimal("0.01"))
        return number

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number.as_tuple().exponent < -2:
            raise ValidationError("At most two decimals.")
        return number


class Money(EventData):
    amount = Cents(required=True)
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES))


def _money(**kwargs) -> fields.Nested:
    return fields.Nested(Money, required=True, **kwargs)


def _doc(text: str) -> dict:
    return {"description": text}


def _enum(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def _withdrawal_reason() -> fields.String:
    """What the jobcoach gave as the reason to withdraw, optional; it travels with the request and both
    answers that carry it."""
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


# --- identity ------------------------------------------------------------------------------------------

_IDENTITY_CONSUMERS = ("notifications",)


class _AccountProfile(EventData):
    """The account as other services keep it in their read models.

    membership_kind and membership_number are both null (staff) or both set.
    """

    account_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(_enum(ROLES), required=True, validate=validate.Length(min=1))
    membership_kind = _enum(MEMBERSHIP_KINDS, required=True, allow_none=True, metadata=_doc(
        "null for staff accounts (assessors, DNV officers, Noloc admins), who are not in the register."))
    membership_number = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=32),
                                      metadata=_doc("Noloc membership number or external affiliate number."))
    preferred_language = _enum(LANGUAGES, required=True)

    @validates_schema
    def _membership_number_with_kind(self, data, **kwargs):
        if (data.get("membership_kind") is None) != (data.get("membership_number") is None):
            raise ValidationError("membership_kind and membership_number go together.", "membership_number")


@_event("identity.account.registered", producer="identity",
        consumers=("portfolio", "pe-registry", "assessment", "notifications", "billing"),
        summary="An account exists for the platform: a staff account was created, or a jobcoach verified "
                "the e-mail address (ADR 0018; unverified registrations are never announced). Carries the "
                "profile every read model starts from.")
class AccountRegistered(_AccountProfile):
    pass


@_event("identity.email.verification_requested", producer="identity", consumers=("notifications",),
        summary="A registration (or a login to an unverified account) asks the owner of the address to "
                "confirm it. Carries a secret single-use token: for notifications only, never for outside "
                "parties (ADR 0018).")
class EmailVerificationRequested(_AccountProfile):
    token = fields.String(required=True, validate=validate.Length(min=16, max=128), metadata=_doc(
        "Secret: the link's token; identity keeps only its hash."))
    expires_at = fields.AwareDateTime(required=True, format="iso")


@_event("identity.registration.attempted", producer="identity", consumers=("notifications",),
        summary="Someone tried to register with the e-mail address or the number of this verified account; "
                "the owner is told (the registrant hears nothing more than anyone else).")
class RegistrationAttempted(EventData):
    account_id = fields.UUID(required=True)
    attempted_with = _enum(("email", "membership_number"), required=True)


@_event("identity.password.reset_requested", producer="identity", consumers=("notifications",),
        summary="The owner asked for a link to choose a new password. Carries a secret single-use token: "
                "for notifications only, never for outside parties (ADR 0018).")
class PasswordResetRequested(EventData):
    account_id = fields.UUID(required=True)
    token = fields.String(required=True, validate=validate.Length(min=16, max=128), metadata=_doc(
        "Secret: the link's token; identity keeps only its hash."))
    expires_at = fields.AwareDateTime(required=True, format="iso")


@_event("identity.password.reset", producer="identity", consumers=("notifications",),
        summary="A new password was set through an e-mailed link; every session of the account has ended.")
class PasswordReset(EventData):
    account_id = fields.UUID(required=True)
    sessions_ended_at = fields.AwareDateTime(required=True, format="iso")


@_event("identity.account.updated", producer="identity",
        consumers=("notifications", "billing", "portfolio", "pe-registry", "assessment"),
        summary="An account's profile changed; carries the whole profile after the change and which fields "
                "changed, so a read model overwrites its copy.")
class AccountUpdated(_AccountProfile):
    changed = fields.List(
        _enum(("email", "full_name", "roles", "membership_kind", "membership_number", "preferred_language")),
        required=True, validate=validate.Length(min=1))


@_event("identity.totp.enrolled", producer="identity", consumers=_IDENTITY_CONSUMERS,
        summary="An authenticator app was linked to the account (first enrolment or after a reset).")
class TotpEnrolled(EventData):
    account_id = fields.UUID(required=True)
    after_reset = fields.Boolean(required=True)


@_event("identity.totp.reset", producer="identity", consumers=_IDENTITY_CONSUMERS,
        summary="The account's TOTP secret was removed; the next login enrols a new authenticator.")
class TotpReset(EventData):
    account_id = fields.UUID(required=True)
    reset_by = fields.UUID(required=True, allow_none=True,
                           metadata=_doc("The admin who reset it; null when the jobcoach did it."))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    # Issue 14 (ADR 0029): a reset by DNV's support from a service request names it, with how the
    # requester's identity was checked; notifications notes the reset in the request's thread.
    service_request_id = fields.UUID(load_default=None, allow_none=True, metadata=_doc(
        "The service request the reset was asked in; null for a reset outside the service desk."))
    identity_check = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                                   metadata=_doc("How support checked the requester's identity."))


@_event("identity.account.locked", producer="identity", consumers=_IDENTITY_CONSUMERS,
        summary="Logins to the account are refused until locked_until.")
class AccountLocked(EventData):
    account_id = fields.UUID(required=True)
    locked_until = fields.AwareDateTime(required=True, format="iso")
    reason = _enum(("failed_passwords", "failed_totp_codes", "administrative"), required=True)


# Every service keeps the revocation read model (``recert_common.revocation``) that refuses the access tokens
# of ended sessions and disabled accounts at once; identity writes its own in the same transaction.
_REVOCATION_CONSUMERS = ("portfolio", "pe-registry", "assessment", "notifications", "billing")
SESSION_END_REASONS = ("logout", "refresh_token_reused")
ALL_SESSIONS_END_REASONS = ("password_changed", "password_reset", "totp_reset", "administrative")


@_event("identity.account.disabled", producer="identity", consumers=_REVOCATION_CONSUMERS,
        summary="The account can no longer log in; its data stays. Every service refuses its access tokens "
                "from now on.")
class AccountDisabled(EventData):
    account_id = fields.UUID(required=True)
    disabled_by = fields.UUID(required=True, allow_none=True,
                              metadata=_doc("The admin who disabled it; null when the system did it."))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


@_event("identity.account.erased", producer="identity",
        consumers=("pe-registry", "portfolio", "notifications"),
        summary="A closed account was erased (the AVG, ADR 0020): every service forgets the person, keeping "
                "only what the law requires (billing's invoices, 7 years).")
class AccountErased(EventData):
    account_id = fields.UUID(required=True)
    closed_at = fields.AwareDateTime(required=True, format="iso",
                                     metadata=_doc("When the account holder closed the account."))


@_event("identity.session.ended", producer="identity", consumers=_REVOCATION_CONSUMERS,
        summary="One session (a login and the refresh tokens descending from it) ended: by logout, or "
                "revoked because a spent refresh token came back. Its access tokens, which carry the "
                "session id as their sid claim, are refused from now on.")
class SessionEnded(EventData):
    account_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True, metadata=_doc("The sid claim of the session's access tokens."))
    ended_at = fields.AwareDateTime(required=True, format="iso")
    reason = _enum(SESSION_END_REASONS, required=True)


@_event("identity.account.sessions_ended", producer="identity", consumers=_REVOCATION_CONSUMERS,
        summary="Every session of the account ended (a password change or reset, an authenticator reset), "
                "except kept_session_id when there is one: access tokens of the account issued before "
                "ended_at are refused from now on, except those of the kept session.")
class AccountSessionsEnded(EventData):
    account_id = fields.UUID(required=True)
    ended_at = fields.AwareDateTime(required=True, format="iso")
    session_ids = fields.List(fields.UUID(), required=True, metadata=_doc(
        "The sessions that were still open and ended now (their tokens are refused by sid as well)."))
    kept_session_id = fields.UUID(required=True, allow_none=True, metadata=_doc(
        "The session that made the change and stays (a password change); null when none stays."))
    reason = _enum(ALL_SESSIONS_END_REASONS, required=True)


# --- portfolio -----------------------------------------------------------------------------------------


class _Cycle(EventData):
    """What a cycle's events say of it: whose, which certificate period, and its last day to submit."""

    cycle_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    certificate_id = fields.UUID(required=True)
    kind = _enum(("regular", "after_negative"), required=True, metadata=_doc(
        "after_negative: the whole new portfolio allowed within 3 months of a negative decision."))
    expires_on = fields.Date(required=True, metadata=_doc("The certificate's valid_until."))
    submit_by = fields.Date(required=True, metadata=_doc(
        "Last day a portfolio may be submitted: expires_on, or the new-portfolio deadline."))


@_event("portfolio.cycle.opened", producer="portfolio", consumers=(),
        summary="A recertification cycle started: the jobcoach can build the next portfolio.")
class CycleOpened(_Cycle):
    window_opens_on = fields.Date(required=True, metadata=_doc("First day a portfolio may be submitted."))
    pe_period_starts_on = fields.Date(required=True, metadata=_doc(
        "PE activities count from this day (the previous (re)certification)."))


@_event("portfolio.deadline.missed", producer="portfolio", consumers=("assessment",),
        summary="A cycle's last day to submit passed with no portfolio submitted; sent once per cycle by "
                "portfolio's check, every few minutes. Assessment lapses the certificate on it (ADR 0042).")
class DeadlineMissed(_Cycle):
    pass


@_event("portfolio.submitted", producer="portfolio",
        consumers=("assessment", "billing", "notifications", "pe-registry"),
        summary="A portfolio was submitted to DNV; its snapshot is frozen under snapshot_hash.")
class PortfolioSubmitted(EventData):
    portfolio_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    submission_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    certificate_id = fields.UUID(required=True)
    certificate_expires_on = fields.Date(required=True)
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    snapshot_hash = fields.String(required=True, validate=SHA256_HEX)
    pe_activity_ids = fields.List(fields.UUID(), required=True)
    pe_points_counted = WireDecimal(required=True, metadata=_doc(
        "PE points after the category maxima, as the jobcoach saw them on submitting."))
    reflection_meetings = fields.Integer(required=True, validate=validate.Range(min=0))
    is_new_portfolio_after_negative = fields.Boolean(required=True)


class _SubmissionWithdrawal(EventData):
    """What a withdrawal's request and its outcome both say: the submission, and the jobcoach's reason."""

    portfolio_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    submission_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    reason = _withdrawal_reason()


@_event("portfolio.withdrawal.requested", producer="portfolio", consumers=("assessment",),
        summary="The jobcoach asked to withdraw a submitted portfolio. Assessment, which assigns assessors, "
                "answers with assessment.case.withdrawn or assessment.withdrawal.refused (ADR 0041).")
class WithdrawalRequested(_SubmissionWithdrawal):
    requested_at = fields.AwareDateTime(required=True, format="iso")


@_event("portfolio.withdrawn", producer="portfolio",
        consumers=("billing", "notifications", "pe-registry"),
        summary="A submitted portfolio was withdrawn before a decision: assessment closed its case on the "
                "jobcoach's request, and the portfolio is open again.")
class PortfolioWithdrawn(_SubmissionWithdrawal):
    pass


@_event("portfolio.supplement.submitted", producer="portfolio",
        consumers=("assessment", "billing", "notifications", "pe-registry"),
        summary="The supplementary assignments after a postponed advice were submitted for reassessment.")
class SupplementSubmitted(EventData):
    supplement_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    portfolio_id = fields.UUID(required=True)
    submission_id = fields.UUID(required=True, metadata=_doc("The original submission the case is about."))
    # Optional, so no new version: an event sent before it was added has none (null).
    supplement_submission_id = fields.UUID(load_default=None, allow_none=True, metadata=_doc(
        "The supplement's own snapshot (its submission, which snapshot_hash is the hash of)."))
    account_id = fields.UUID(required=True)
    parts = fields.List(_enum(PARTS), required=True, validate=validate.Length(min=1))
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    snapshot_hash = fields.String(required=True, validate=SHA256_HEX)
    pe_activity_ids = fields.List(fields.UUID(), load_default=None, allow_none=True, metadata=_doc(
        "When part B is supplemented: the activities of the supplement's snapshot, which DNV's PE check is "
        "done again on (ADR 0011); pe-registry makes them read-only from then on (ADR 0043)."))
    pe_points_counted = WireDecimal(load_default=None, allow_none=True, metadata=_doc(
        "When part B is supplemented: the points the snapshot counts."))


# Issue 14 (ADR 0026): the wegwijzer's nudge.
WEGWIJZER_MILESTONES = ("plan_start", "pe_points", "reflection_meetings", "portfolio_parts", "window_opens",
                        "expiry", "supplement_parts", "supplement_deadline", "new_portfolio_deadline")


@_event("portfolio.supplement.missed", producer="portfolio", consumers=("assessment",),
        summary="The supplement after a postponed decision was not handed in by its due date; sent once by "
                "portfolio's check. DNV may then decide without it (ADR 0042).")
class SupplementMissed(EventData):
    supplement_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    submission_id = fields.UUID(required=True, metadata=_doc("The original submission the case is about."))
    account_id = fields.UUID(required=True)
    due_on = fields.Date(required=True, metadata=_doc("The last day the supplement could be handed in."))


@_event("portfolio.milestone.behind", producer="portfolio", consumers=("notifications",),
        summary="A milestone of the jobcoach's wegwijzer turned 'behind'; sent once per milestone per cycle.")
class MilestoneBehind(EventData):
    account_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    milestone = _enum(WEGWIJZER_MILESTONES, required=True)
    milestone_date = fields.Date(required=True, metadata=_doc("The day the milestone is planned for."))
    case_state = _enum(("building", "awaiting_decision", "postponed", "negative"), required=True)
    deadline = fields.Date(required=True, metadata=_doc(
        "The last day to submit: the expiry, the supplement deadline or the new-portfolio deadline."))
    estimate_hours = fields.Integer(load_default=None, allow_none=True, metadata=_doc("Work left, in hours."))
    estimate_weeks = fields.Integer(load_default=None, allow_none=True, metadata=_doc(
        "Calendar weeks the work left takes at the wegwijzer's assumed pace."))
    pe_points_needed = WireDecimal(required=True, metadata=_doc(
        "PE points still needed (after the category maxima, the category-1 minimum included)."))
    pe_points_per_month = WireDecimal(required=True, metadata=_doc("The PE pace needed per month from now."))
    meetings_required = fields.Integer(required=True, validate=validate.Range(min=0))
    meetings_proven = fields.Integer(required=True, validate=validate.Range(min=0))


# --- pe-registry ---------------------------------------------------------------------------------------


class _PeActivity(EventData):
    """The whole activity, so a consumer's copy is replaced, never patched.

    An activity with source noloc_academy carries Noloc's external_id.
    """

    activity_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    # Not an enum: Noloc may replace the category list by configuration.
    category = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata=_doc(
        "A key of the assessment framework's category list; \"1\" is bij- en nascholing in het vakgebied."))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    completed_on = fields.Date(required=True)
    unit = _enum(PE_UNITS, required=True)
    amount = WireDecimal(required=True, metadata=_doc("The study load, in unit."))
    points = WireDecimal(required=True, metadata=_doc(
        "PE points recorded for the activity; category maxima apply only when counting."))
    source = _enum(PE_SOURCES, required=True)
    external_id = fields.String(load_default=None, allow_none=True,
                                metadata=_doc("The Noloc Academie id of an imported activity."))

    @validates_schema
    def _external_id_for_imports(self, data, **kwargs):
        if data.get("source") == "noloc_academy" and not data.get("external_id"):
            raise ValidationError("Imported activities carry Noloc's external_id.", "external_id")


@_event("pe.activity.recorded", producer="pe-registry", consumers=("assessment", "portfolio"),
        summary="A PE activity was added, by the jobcoach or imported from the Noloc Academie.")
class PeActivityRecorded(_PeActivity):
    pass


@_event("pe.activity.updated", producer="pe-registry", consumers=("assessment", "portfolio"),
        summary="A PE activity changed; carries the whole activity after the change.")
class PeActivityUpdated(_PeActivity):
    pass


@_event("pe.activity.removed", producer="pe-registry", consumers=("assessment", "portfolio"),
        summary="A PE activity was removed with its evidence.")
class PeActivityRemoved(EventData):
    activity_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    # What it was, so a totals-only read model can subtract without having kept the activity.
    category = fields.String(required=True, validate=validate.Length(min=1, max=32))
    points = WireDecimal(required=True)


@_event("pe.evidence.attached", producer="pe-registry", consumers=("assessment", "portfolio"),
        summary="A file was stored as evidence for a PE activity.")
class PeEvidenceAttached(EventData):
    evidence_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    sha256 = fields.String(required=True, validate=SHA256_HEX)
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    content_type = _enum(EVIDENCE_CONTENT_TYPES, required=True)
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))


@_event("pe.evidence.removed", producer="pe-registry", consumers=("assessment", "portfolio"),
        summary="A file was removed from a PE activity's evidence: by the jobcoach, or by the retention "
                "after the final decision.")
class PeEvidenceRemoved(EventData):
    evidence_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    sha256 = fields.String(required=True, validate=SHA256_HEX)


# Evidence read for the jobcoach (issue 14, ADR 0027): the proposal for an uploaded document. Nothing is
# recorded until the jobcoach confirms; that confirmation is an ordinary pe.activity.recorded with its
# pe.evidence.attached.
READING_METHODS = ("pdf_text", "email", "text", "ocr")
READING_FAILURES = ("unreadable", "no_text", "ocr_missing", "gave_up")


@_event("pe.reading.proposed", producer="pe-registry", consumers=(),
        summary="An uploaded document was read: the activity it proposes, for the jobcoach to confirm.")
class PeReadingProposed(EventData):
    """Each found field; a field the document did not state clearly is left out."""

    reading_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    method = _enum(READING_METHODS, required=True, metadata=_doc("How the text was taken from the file."))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    provider = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    completed_on = fields.Date(load_default=None, allow_none=True)
    amount = WireDecimal(load_default=None, allow_none=True, metadata=_doc("The study load, in unit."))
    unit = _enum(PE_UNITS, load_default=None, allow_none=True)
    points = WireDecimal(load_default=None, allow_none=True)


@_event("pe.reading.failed", producer="pe-registry", consumers=(),
        summary="An uploaded document could not be read; the jobcoach fills the activity in by hand.")
class PeReadingFailed(EventData):
    reading_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    reason = _enum(READING_FAILURES, required=True)


# --- assessment ----------------------------------------------------------------------------------------


@_event("assessment.case.opened", producer="assessment",
        consumers=("notifications", "portfolio", "pe-registry"),
        summary="DNV opened an assessment case for a submitted portfolio.")
class CaseOpened(EventData):
    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    portfolio_id = fields.UUID(required=True)
    submission_id = fields.UUID(required=True)
    due_on = fields.Date(required=True, metadata=_doc("When the decision is due (8 weeks after submission)."))


class PeFinding(EventData):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    activity_id = fields.UUID(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)


class _WithdrawalAnswer(EventData):
    """Assessment's answer to a request to withdraw: the case, and the submission it is about."""

    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    submission_id = fields.UUID(required=True)


@_event("assessment.case.withdrawn", producer="assessment", consumers=("portfolio",),
        summary="A case was closed on the jobcoach's request to withdraw its portfolio (no assessor was "
                "assigned yet); portfolio then announces portfolio.withdrawn.")
class CaseWithdrawn(_WithdrawalAnswer):
    reason = _withdrawal_reason()


@_event("assessment.withdrawal.refused", producer="assessment", consumers=("notifications", "portfolio"),
        summary="A request to withdraw a portfolio came too late: its case had an assessor assigned already "
                "(or was further on). The submission stands.")
class WithdrawalRefused(_WithdrawalAnswer):
    stage = fields.String(required=True, metadata=_doc("The case's state when the request was handled."))


@_event("assessment.pe_check.completed", producer="assessment", consumers=("notifications",),
        summary="DNV's check of the PE points (part B) is done.")
class PeCheckCompleted(EventData):
    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    passed = fields.Boolean(required=True)
    pe_points_counted = WireDecimal(required=True)
    pe_points_required = WireDecimal(required=True)
    findings = fields.List(fields.Nested(PeFinding), required=True)


@_event("assessment.assessor.assigned", producer="assessment",
        consumers=("notifications", "portfolio", "pe-registry"),
        summary="An assessor was assigned to a case (or it was reassigned).")
class AssessorAssigned(EventData):
    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, metadata=_doc("The jobcoach whose portfolio it is."))
    assessor_id = fields.UUID(required=True)
    previous_assessor_id = fields.UUID(load_default=None, allow_none=True)
    due_on = fields.Date(required=True)


class SupplementAssignment(EventData):
    part = _enum(PARTS, required=True)
    assignment = fields.String(required=True, validate=validate.Length(min=1, max=5000))


@_event("assessment.advice.given", producer="assessment", consumers=("notifications",),
        summary="The assessor's advice on a case, internal to DNV until DNV decides: it reopens nothing and "
                "starts no term (certification.decision.made does). A postponed advice proposes the "
                "supplementary assignments per part.")
class AdviceGiven(EventData):
    """A postponed advice has supplements (at least one); any other advice has none. A reassessment
    (is_reassessment) is never postponed. Only DNV officers are told of it, never the jobcoach."""

    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    assessor_id = fields.UUID(required=True)
    advice = _enum(ADVICES, required=True)
    is_reassessment = fields.Boolean(required=True, metadata=_doc(
        "True for the new advice after a supplement, which is positive or negative."))
    supplements = fields.List(fields.Nested(SupplementAssignment), load_default=list)
    supplement_due_on = fields.Date(load_default=None, allow_none=True, metadata=_doc(
        "Deprecated, no longer sent: the advice starts no term; the postponed decision's supplement_due_on "
        "does (ADR 0011). Accepted so that advices published before still load."))

    @validates_schema
    def _supplements_only_when_postponed(self, data, **kwargs):
        postponed = data.get("advice") == "postponed"
        if postponed and data.get("is_reassessment"):
            raise ValidationError("A reassessment ends in a positive or negative advice.", "advice")
        if postponed and not data.get("supplements"):
            raise ValidationError("A postponed advice names its assignments.", "supplements")
        if not postponed and data.get("supplements"):
            raise ValidationError("Only a postponed advice has supplementary assignments.", "supplements")


@_event("assessment.case.overdue", producer="assessment", consumers=("notifications",),
        summary="A case passed its due date without a decision.")
class CaseOverdue(EventData):
    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    due_on = fields.Date(required=True)
    stage = _enum(("pe_check", "assessment", "supplement", "decision"), required=True)
    assessor_id = fields.UUID(load_default=None, allow_none=True)


@_event("assessment.objection.filed", producer="assessment", consumers=("notifications",),
        summary="The jobcoach filed an objection (bezwaar) against a certification decision.")
class ObjectionFiled(EventData):
    objection_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    decision_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    filed_at = fields.AwareDateTime(required=True, format="iso")


@_event("assessment.objection.decided", producer="assessment", consumers=("portfolio", "notifications"),
        summary="DNV decided on an objection; an upheld objection is followed by a new decision, or, against "
                "a decision taken on the failed PE check alone, by the PE check again.")
class ObjectionDecided(EventData):
    objection_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    decision_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    outcome = _enum(("upheld", "rejected"), required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    # Where an upheld objection takes the case (ADR 0011, amended): ``new_decision``, DNV decides again;
    # ``pe_check``, the objected decision was the postponed one taken on the failed PE check alone, so it is
    # annulled with the supplement it asked for and the case goes back to DNV's PE check. Null when rejected,
    # and on events published before the field existed (those upheld ones all meant ``new_decision``).
    next_step = _enum(("new_decision", "pe_check"), load_default=None, allow_none=True)


# --- certification (produced by assessment, which owns certificates and the public register) -----------

# portfolio opens the next cycle, billing starts or stops the affiliates' register fee.
_CERTIFICATE_CONSUMERS = ("portfolio", "pe-registry", "billing", "notifications")


class _Certificate(EventData):
    certificate_id = fields.UUID(required=True)
    certificate_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    account_id = fields.UUID(required=True)


class _CertificatePeriod(_Certificate):
    """valid_until is after valid_from."""

    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)

    @validates_schema
    def _period_runs_forward(self, data, **kwargs):
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            raise ValidationError("valid_until is after valid_from.", "valid_until")


@_event("certification.certificate.registered", producer="assessment",
        consumers=("portfolio", "pe-registry", "billing"),
        summary="A certificate entered the register (first certification or an existing one taken over).")
class CertificateRegistered(_CertificatePeriod):
    register_fee_paid_until = fields.Date(load_default=None, allow_none=True, metadata=_doc(
        "An imported certificate: the date up to which the holder has paid Noloc's register fee already "
        "(from the import file); billing invoices from the first certificate year starting after it."))


@_event("certification.certificate.expiring", producer="assessment", consumers=("notifications",),
        summary="Reminder that a certificate expires in 12, 6, 3 or 1 months.")
class CertificateExpiring(_Certificate):
    months_before = fields.Integer(required=True, validate=validate.OneOf((12, 6, 3, 1)))
    valid_until = fields.Date(required=True)
    window_opens_on = fields.Date(required=True)
    window_open = fields.Boolean(required=True, metadata=_doc("A portfolio can be submitted today."))


@_event("certification.certificate.renewed", producer="assessment", consumers=_CERTIFICATE_CONSUMERS,
        summary="A positive decision extended the certificate by 4 years from its old expiry date.")
class CertificateRenewed(_CertificatePeriod):
    decision_id = fields.UUID(required=True)
    previous_valid_until = fields.Date(required=True)


@_event("certification.certificate.lapsed", producer="assessment",
        consumers=("portfolio", "billing", "notifications"),
        summary="The certificate expired without a positive decision: the jobcoach left the register.")
class CertificateLapsed(_Certificate):
    lapsed_on = fields.Date(required=True)
    reason = _enum(("negative_decision", "not_recertified"), required=True)
    new_portfolio_deadline = fields.Date(required=True, allow_none=True, metadata=_doc(
        "Last day a whole new portfolio may be submitted (3 months after a negative decision); else null."))


@_event("certification.certificate.reactivated", producer="assessment", consumers=_CERTIFICATE_CONSUMERS,
        summary="A positive decision on a new portfolio after a negative one put the certificate back.")
class CertificateReactivated(_CertificatePeriod):
    decision_id = fields.UUID(required=True)


# --- verifiable credentials (issue 14, ADR 0030) ---
# No service of the platform acts on these; DNV's and Noloc's systems may subscribe (read-only users).

CREDENTIAL_REVOCATION_REASONS = ("lapsed", "revoked_by_dnv")


@_event("certification.credential.issued", producer="assessment", consumers=(),
        summary="A verifiable credential (W3C VC 2.0 / Open Badges 3.0, vc+jwt) was issued for a certificate "
                "period, signed with the issuer key kid; its revocation bit is status_list_index.")
class CredentialIssued(_CertificatePeriod):
    credential_id = fields.UUID(required=True)
    kid = fields.String(required=True, validate=validate.Length(min=1, max=100))
    status_list_index = fields.Integer(required=True, validate=validate.Range(min=0))


@_event("certification.credential.revoked", producer="assessment", consumers=(),
        summary="A credential's bit was set in the status list: every verifier refuses it from now on.")
class CredentialRevoked(_Certificate):
    credential_id = fields.UUID(required=True)
    reason = _enum(CREDENTIAL_REVOCATION_REASONS, required=True, metadata=_doc(
        "lapsed: the certificate lapsed; revoked_by_dnv: DNV revoked the credential."))
    revoked_at = fields.AwareDateTime(required=True)
    status_list_index = fields.Integer(required=True, validate=validate.Range(min=0))


@_event("certification.decision.made", producer="assessment",
        consumers=("portfolio", "pe-registry", "notifications"),
        summary="DNV's certification decision on a case. Positive is followed by certificate.renewed or "
                "reactivated; negative by certificate.lapsed at expiry.")
class DecisionMade(EventData):
    """A decision that does not follow the advice gives a reason. Only negative decisions have a
    new_portfolio_deadline, and every one of them except the negative decision on a whole new portfolio after
    a negative decision (one second chance only, ADR 0009): that one opens no new portfolio. Exactly the
    postponed ones have a supplement_due_on (3 months from the decision date) and the supplementary
    assignments per part: the postponed advice's, or after a failed PE check one for part B. A postponed
    decision is what reopens those parts for the jobcoach (ADR 0011)."""

    decision_id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    certificate_id = fields.UUID(required=True)
    decision = _enum(DECISIONS, required=True)
    follows_advice = fields.Boolean(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    objection_deadline = fields.Date(required=True)
    new_portfolio_deadline = fields.Date(load_default=None, allow_none=True, metadata=_doc(
        "Negative decisions only: the last day for a whole new portfolio. Null on a negative decision about "
        "that new portfolio itself, which opens no further one (one second chance only)."))
    supplement_due_on = fields.Date(load_default=None, allow_none=True, metadata=_doc(
        "Postponed decisions only: the last day for the supplement, 3 months from the decision date."))
    supplements = fields.List(fields.Nested(SupplementAssignment), load_default=list, metadata=_doc(
        "Postponed decisions only: the parts reopened, each with its assignment."))

    @validates_schema
    def _deadlines_fit_decision(self, data, **kwargs):
        decision = data.get("decision")
        if not data.get("follows_advice", True) and not data.get("reason"):
            raise ValidationError("A decision that departs from the advice gives its reason.", "reason")
        if decision != "negative" and data.get("new_portfolio_deadline") is not None:
            raise ValidationError("Only a negative decision has a new-portfolio deadline.",
                                  "new_portfolio_deadline")
        if (decision == "postponed") != (data.get("supplement_due_on") is not None):
            raise ValidationError("Exactly a postponed decision has a supplement due date.",
                                  "supplement_due_on")
        if (decision == "postponed") != bool(data.get("supplements")):
            raise ValidationError("Exactly a postponed decision names its supplementary assignments.",
                                  "supplements")


# --- billing -------------------------------------------------------------------------------------------


class _Invoice(EventData):
    invoice_id = fields.UUID(required=True)
    number = fields.String(required=True, validate=validate.Length(min=1, max=32),
                           metadata=_doc("Gapless per issuer and year."))
    issuer = _enum(ISSUERS, required=True)
    account_id = fields.UUID(required=True)
    kind = _enum(INVOICE_KINDS, required=True)
    # What the fee is for, so assessment can match a payment to its case without asking billing.
    submission_id = fields.UUID(load_default=None, allow_none=True, metadata=_doc(
        "The portfolio submission a DNV fee is for (also for a reassessment)."))
    case_id = fields.UUID(load_default=None, allow_none=True,
                          metadata=_doc("The assessment case a reassessment fee is for."))


@_event("billing.invoice.issued", producer="billing", consumers=("notifications",),
        summary="An invoice was issued by DNV or Noloc.")
class InvoiceIssued(_Invoice):
    """gross = net + vat, all in one currency."""

    net = _money()
    vat = _money()
    gross = _money()
    vat_rate = WireDecimal(required=True, validate=validate.Range(min=0, max=100),
                           metadata=_doc("Percent, e.g. \"21\"."))
    issued_on = fields.Date(required=True)
    due_on = fields.Date(required=True)
    period_year = fields.Integer(load_default=None, allow_none=True, metadata=_doc(
        "A register fee: the calendar year the certificate year it covers starts in."))
    period_start = fields.Date(load_default=None, allow_none=True, metadata=_doc(
        "A register fee: the first day of the certificate year it covers (from the certificate's start)."))
    period_end = fields.Date(load_default=None, allow_none=True, metadata=_doc(
        "A register fee: the last day of the certificate year it covers."))

    @validates_schema
    def _gross_is_net_plus_vat(self, data, **kwargs):
        parts = [data.get(name) for name in ("net", "vat", "gross")]
        if not all(parts):
            return
        net, vat, gross = parts
        if gross["amount"] != net["amount"] + vat["amount"]:
            raise ValidationError("gross is net plus vat.", "gross")
        if len({part["currency"] for part in parts}) != 1:
            raise ValidationError("One invoice, one currency.", "gross")


@_event("billing.invoice.paid", producer="billing", consumers=("assessment", "notifications"),
        summary="An invoice was paid in full.")
class InvoicePaid(_Invoice):
    amount = _money()
    paid_on = fields.Date(required=True)


@_event("billing.invoice.cancelled", producer="billing", consumers=("notifications",),
        summary="An invoice was cancelled by a credit note.")
class InvoiceCancelled(_Invoice):
    credit_note_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata=_doc(
        "The reason in Dutch, as the credit note states it."))
    reason_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                metadata=_doc(
        "The reason as a code, for a reader to word in its own language: `portfolio_withdrawn` (the "
        "jobcoach withdrew the portfolio the invoice was for). More codes may follow: a consumer that does "
        "not know one falls back on `reason`. Absent on events from before it was added."))
    refund_due = fields.Boolean(load_default=None, allow_none=True, metadata=_doc(
        "The invoice was paid before it was cancelled: the amount paid is refunded. Absent (null) on events "
        "from before it was added."))


# --- notifications -------------------------------------------------------------------------------------


class _Message(EventData):
    message_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    channel = _enum(MESSAGE_CHANNELS, required=True)
    template = fields.String(required=True, validate=validate.Length(min=1, max=100))
    trigger_event_id = fields.UUID(required=True, allow_none=True,
                                   metadata=_doc("The envelope id of the event that caused the message."))


@_event("notifications.message.sent", producer="notifications", consumers=(),
        summary="A message was handed to the mail server or placed in the in-app inbox.")
class MessageSent(_Message):
    pass


@_event("notifications.message.failed", producer="notifications", consumers=(),
        summary="A message could not be delivered; permanent means no more retries.")
class MessageFailed(_Message):
    attempts = fields.Integer(required=True, validate=validate.Range(min=1))
    permanent = fields.Boolean(required=True)
    error = fields.String(required=True, validate=validate.Length(min=1, max=1000))


# --- notifications: the service desk (issue 14, ADR 0029) ---------------------------------------------

SERVICE_REQUEST_STATES = ("open", "answered", "closed")


class _ServiceRequest(EventData):
    """The envelope's subject is the requester's account, or the account the request is matched to by a
    confirmed address; none for a logged-out person matched to no account. No texts: they stay in the
    thread."""

    request_id = fields.UUID(required=True)


@_event("notifications.service_request.opened", producer="notifications", consumers=(),
        summary="A service request reached DNV's support: opened by a logged-in person, or confirmed by the "
                "e-mailed link of a person who could not log in.")
class ServiceRequestOpened(_ServiceRequest):
    account_id = fields.UUID(required=True, allow_none=True,
                             metadata=_doc("The logged-in requester; null for a request opened by e-mail."))
    matched_account_id = fields.UUID(required=True, allow_none=True, metadata=_doc(
        "The account whose confirmed address is the requester's; null when none is."))
    logged_in = fields.Boolean(required=True)


@_event("notifications.service_request.replied", producer="notifications", consumers=(),
        summary="The requester replied in the thread; the request is open again.")
class ServiceRequestReplied(_ServiceRequest):
    post_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, allow_none=True,
                             metadata=_doc("The logged-in requester; null for a reply by an e-mailed link."))


@_event("notifications.service_request.answered", producer="notifications", consumers=(),
        summary="DNV's support answered in the thread; the answer was mailed to the requester.")
class ServiceRequestAnswered(_ServiceRequest):
    post_id = fields.UUID(required=True)
    answered_by = fields.UUID(required=True)


@_event("notifications.service_request.state_changed", producer="notifications", consumers=(),
        summary="DNV's support set the request's state (open, answered, closed).")
class ServiceRequestStateChanged(_ServiceRequest):
    state = _enum(SERVICE_REQUEST_STATES, required=True)
    previous_state = _enum(SERVICE_REQUEST_STATES, required=True)
    changed_by = fields.UUID(required=True)


# --- from Noloc's systems ------------------------------------------------------------------------------


@_event("noloc.academy.activity.completed", producer="noloc", consumers=("pe-registry",),
        summary="A jobcoach finished a webinar, e-learning or podcast in the Noloc Academie; becomes a PE "
                "activity.")
class AcademyActivityCompleted(EventData):
    """Either a study load (amount with unit) or points awarded directly, not both.

    There is no subject in the envelope: membership_number links the jobcoach.
    """

    external_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                metadata=_doc("Noloc's id; the same id sent twice is one fact."))
    membership_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    provider = fields.String(required=True, validate=validate.Length(min=1, max=200))
    completed_on = fields.Date(required=True)
    amount = WireDecimal(load_default=None, allow_none=True)
    unit = _enum(("sbu", "ects"), load_default=None, allow_none=True)
    points = WireDecimal(load_default=None, allow_none=True)

    @validates_schema
    def _load_orWireDecimal(self, data, **kwargs):
        has_load = data.get("amount") is not None and data.get("unit") is not None
        half_load = (data.get("amount") is None) != (data.get("unit") is None)
        if half_load or has_load == (data.get("points") is not None):
            raise ValidationError("Give amount with unit, or points.", "points")


@_event("noloc.meeting.attended", producer="noloc", consumers=("portfolio",),
        summary="A jobcoach attended a reflection meeting planned in Noloc's planning tool; becomes proof "
                "for part A3.")
class MeetingAttended(EventData):
    """Names the group, the supervisor or both. There is no subject: membership_number links the jobcoach."""

    external_id = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                metadata=_doc("Noloc's id; the same id sent twice is one fact."))
    membership_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    met_on = fields.Date(required=True)
    kind = _enum(REFLECTION_MEETING_KINDS, required=True)
    group_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    supervisor_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    duration_minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))

    @validates_schema
    def _group_or_supervisor(self, data, **kwargs):
        if not (data.get("group_name") or data.get("supervisor_name")):
            raise ValidationError("Name the group or the supervisor.", "group_name")


# --- mentors (issue 14, ADR 0028) ------------------------------------------------------------------------

MENTOR_SHARED = ("drafts", "meetings", "pe_summary")


@_event("portfolio.mentorship.started", producer="portfolio", consumers=("pe-registry", "assessment"),
        summary="A jobcoach invited a mentor with explicit consent: from now on the mentor reads the shared "
                "items read-only (pe-registry: the PE summary) and may never be the jobcoach's assessor.")
class MentorshipStarted(EventData):
    mentorship_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, metadata=_doc("The jobcoach."))
    mentor_id = fields.UUID(required=True, metadata=_doc("The mentor's account."))
    shared = fields.List(_enum(MENTOR_SHARED), required=True, metadata=_doc(
        "What the jobcoach consented to share, read-only."))
    started_at = fields.AwareDateTime(required=True, format="iso")


@_event("portfolio.mentorship.ended", producer="portfolio", consumers=("pe-registry", "assessment"),
        summary="The jobcoach ended a mentor's access: the mentor reads nothing of the jobcoach from now on. "
                "A past mentor stays excluded as the jobcoach's assessor in that certificate period.")
class MentorshipEnded(EventData):
    mentorship_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True, metadata=_doc("The jobcoach."))
    mentor_id = fields.UUID(required=True, metadata=_doc("The mentor's account."))
    started_at = fields.AwareDateTime(required=True, format="iso")
    ended_at = fields.AwareDateTime(required=True, format="iso")
