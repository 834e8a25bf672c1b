"""The outbox relay: publishes committed outbox rows to the topic exchange and marks them sent.

- Several relays may run at once: each batch is claimed with ``FOR UPDATE SKIP LOCKED``, so a row is in one
  relay's hands at a time and is marked sent in the same transaction that held it.
- Publishing uses publisher confirms and persistent messages; a row is marked sent only after the broker
  confirmed it. If the broker fails mid-batch, the rows confirmed so far are marked and the rest stay for the
  next attempt: a crash or an outage delays events, it never loses them. A crash between the confirm and the
  commit publishes a row again; consumers drop the duplicate by event id.
- Every message carries the ``user_id`` property, the relay's broker user: the broker refuses a message whose
  ``user_id`` is not the connection's user, and consumers believe an event only from its producer's user.
  The broker also refuses a routing key the user may not publish (topic permissions); with confirms that is
  an error here, and the row stays in the outbox with the error in ``last_error``.
- The relay sleeps on ``LISTEN recert_outbox`` (a trigger notifies on insert) with a slow poll as fallback.
"""
from __future__ import annotations

import json
import logging
import threading

import psycopg
from kombu import Connection, Producer

from recert_common.bus.broker import connect
from recert_common.bus.topology import ensure_exchange, events_exchange
from recert_common.db import Database

log = logging.getLogger(__name__)

_CLAIM = """
    SELECT seq, event_id, event_type, body FROM outbox
    WHERE published_at IS NULL ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED
"""


class OutboxRelay:
    def __init__(self, db: Database, amqp_url: str, exchange: str, *, batch_size: int = 200,
                 poll_seconds: float = 5.0, max_backoff_seconds: float = 10.0):
        self.db = db
        self.amqp_url = amqp_url
        self.exchange = events_exchange(exchange)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self.published = 0

    # -- broker ---------------------------------------------------------------------------------------
    def _producer_for_batch(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_url, transport_options={"confirm_publish": True},
                                    connect_timeout=5, heartbeat=0)
            connect(connection)  # a cluster's nodes in turn: this batch goes to the first that answers
            ensure_exchange(connection, self.exchange.name)
            channel = connection.channel()
            self._connection, self._producer = connection, Producer(channel, exchange=self.exchange,
                                                                    auto_declare=False)
        return self._producer

    def _drop_broker(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # the connection is broken already; nothing more to release
                pass
        self._connection = self._producer = None

    def close(self) -> None:
        self._drop_broker()

    # -- one batch ------------------------------------------------------------------------------------
    def publish_batch(self) -> int:
        """Claim, publish and mark one batch. Returns how many were published; raises if the broker failed
        before any row of the batch could be published."""
        sent: list[int] = []
        failure: Exception | None = None
        with self.db.transaction() as conn:
            rows = conn.execute(_CLAIM, (self.batch_size,)).fetchall()
            if not rows:
                return 0
            try:
                producer = self._producer_for_batch()
                for row in rows:
                    producer.publish(
                        json.dumps(row["body"], separators=(",", ":")),
                        routing_key=row["event_type"], content_type="application/json",
                        content_encoding="utf-8", delivery_mode=2, message_id=str(row["event_id"]),
                        user_id=self._connection.userid, retry=False,
                    )
                    sent.append(row["seq"])
            except Exception as exc:  # any broker failure: keep what was confirmed, retry the rest later
                failure = exc
                self._drop_broker()
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = %s WHERE seq = %s",
                    (f"{type(exc).__name__}: {exc}"[:500], rows[len(sent)]["seq"]),
                )
            if sent:
                conn.execute("UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY(%s)",
                             (sent,))
        self.published += len(sent)
        if failure is not None and not sent:
            raise failure
        return len(sent)

    def drain(self) -> int:
        """Publish until nothing is pending."""
        total = 0
        while True:
            count = self.publish_batch()
            total += count
            if count < self.batch_size:
                return total

    # -- the loop -------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        listener: psycopg.Connection | None = None
        while not stop.is_set():
            try:
                if listener is None:
                    listener = psycopg.connect(self.db.url, autocommit=True)
                    listener.execute("LISTEN recert_outbox")
                self.drain()
                backoff = 0.5
                # Wake on NOTIFY, or poll slowly in case a notification was missed.
                for _ in listener.notifies(timeout=self.poll_seconds, stop_after=1):
                    pass
            except psycopg.Error as exc:
                log.warning("relay: database unavailable, retrying", extra={"error": str(exc)})
                if listener is not None:
                    listener.close()
                listener = None
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
            except Exception as exc:  # broker down: back off and try again; rows stay in the outbox
                log.warning("relay: broker unavailable, retrying", extra={"error": str(exc)})
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
        if listener is not None:
            listener.close()
        self.close()
