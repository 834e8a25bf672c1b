"""The bodies identity's HTTP API reads and writes. Input schemas refuse unknown fields."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from recert_common.auth import ROLES
from recert_common.rules import InvalidRegistrationNumber, parse_registration_number
from recert_common.schemas import PageQuerySchema, PageSchema, Strict, UtcDateTime, not_blank
from recert_identity.domain import (
    LANGUAGES,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    STAFF_ROLES,
    second_factor_kind,
)

MEMBERSHIP_KINDS = ("member", "affiliate")


class Trimmed(fields.String):
    """Text without the spaces around it (a name pasted with a trailing space is the same name)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _email(**kwargs) -> fields.Email:
    return fields.Email(validate=validate.Length(max=254), **kwargs)


def _full_name(**kwargs) -> fields.String:
    return Trimmed(validate=[validate.Length(min=1, max=200), not_blank], **kwargs)


def _password(**kwargs) -> fields.String:
    """A password being proven (login, the current one): any the account may have, so only the bounds."""
    return fields.String(validate=validate.Length(min=1, max=PASSWORD_MAX_LENGTH), **kwargs)


def _new_password(**kwargs) -> fields.String:
    """A password being set: its rules are documented here, and checked here for its length (with the
    policy's own messages); the service checks the whole policy (``password_policy_violations``)."""
    return fields.String(
        validate=[validate.Length(min=PASSWORD_MIN_LENGTH, error="identity.password.too_short"),
                  validate.Length(max=PASSWORD_MAX_LENGTH, error="identity.password.too_long")],
        metadata={"description": f"At least {PASSWORD_MIN_LENGTH} and at most {PASSWORD_MAX_LENGTH} "
                                 "characters, not only spaces, and not the account's e-mail address."},
        **kwargs)


def _language(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(LANGUAGES), **kwargs)


def _opaque(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=128), **kwargs)


# --- accounts --------------------------------------------------------------------------------------------


class AccountSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    full_name = fields.String()
    roles = fields.List(fields.String())
    membership_kind = fields.String(allow_none=True, metadata={"enum": list(MEMBERSHIP_KINDS)})
    membership_number = fields.String(allow_none=True)
    preferred_language = fields.String(metadata={"enum": list(LANGUAGES)})
    totp_enrolled = fields.Boolean()
    email_verified = fields.Boolean()
    disabled = fields.Boolean()
    locked_until = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class RegistrationSchema(Strict):
    email = _email(required=True)
    full_name = _full_name(required=True)
    password = _new_password(required=True)
    membership_number = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={
        "description": "A Noloc membership number (e.g. 1234567) or an external affiliate number "
                       "(e.g. EXT-000123)."})
    membership_kind = fields.String(load_default=None, validate=validate.OneOf(MEMBERSHIP_KINDS), metadata={
        "description": "Optional: when given, the number must be of this kind; otherwise the format says."})
    preferred_language = _language(load_default="nl")

    @validates_schema(skip_on_field_errors=True)
    def _number_format(self, data, **kwargs):
        try:
            parse_registration_number(data["membership_number"], expected_kind=data["membership_kind"])
        except InvalidRegistrationNumber as exc:
            # The catalogue message itself: the 422 answer renders it in the request's language.
            raise ValidationError([exc.message], "membership_number") from None

    @post_load
    def _parse_number(self, data, **kwargs):
        raw, kind = data.pop("membership_number"), data.pop("membership_kind")
        return {**data, "number": parse_registration_number(raw, expected_kind=kind)}


class AcceptedSchema(Schema):
    """The answer to a request whose outcome is told by e-mail: the same whoever asks for whatever."""

    status = fields.String(metadata={"enum": ["check_email"]})
    detail = fields.String(metadata={"description": "What to do next, in the request's language."})


class EmailVerificationSchema(Strict):
    token = _opaque(required=True, metadata={"description": "The token from the link in the e-mail."})
    password = _password(required=True, metadata={"description": "The password chosen at registration."})


class PasswordResetRequestSchema(Strict):
    email = _email(required=True)


class PasswordResetSchema(Strict):
    token = _opaque(required=True, metadata={"description": "The token from the link in the e-mail."})
    new_password = _password(required=True)


class ProfileUpdateSchema(Strict):
    full_name = _full_name()
    preferred_language = _language()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("identity.field.nothing_to_change")


class PasswordChangeSchema(Strict):
    current_password = _password(required=True)
    new_password = _new_password(required=True)


class AccountCloseSchema(Strict):
    password = _password(required=True, metadata={"description": "One's current password, to confirm."})


# --- login -----------------------------------------------------------------------------------------------


class LoginSchema(Strict):
    email = _email(required=True)
    password = _password(required=True)


class LoginChallengeSchema(Schema):
    challenge_id = fields.String(metadata={"description": "Send with the code to /v1/auth/login/verify."})
    kind = fields.String(metadata={"enum": ["enrol", "totp"], "description": (
        "enrol: link an authenticator app first (scan the QR code); totp: give the app's current code.")})
    expires_at = UtcDateTime()
    otpauth_uri = fields.String(metadata={"description": "Enrolment only: the TOTP secret as a URI."})
    qr_svg = fields.String(metadata={"description": "Enrolment only: the URI as a QR code, an SVG document."})
    qr_png_base64 = fields.String(metadata={"description": "Enrolment only: the QR code as PNG, base64."})


class VerifySchema(Strict):
    challenge_id = _opaque(required=True)
    code = fields.String(required=True, validate=validate.Length(max=64), metadata={
        "description": "The 6 digits from the authenticator app, or one of the recovery codes."})

    @validates_schema(skip_on_field_errors=True)
    def _code_format(self, data, **kwargs):
        if second_factor_kind(data["code"]) is None:
            raise ValidationError("identity.field.code_format", "code")


class TokensSchema(Schema):
    access_token = fields.String()
    token_type = fields.String(dump_default="Bearer")
    expires_in = fields.Integer(metadata={"description": "Seconds the access token is valid."})
    refresh_token = fields.String()
    recovery_codes = fields.List(fields.String(), metadata={
        "description": "Only when this login linked the authenticator: 10 codes, each usable once instead of "
                       "a TOTP code. Shown this one time."})


class RefreshTokenSchema(Strict):
    refresh_token = _opaque(required=True)


# --- administration --------------------------------------------------------------------------------------


class StaffAccountSchema(Strict):
    email = _email(required=True)
    full_name = _full_name(required=True)
    password = _new_password(required=True)
    roles = fields.List(
        fields.String(validate=validate.OneOf(sorted(STAFF_ROLES), error="identity.field.staff_roles_only")),
        required=True, validate=validate.Length(min=1))
    preferred_language = _language(load_default="nl")


class AccountQuerySchema(PageQuerySchema):
    role = fields.String(load_default=None, validate=validate.OneOf(sorted(ROLES)))


class AccountPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccountSchema))


class AdminActionSchema(Strict):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TotpResetSchema(AdminActionSchema):
    service_request_id = fields.UUID(allow_none=True, metadata={
        "description": "The service request the reset is asked from; required for DNV's support (ADR 0029)."})
    identity_check = fields.String(allow_none=True, validate=validate.Length(min=1, max=1000),
                                   metadata={"description": "How the requester's identity was checked; "
                                                            "required for DNV's support."})


class SupportSchema(Schema):
    email = fields.String(metadata={"description": "DNV's support desk: login, two-step verification, the "
                                                   "portal (RECERT_SUPPORT_EMAIL)."})
    phone = fields.String(metadata={"description": "Its phone number; empty when there is none."})


class JwksSchema(Schema):
    # Each a public JWK (RFC 7517): kty, crv, x, kid, ... all text; a map so that a member a key has is
    # published as it is.
    keys = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))
