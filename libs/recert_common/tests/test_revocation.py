"""The revocation rule: which access tokens the read model refuses (``recert_common.revocation.refusal``),
and the verifier asking it after the signature checks."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from recert_common.auth import (
    InvalidToken,
    RevokedToken,
    StaticKeySource,
    TokenVerifier,
    access_token_claims,
    generate_ed25519_jwk,
    sign_token,
)
from recert_common.revocation import RevocationState, refusal, session_id

ACCOUNT = uuid.uuid4()
SESSION = uuid.uuid4()
OTHER_SESSION = uuid.uuid4()
T = datetime(2026, 3, 1, 9, 30, 0, 400000, tzinfo=UTC)  # the change, 0.4 s into its second


def _claims(*, sid=SESSION, iat: float | None = None) -> dict:
    claims = {"sub": str(ACCOUNT), "iat": int(iat if iat is not None else T.timestamp() - 60)}
    if sid is not None:
        claims["sid"] = str(sid)
    return claims


def test_nothing_known_refuses_nothing():
    assert refusal(_claims(), RevocationState()) is None
    assert refusal(_claims(sid=None), RevocationState()) is None


def test_an_ended_session_refuses_its_tokens():
    assert refusal(_claims(), RevocationState(session_ended="logout")) == "session_ended:logout"


def test_a_disabled_account_refuses_every_token_whenever_issued():
    state = RevocationState(disabled_at=T)
    assert refusal(_claims(), state) == "account_disabled"
    assert refusal(_claims(iat=T.timestamp() + 3600), state) == "account_disabled"
    assert refusal(_claims(sid=None), state) == "account_disabled"


def test_all_sessions_ended_refuses_tokens_issued_before_but_not_after():
    state = RevocationState(tokens_not_before=T)
    assert refusal(_claims(iat=T.timestamp() - 1), state) == "sessions_ended"
    assert refusal(_claims(sid=None, iat=T.timestamp() - 1), state) == "sessions_ended"
    # A fresh login afterwards works, also within the same second (iat has whole seconds).
    assert refusal(_claims(sid=OTHER_SESSION, iat=T.timestamp() + 5), state) is None
    assert refusal(_claims(sid=OTHER_SESSION, iat=int(T.timestamp())), state) is None


def test_the_kept_session_survives_its_own_password_change():
    state = RevocationState(tokens_not_before=T, kept_session_id=SESSION)
    assert refusal(_claims(sid=SESSION, iat=T.timestamp() - 60), state) is None
    assert refusal(_claims(sid=OTHER_SESSION, iat=T.timestamp() - 60), state) == "sessions_ended"
    assert refusal(_claims(sid=None, iat=T.timestamp() - 60), state) == "sessions_ended"


def test_a_token_without_iat_is_refused_once_sessions_ended():
    claims = _claims(sid=None)
    del claims["iat"]
    assert refusal(claims, RevocationState(tokens_not_before=T)) == "sessions_ended"


@pytest.mark.parametrize("value", [None, 42, "not-a-uuid", ""])
def test_a_sid_that_is_no_uuid_counts_as_none(value):
    assert session_id({"sid": value}) is None
    assert session_id({"sid": str(SESSION)}) == SESSION


class _Revocations:
    def __init__(self, answer: str | None):
        self.answer = answer
        self.asked: list[tuple[dict, uuid.UUID]] = []

    def refusal(self, claims, account_id):
        self.asked.append((dict(claims), account_id))
        return self.answer


def _verifier(revocations) -> tuple[TokenVerifier, str]:
    private, public = generate_ed25519_jwk("k1")
    verifier = TokenVerifier(StaticKeySource([public]), issuer="iss", audience="aud", revocations=revocations)
    token = sign_token(private, "k1", access_token_claims(ACCOUNT, ["jobcoach"], issuer="iss", audience="aud",
                                                          sid=str(SESSION)))
    return verifier, token


def test_the_verifier_asks_the_read_model_and_refuses_what_it_refuses():
    revocations = _Revocations("session_ended:logout")
    verifier, token = _verifier(revocations)
    with pytest.raises(RevokedToken, match="session_ended:logout"):
        verifier.verify(token)
    [(claims, account_id)] = revocations.asked
    assert account_id == ACCOUNT and claims["sid"] == str(SESSION)

    allowed, token = _verifier(_Revocations(None))
    assert allowed.verify(token).account_id == ACCOUNT


def test_a_forged_token_never_reaches_the_read_model():
    revocations = _Revocations(None)
    verifier, token = _verifier(revocations)
    with pytest.raises(InvalidToken):
        verifier.verify(token[:-4] + "AAAA")
    assert revocations.asked == []


def test_with_revocations_keeps_the_other_checks():
    verifier, _ = _verifier(None)
    checked = verifier.with_revocations(_Revocations(None))
    assert (checked.keys, checked.issuer, checked.audience, checked.leeway_seconds) == (
        verifier.keys, verifier.issuer, verifier.audience, verifier.leeway_seconds)
    assert checked.revocations is not None and verifier.revocations is None
