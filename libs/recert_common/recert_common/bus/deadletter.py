"""Inspecting and replaying a consumer's dead letters.

An operator's tool, also on the command line as ``python -m recert_common.bus``.

Replay sends a dead letter back to its consumer's own queue only (through the default exchange), with its
retry count reset, so other consumers of the same event are not disturbed. Replay with the consumer's own
broker user (the service's ``RECERT_AMQP_URL``): the consumer believes the original sender kept in the
``x-original-user-id`` header only on messages its own user sent; from another user a replayed event is
refused again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from kombu import Connection, Producer

from recert_common.bus.trust import RETRIES_HEADER, header_count


@dataclass(frozen=True)
class DeadLetter:
    event_id: str | None
    event_type: str | None
    retries: int
    error: str
    failed_at: str | None


def _connection(amqp_url: str) -> Connection:
    return Connection(amqp_url, transport_options={"confirm_publish": True}, connect_timeout=5)


def _get(channel, queue: str):
    raw = channel.basic_get(queue, no_ack=False)
    return None if raw is None else channel.message_to_python(raw)


def _describe(message) -> DeadLetter:
    headers = message.headers or {}
    try:
        body = json.loads(message.body)
    except ValueError:
        body = {}
    return DeadLetter(
        event_id=body.get("id") if isinstance(body, dict) else None,
        event_type=((body.get("type") if isinstance(body, dict) else None)
                    or headers.get("x-original-routing-key")),
        retries=header_count(headers, RETRIES_HEADER), error=str(headers.get("x-last-error", "")),
        failed_at=headers.get("x-failed-at"),
    )


def list_dead_letters(amqp_url: str, queue: str, limit: int = 1000) -> list[DeadLetter]:
    """Read without removing: every message fetched is returned to the queue when the channel closes."""
    found: list[DeadLetter] = []
    with _connection(amqp_url) as conn:
        channel = conn.channel()
        try:
            while len(found) < limit:
                message = _get(channel, f"{queue}.dead")
                if message is None:
                    break
                found.append(_describe(message))
        finally:
            channel.close()  # unacknowledged messages go back to the queue
    return found


def replay_dead_letters(amqp_url: str, queue: str, limit: int | None = None) -> int:
    """Move the dead letters waiting when it starts (at most ``limit``) back to ``queue``; each is
    acknowledged only after its republish was confirmed. One that fails again while the replay runs comes
    back behind them and is not moved a second time: otherwise a message that is dead-lettered at once
    (one that cannot be read) kept the replay going round for as long as the consumer ran."""
    moved = 0
    with _connection(amqp_url) as conn:
        channel = conn.channel()
        producer = Producer(conn.channel())
        waiting = channel.queue_declare(f"{queue}.dead", passive=True).message_count
        limit = waiting if limit is None else min(limit, waiting)
        while moved < limit:
            message = _get(channel, f"{queue}.dead")
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if k != RETRIES_HEADER}
            headers["x-replayed"] = header_count(headers, "x-replayed") + 1
            producer.publish(
                message.body, exchange="", routing_key=queue, headers=headers, delivery_mode=2,
                content_type=message.content_type, content_encoding=message.content_encoding,
                message_id=message.properties.get("message_id"), user_id=conn.userid,
            )
            message.ack()
            moved += 1
    return moved
