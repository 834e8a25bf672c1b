"""The notifications database behind the unit of work: one repository per concern, each holding its SQL and
running it on the unit of work's connection (psycopg 3, dict rows); they return domain types."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from recert_common import accounts
from recert_common.bus import outbox
from recert_common.db import transaction_lock
from recert_common.uow import SqlUnitOfWork
from recert_notifications.desk import Attachment, Post, PostKind, RequestState, ServiceRequest
from recert_notifications.domain import (
    Channel,
    Contact,
    DueEmail,
    DueReminder,
    FinalDecision,
    Message,
    NewMessage,
    ParkedNotice,
    State,
)

Conn = psycopg.Connection


def _message(row: dict[str, Any] | None) -> Message | None:
    if row is None:
        return None
    return Message(**{**row, "channel": Channel(row["channel"]), "state": State(row["state"])})


def _contact(row: dict[str, Any] | None) -> Contact | None:
    if row is None:
        return None
    return Contact(account_id=row["account_id"], full_name=row["full_name"], email=row["email"],
                   language=row["language"], roles=frozenset(row["roles"]),
                   disabled=row["disabled_at"] is not None)


class ContactRepository:
    """The contact read model (identity.account.*): whom to write to, in which language.

    identity's events about one account may be handled in any order (a failed handler is retried at the back
    of the queue, a dead letter is replayed later), and disabling and erasing an account are final here:
    each leaves a tombstone (``contact_tombstones``: the account id and the times, no personal data) that a
    profile handled later respects (ADR 0010 and ADR 0020, amended 2026-12-07)."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def _tombstone(self, account_id: UUID) -> dict[str, Any] | None:
        return self.conn.execute("SELECT disabled_at, erased_at FROM contact_tombstones "
                                 "WHERE account_id = %s", (account_id,)).fetchone()

    def upsert(self, *, account_id: UUID, full_name: str, email: str, language: str, roles: Iterable[str],
               as_of: datetime) -> bool:
        """Keep the profile unless a newer one is known already or the account was erased; a disabled
        account's contact stays disabled. Returns whether it was written."""
        ended = self._tombstone(account_id)
        if ended is not None and ended["erased_at"] is not None:
            return False
        return accounts.upsert_account(
            self.conn, "contacts", account_id, as_of,
            {"full_name": full_name, "email": email, "language": language, "roles": sorted(set(roles)),
             "disabled_at": ended["disabled_at"] if ended else None},
            as_of_column="profile_as_of", keep_if_null=("disabled_at",), touch=("updated_at",))

    def confirm_email(self, account_id: UUID, email: str) -> None:
        """The address identity announced for the account (verified, ADR 0018): what a logged-out
        requester is matched by."""
        self.conn.execute("UPDATE contacts SET confirmed_email = %s WHERE account_id = %s",
                          (email, account_id))

    def by_confirmed_email(self, email: str) -> list[Contact]:
        """The enabled contacts whose announced address is ``email`` (case-insensitive)."""
        rows = self.conn.execute("SELECT * FROM contacts WHERE lower(confirmed_email) = lower(%s) "
                                 "AND disabled_at IS NULL ORDER BY account_id", (email,)).fetchall()
        return [_contact(row) for row in rows]  # type: ignore[misc]

    def confirmed_email(self, account_id: UUID) -> str | None:
        """The address identity announced for the account, disabled or not (what its logged-out requests
        were sent from)."""
        row = self.conn.execute("SELECT confirmed_email FROM contacts WHERE account_id = %s",
                                (account_id,)).fetchone()
        return row["confirmed_email"] if row else None

    def disable(self, account_id: UUID, at: datetime) -> None:
        """The account is disabled as of ``at`` (the first time stays), its contact known yet or not."""
        self.conn.execute(
            """INSERT INTO contact_tombstones (account_id, disabled_at) VALUES (%s, %s)
               ON CONFLICT (account_id) DO UPDATE
                   SET disabled_at = COALESCE(contact_tombstones.disabled_at, EXCLUDED.disabled_at)""",
            (account_id, at))
        self.conn.execute("UPDATE contacts SET disabled_at = COALESCE(disabled_at, %s), updated_at = now() "
                          "WHERE account_id = %s", (at, account_id))

    def erased(self, account_id: UUID) -> bool:
        """Whether identity erased the account (no contact will be made for it again)."""
        ended = self._tombstone(account_id)
        return ended is not None and ended["erased_at"] is not None

    def get(self, account_id: UUID | None) -> Contact | None:
        if account_id is None:
            return None
        return _contact(self.conn.execute("SELECT * FROM contacts WHERE account_id = %s",
                                          (account_id,)).fetchone())

    def with_role(self, role: str) -> list[Contact]:
        """The enabled contacts holding ``role``."""
        rows = self.conn.execute("SELECT * FROM contacts WHERE %s = ANY(roles) AND disabled_at IS NULL "
                                 "ORDER BY account_id", (role,)).fetchall()
        return [_contact(row) for row in rows]  # type: ignore[misc]

    def erase(self, account_id: UUID, at: datetime) -> None:
        """Forget the contact, keeping only that the account was erased at ``at`` (the first time stays)."""
        self.conn.execute("DELETE FROM contacts WHERE account_id = %s", (account_id,))
        self.conn.execute(
            """INSERT INTO contact_tombstones (account_id, erased_at) VALUES (%s, %s)
               ON CONFLICT (account_id) DO UPDATE
                   SET erased_at = COALESCE(contact_tombstones.erased_at, EXCLUDED.erased_at)""",
            (account_id, at))


class SubmissionRepository:
    """portfolio.submitted / withdrawn: whether a certificate period has a portfolio in.

    The two events may be handled in either order (a failed handler is retried at the back of the queue, a
    dead letter is replayed days later), and a withdrawal is final: one handled first keeps a row (a
    tombstone with the submission, account and time only), which the submission fills in and leaves withdrawn
    (ADR 0010, amended 2026-12-07)."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def record(self, *, submission_id: UUID, account_id: UUID, certificate_id: UUID,
               certificate_expires_on: date, submitted_at: datetime) -> bool:
        """Keep the submission; returns whether it stands (False when its withdrawal was handled first)."""
        row = self.conn.execute(
            """INSERT INTO submissions (submission_id, account_id, certificate_id, certificate_expires_on,
                                        submitted_at)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (submission_id) DO UPDATE
                   SET certificate_id = COALESCE(submissions.certificate_id, EXCLUDED.certificate_id),
                       certificate_expires_on = COALESCE(submissions.certificate_expires_on,
                                                         EXCLUDED.certificate_expires_on),
                       submitted_at = COALESCE(submissions.submitted_at, EXCLUDED.submitted_at)
               RETURNING withdrawn_at""",
            (submission_id, account_id, certificate_id, certificate_expires_on, submitted_at)).fetchone()
        return row["withdrawn_at"] is None

    def withdraw(self, submission_id: UUID, account_id: UUID, at: datetime) -> None:
        """The submission is withdrawn as of ``at`` (the first withdrawal's time stays), known yet or not."""
        self.conn.execute(
            """INSERT INTO submissions (submission_id, account_id, withdrawn_at) VALUES (%s, %s, %s)
               ON CONFLICT (submission_id) DO UPDATE
                   SET withdrawn_at = COALESCE(submissions.withdrawn_at, EXCLUDED.withdrawn_at)""",
            (submission_id, account_id, at))

    def has_submission(self, certificate_id: UUID, expires_on: date) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM submissions WHERE certificate_id = %s AND certificate_expires_on = %s "
            "AND withdrawn_at IS NULL", (certificate_id, expires_on)).fetchone() is not None

    def forget(self, account_id: UUID) -> None:
        self.conn.execute("DELETE FROM submissions WHERE account_id = %s", (account_id,))


class SupplementDeadlineRepository:
    """When a supplement is due (DNV's postponed decision), for the reminder schedule.

    The events that open a term (a postponed decision) and close it (the supplement, the final decision) may
    be handled in any order: a failed handler is retried at the back of the queue, a dead letter is replayed
    later. Each row therefore keeps the time of the postponement its date comes from (``opened_as_of``) and
    of the latest close (``closed_at``, an event time); a close handled first keeps a closed row without a
    date (ADR 0010, amended 2026-12-07). An annulment (an upheld objection that sends the case back to the
    PE check, ADR 0011 amended) is a close that also keeps its time (``annulled_at``): a postponement of
    that time or before is no longer told."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def open(self, case_id: UUID, account_id: UUID, due_on: date, at: datetime) -> bool:
        """A supplement is due on ``due_on`` by a postponed decision of ``at``. It opens the term unless the
        term was closed at or after ``at`` (the decision is handled late); a newer postponement, after an
        upheld objection, opens it again with its date; an older one than the row's changes nothing.
        Returns False when the postponement was annulled (``annul``) at or after ``at``: not to be told."""
        self.conn.execute(
            """INSERT INTO supplement_deadlines (case_id, account_id, due_on, opened_as_of)
               VALUES (%(case)s, %(account)s, %(due_on)s, %(at)s)
               ON CONFLICT (case_id) DO UPDATE
                   SET due_on = EXCLUDED.due_on, opened_as_of = EXCLUDED.opened_as_of, updated_at = now(),
                       closed_at = CASE WHEN supplement_deadlines.closed_at >= EXCLUDED.opened_as_of
                                        THEN supplement_deadlines.closed_at END
                   WHERE supplement_deadlines.opened_as_of IS NULL
                      OR supplement_deadlines.opened_as_of <= EXCLUDED.opened_as_of""",
            {"case": case_id, "account": account_id, "due_on": due_on, "at": at})
        annulled = self.conn.execute(
            "SELECT 1 FROM supplement_deadlines WHERE case_id = %s AND annulled_at >= %s", (case_id, at))
        return annulled.fetchone() is None

    def close(self, case_id: UUID, account_id: UUID, at: datetime) -> None:
        """The term ends at ``at`` (the supplement came in, or the case was decided), known yet or not; a
        close older than the postponement the row holds belongs to an earlier term and changes nothing."""
        self._close(case_id, account_id, at, annulled=False)

    def annul(self, case_id: UUID, account_id: UUID, at: datetime) -> bool:
        """An objection upheld at ``at`` annulled the postponed decision and the supplement it asked for (the
        case goes back to the PE check): the term ends as by ``close``, and a postponement of ``at`` or
        before, handled late, neither opens it again nor is told (``open`` answers False). False when a
        postponement newer than ``at`` holds the term (the objection's event is handled late): it stays."""
        return self._close(case_id, account_id, at, annulled=True)

    def _close(self, case_id: UUID, account_id: UUID, at: datetime, *, annulled: bool) -> bool:
        return self.conn.execute(
            """INSERT INTO supplement_deadlines (case_id, account_id, closed_at, annulled_at)
               VALUES (%(case)s, %(account)s, %(at)s, %(annulled_at)s)
               ON CONFLICT (case_id) DO UPDATE
                   SET closed_at = GREATEST(supplement_deadlines.closed_at, EXCLUDED.closed_at),
                       annulled_at = GREATEST(supplement_deadlines.annulled_at, EXCLUDED.annulled_at),
                       updated_at = now()
                   WHERE supplement_deadlines.opened_as_of IS NULL
                      OR supplement_deadlines.opened_as_of <= EXCLUDED.closed_at
               RETURNING case_id""",
            {"case": case_id, "account": account_id, "at": at, "annulled_at": at if annulled else None}
        ).fetchone() is not None

    def due_for_reminder(self, *, first_due_on: date, last_due_on: date, limit: int) -> list[DueReminder]:
        """Open deadlines due in [first_due_on, last_due_on] not reminded of for their date, locked."""
        rows = self.conn.execute(
            """SELECT case_id, account_id, due_on FROM supplement_deadlines
               WHERE closed_at IS NULL AND due_on BETWEEN %s AND %s
                 AND reminded_for IS DISTINCT FROM due_on
               ORDER BY due_on, case_id LIMIT %s FOR UPDATE SKIP LOCKED""",
            (first_due_on, last_due_on, limit)).fetchall()
        return [DueReminder(**row) for row in rows]

    def mark_reminded(self, case_id: UUID, due_on: date) -> None:
        self.conn.execute("UPDATE supplement_deadlines SET reminded_for = %s, updated_at = now() "
                          "WHERE case_id = %s", (due_on, case_id))

    def forget(self, account_id: UUID) -> None:
        self.conn.execute("DELETE FROM supplement_deadlines WHERE account_id = %s", (account_id,))


class ParkedNoticeRepository:
    """Notices about a person whose contact has not arrived yet."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def park(self, *, fact_key: str, recipient_id: UUID, template: str, event_id: UUID,
             envelope: dict[str, Any]) -> None:
        self.conn.execute(
            """INSERT INTO parked_notices (fact_key, recipient_id, template, event_id, event)
               VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
            (fact_key, recipient_id, template, event_id, Jsonb(envelope)))

    def take(self, recipient_id: UUID) -> list[ParkedNotice]:
        """The notices parked for ``recipient_id``, removed from the parking."""
        rows = self.conn.execute(
            """DELETE FROM parked_notices WHERE recipient_id = %s
               RETURNING fact_key, template, event_id, event, parked_at""", (recipient_id,)).fetchall()
        return [ParkedNotice(fact_key=row["fact_key"], template=row["template"], event_id=row["event_id"],
                             envelope=row["event"], parked_at=row["parked_at"]) for row in rows]

    def forget(self, account_id: UUID) -> None:
        self.conn.execute("DELETE FROM parked_notices WHERE recipient_id = %s", (account_id,))


class MessageRepository:
    """The messages, their delivery state and the inbox."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def email_delivery(self) -> dict[str, float]:
        """What the operators' metrics show of e-mail (``worker.metrics``): e-mails given up on, e-mails
        waiting (of them those that failed at least once and wait for a retry), and the age in seconds of the
        oldest waiting one (0 when none waits)."""
        # Only e-mail is ever pending or failed (in-app messages are delivered when made); each part reads one
        # of the partial indexes on those states, so a scrape does not scan the whole table.
        row = self.conn.execute(
            """SELECT (SELECT count(*) FROM messages WHERE state = 'failed') AS failed,
                      (SELECT count(*) FROM messages WHERE state = 'pending') AS pending,
                      (SELECT count(*) FROM messages WHERE state = 'pending' AND attempts > 0) AS retrying,
                      (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)
                       FROM messages WHERE state = 'pending') AS oldest_pending""").fetchone()
        return {name: float(value) for name, value in row.items()}

    def add(self, message: NewMessage) -> bool:
        """E-mail starts pending and due now; in-app is delivered at once. False when the fact was
        messaged to this recipient on this channel already."""
        email = message.channel == Channel.EMAIL
        row = self.conn.execute(
            """INSERT INTO messages (id, recipient_id, channel, template, fact_key, trigger_event_id,
                                     trigger_event_type, language, subject, body_text, body_html,
                                     email_address, service_request_id, state, next_attempt_at, sent_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       CASE WHEN %s THEN clock_timestamp() END,
                       CASE WHEN %s THEN NULL ELSE clock_timestamp() END)
               ON CONFLICT (fact_key, recipient_id, channel) DO NOTHING RETURNING id""",
            (message.id, message.recipient_id, str(message.channel), message.template, message.fact_key,
             message.trigger_event_id, message.trigger_event_type, message.language, message.subject,
             message.body_text, message.body_html, message.email_address, message.service_request_id,
             str(message.initial_state), email, email),
        ).fetchone()
        return row is not None

    def add_to_address(self, message: NewMessage) -> bool:
        """An e-mail to an address that is no account (``recipient_id`` None): DNV's support desk, a
        logged-out requester. False when the fact was mailed to this address already."""
        assert message.recipient_id is None and message.channel == Channel.EMAIL and message.email_address
        row = self.conn.execute(
            """INSERT INTO messages (id, recipient_id, channel, template, fact_key, trigger_event_id,
                                     trigger_event_type, language, subject, body_text, body_html,
                                     email_address, service_request_id, state, next_attempt_at)
               VALUES (%s, NULL, 'email', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending',
                       clock_timestamp())
               ON CONFLICT (fact_key, email_address) WHERE recipient_id IS NULL DO NOTHING RETURNING id""",
            (message.id, message.template, message.fact_key, message.trigger_event_id,
             message.trigger_event_type, message.language, message.subject, message.body_text,
             message.body_html, message.email_address, message.service_request_id),
        ).fetchone()
        return row is not None

    def claim_due_email(self) -> DueEmail | None:
        """The e-mail due longest, locked for this transaction; others skip it. With its recipient's name
        and current address from the contact, when there is one."""
        row = self.conn.execute(
            """SELECT m.*, c.full_name AS recipient_name, c.email AS recipient_email FROM messages m
               LEFT JOIN contacts c ON c.account_id = m.recipient_id
               WHERE m.state = 'pending' AND m.next_attempt_at <= clock_timestamp()
               ORDER BY m.next_attempt_at, m.created_at LIMIT 1 FOR UPDATE OF m SKIP LOCKED""").fetchone()
        if row is None:
            return None
        name, email = row.pop("recipient_name"), row.pop("recipient_email")
        return DueEmail(_message(row), name, email)  # type: ignore[arg-type]

    def readdress(self, message_id: UUID, email_address: str) -> None:
        """The address an e-mail goes to from its next try on (its row then says where it went)."""
        self.conn.execute("UPDATE messages SET email_address = %s WHERE id = %s", (email_address, message_id))

    def mark_sent(self, message_id: UUID, attempts: int) -> None:
        self.conn.execute(
            """UPDATE messages SET state = 'sent', attempts = %s, sent_at = clock_timestamp(),
                                   next_attempt_at = NULL WHERE id = %s""", (attempts, message_id))

    def mark_attempt_failed(self, message_id: UUID, *, attempts: int, error: str,
                            retry_in: timedelta | None) -> None:
        """Another try after ``retry_in``, or (None) failed for good."""
        self.conn.execute(
            """UPDATE messages
               SET attempts = %(attempts)s, last_error = %(error)s,
                   state = CASE WHEN %(retry)s::float8 IS NULL THEN 'failed' ELSE 'pending' END,
                   next_attempt_at = clock_timestamp() + make_interval(secs => %(retry)s::float8),
                   failed_at = CASE WHEN %(retry)s::float8 IS NULL THEN clock_timestamp() END
               WHERE id = %(id)s""",
            {"attempts": attempts, "error": error[:1000], "id": message_id,
             "retry": retry_in.total_seconds() if retry_in is not None else None})

    def get(self, message_id: UUID, *, for_update: bool = False) -> Message | None:
        return _message(self.conn.execute(
            "SELECT * FROM messages WHERE id = %s" + (" FOR UPDATE" if for_update else ""),
            (message_id,)).fetchone())

    def requeue_failed(self, message_id: UUID, email_address: str | None = None) -> Message | None:
        """A failed e-mail back to pending with a fresh series of tries, to ``email_address`` when given;
        None when it was not failed."""
        return _message(self.conn.execute(
            """UPDATE messages SET state = 'pending', attempts = 0, next_attempt_at = clock_timestamp(),
                                   failed_at = NULL, email_address = COALESCE(%s, email_address)
               WHERE id = %s AND state = 'failed' RETURNING *""", (email_address, message_id)).fetchone())

    def inbox(self, recipient_id: UUID, *, unread_only: bool, page: int,
              page_size: int) -> tuple[list[Message], int]:
        """One page of the recipient's in-app messages, newest first, and how many there are."""
        where = "recipient_id = %s AND channel = 'in_app'" + (" AND read_at IS NULL" if unread_only else "")
        total = self.conn.execute(f"SELECT count(*) AS n FROM messages WHERE {where}",
                                  (recipient_id,)).fetchone()["n"]
        rows = self.conn.execute(
            f"SELECT * FROM messages WHERE {where} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (recipient_id, page_size, (page - 1) * page_size)).fetchall()
        return [_message(row) for row in rows], total  # type: ignore[misc]

    def unread_count(self, recipient_id: UUID) -> int:
        return self.conn.execute(
            "SELECT count(*) AS n FROM messages WHERE recipient_id = %s AND channel = 'in_app' "
            "AND read_at IS NULL", (recipient_id,)).fetchone()["n"]

    def inbox_message(self, recipient_id: UUID, message_id: UUID) -> Message | None:
        return _message(self.conn.execute(
            "SELECT * FROM messages WHERE id = %s AND recipient_id = %s AND channel = 'in_app'",
            (message_id, recipient_id)).fetchone())

    def mark_read(self, recipient_id: UUID, message_id: UUID) -> Message | None:
        """Read from the first time on (reading again keeps the first instant); None when not theirs."""
        return _message(self.conn.execute(
            """UPDATE messages SET read_at = COALESCE(read_at, clock_timestamp())
               WHERE id = %s AND recipient_id = %s AND channel = 'in_app' RETURNING *""",
            (message_id, recipient_id)).fetchone())

    def mark_all_read(self, recipient_id: UUID) -> int:
        return self.conn.execute("UPDATE messages SET read_at = clock_timestamp() WHERE recipient_id = %s "
                                 "AND channel = 'in_app' AND read_at IS NULL", (recipient_id,)).rowcount

    def failed_emails(self, *, page: int, page_size: int) -> tuple[list[Message], int]:
        total = self.conn.execute("SELECT count(*) AS n FROM messages WHERE state = 'failed'").fetchone()["n"]
        rows = self.conn.execute("SELECT * FROM messages WHERE state = 'failed' ORDER BY failed_at DESC, id "
                                 "LIMIT %s OFFSET %s", (page_size, (page - 1) * page_size)).fetchall()
        return [_message(row) for row in rows], total  # type: ignore[misc]

    def delete_settled_before(self, recipient_id: UUID, before: datetime) -> int:
        """Delete the recipient's messages made before ``before``, except e-mails still being sent: those to
        the account, and the service desk's e-mails to the address of a request made logged out and matched
        to the account (its confirmation link and answers, which have no recipient)."""
        return self.conn.execute(
            """DELETE FROM messages m
               WHERE m.created_at < %(before)s AND m.state <> 'pending'
                 AND (m.recipient_id = %(account)s
                      OR (m.recipient_id IS NULL AND EXISTS (
                              SELECT 1 FROM service_requests r
                              WHERE r.id = m.service_request_id AND r.requester_account_id IS NULL
                                AND r.matched_account_id = %(account)s
                                AND m.email_address = r.requester_email)))""",
            {"account": recipient_id, "before": before}).rowcount

    def forget(self, account_id: UUID, address: str | None = None) -> None:
        """Every message of the account, an e-mail not sent yet included; with ``address`` (the account's
        confirmed one) also the e-mails to that address without a recipient that belong to no request (the
        desk's e-mails of a request go with the request, ``ServiceRequestRepository.forget``)."""
        self.conn.execute("DELETE FROM messages WHERE recipient_id = %s", (account_id,))
        if address:
            self.conn.execute("DELETE FROM messages WHERE recipient_id IS NULL "
                              "AND service_request_id IS NULL AND lower(email_address) = lower(%s)",
                              (address,))


class FinalDecisionRepository:
    """Final certification decisions, after which messages are kept for the retention period (ADR 0020)."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def note(self, decision_id: UUID, account_id: UUID, decided_at: datetime) -> None:
        self.conn.execute("INSERT INTO final_decisions (decision_id, account_id, decided_at) "
                          "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (decision_id, account_id, decided_at))

    def due_for_purge(self, decided_before: datetime) -> list[FinalDecision]:
        """Decisions made up to ``decided_before`` whose messages are not purged yet, locked."""
        rows = self.conn.execute(
            "SELECT decision_id, account_id, decided_at FROM final_decisions"
            " WHERE purged_at IS NULL AND decided_at <= %s FOR UPDATE SKIP LOCKED",
            (decided_before,)).fetchall()
        return [FinalDecision(**row) for row in rows]

    def mark_purged(self, decision_id: UUID, at: datetime) -> None:
        self.conn.execute("UPDATE final_decisions SET purged_at = %s WHERE decision_id = %s",
                          (at, decision_id))

    def forget(self, account_id: UUID) -> None:
        self.conn.execute("DELETE FROM final_decisions WHERE account_id = %s", (account_id,))


def _request(row: dict[str, Any] | None) -> ServiceRequest | None:
    if row is None:
        return None
    return ServiceRequest(
        id=row["id"], requester_account_id=row["requester_account_id"],
        requester_email=row["requester_email"],
        requester_name=row["requester_name"], language=row["language"], subject=row["subject"],
        state=RequestState(row["state"]), matched_account_id=row["matched_account_id"],
        confirmed_at=row["confirmed_at"], created_at=row["created_at"], updated_at=row["updated_at"])


def _post(row: dict[str, Any]) -> Post:
    return Post(id=row["id"], request_id=row["request_id"], kind=PostKind(row["kind"]),
                author_account_id=row["author_account_id"], author_name=row["author_name"], text=row["text"],
                created_at=row["created_at"])


_ATTACHMENT_COLUMNS = ("id, request_id, object_key, filename, content_type, size, sha256, uploaded_by, "
                       "created_at")


class ServiceRequestRepository:
    """The service desk (ADR 0029): requests, their threads, attachments and the secret links."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def add(self, *, id: UUID, requester_account_id: UUID | None, requester_email: str, requester_name: str,
            language: str, subject: str, state: RequestState, matched_account_id: UUID | None,
            confirm_token_sha256: str | None = None, confirm_expires_at: datetime | None = None
            ) -> ServiceRequest:
        row = self.conn.execute(
            """INSERT INTO service_requests (id, requester_account_id, requester_email, requester_name,
                                             language, subject, state, matched_account_id,
                                             confirm_token_sha256, confirm_expires_at, confirmed_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       CASE WHEN %s = 'unconfirmed' THEN NULL ELSE clock_timestamp() END)
               RETURNING *""",
            (id, requester_account_id, requester_email, requester_name, language, subject, str(state),
             matched_account_id, confirm_token_sha256, confirm_expires_at, str(state))).fetchone()
        return _request(row)  # type: ignore[return-value]

    def get(self, request_id: UUID, *, for_update: bool = False) -> ServiceRequest | None:
        return _request(self.conn.execute(
            "SELECT * FROM service_requests WHERE id = %s" + (" FOR UPDATE" if for_update else ""),
            (request_id,)).fetchone())

    def lock_address(self, email: str) -> None:
        """Serialise the logged-out requests of one address, so that its daily limit counts every one."""
        transaction_lock(self.conn, f"desk-address:{email.lower()}")

    def unconfirmed_since(self, email: str, since: datetime) -> int:
        return self.conn.execute(
            "SELECT count(*) AS n FROM service_requests WHERE lower(requester_email) = lower(%s) "
            "AND state = 'unconfirmed' AND created_at >= %s", (email, since)).fetchone()["n"]

    def confirm(self, token_sha256: str, now: datetime,
                matched: Callable[[str], UUID | None]) -> ServiceRequest | None:
        """The unconfirmed request of the token, confirmed (open) now; None for an unknown, used or expired
        token. ``matched`` gives the account its address belongs to."""
        row = self.conn.execute(
            "SELECT * FROM service_requests WHERE confirm_token_sha256 = %s AND state = 'unconfirmed' "
            "AND confirm_expires_at > %s FOR UPDATE", (token_sha256, now)).fetchone()
        if row is None:
            return None
        return _request(self.conn.execute(
            """UPDATE service_requests SET state = 'open', confirmed_at = clock_timestamp(),
                                           updated_at = clock_timestamp(), confirm_token_sha256 = NULL,
                                           matched_account_id = %s
               WHERE id = %s RETURNING *""", (matched(row["requester_email"]), row["id"])).fetchone())

    def set_state(self, request_id: UUID, state: RequestState) -> ServiceRequest:
        return _request(self.conn.execute(
            "UPDATE service_requests SET state = %s, updated_at = clock_timestamp() WHERE id = %s "
            "RETURNING *",
            (str(state), request_id)).fetchone())  # type: ignore[return-value]

    def mine(self, account_id: UUID, *, page: int, page_size: int) -> tuple[list[ServiceRequest], int]:
        """The account's requests: opened logged in, or logged out and matched to it by its confirmed
        address (what erasure deletes as the person's, and the archive therefore holds)."""
        where = "requester_account_id = %(a)s OR matched_account_id = %(a)s"
        total = self.conn.execute(f"SELECT count(*) AS n FROM service_requests WHERE {where}",
                                  {"a": account_id}).fetchone()["n"]
        rows = self.conn.execute(
            f"SELECT * FROM service_requests WHERE {where} ORDER BY created_at DESC, id "
            "LIMIT %(limit)s OFFSET %(offset)s",
            {"a": account_id, "limit": page_size, "offset": (page - 1) * page_size}).fetchall()
        return [_request(row) for row in rows], total  # type: ignore[misc]

    def queue(self, *, state: str | None, page: int,
              page_size: int) -> tuple[list[ServiceRequest], int]:
        """Confirmed requests, the longest untouched first; ``state`` filters."""
        where = "state <> 'unconfirmed'" + (" AND state = %(state)s" if state else "")
        params = {"state": state, "limit": page_size, "offset": (page - 1) * page_size}
        total = self.conn.execute(f"SELECT count(*) AS n FROM service_requests WHERE {where}",
                                  params).fetchone()["n"]
        rows = self.conn.execute(
            f"SELECT * FROM service_requests WHERE {where} ORDER BY updated_at, id "
            "LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
        return [_request(row) for row in rows], total  # type: ignore[misc]

    # -- the thread --

    def add_post(self, *, id: UUID, request_id: UUID, kind: PostKind, author_account_id: UUID | None,
                 author_name: str, text: str, source_event_id: UUID | None = None) -> Post | None:
        """None when a note of ``source_event_id`` is there already."""
        row = self.conn.execute(
            """INSERT INTO service_request_posts (id, request_id, kind, author_account_id, author_name, text,
                                                  source_event_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (source_event_id) DO NOTHING RETURNING *""",
            (id, request_id, str(kind), author_account_id, author_name, text, source_event_id)).fetchone()
        if row is None:
            return None
        self.conn.execute("UPDATE service_requests SET updated_at = clock_timestamp() WHERE id = %s",
                          (request_id,))
        return _post(row)

    def posts(self, request_id: UUID) -> list[Post]:
        rows = self.conn.execute("SELECT * FROM service_request_posts WHERE request_id = %s "
                                 "ORDER BY created_at, id", (request_id,)).fetchall()
        return [_post(row) for row in rows]

    def add_attachment(self, attachment: Attachment) -> None:
        a = attachment
        self.conn.execute(
            f"INSERT INTO service_request_attachments ({_ATTACHMENT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (a.id, a.request_id, a.object_key, a.filename, a.content_type, a.size, a.sha256, a.uploaded_by,
             a.created_at))

    def attachments(self, request_id: UUID) -> list[Attachment]:
        rows = self.conn.execute(f"SELECT {_ATTACHMENT_COLUMNS} FROM service_request_attachments "
                                 "WHERE request_id = %s ORDER BY created_at, id", (request_id,)).fetchall()
        return [Attachment(**row) for row in rows]

    def attachment(self, request_id: UUID, attachment_id: UUID) -> Attachment | None:
        row = self.conn.execute(f"SELECT {_ATTACHMENT_COLUMNS} FROM service_request_attachments "
                                "WHERE request_id = %s AND id = %s", (request_id, attachment_id)).fetchone()
        return Attachment(**row) if row else None

    # -- the secret links of a logged-out requester --

    def add_link(self, token_sha256: str, request_id: UUID, expires_at: datetime) -> None:
        self.conn.execute("INSERT INTO service_request_links (token_sha256, request_id, expires_at) "
                          "VALUES (%s, %s, %s)", (token_sha256, request_id, expires_at))

    def by_link(self, token_sha256: str, now: datetime, *, for_update: bool = False) -> ServiceRequest | None:
        return _request(self.conn.execute(
            "SELECT r.* FROM service_request_links l JOIN service_requests r ON r.id = l.request_id "
            "WHERE l.token_sha256 = %s AND l.expires_at > %s" + (" FOR UPDATE OF r" if for_update else ""),
            (token_sha256, now)).fetchone())

    def delete_unconfirmed(self, expired_before: datetime) -> int:
        """Logged-out requests whose confirmation link expired before ``expired_before``, never confirmed:
        nobody but their author (maybe not even they) ever saw them."""
        return self.conn.execute("DELETE FROM service_requests WHERE state = 'unconfirmed' "
                                 "AND confirm_expires_at < %s", (expired_before,)).rowcount

    def forget(self, account_id: UUID, address: str | None = None) -> list[str]:
        """The requests the account opened, or that were matched to it by its address, and (``address``, the
        account's confirmed address) those made logged out from that address and matched to no other account:
        also those confirmed while the account was closed, which matched nobody. Their threads, links,
        attachments and e-mails go with them (ON DELETE CASCADE), and the events published about them.
        Returns the object keys of the attachments, for the caller to delete."""
        ids = [row["id"] for row in self.conn.execute(
            """SELECT id FROM service_requests
               WHERE requester_account_id = %(account)s OR matched_account_id = %(account)s
                  OR (requester_account_id IS NULL AND matched_account_id IS NULL
                      AND lower(requester_email) = lower(%(address)s))""",
            {"account": account_id, "address": address}).fetchall()]
        if not ids:
            return []
        keys = [row["object_key"] for row in self.conn.execute(
            "SELECT object_key FROM service_request_attachments WHERE request_id = ANY(%s)",
            (ids,)).fetchall()]
        self.conn.execute("DELETE FROM service_requests WHERE id = ANY(%s)", (ids,))
        # A request matched to nobody was announced without a subject: its events go by the request's id.
        self.conn.execute("DELETE FROM outbox WHERE published_at IS NOT NULL "
                          "AND body -> 'data' ->> 'request_id' = ANY(%s)", ([str(i) for i in ids],))
        return keys


class OutboxRepository:
    """Notifications' own outbox, beyond publishing."""

    def __init__(self, conn: Conn):
        self.conn = conn

    def forget_published_about(self, account_id: UUID) -> None:
        """The published events about an erased person (ADR 0020): messages sent, requests answered."""
        outbox.forget_published_about(self.conn, account_id)


class SqlNotificationsUnitOfWork(SqlUnitOfWork):
    producer = "notifications"

    def bind(self, conn: Conn) -> None:
        self.contacts = ContactRepository(conn)
        self.submissions = SubmissionRepository(conn)
        self.deadlines = SupplementDeadlineRepository(conn)
        self.parked = ParkedNoticeRepository(conn)
        self.messages = MessageRepository(conn)
        self.final_decisions = FinalDecisionRepository(conn)
        self.desk = ServiceRequestRepository(conn)
        self.outbox = OutboxRepository(conn)


__all__ = ["ContactRepository", "FinalDecisionRepository", "MessageRepository", "OutboxRepository",
           "ParkedNoticeRepository", "ServiceRequestRepository", "SqlNotificationsUnitOfWork",
           "SubmissionRepository", "SupplementDeadlineRepository"]
