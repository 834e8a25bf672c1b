"""Closing and erasing an account (the AVG's right to erasure, ADR 0020).

A jobcoach closes their own account (``POST /v1/accounts/me/close``): it can no longer log in at once (its
sessions end, ``identity.account.disabled`` tells the others). ``RECERT_IDENTITY_ERASE_AFTER_DAYS`` later
(default 30: time to undo a mistake with DNV's support and for open invoices to be settled) the worker's
schedule erases it: the account row and everything hanging on it (recovery codes, challenges, sessions), the
sent events about it in identity's outbox, and ``identity.account.erased`` is published in the same
transaction so that every service forgets the person (billing keeps its invoices, which the law requires
for 7 years).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from recert_common import bus
from recert_common.errors import ValidationProblem
from recert_common.schemas import Strict
from recert_identity import store
from recert_identity.problems import AccountLocked
from recert_identity.schemas import _password

_log = logging.getLogger(__name__)
PRODUCER = "identity"


class AccountCloseSchema(Strict):
    password = _password(required=True, metadata={"description": "One's current password, to confirm."})


def close_account(service, account_id: UUID, password: str) -> None:
    """Close one's account, confirmed with one's password (a wrong one counts as a failed login, as when
    changing the password)."""
    now = service.clock()
    with service.db.transaction() as conn:
        account = service._existing(conn, account_id)
    if account.lockout.is_locked(now):
        raise AccountLocked(account.locked_until, now, service.settings.support)
    correct = service.hasher.verify(account.password_hash, password)
    refusal = None
    with service.db.transaction() as conn:
        account = service._existing(conn, account_id, for_update=True)
        if not correct:
            account = service._record_failure(conn, account, now, "failed_passwords")
            refusal = ValidationProblem({"password": ["identity.field.current_password_wrong"]})
            if account.lockout.is_locked(now):
                refusal = AccountLocked(account.locked_until, now, service.settings.support)
        else:
            _close(conn, account, now)
    if refusal is not None:
        raise refusal


def _close(conn, account, now: datetime) -> None:
    conn.execute("UPDATE accounts SET closed_at = %s WHERE id = %s", (now, account.id))
    if not account.disabled:
        store.update_account(conn, replace(account, disabled_at=now, disabled_by=None, updated_at=now))
        store.delete_challenges(conn, account.id)
        store.revoke_families_of(conn, account.id, now, "account_closed")
        bus.record(conn, "identity.account.disabled",
                   {"account_id": account.id, "disabled_by": None, "reason": "closed by its holder"},
                   producer=PRODUCER, subject=account.id)


def erase_closed_accounts(service, now: datetime | None = None) -> int:
    """Erase every account closed longer than the grace period ago; returns how many."""
    now = now or service.clock()
    cutoff = now - timedelta(days=service.settings.erase_after_days)
    with service.db.transaction() as conn:
        due = conn.execute("SELECT id, closed_at FROM accounts WHERE closed_at <= %s ORDER BY closed_at"
                           " FOR UPDATE SKIP LOCKED", (cutoff,)).fetchall()
        for row in due:
            # What identity sent about the person before (their profile in registered/updated events).
            conn.execute("DELETE FROM outbox WHERE published_at IS NOT NULL AND body ->> 'subject' = %s",
                         (str(row["id"]),))
            conn.execute("DELETE FROM accounts WHERE id = %s", (row["id"],))
            bus.record(conn, "identity.account.erased",
                       {"account_id": row["id"], "closed_at": row["closed_at"]},
                       producer=PRODUCER, subject=row["id"])
    if due:
        _log.info("closed accounts erased", extra={"accounts": len(due)})
    return len(due)
