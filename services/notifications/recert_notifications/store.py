"""SQL of the notifications database (psycopg 3, dict rows), run in the caller's transaction."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_common import accounts
from recert_notifications.domain import Channel, Contact, State

Conn = psycopg.Connection


# --- contacts (read model) -------------------------------------------------------------------------------


def _contact(row: dict[str, Any] | None) -> Contact | None:
    if row is None:
        return None
    return Contact(account_id=row["account_id"], full_name=row["full_name"], email=row["email"],
                   language=row["language"], roles=frozenset(row["roles"]),
                   disabled=row["disabled_at"] is not None)


def upsert_contact(conn: Conn, *, account_id: UUID, full_name: str, email: str, language: str,
                   roles: Iterable[str], as_of: datetime) -> bool:
    """Keep the profile unless a newer one is known already. Returns whether it was written."""
    return accounts.upsert_account(
        conn, "contacts", account_id, as_of,
        {"full_name": full_name, "email": email, "language": language, "roles": sorted(set(roles))},
        as_of_column="profile_as_of", touch=("updated_at",))


def disable_contact(conn: Conn, account_id: UUID, at: datetime) -> None:
    conn.execute("UPDATE contacts SET disabled_at = COALESCE(disabled_at, %s), updated_at = now() "
                 "WHERE account_id = %s", (at, account_id))


def contact(conn: Conn, account_id: UUID | None) -> Contact | None:
    if account_id is None:
        return None
    return _contact(conn.execute("SELECT * FROM contacts WHERE account_id = %s", (account_id,)).fetchone())


def contacts_with_role(conn: Conn, role: str) -> list[Contact]:
    rows = conn.execute("SELECT * FROM contacts WHERE %s = ANY(roles) AND disabled_at IS NULL "
                        "ORDER BY account_id", (role,)).fetchall()
    return [_contact(row) for row in rows]  # type: ignore[misc]


# --- submissions and supplement deadlines (read models) --------------------------------------------------


def record_submission(conn: Conn, data: dict[str, Any]) -> None:
    conn.execute(
        """INSERT INTO submissions (submission_id, account_id, certificate_id, certificate_expires_on,
                                    submitted_at)
           VALUES (%s, %s, %s, %s, %s) ON CONFLICT (submission_id) DO NOTHING""",
        (data["submission_id"], data["account_id"], data["certificate_id"], data["certificate_expires_on"],
         data["submitted_at"]))


def withdraw_submission(conn: Conn, submission_id: UUID, at: datetime) -> None:
    conn.execute("UPDATE submissions SET withdrawn_at = COALESCE(withdrawn_at, %s) WHERE submission_id = %s",
                 (at, submission_id))


def has_submission(conn: Conn, certificate_id: UUID, expires_on: date) -> bool:
    return conn.execute(
        "SELECT 1 FROM submissions WHERE certificate_id = %s AND certificate_expires_on = %s "
        "AND withdrawn_at IS NULL", (certificate_id, expires_on)).fetchone() is not None


def open_supplement_deadline(conn: Conn, case_id: UUID, account_id: UUID, due_on: date) -> None:
    """A supplement is due on ``due_on``; a new date reopens a deadline the old date had closed."""
    conn.execute(
        """INSERT INTO supplement_deadlines (case_id, account_id, due_on) VALUES (%s, %s, %s)
           ON CONFLICT (case_id) DO UPDATE
               SET due_on = EXCLUDED.due_on, updated_at = now(),
                   closed_at = CASE WHEN supplement_deadlines.due_on = EXCLUDED.due_on
                                    THEN supplement_deadlines.closed_at END""",
        (case_id, account_id, due_on))


def close_supplement_deadline(conn: Conn, case_id: UUID, at: datetime) -> None:
    conn.execute("UPDATE supplement_deadlines SET closed_at = COALESCE(closed_at, %s), updated_at = now() "
                 "WHERE case_id = %s", (at, case_id))


def due_supplement_reminders(conn: Conn, *, first_due_on: date, last_due_on: date,
                             limit: int) -> list[dict[str, Any]]:
    """Open deadlines due in [first_due_on, last_due_on] not reminded of for their date, locked."""
    return conn.execute(
        """SELECT case_id, account_id, due_on FROM supplement_deadlines
           WHERE closed_at IS NULL AND due_on BETWEEN %s AND %s
             AND reminded_for IS DISTINCT FROM due_on
           ORDER BY due_on, case_id LIMIT %s FOR UPDATE SKIP LOCKED""",
        (first_due_on, last_due_on, limit)).fetchall()


def mark_reminded(conn: Conn, case_id: UUID, due_on: date) -> None:
    conn.execute("UPDATE supplement_deadlines SET reminded_for = %s, updated_at = now() WHERE case_id = %s",
                 (due_on, case_id))


# --- parked notices --------------------------------------------------------------------------------------


def park(conn: Conn, *, fact_key: str, recipient_id: UUID, template: str, event_id: UUID,
         envelope: dict[str, Any]) -> None:
    conn.execute(
        """INSERT INTO parked_notices (fact_key, recipient_id, template, event_id, event)
           VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (fact_key, recipient_id, template, event_id, Jsonb(envelope)))


def take_parked(conn: Conn, recipient_id: UUID) -> list[dict[str, Any]]:
    """The notices parked for ``recipient_id``, oldest first, removed from the parking."""
    return conn.execute(
        """DELETE FROM parked_notices WHERE recipient_id = %s
           RETURNING fact_key, template, event_id, event, parked_at""", (recipient_id,)).fetchall()


# --- messages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMessage:
    id: UUID
    recipient_id: UUID
    channel: Channel
    template: str
    fact_key: str
    trigger_event_id: UUID | None
    trigger_event_type: str | None
    language: str
    subject: str
    body_text: str
    body_html: str
    email_address: str | None


def insert_message(conn: Conn, message: NewMessage) -> bool:
    """E-mail starts pending and due now; in-app is delivered at once. False when the fact was messaged."""
    email = message.channel == Channel.EMAIL
    row = conn.execute(
        """INSERT INTO messages (id, recipient_id, channel, template, fact_key, trigger_event_id,
                                 trigger_event_type, language, subject, body_text, body_html, email_address,
                                 state, next_attempt_at, sent_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                   CASE WHEN %s THEN clock_timestamp() END, CASE WHEN %s THEN NULL ELSE clock_timestamp() END)
           ON CONFLICT (fact_key, recipient_id, channel) DO NOTHING RETURNING id""",
        (message.id, message.recipient_id, str(message.channel), message.template, message.fact_key,
         message.trigger_event_id, message.trigger_event_type, message.language, message.subject,
         message.body_text, message.body_html, message.email_address,
         str(State.PENDING if email else State.DELIVERED), email, email),
    ).fetchone()
    return row is not None


def claim_due_email(conn: Conn) -> dict[str, Any] | None:
    """The e-mail due longest, locked for this transaction; others skip it."""
    return conn.execute(
        """SELECT m.*, c.full_name AS recipient_name FROM messages m
           LEFT JOIN contacts c ON c.account_id = m.recipient_id
           WHERE m.state = 'pending' AND m.next_attempt_at <= clock_timestamp()
           ORDER BY m.next_attempt_at, m.created_at LIMIT 1 FOR UPDATE OF m SKIP LOCKED""").fetchone()


def mark_sent(conn: Conn, message_id: UUID, attempts: int) -> None:
    conn.execute(
        """UPDATE messages SET state = 'sent', attempts = %s, sent_at = clock_timestamp(),
                               next_attempt_at = NULL WHERE id = %s""", (attempts, message_id))


def mark_attempt_failed(conn: Conn, message_id: UUID, *, attempts: int, error: str,
                        retry_in_seconds: float | None) -> None:
    """Another try after ``retry_in_seconds``, or (None) failed for good."""
    conn.execute(
        """UPDATE messages
           SET attempts = %(attempts)s, last_error = %(error)s,
               state = CASE WHEN %(retry)s::float8 IS NULL THEN 'failed' ELSE 'pending' END,
               next_attempt_at = clock_timestamp() + make_interval(secs => %(retry)s::float8),
               failed_at = CASE WHEN %(retry)s::float8 IS NULL THEN clock_timestamp() END
           WHERE id = %(id)s""",
        {"attempts": attempts, "error": error[:1000], "retry": retry_in_seconds, "id": message_id})


def message(conn: Conn, message_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM messages WHERE id = %s" + (" FOR UPDATE" if for_update else ""),
                        (message_id,)).fetchone()


def requeue_failed(conn: Conn, message_id: UUID) -> dict[str, Any] | None:
    """A failed e-mail back to pending with a fresh series of tries; None when it was not failed."""
    return conn.execute(
        """UPDATE messages SET state = 'pending', attempts = 0, next_attempt_at = clock_timestamp(),
                               failed_at = NULL
           WHERE id = %s AND state = 'failed' RETURNING *""", (message_id,)).fetchone()


def inbox(conn: Conn, recipient_id: UUID, *, unread_only: bool, page: int,
          page_size: int) -> tuple[list[dict[str, Any]], int]:
    where = "recipient_id = %s AND channel = 'in_app'" + (" AND read_at IS NULL" if unread_only else "")
    total = conn.execute(f"SELECT count(*) AS n FROM messages WHERE {where}", (recipient_id,)).fetchone()["n"]
    rows = conn.execute(
        f"SELECT * FROM messages WHERE {where} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
        (recipient_id, page_size, (page - 1) * page_size)).fetchall()
    return rows, total


def unread_count(conn: Conn, recipient_id: UUID) -> int:
    return conn.execute("SELECT count(*) AS n FROM messages WHERE recipient_id = %s AND channel = 'in_app' "
                        "AND read_at IS NULL", (recipient_id,)).fetchone()["n"]


def inbox_message(conn: Conn, recipient_id: UUID, message_id: UUID) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM messages WHERE id = %s AND recipient_id = %s AND channel = 'in_app'",
                        (message_id, recipient_id)).fetchone()


def mark_read(conn: Conn, recipient_id: UUID, message_id: UUID) -> dict[str, Any] | None:
    """Read from the first time on (reading again keeps the first instant); None when not theirs."""
    return conn.execute(
        """UPDATE messages SET read_at = COALESCE(read_at, clock_timestamp())
           WHERE id = %s AND recipient_id = %s AND channel = 'in_app' RETURNING *""",
        (message_id, recipient_id)).fetchone()


def mark_all_read(conn: Conn, recipient_id: UUID) -> int:
    return conn.execute("UPDATE messages SET read_at = clock_timestamp() WHERE recipient_id = %s "
                        "AND channel = 'in_app' AND read_at IS NULL", (recipient_id,)).rowcount


def failed_emails(conn: Conn, *, page: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute("SELECT count(*) AS n FROM messages WHERE state = 'failed'").fetchone()["n"]
    rows = conn.execute("SELECT * FROM messages WHERE state = 'failed' ORDER BY failed_at DESC, id "
                        "LIMIT %s OFFSET %s", (page_size, (page - 1) * page_size)).fetchall()
    return rows, total


# --- retention (ADR 0020) -------------------------------------------------------------------------------


def note_final_decision(conn: psycopg.Connection, decision_id: UUID, account_id: UUID,
                        decided_at: datetime) -> None:
    conn.execute("INSERT INTO final_decisions (decision_id, account_id, decided_at) VALUES (%s, %s, %s)"
                 " ON CONFLICT DO NOTHING", (decision_id, account_id, decided_at))


def purge_messages_before_decisions(conn: psycopg.Connection, decided_before: datetime, now: datetime
                                    ) -> tuple[int, int]:
    """For each final decision made before ``decided_before`` and not purged yet: delete the messages its
    jobcoach got before it (not an e-mail still being sent); returns (decisions, messages)."""
    due = conn.execute(
        "SELECT decision_id, account_id, decided_at FROM final_decisions"
        " WHERE purged_at IS NULL AND decided_at <= %s FOR UPDATE SKIP LOCKED", (decided_before,)).fetchall()
    deleted = 0
    for row in due:
        deleted += conn.execute(
            "DELETE FROM messages WHERE recipient_id = %s AND created_at < %s AND state <> 'pending'",
            (row["account_id"], row["decided_at"])).rowcount
        conn.execute("UPDATE final_decisions SET purged_at = %s WHERE decision_id = %s",
                     (now, row["decision_id"]))
    return len(due), deleted


def forget_account(conn: psycopg.Connection, account_id: UUID) -> None:
    """Delete every row about the account (identity.account.erased, ADR 0020): their messages (an e-mail
    not sent yet included), parked notices, deadlines, submissions and contact."""
    for statement in ("DELETE FROM messages WHERE recipient_id = %s",
                      "DELETE FROM parked_notices WHERE recipient_id = %s",
                      "DELETE FROM supplement_deadlines WHERE account_id = %s",
                      "DELETE FROM submissions WHERE account_id = %s",
                      "DELETE FROM final_decisions WHERE account_id = %s",
                      "DELETE FROM contacts WHERE account_id = %s"):
        conn.execute(statement, (account_id,))
