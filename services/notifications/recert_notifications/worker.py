"""What notifications' worker runs besides the outbox relay and the consumer of ``handlers``
(``python -m recert_notifications worker``; the loop is ``recert_common.runtime.run_worker``):

- ``notifications.send``: every ``RECERT_NOTIFICATIONS_SEND_POLL_SECONDS``, send the e-mails that are due
  (new ones, and retries whose back-off has passed);
- ``notifications.supplement-reminders``: every ``RECERT_NOTIFICATIONS_REMINDER_POLL_SECONDS``, remind
  jobcoaches of supplements due within ``RECERT_NOTIFICATIONS_SUPPLEMENT_REMINDER_DAYS``;
- ``notifications.retention``: every ``RECERT_NOTIFICATIONS_RETENTION_INTERVAL_SECONDS``, delete the messages
  a jobcoach had before a final decision ``RECERT_NOTIFICATIONS_RETENTION_DAYS`` after it (ADR 0020);
- ``notifications.desk-unconfirmed``: as often, delete the service requests of logged-out people that were
  never confirmed, a day after their link expired (ADR 0029).

On ``RECERT_WORKER_METRICS_PORT`` it also serves the e-mails' delivery state (``metrics``) for the operators'
alerts.

All are safe in several workers at once: rows are claimed with ``FOR UPDATE SKIP LOCKED``.
"""
from __future__ import annotations

from collections.abc import Sequence

from recert_common.db import Database
from recert_common.worker import Schedule
from recert_common.worker_metrics import StateGauges
from recert_notifications.service import NotificationsService, build_service
from recert_notifications.settings import NotificationsSettings
from recert_notifications.store import MessageRepository


def schedules(settings: NotificationsSettings, db: Database, *,
              service: NotificationsService | None = None) -> Sequence[Schedule]:
    service = service or build_service(settings, db)
    return (
        Schedule("notifications.send", settings.send_poll_seconds, lambda _db: service.send_due()),
        Schedule("notifications.supplement-reminders", settings.reminder_poll_seconds,
                 lambda _db: service.send_reminders()),
        Schedule("notifications.retention", settings.retention_interval_seconds,
                 lambda _db: service.purge_expired_messages()),
        Schedule("notifications.desk-unconfirmed", settings.retention_interval_seconds,
                 lambda _db: service.desk.purge_unconfirmed()),
    )


# The e-mails' delivery state, read from the messages table, so every worker replica reports the same.
EMAIL_GAUGES = {
    "recert_notifications_emails_failed": "E-mails given up on after their last attempt (state failed).",
    "recert_notifications_emails_pending": "E-mails waiting to be sent, new or for a retry.",
    "recert_notifications_emails_retrying": "Waiting e-mails that failed at least once (the server refused "
                                            "or did not answer).",
    "recert_notifications_email_oldest_pending_age_seconds": "Age of the oldest waiting e-mail (0: none).",
}
_COLUMNS = dict(zip(EMAIL_GAUGES, ("failed", "pending", "retrying", "oldest_pending"), strict=True))


def metrics(settings: NotificationsSettings, db: Database) -> Sequence[StateGauges]:
    def read(conn) -> dict[str, float]:
        row = MessageRepository(conn).email_delivery()
        return {name: row[column] for name, column in _COLUMNS.items()}

    return (StateGauges(db, EMAIL_GAUGES, read),)
