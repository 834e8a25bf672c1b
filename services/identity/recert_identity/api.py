"""Identity's HTTP API (all under /v1): accounts, login, sessions, administration and the JWKS.

Views translate HTTP into calls of ``IdentityService`` and back; rules live in the service and the domain,
and the refusals they raise are answered by ``problems.problem_map`` (installed by ``create_app``).
"""
from __future__ import annotations

import base64
import io
from typing import Any
from uuid import UUID

import segno
from flask import current_app, request, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE

from recert_common import i18n
from recert_common.auth import Role, current_principal, require_auth, require_roles
from recert_common.errors import Unauthorized, request_language
from recert_common.schemas import page_body
from recert_common.web import answers
from recert_identity.domain import TOTP_RESETTER_ROLES, Account, ChallengeKind
from recert_identity.problems import (
    AccountLocked,
    ChallengeInvalid,
    CodeRejected,
    DeskResetProblem,
    EmailNotVerified,
    EmailTokenInvalid,
    InvalidCredentials,
    RefreshTokenInvalid,
)
from recert_identity.schemas import (
    AcceptedSchema,
    AccountCloseSchema,
    AccountPageSchema,
    AccountQuerySchema,
    AccountSchema,
    AdminActionSchema,
    EmailVerificationSchema,
    JwksSchema,
    LoginChallengeSchema,
    LoginSchema,
    PasswordChangeSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    ProfileUpdateSchema,
    RefreshTokenSchema,
    RegistrationSchema,
    StaffAccountSchema,
    SupportSchema,
    TokensSchema,
    TotpResetSchema,
    VerifySchema,
)
from recert_identity.service import IdentityService, LoginChallenge, Tokens

# Answers carrying credentials must not be stored by any cache (RFC 6749 section 5.1).
_NO_STORE = {"Cache-Control": "no-store"}

accounts = Blueprint("accounts", __name__, url_prefix="/v1/accounts",
                     description="Registration and one's own account.")
auth = Blueprint("auth", __name__, url_prefix="/v1/auth",
                 description="Login in two steps (password, then TOTP), token refresh and logout.")
admin = Blueprint("admin", __name__, url_prefix="/v1/admin",
                  description="Staff accounts (noloc_admin); an authenticator reset also by a dnv_officer.")
well_known = Blueprint("jwks", __name__, url_prefix="/v1/.well-known",
                       description="The public keys that verify access tokens.")
support = Blueprint("support", __name__, url_prefix="/v1/support",
                    description="Who helps: DNV's support desk, for every frontend to show (no login).")
BLUEPRINTS = (accounts, auth, admin, well_known, support)


def _service() -> IdentityService:
    return current_app.extensions["identity"]


def _own_account() -> Account:
    account = _service().account(current_principal().account_id)
    if account.disabled:  # the revocation read model refuses its tokens already; this guards a stale row
        raise Unauthorized(code="detail.token_invalid")
    return account


def _source() -> str:
    """The client's address: the first of ``X-Forwarded-For`` as the gateway sets it (the gateway replaces
    what a client sends there, and only it reaches the services), else the peer's address."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    first = forwarded.split(",")[0].strip()
    return (first or request.remote_addr or "unknown")[:64]


def _created(account: Account) -> tuple[Account, int, dict[str, str]]:
    return account, 201, {"Location": url_for("admin.account", account_id=account.id)}


# --- accounts --------------------------------------------------------------------------------------------


def _check_email(code: str) -> dict[str, str]:
    return {"status": "check_email", "detail": i18n.translate(code, request_language())}


@accounts.post("")
@answers(409)
@accounts.arguments(RegistrationSchema)
@accounts.response(202, AcceptedSchema)
def register(data: dict[str, Any]):
    """Register as a jobcoach, with a Noloc membership number or an external affiliate number.

    The answer is the same whether the e-mail address or the number is new or in use: what happened is
    told by e-mail (a link to confirm the address, or, to the owner of an existing account, that someone
    tried). Until the address is confirmed the account can do nothing else."""
    _service().register_jobcoach(**data)
    return _check_email("identity.detail.registration_received")


@accounts.post("/verify-email")
@answers(EmailTokenInvalid)
@accounts.arguments(EmailVerificationSchema)
@accounts.response(200, AccountSchema)
def verify_email(data: dict[str, Any]):
    """Confirm the e-mail address with the token from the link and the password chosen at registration
    (a wrong password is 422 and leaves the link usable); then the account can log in."""
    return _service().verify_email(data["token"], data["password"]), _NO_STORE


@accounts.get("/me")
@answers(404)
@require_auth
@accounts.response(200, AccountSchema)
def me():
    """The caller's own account."""
    return _own_account()


@accounts.patch("/me")
@answers(404)
@require_auth
@accounts.arguments(ProfileUpdateSchema)
@accounts.response(200, AccountSchema)
def update_me(data: dict[str, Any]):
    """Change one's name or preferred language."""
    return _service().update_profile(_own_account().id, **data)


@accounts.post("/me/password")
@answers(404, AccountLocked)
@require_auth
@accounts.arguments(PasswordChangeSchema)
@accounts.response(204)
def change_password(data: dict[str, Any]):
    """Change one's password; every other session ends."""
    sid = current_principal().claims.get("sid")
    _service().change_password(_own_account().id, session_id=UUID(sid) if sid else None, **data)


@accounts.post("/me/close")
@answers(404, AccountLocked)
@require_roles(Role.JOBCOACH)
@accounts.arguments(AccountCloseSchema)
@accounts.response(204)
def close_me(data: dict[str, Any]):
    """Close one's account (the AVG): it can no longer log in, and after RECERT_IDENTITY_ERASE_AFTER_DAYS
    (30 by default) it is erased everywhere except the invoices the law requires to keep."""
    _service().close_account(_own_account().id, data["password"])


# --- login and sessions ----------------------------------------------------------------------------------


def _qr_images(uri: str) -> dict[str, str]:
    qr = segno.make(uri, error="m")
    svg, png = io.BytesIO(), io.BytesIO()
    qr.save(svg, kind="svg", xmldecl=False, scale=4)
    qr.save(png, kind="png", scale=6)
    return {"qr_svg": svg.getvalue().decode(), "qr_png_base64": base64.b64encode(png.getvalue()).decode()}


def _challenge_body(challenge: LoginChallenge) -> dict[str, Any]:
    body = {"challenge_id": challenge.challenge_id, "kind": str(challenge.kind),
            "expires_at": challenge.expires_at}
    if challenge.kind is ChallengeKind.ENROL:
        body.update(otpauth_uri=challenge.otpauth_uri, **_qr_images(challenge.otpauth_uri))
    return body


def _tokens_body(tokens: Tokens) -> dict[str, Any]:
    body = {"access_token": tokens.access_token, "token_type": "Bearer", "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh_token}
    if tokens.recovery_codes is not None:
        body["recovery_codes"] = tokens.recovery_codes
    return body


@auth.post("/login")
@answers(InvalidCredentials, EmailNotVerified)
@auth.arguments(LoginSchema)
@auth.response(200, LoginChallengeSchema)
@auth.alt_response(401, description="Wrong e-mail address or password, or locked (one answer for all).")
@auth.alt_response(403, description="The right password, but the e-mail address is not verified yet: a new "
                                    "link went out (problem type email-not-verified).")
def login(data: dict[str, Any]):
    """Step 1: e-mail and password. Answers a challenge: enrol an authenticator app, or give its code."""
    return _challenge_body(_service().start_login(data["email"], data["password"], _source())), _NO_STORE


@auth.post("/login/verify")
@answers(ChallengeInvalid, CodeRejected, AccountLocked)
@auth.arguments(VerifySchema)
@auth.response(200, TokensSchema)
def verify(data: dict[str, Any]):
    """Step 2: the challenge and a TOTP code (or a recovery code). Answers the tokens."""
    return _tokens_body(_service().finish_login(data["challenge_id"], data["code"], _source())), _NO_STORE


@auth.post("/password-reset")
@auth.arguments(PasswordResetRequestSchema)
@auth.response(202, AcceptedSchema)
def request_password_reset(data: dict[str, Any]):
    """Forgotten password: a link to choose a new one goes to the address when it has an account. The answer
    is the same for known and unknown addresses."""
    _service().request_password_reset(data["email"])
    return _check_email("identity.detail.password_reset_requested")


@auth.post("/password-reset/confirm")
@answers(EmailTokenInvalid)
@auth.arguments(PasswordResetSchema)
@auth.response(204)
def reset_password(data: dict[str, Any]):
    """Set a new password with the token from the link. Every session ends; the next login still asks for
    the authenticator app's code."""
    _service().reset_password(data["token"], data["new_password"])


@auth.post("/refresh")
@answers(RefreshTokenInvalid)
@auth.arguments(RefreshTokenSchema)
@auth.response(200, TokensSchema)
def refresh(data: dict[str, Any]):
    """A new access token and the next refresh token; the one sent is spent."""
    return _tokens_body(_service().refresh(data["refresh_token"])), _NO_STORE


@auth.post("/logout")
@auth.arguments(RefreshTokenSchema)
@auth.response(204)
def logout(data: dict[str, Any]):
    """End the session of this refresh token (its access tokens expire on their own)."""
    _service().logout(data["refresh_token"])


# --- administration --------------------------------------------------------------------------------------


@admin.post("/accounts")
@answers(409)
@require_roles(Role.NOLOC_ADMIN)
@admin.arguments(StaffAccountSchema)
@admin.response(201, AccountSchema)
def create_staff(data: dict[str, Any]):
    """Create an assessor, DNV officer or Noloc admin account."""
    return _created(_service().create_staff(**data))


@admin.get("/accounts")
@require_roles(Role.NOLOC_ADMIN)
@admin.arguments(AccountQuerySchema, location="query", unknown=RAISE)  # webargs ignores extras in queries
@admin.response(200, AccountPageSchema)
def list_accounts(query: dict[str, Any]):
    """Every account, oldest first, a page at a time."""
    items, total = _service().list_accounts(**query)
    return page_body(items, total, query)


@admin.get("/accounts/<uuid:account_id>")
@require_roles(Role.NOLOC_ADMIN)
@admin.response(200, AccountSchema)
def account(account_id: UUID):
    return _service().account(account_id)


@admin.post("/accounts/<uuid:account_id>/disable")
@answers(409)
@require_roles(Role.NOLOC_ADMIN)
@admin.arguments(AdminActionSchema, required=False)
@admin.response(200, AccountSchema)
def disable(data: dict[str, Any], account_id: UUID):
    """The account can no longer log in and its sessions end; its data stays."""
    return _service().disable(account_id, by=current_principal().account_id, reason=data.get("reason"))


@admin.post("/accounts/<uuid:account_id>/totp-reset")
@answers(409, DeskResetProblem, 502, 503, 504)
@require_roles(*TOTP_RESETTER_ROLES)
@admin.arguments(TotpResetSchema, required=False)
@admin.response(200, AccountSchema)
def reset_totp(data: dict[str, Any], account_id: UUID):
    """Unlink the authenticator app: the next login enrols a new one. Sessions and recovery codes end.

    A Noloc admin may reset anyone's; a DNV officer (DNV's support helps with login) a jobcoach's or an
    assessor's, and is refused (403) for a DNV officer's or a Noloc admin's account. DNV's support staff
    (``dnv_support``) a jobcoach's, an assessor's or a mentor's, only from a service request
    (``service_request_id``, with ``identity_check``: how identity was checked) whose requester is matched to
    the account by a confirmed e-mail address (409 otherwise); the reset is noted in the request's thread.
    Only callers with ``dnv_support`` may name a request (422 otherwise), and it is checked whoever does."""
    principal = current_principal()
    return _service().reset_totp(account_id, by=principal.account_id, reason=data.get("reason"),
                                 by_roles=principal.roles, service_request_id=data.get("service_request_id"),
                                 identity_check=data.get("identity_check"), token=principal.token)


# --- support ---------------------------------------------------------------------------------------------


@support.get("")
@support.response(200, SupportSchema)
def support_contact():
    """DNV's support desk, as the answers to login trouble and the e-mails name it."""
    contact = _service().settings.support
    return {"email": contact.email, "phone": contact.phone}, {"Cache-Control": "public, max-age=300"}


# --- keys ------------------------------------------------------------------------------------------------


@well_known.get("/jwks.json")
@well_known.response(200, JwksSchema)
def jwks():
    """The current signing key, the next one (published before it signs) and recently retired ones."""
    return _service().jwks(), {"Cache-Control": "public, max-age=60"}
