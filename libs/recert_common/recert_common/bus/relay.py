"""The outbox relay: publishes committed outbox rows to the topic exchange and marks them sent.

- Several relays may run at once: each batch is claimed with ``FOR UPDATE SKIP LOCKED``, so a row is in one
  relay's hands at a time and is marked sent in the same transaction that held it.
- Publishing uses publisher confirms and persistent messages; a row is marked sent only after the broker
  confirmed it. A batch is published without waiting, and its confirms are then awaited together (the
  broker confirms in batches of its own, after writing them): one wait per batch instead of one per message
  (ADR 0036). The batch's messages leave in as few TCP segments as they fill (``TCP_CORK`` while they are
  written), so the broker reads them together instead of being woken for each. If the broker fails
  mid-batch or nacks a message, the rows confirmed so far are marked and the rest stay for the next attempt
  with the error in ``last_error``: a crash or an outage delays events, it never loses them. A crash between
  the confirm and the commit publishes a row again; consumers drop the duplicate by event id.
- Every message carries the ``user_id`` property, the relay's broker user: the broker refuses a message whose
  ``user_id`` is not the connection's user, and consumers believe an event only from its producer's user.
  The broker also refuses a routing key the user may not publish (topic permissions); with confirms that is
  an error here, and the row stays in the outbox with the error in ``last_error``. Such a refusal closes the
  channel, so the messages after it in the batch are not published either; the batch after a failed one is
  therefore sent one message at a time, as a batch of confirms cannot say which message was refused: the rows
  before the refused one are marked, and it alone keeps the error, until a batch goes through whole.
- At work, the relay claims the next batch ``gather_seconds`` (10 ms) after the last, so that the commits
  right behind one make a batch with it. When a claim finds nothing, it falls asleep on ``LISTEN
  recert_outbox`` with a slow poll as fallback. Producers notify only while a relay sleeps: PostgreSQL
  serialises the commits of notifying transactions, a cost the producers paid on every commit when the
  trigger notified always (migration 0003). A sleeping relay holds ``RELAY_ASLEEP_LOCK`` exclusively; a
  producer that finds it free holds it shared until its commit and does not notify. So a relay can take the
  lock only when no such producer is between its outbox row and its commit, and after taking it, it claims
  once more before it sleeps: a row committed before the lock was taken is in that claim, a row written after
  notifies. Failing to take it (a producer has not committed yet, or another relay sleeps), the relay looks
  again after 10 ms, then less often up to ``busy_poll_seconds`` (0.1 s), waking on any notification: a
  long transaction that wrote an event keeps the relay from sleeping, and the events committed meanwhile
  wait at most that long.
"""
from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

import psycopg
from amqp.exceptions import MessageNacked
from kombu import Connection, Producer

from recert_common.bus.broker import connect
from recert_common.bus.topology import ensure_exchange, events_exchange
from recert_common.db import Database
from recert_common.events import CONTENT_TYPE

log = logging.getLogger(__name__)

# Held exclusively by a sleeping relay; producers notify only when they cannot take it shared (0003).
RELAY_ASLEEP_LOCK = 0x6f7574626f78  # "outbox"

# The body as PostgreSQL writes jsonb out, sent as it is: parsed into a dict and dumped again, it cost the
# relay about a tenth of its CPU per event, for the same JSON less a space after each colon and comma.
_CLAIM = """
    SELECT seq, event_id, event_type, body::text AS body FROM outbox
    WHERE published_at IS NULL ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED
"""


@contextlib.contextmanager
def _corked(sock: socket.socket):
    """Hold what is written to ``sock`` in the kernel until the block ends (or a full segment is ready),
    so that a batch of small messages leaves in a few segments. At a steady trickle of events, each message
    in its own segment woke the broker once per message: on two cores that cost the broker and the relay
    together a third more CPU per event, and the backlog it built put the bus's p99 over 100 ms.
    Where the option does not exist (not Linux), the messages leave as they are written."""
    cork = getattr(socket, "TCP_CORK", None)
    if cork is None:
        yield
        return
    sock.setsockopt(socket.IPPROTO_TCP, cork, 1)
    try:
        yield
    finally:
        # Uncorking sends what is held; on a connection that broke meanwhile there is nothing to send.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, cork, 0)


class _Confirms:
    """The broker's answers to the messages published on one channel in confirm mode.

    In confirm mode the broker numbers the channel's messages 1, 2, ... (delivery tags) and answers each
    with ``basic.ack`` or ``basic.nack``, possibly for several at once (``multiple``: every tag up to it)."""

    def __init__(self, channel):
        self.published = 0  # the delivery tag of the last message published on the channel
        self.acked: set[int] = set()
        self.nacked: set[int] = set()
        self._answered_up_to = 0
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)

    def _answer(self, into: set[int], tag: int, multiple: bool) -> None:
        if multiple:
            into.update(t for t in range(self._answered_up_to + 1, tag + 1)
                        if t not in self.acked and t not in self.nacked)
        else:
            into.add(tag)
        while self._answered_up_to + 1 in self.acked or self._answered_up_to + 1 in self.nacked:
            self._answered_up_to += 1

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._answer(self.acked, delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._answer(self.nacked, delivery_tag, multiple)

    def all_answered(self) -> bool:
        return self._answered_up_to >= self.published

    def forget_answered(self) -> None:
        """Drop the answers of a batch that is done with: the channel lives for many batches, and the tags
        it numbers only grow, so kept answers would grow with every message the relay ever sent."""
        self.acked.clear()
        self.nacked.clear()


class OutboxRelay:
    def __init__(self, db: Database, amqp_url: str, exchange: str, *, batch_size: int = 500,
                 poll_seconds: float = 5.0, max_backoff_seconds: float = 10.0,
                 confirm_timeout_seconds: float = 30.0, gather_seconds: float = 0.01,
                 busy_poll_seconds: float = 0.1):
        self.db = db
        self.amqp_url = amqp_url
        self.exchange = events_exchange(exchange)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.confirm_timeout_seconds = confirm_timeout_seconds
        self.gather_seconds = gather_seconds
        self.busy_poll_seconds = busy_poll_seconds
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._confirms: _Confirms | None = None
        # After a failed batch, one message at a time until a batch goes through (see the module's docstring).
        self._one_at_a_time = False
        self.published = 0

    # -- broker ---------------------------------------------------------------------------------------
    def _producer_for_batch(self) -> Producer:
        if self._producer is None:
            # No ``confirm_publish`` transport option: that makes every publish wait for its own confirm.
            # The channel is put in confirm mode here and the confirms are counted by ``_Confirms``.
            connection = Connection(self.amqp_url, connect_timeout=5, heartbeat=0)
            connect(connection)  # a cluster's nodes in turn: this batch goes to the first that answers
            ensure_exchange(connection, self.exchange.name)
            channel = connection.channel()
            channel.confirm_select()
            self._connection, self._confirms = connection, _Confirms(channel)
            self._producer = Producer(channel, exchange=self.exchange, auto_declare=False)
        return self._producer

    def _drop_broker(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # the connection is broken already; nothing more to release
                pass
        self._connection = self._producer = self._confirms = None

    def close(self) -> None:
        self._drop_broker()

    def _socket(self) -> socket.socket:
        """The socket of the broker connection the batch is published on."""
        return self._connection.connection.transport.sock

    def _await_confirms(self) -> None:
        deadline = time.monotonic() + self.confirm_timeout_seconds
        while not self._confirms.all_answered():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the broker did not confirm within {self.confirm_timeout_seconds} s")
            self._connection.drain_events(timeout=remaining)

    def _publish(self, rows: list[dict]) -> tuple[dict[int, int], Exception | None]:
        """Publish ``rows``; returns each published row's delivery tag by seq, and the failure if any
        (raised by the broker or the network while publishing or awaiting the confirms)."""
        tags: dict[int, int] = {}
        try:
            producer = self._producer_for_batch()
            # One at a time, each message is sent and confirmed before the next: nothing to hold back.
            with contextlib.nullcontext() if self._one_at_a_time else _corked(self._socket()):
                for row in rows:
                    producer.publish(
                        row["body"],
                        routing_key=row["event_type"], content_type=CONTENT_TYPE,
                        content_encoding="utf-8", delivery_mode=2, message_id=str(row["event_id"]),
                        user_id=self._connection.userid, retry=False,
                    )
                    self._confirms.published += 1
                    tags[row["seq"]] = self._confirms.published
                    if self._one_at_a_time:
                        self._await_confirms()
            self._await_confirms()  # uncorked: the last messages are on their way
        except Exception as exc:  # any broker failure: keep what was confirmed, retry the rest later
            return tags, exc
        if self._confirms.nacked & set(tags.values()):
            return tags, MessageNacked("the broker nacked a message (basic.nack)")
        return tags, None

    # -- one batch ------------------------------------------------------------------------------------
    def publish_batch(self) -> int:
        """Claim, publish and mark one batch. Returns how many were published; raises if the broker failed
        before any row of the batch could be published."""
        with self.db.transaction() as conn:
            rows = conn.execute(_CLAIM, (self.batch_size,)).fetchall()
            if not rows:
                return 0
            tags, failure = self._publish(rows)
            acked = self._confirms.acked if self._confirms is not None else set()
            sent = [seq for seq, tag in tags.items() if tag in acked]
            if failure is None:
                self._confirms.forget_answered()  # every tag of the batch is answered and read
            else:
                self._drop_broker()
                confirmed = set(sent)
                unconfirmed = [row["seq"] for row in rows if row["seq"] not in confirmed]
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = %s WHERE seq = ANY(%s)",
                    (f"{type(failure).__name__}: {failure}"[:500], unconfirmed),
                )
            if sent:
                conn.execute("UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY(%s)",
                             (sent,))
        self._one_at_a_time = failure is not None
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
    @staticmethod
    def _take_asleep_lock(listener: psycopg.Connection) -> bool:
        return listener.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_ASLEEP_LOCK,)).fetchone()[0]

    @staticmethod
    def _wait_for_notification(listener: psycopg.Connection, timeout: float, stop: threading.Event) -> None:
        """Until a notification, ``timeout`` or ``stop``; in slices, so that stopping takes at most half a
        second however long the poll."""
        deadline = time.monotonic() + timeout
        while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
            for _ in listener.notifies(timeout=min(remaining, 0.5), stop_after=1):
                return

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        retry_lock = self.gather_seconds
        listener: psycopg.Connection | None = None
        while not stop.is_set():
            try:
                if listener is None:
                    listener = self.db.listener()
                    listener.execute("LISTEN recert_outbox")
                if not self.drain():
                    if not self._take_asleep_lock(listener):
                        self._wait_for_notification(listener, retry_lock, stop)
                        retry_lock = min(retry_lock * 2, self.busy_poll_seconds)
                        continue
                    try:
                        # Rows committed before the lock was taken are visible now; rows written after notify.
                        if not self.drain():
                            self._wait_for_notification(listener, self.poll_seconds, stop)
                    finally:
                        listener.execute("SELECT pg_advisory_unlock(%s)", (RELAY_ASLEEP_LOCK,))
                # At work or woken, and no producer notifies: look again once the commits behind are in.
                backoff, retry_lock = 0.5, self.gather_seconds
                stop.wait(self.gather_seconds)
            except psycopg.Error as exc:
                log.warning("relay: database unavailable, retrying", extra={"error": str(exc)})
                if listener is not None:
                    listener.close()  # its session's lock goes with it
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
