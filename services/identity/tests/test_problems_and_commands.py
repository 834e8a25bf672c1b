"""The edge's table (every refusal of identity answers as before) and the operator's commands, on the
in-memory unit of work."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from recert_identity import commands
from recert_identity.domain import (
    AccountExists,
    AccountLockedOut,
    AccountNotFound,
    AlreadyDisabled,
    ChallengeRefused,
    CodeRefused,
    CredentialsRejected,
    DisablingOneself,
    EmailLinkInvalid,
    EmailUnverified,
    InputRefused,
    RefreshRefused,
    TotpNotEnrolled,
    TotpResetNotAllowed,
)
from recert_identity.problems import SupportContact, problem_map

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUPPORT = SupportContact("support@example.org", "088 123 45 67")


@pytest.mark.parametrize(("refusal", "status", "slug"), [
    (InputRefused({"password": ["identity.password.too_short"]}), 422, "validation-failed"),
    (CredentialsRejected(), 401, "invalid-credentials"),
    (EmailUnverified(), 403, "email-not-verified"),
    (ChallengeRefused(), 401, "login-challenge-invalid"),
    (CodeRefused(), 401, "code-rejected"),
    (AccountLockedOut(NOW + timedelta(minutes=15), NOW), 429, "account-locked"),
    (RefreshRefused(), 401, "refresh-token-invalid"),
    (EmailLinkInvalid(), 400, "email-link-invalid"),
    (AccountExists(["email"]), 409, "conflict"),
    (AccountNotFound(), 404, "not-found"),
    (AlreadyDisabled(), 409, "conflict"),
    (DisablingOneself(), 409, "conflict"),
    (TotpNotEnrolled(), 409, "conflict"),
    (TotpResetNotAllowed(), 403, "forbidden"),
])
def test_every_refusal_has_its_answer(refusal, status, slug):
    problem = problem_map(SUPPORT).problem_for(refusal)
    assert (problem.status, problem.slug) == (status, slug)
    assert problem.to_dict("nl")["title"] and problem.to_dict("en")["title"]


def test_the_answers_name_the_configured_support_desk():
    locked = problem_map(SUPPORT).problem_for(AccountLockedOut(NOW + timedelta(minutes=15), NOW))
    body = locked.to_dict("en")
    assert body["support"] == {"email": "support@example.org", "phone": "088 123 45 67"}
    assert "09:15 UTC" in body["detail"] and locked.headers["Retry-After"] == "901"
    duplicate = problem_map(SUPPORT).problem_for(AccountExists(["email"])).to_dict("nl")
    assert duplicate["errors"] == {"email": ["Dit e-mailadres is al in gebruik."]}


def test_create_admin_and_its_refusal_on_stderr(service, settings, uow, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    argv = ["admin@example.org", "Ada", "--password-stdin"]
    assert commands.create_admin(settings, argv, service=service) == 0
    assert json.loads(capsys.readouterr().out)["roles"] == ["noloc_admin"]
    assert uow.published_types() == ["identity.account.registered"]
    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    assert commands.create_admin(settings, ["x@example.org", "X", "--password-stdin"], service=service) == 1
    refused = json.loads(capsys.readouterr().err)
    assert refused["status"] == 422 and "password" in refused["errors"]


def test_seed_demo_is_idempotent(service, settings, capsys):
    assert commands.seed_demo(settings, [], service=service) == 0
    first = json.loads(capsys.readouterr().out)
    assert commands.seed_demo(settings, [], service=service) == 0
    second = json.loads(capsys.readouterr().out)
    assert [a["created"] for a in first["accounts"]] == [True] * 4
    assert [a["created"] for a in second["accounts"]] == [False] * 4
    assert first["jobcoach_totp"]["secret"] == second["jobcoach_totp"]["secret"]
    assert [a["totp"]["enrolled"] for a in second["accounts"]] == [True, False, False, False]


def test_rotate_keys_prints_the_new_key(service, settings, capsys):
    assert commands.rotate_keys(settings, ["--", "--immediately"], service=service) == 0
    kid = json.loads(capsys.readouterr().out)["kid"]
    assert kid in {key["kid"] for key in service.jwks()["keys"]}
