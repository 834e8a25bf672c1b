"""Which signing key signs and which keys are published, at any instant (the pure part of keys.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recert_identity.domain import SigningKey
from recert_identity.keys import timeline

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TTL = timedelta(minutes=15)
CACHE = timedelta(minutes=5)


def key(kid: str, activates_at: datetime) -> SigningKey:
    return SigningKey(kid=kid, activates_at=activates_at, public_jwk={"kid": kid}, private_jwk_encrypted="x",
                      created_at=T0)


def kids(keys) -> list[str]:
    return [key.kid for key in keys]


ROWS = [key("k1", T0), key("k2", T0 + timedelta(days=1)), key("k3", T0 + timedelta(days=2))]


def test_no_keys_no_current_key():
    assert timeline([], T0, TTL).current is None


def test_the_newest_active_key_signs_and_a_pending_key_is_published_ahead():
    before_k2 = T0 + timedelta(days=1) - timedelta(seconds=1)
    state = timeline(ROWS[:2], before_k2, TTL)
    assert state.current.kid == "k1"
    assert kids(state.published) == ["k1", "k2"]
    assert state.retired == []


def test_a_retired_key_stays_published_for_a_token_lifetime_plus_the_cache_time():
    k2_active = T0 + timedelta(days=1)
    just_inside = timeline(ROWS[:2], k2_active + TTL + CACHE - timedelta(seconds=1), TTL)
    assert just_inside.current.kid == "k2"
    assert kids(just_inside.published) == ["k1", "k2"]
    assert kids(just_inside.retired) == ["k1"]
    after = timeline(ROWS[:2], k2_active + TTL + CACHE, TTL)
    assert kids(after.published) == ["k2"]
    assert kids(after.retired) == ["k1"]


def test_only_the_current_and_recent_keys_are_listed_after_many_rotations():
    state = timeline(ROWS, T0 + timedelta(days=3), TTL)
    assert state.current.kid == "k3"
    assert kids(state.published) == ["k3"]
    assert kids(state.retired) == ["k1", "k2"]
