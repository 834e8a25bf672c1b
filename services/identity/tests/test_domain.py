"""Identity's rules without a database: passwords, lockout, TOTP, recovery codes, refresh verdicts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import argon2
import pyotp
import pytest

from recert_identity.domain import (
    Lockout,
    LockoutPolicy,
    PasswordHasher,
    RefreshVerdict,
    SecondFactorKind,
    accepted_totp_step,
    judge_refresh,
    new_recovery_codes,
    new_totp_secret,
    otpauth_uri,
    password_policy_violations,
    recovery_code_hash,
    second_factor_kind,
    time_step,
    token_hash,
)

NOW = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step
POLICY = LockoutPolicy(threshold=5, lock_seconds=900)


# --- passwords -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "violations"), [
    ("twelve chars", []),
    ("eleven char", ["identity.password.too_short"]),
    (" " * 12, ["identity.password.blank"]),
    ("x" * 1025, ["identity.password.too_long"]),
    ("Jan@Example.org", ["identity.password.is_email"]),
])
def test_password_policy(password, violations):
    assert password_policy_violations(password, email="jan@example.org") == violations


@pytest.mark.parametrize("password", [
    "password1234", "qwertyuiop12", "123456789012", "Wachtwoord123!", "Jobcoach2024!",
    "jan.jansen2024",  # the e-mail address's local part with a year
    "JanJansen1975",  # the name with a year of birth
    "password1234" * 85,  # judged on its start, however long
])
def test_common_and_guessable_passwords_are_refused(password):
    assert password_policy_violations(password, email="jan.jansen@example.org", full_name="Jan Jansen") == [
        "identity.password.guessable"]


@pytest.mark.parametrize("password", [
    "paars konijn fietst langzaam", "Tq8#vLm2!xRp", "correct horse battery", "Tq8#vLm2!xRp" * 85])
def test_strong_passwords_pass(password):
    assert password_policy_violations(password, email="jan.jansen@example.org", full_name="Jan Jansen") == []


@pytest.fixture(scope="module")
def hasher():
    return PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)


def test_argon2id_hashes_verify_only_their_password(hasher):
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse batterY")
    assert not hasher.verify("not a hash", "correct horse battery")


def test_no_hash_verifies_against_the_dummy_and_fails(hasher, monkeypatch):
    verified = []
    original = argon2.PasswordHasher.verify
    monkeypatch.setattr(argon2.PasswordHasher, "verify",
                        lambda self, h, p: verified.append(h) or original(self, h, p))
    assert not hasher.verify(None, "anything at all")
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_hashes_made_with_other_costs_need_rehashing(hasher):
    stronger = PasswordHasher(time_cost=2, memory_kib=1024, parallelism=1)
    assert stronger.needs_rehash(hasher.hash("correct horse battery"))
    assert not hasher.needs_rehash(hasher.hash("correct horse battery"))


# --- lockout ---------------------------------------------------------------------------------------------


def test_the_fifth_failure_locks_for_the_lock_time_and_restarts_the_count():
    state = Lockout()
    for attempts in range(1, 5):
        state = state.after_failure(NOW, POLICY)
        assert (state.failed_attempts, state.is_locked(NOW)) == (attempts, False)
    state = state.after_failure(NOW, POLICY)
    assert state == Lockout(0, NOW + timedelta(seconds=900))
    assert state.is_locked(NOW + timedelta(seconds=899))
    assert not state.is_locked(NOW + timedelta(seconds=900))


def test_failures_while_locked_do_not_count_or_extend_the_lock():
    locked = Lockout(0, NOW + timedelta(seconds=60))
    assert locked.after_failure(NOW, POLICY) == locked


def test_after_the_lock_counting_starts_again_from_zero():
    expired = Lockout(0, NOW - timedelta(seconds=1))
    assert expired.after_failure(NOW, POLICY).failed_attempts == 1
    assert Lockout.after_success() == Lockout(0, None)


# --- TOTP ------------------------------------------------------------------------------------------------


@pytest.fixture
def secret():
    return new_totp_secret()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def test_the_secret_has_160_bits_and_the_uri_names_issuer_and_account(secret):
    assert len(secret) == 32
    uri = otpauth_uri(secret, account_name="jan@example.org", issuer="Register Jobcoach")
    assert uri.startswith("otpauth://totp/Register%20Jobcoach:jan%40example.org?")
    assert f"secret={secret}" in uri and "issuer=Register%20Jobcoach" in uri


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_one_step_either_way_is_accepted(secret, offset, accepted):
    step = time_step(NOW) + offset
    assert accepted_totp_step(secret, code_at(secret, step), NOW, None) == (step if accepted else None)


def test_a_step_at_or_before_the_last_used_one_is_refused(secret):
    last = time_step(NOW)
    assert accepted_totp_step(secret, code_at(secret, last), NOW, last_used_step=last) is None
    assert accepted_totp_step(secret, code_at(secret, last - 1), NOW, last_used_step=last) is None
    assert accepted_totp_step(secret, code_at(secret, last + 1), NOW, last_used_step=last) == last + 1


def test_a_code_of_another_secret_is_refused(secret):
    assert accepted_totp_step(secret, code_at(new_totp_secret(), time_step(NOW)), NOW, None) is None


# --- recovery codes and second factors -------------------------------------------------------------------


def test_recovery_codes_are_ten_distinct_readable_codes():
    codes = new_recovery_codes()
    assert len(set(codes)) == 10
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert not set(code) & set("ILOU")


def test_a_recovery_code_hashes_the_same_however_it_is_typed():
    [code] = new_recovery_codes(1)
    typed = code.replace("-", " ").lower()
    assert recovery_code_hash(typed) == recovery_code_hash(code)
    assert recovery_code_hash("O" + code[1:]) == recovery_code_hash("0" + code[1:])  # Crockford aliases
    assert recovery_code_hash(code) != recovery_code_hash(new_recovery_codes(1)[0])


@pytest.mark.parametrize(("code", "kind"), [
    ("123456", SecondFactorKind.TOTP),
    (" 123456 ", SecondFactorKind.TOTP),
    ("7KQ2-M9XA-3FHZ-0W1B", SecondFactorKind.RECOVERY_CODE),
    ("7kq2m9xa3fhz0w1b", SecondFactorKind.RECOVERY_CODE),
    ("12345", None),
    ("1234567", None),
    ("7KQ2-M9XA-3FHZ", None),
    ("7KQ2-M9XA-3FHZ-0W1U", None),  # U is not in the alphabet
])
def test_second_factor_kinds(code, kind):
    assert second_factor_kind(code) == kind


def test_opaque_tokens_are_stored_as_sha256():
    assert len(token_hash("abc")) == 32
    assert token_hash("abc") != token_hash("abd")


# --- refresh tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("used", "revoked", "expires_in", "verdict"), [
    (False, False, 60, RefreshVerdict.ROTATE),
    (True, False, 60, RefreshVerdict.REUSED),
    (False, True, 60, RefreshVerdict.DEAD),
    (True, True, 60, RefreshVerdict.DEAD),
    (False, False, 0, RefreshVerdict.DEAD),
])
def test_refresh_verdicts(used, revoked, expires_in, verdict):
    assert judge_refresh(used_at=NOW if used else None, family_revoked_at=NOW if revoked else None,
                         family_expires_at=NOW + timedelta(seconds=expires_in), now=NOW) == verdict


def test_a_noloc_admin_resets_anyones_totp_a_dnv_officer_a_jobcoachs_or_assessors():
    from recert_identity.domain import may_reset_totp
    admin, officer = frozenset({"noloc_admin"}), frozenset({"dnv_officer"})
    for target in (("jobcoach",), ("assessor",), ("dnv_officer",), ("noloc_admin",)):
        assert may_reset_totp(admin, target)
    assert may_reset_totp(officer, ("jobcoach",)) and may_reset_totp(officer, ("assessor",))
    assert not may_reset_totp(officer, ("dnv_officer",))
    assert not may_reset_totp(officer, ("assessor", "noloc_admin"))
    assert not may_reset_totp(frozenset({"assessor"}), ("jobcoach",))
    assert not may_reset_totp(frozenset({"jobcoach"}), ("jobcoach",))


def test_dnv_support_resets_a_jobcoachs_assessors_or_mentors_app_only_from_a_matched_open_request():
    import uuid

    from recert_identity.domain import DeskRequest, may_reset_totp, resets_through_desk, support_reset_refusal
    support = frozenset({"dnv_support"})
    for target in (("jobcoach",), ("assessor",), ("mentor",), ("assessor", "mentor")):
        assert may_reset_totp(support, target)
    for target in (("dnv_officer",), ("noloc_admin",), ("dnv_support",), ("assessor", "dnv_officer"), ()):
        assert not may_reset_totp(support, target)
    assert resets_through_desk(support) and not resets_through_desk(frozenset({"dnv_support", "dnv_officer"}))
    account, other = uuid.uuid4(), uuid.uuid4()
    assert support_reset_refusal(None, account) == "request_not_found"
    assert support_reset_refusal(DeskRequest(uuid.uuid4(), None, "open"), account) == "request_not_matched"
    assert support_reset_refusal(DeskRequest(uuid.uuid4(), other, "open"), account) == "request_not_matched"
    assert support_reset_refusal(DeskRequest(uuid.uuid4(), account, "closed"), account) == "request_closed"
    assert support_reset_refusal(DeskRequest(uuid.uuid4(), account, "answered"), account) is None
