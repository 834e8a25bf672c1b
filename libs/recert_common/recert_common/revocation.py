"""Ended sessions stay ended: the revocation read model every service checks on each request.

An access token is signed for a few minutes and checked without asking identity, so logging out, a
refresh token coming back after it was spent (its family revoked) or disabling an account would leave the
token working until it expires. Identity therefore announces these through its outbox, and every service
keeps what it needs to refuse such tokens at once in two tables of its own database (the shared migration
``0002_revocations.sql``):

- ``revoked_sessions``: one row per ended session, keyed by the session id that identity puts in the
  ``sid`` claim of every access token of that login (``identity.session.ended``);
- ``account_revocations``: per account, ``disabled_at`` (``identity.account.disabled``), and
  ``tokens_not_before`` with ``kept_session_id`` (``identity.account.sessions_ended``: the account's tokens
  issued before that instant are refused, except those of the session that stays).

``refusal`` is the rule, on a token's claims and the account's ``RevocationState``. ``DatabaseRevocations``
reads the state in one query over two primary keys (see ADR 0019 for its cost) and is what
``recert_common.auth.TokenVerifier`` asks after the signature checks. The services' workers consume the
events with ``SUBSCRIPTION`` (added to every service's worker by ``recert_common.runtime``); identity,
the producer, calls ``end_session``, ``end_sessions_of`` and ``disable_account`` in the transaction that
ends the sessions, so it refuses the tokens itself in the same instant.

A row only matters while a token it refuses could still be unexpired: ``purge`` removes older ones.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import psycopg

from recert_common.bus.consumer import Subscription
from recert_common.db import Database
from recert_common.events import Event

SESSION_ENDED = "identity.session.ended"
SESSIONS_ENDED = "identity.account.sessions_ended"
ACCOUNT_DISABLED = "identity.account.disabled"

# Longer than any access token lives (identity's default is 15 minutes; see ADR 0019).
RETENTION = timedelta(days=1)


# --- the rule --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevocationState:
    """What the read model knows about one token's session and account (all None: nothing)."""

    session_ended: str | None = None  # the reason, when the token's session ended
    disabled_at: datetime | None = None
    tokens_not_before: datetime | None = None
    kept_session_id: UUID | None = None


def session_id(claims: Mapping[str, Any]) -> UUID | None:
    """The token's ``sid`` as a UUID, or None when it has none (or one that is no UUID)."""
    value = claims.get("sid")
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def refusal(claims: Mapping[str, Any], state: RevocationState) -> str | None:
    """Why a token with ``claims`` must be refused, or None when the read model has nothing against it.

    - the account is disabled: every token of it, whenever issued;
    - the token's session ended;
    - every session of the account ended at ``tokens_not_before``: a token issued before that second is
      refused unless it belongs to the kept session. ``iat`` has whole seconds, so a token of the very
      second of the change passes this rule (a fresh login right after a password reset must work); the
      sessions that ended then are refused by their ``sid`` anyway.
    """
    if state.disabled_at is not None:
        return "account_disabled"
    if state.session_ended is not None:
        return f"session_ended:{state.session_ended}"
    if state.tokens_not_before is not None:
        issued = claims.get("iat")
        sid = session_id(claims)
        if (not isinstance(issued, int | float) or issued < int(state.tokens_not_before.timestamp())) and (
                sid is None or sid != state.kept_session_id):
            return "sessions_ended"
    return None


# --- writing the read model (the handlers, and identity in its own transactions) ---------------------------


def end_session(conn: psycopg.Connection, *, session_id: UUID, account_id: UUID, ended_at: datetime,
                reason: str) -> None:
    """The session's tokens are refused from now on (a second call changes nothing)."""
    conn.execute(
        "INSERT INTO revoked_sessions (session_id, account_id, ended_at, reason) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (session_id) DO NOTHING", (session_id, account_id, ended_at, reason))


def end_sessions_of(conn: psycopg.Connection, *, account_id: UUID, ended_at: datetime,
                    session_ids: Iterable[UUID], kept_session_id: UUID | None, reason: str) -> None:
    """Every token of the account issued before ``ended_at`` is refused, except the kept session's.

    A later change wins; an older one arriving late only adds its sessions."""
    for ended in session_ids:
        end_session(conn, session_id=ended, account_id=account_id, ended_at=ended_at, reason=reason)
    conn.execute(
        """INSERT INTO account_revocations (account_id, tokens_not_before, kept_session_id)
           VALUES (%s, %s, %s)
           ON CONFLICT (account_id) DO UPDATE
               SET tokens_not_before = EXCLUDED.tokens_not_before,
                   kept_session_id = EXCLUDED.kept_session_id, updated_at = clock_timestamp()
               WHERE account_revocations.tokens_not_before IS NULL
                  OR account_revocations.tokens_not_before < EXCLUDED.tokens_not_before""",
        (account_id, ended_at, kept_session_id))


def disable_account(conn: psycopg.Connection, *, account_id: UUID, disabled_at: datetime) -> None:
    """Every token of the account is refused from now on."""
    conn.execute(
        """INSERT INTO account_revocations (account_id, disabled_at) VALUES (%s, %s)
           ON CONFLICT (account_id) DO UPDATE
               SET disabled_at = coalesce(account_revocations.disabled_at, EXCLUDED.disabled_at),
                   updated_at = clock_timestamp()""",
        (account_id, disabled_at))


def purge(conn: psycopg.Connection, now: datetime, retention: timedelta = RETENTION) -> dict[str, int]:
    """Forget what no unexpired token can need any more; a disabled account is never forgotten."""
    before = now - retention
    sessions = conn.execute("DELETE FROM revoked_sessions WHERE ended_at < %s", (before,)).rowcount
    accounts = conn.execute(
        "DELETE FROM account_revocations WHERE disabled_at IS NULL AND tokens_not_before < %s",
        (before,)).rowcount
    return {"sessions": sessions, "accounts": accounts}


def _on_session_ended(conn: psycopg.Connection, event: Event) -> None:
    data = event.data
    end_session(conn, session_id=data["session_id"], account_id=data["account_id"], ended_at=data["ended_at"],
                reason=data["reason"])


def _on_sessions_ended(conn: psycopg.Connection, event: Event) -> None:
    data = event.data
    end_sessions_of(conn, account_id=data["account_id"], ended_at=data["ended_at"],
                    session_ids=data["session_ids"], kept_session_id=data["kept_session_id"],
                    reason=data["reason"])


def _on_account_disabled(conn: psycopg.Connection, event: Event) -> None:
    disable_account(conn, account_id=event.data["account_id"], disabled_at=event.occurred_at)


HANDLERS = {SESSION_ENDED: _on_session_ended, SESSIONS_ENDED: _on_sessions_ended,
            ACCOUNT_DISABLED: _on_account_disabled}
#: The consumer every service but identity runs (queue ``<service>.revocations``).
SUBSCRIPTION = Subscription("revocations", HANDLERS)


# --- the check -------------------------------------------------------------------------------------------


class RevocationCheck(Protocol):
    def refusal(self, claims: Mapping[str, Any], account_id: UUID) -> str | None: ...


_STATE = """
SELECT (SELECT reason FROM revoked_sessions WHERE session_id = %(sid)s) AS session_ended,
       a.disabled_at, a.tokens_not_before, a.kept_session_id
FROM (SELECT 1) AS one LEFT JOIN account_revocations a ON a.account_id = %(account)s
"""


def load_state(conn: psycopg.Connection, account_id: UUID, sid: UUID | None) -> RevocationState:
    row = conn.execute(_STATE, {"sid": sid, "account": account_id}).fetchone()
    if not isinstance(row, Mapping):
        row = dict(zip(("session_ended", "disabled_at", "tokens_not_before", "kept_session_id"), row,
                       strict=True))
    return RevocationState(**row)


class DatabaseRevocations:
    """The read model in the service's own database: one query (two primary-key lookups) per token checked.

    A database that does not answer raises psycopg's error, which the services answer with 503: a token
    is never accepted because its revocation could not be looked up.
    """

    def __init__(self, db: Database):
        self.db = db

    def refusal(self, claims: Mapping[str, Any], account_id: UUID) -> str | None:
        with self.db.transaction() as conn:
            state = load_state(conn, account_id, session_id(claims))
        return refusal(claims, state)


__all__ = ["SESSION_ENDED", "SESSIONS_ENDED", "ACCOUNT_DISABLED", "RETENTION", "RevocationState",
           "session_id", "refusal", "end_session", "end_sessions_of", "disable_account", "purge",
           "HANDLERS", "SUBSCRIPTION", "RevocationCheck", "load_state", "DatabaseRevocations"]
