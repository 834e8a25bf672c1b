"""The revocation read model in a real service database: identity's events applied by the shared handlers
(idempotent, in any order), the one-query check the verifier runs, and the purge. The cost per check is
measured here too (printed; ADR 0019 quotes it)."""
from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from recert_common import revocation
from recert_common.db import Database, migrate_service
from recert_common.events import load_event, new_event

ACCOUNT = uuid.uuid4()


@pytest.fixture
def db(infra, tmp_path):
    url = infra.database_url(f"revocation_{uuid.uuid4().hex[:6]}")
    migrate_service(url, "svc", tmp_path)  # the shared tables only
    database = Database(url, max_size=4).open(wait=True)
    yield database
    database.close()


def _apply(db: Database, type_: str, data: dict, times: int = 1) -> None:
    event = load_event(new_event(type_, data, producer="identity", subject=data["account_id"]).to_json())
    for _ in range(times):
        with db.transaction() as conn:
            revocation.HANDLERS[type_](conn, event)


def _claims(sid: uuid.UUID | None, iat: datetime, account: uuid.UUID = ACCOUNT) -> dict:
    claims = {"sub": str(account), "iat": int(iat.timestamp())}
    if sid is not None:
        claims["sid"] = str(sid)
    return claims


def test_logout_refuses_that_session_only(db):
    check = revocation.DatabaseRevocations(db)
    ended, other = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    assert check.refusal(_claims(ended, now), ACCOUNT) is None
    _apply(db, "identity.session.ended", {"account_id": ACCOUNT, "session_id": ended, "ended_at": now,
                                          "reason": "logout"}, times=2)
    assert check.refusal(_claims(ended, now), ACCOUNT) == "session_ended:logout"
    assert check.refusal(_claims(other, now), ACCOUNT) is None
    assert check.refusal(_claims(None, now), ACCOUNT) is None


def test_disabling_refuses_every_token_of_the_account_and_no_other(db):
    check = revocation.DatabaseRevocations(db)
    now = datetime.now(UTC)
    _apply(db, "identity.account.disabled", {"account_id": ACCOUNT, "disabled_by": uuid.uuid4(),
                                             "reason": None}, times=2)
    assert check.refusal(_claims(uuid.uuid4(), now + timedelta(hours=1)), ACCOUNT) == "account_disabled"
    stranger = uuid.uuid4()
    assert check.refusal(_claims(uuid.uuid4(), now, stranger), stranger) is None


def test_all_sessions_ended_the_latest_change_wins_whatever_the_order(db):
    check = revocation.DatabaseRevocations(db)
    first, second = datetime.now(UTC) - timedelta(minutes=5), datetime.now(UTC)
    old_session, kept, fresh = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # The later change (keeping its session) arrives first, the earlier one late: the later one stays.
    _apply(db, "identity.account.sessions_ended", {
        "account_id": ACCOUNT, "ended_at": second, "session_ids": [old_session], "kept_session_id": kept,
        "reason": "password_changed"})
    _apply(db, "identity.account.sessions_ended", {
        "account_id": ACCOUNT, "ended_at": first, "session_ids": [], "kept_session_id": None,
        "reason": "password_reset"})
    before = second - timedelta(seconds=30)
    assert check.refusal(_claims(kept, before), ACCOUNT) is None
    assert check.refusal(_claims(old_session, second + timedelta(seconds=5)), ACCOUNT).startswith(
        "session_ended")
    assert check.refusal(_claims(uuid.uuid4(), before), ACCOUNT) == "sessions_ended"
    assert check.refusal(_claims(fresh, second + timedelta(seconds=1)), ACCOUNT) is None


def test_purge_forgets_what_no_token_can_need_but_never_a_disabled_account(db):
    long_ago = datetime.now(UTC) - revocation.RETENTION - timedelta(hours=1)
    session, disabled = uuid.uuid4(), uuid.uuid4()
    with db.transaction() as conn:
        revocation.end_session(conn, session_id=session, account_id=ACCOUNT, ended_at=long_ago,
                               reason="logout")
        revocation.end_sessions_of(conn, account_id=ACCOUNT, ended_at=long_ago, session_ids=[],
                                   kept_session_id=None, reason="totp_reset")
        revocation.disable_account(conn, account_id=disabled, disabled_at=long_ago)
        assert revocation.purge(conn, datetime.now(UTC)) == {"sessions": 1, "accounts": 1}
    check = revocation.DatabaseRevocations(db)
    assert check.refusal(_claims(uuid.uuid4(), long_ago, disabled), disabled) == "account_disabled"


def test_the_check_costs_one_short_query(db):
    check = revocation.DatabaseRevocations(db)
    with db.transaction() as conn:
        for _ in range(2000):
            revocation.end_session(conn, session_id=uuid.uuid4(), account_id=uuid.uuid4(),
                                   ended_at=datetime.now(UTC), reason="logout")
        conn.execute("ANALYZE revoked_sessions")
    claims = _claims(uuid.uuid4(), datetime.now(UTC))
    for _ in range(50):
        check.refusal(claims, ACCOUNT)
    rounds = 1000
    started = time.perf_counter()
    for _ in range(rounds):
        check.refusal(claims, ACCOUNT)
    per_check_ms = (time.perf_counter() - started) / rounds * 1000
    with db.transaction() as conn:
        plan = "\n".join(row["QUERY PLAN"] for row in conn.execute(
            "EXPLAIN " + revocation._STATE, {"sid": uuid.uuid4(), "account": ACCOUNT}).fetchall())
    print(f"\nrevocation check: {per_check_ms:.3f} ms per request (pool checkout + one query)\n{plan}")
    assert "Seq Scan on revoked_sessions" not in plan
    assert per_check_ms < 20  # generous for a shared 2-core machine; the figure is printed


SECRETS_KEY = base64.urlsafe_b64encode(bytes(32)).decode()


def test_every_service_but_identity_consumes_identitys_session_events():
    """The wiring (``ServiceSpec.all_subscriptions``) agrees with what the catalogue says services hear."""
    import importlib

    from recert_common.events import catalogue

    identity = importlib.import_module("recert_identity.__main__").SPEC
    assert identity.consumes_revocations is False  # it writes its read model in its own transactions
    for service in ("portfolio", "pe-registry", "assessment", "notifications", "billing"):
        spec = importlib.import_module(f"recert_{service.replace('-', '_')}.__main__").SPEC
        # Assessment signs credentials (ADR 0030): it does not start without its secrets key.
        settings = spec.settings_cls.from_env(service, env={"RECERT_ASSESSMENT_SECRETS_KEY": SECRETS_KEY})
        # A pool never opened: given none, notifications' wiring opens one of its own, which would go on
        # trying to reach a database that does not exist, logging into the tests that run after this one.
        unopened = Database(settings.database_url)
        assert revocation.SUBSCRIPTION in spec.all_subscriptions(settings, unopened), service
        assert "revocations.purge" in {s.name for s in spec.all_schedules(settings, unopened)}, service
        for event_type in revocation.HANDLERS:
            assert service in catalogue.CONSUMERS[event_type], (service, event_type)
