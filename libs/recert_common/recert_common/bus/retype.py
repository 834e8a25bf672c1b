"""Giving a consumer's queues another type (classic to quorum, ADR 0032) without losing a message.

RabbitMQ cannot change a queue's type in place: the queue must be deleted and declared again, and whatever
is in it, or published to it meanwhile, would be lost. So, with the consumer's worker stopped (a queue that
is deleted under a consumer takes the messages the consumer holds unacknowledged with it):

1. A holding queue ``<queue>.moving`` of the new type is declared and bound like the consumer's queue: from
   now on every event for the consumer reaches it too (some twice: the consumer's inbox takes each once).
   ``<queue>.dead.moving`` is declared for the dead letters.
2. The retry queues are emptied into the holding queue, then deleted: an expiring retry goes back to the
   consumer's queue, which is about to go. A retry delivered early does no harm.
3. The consumer's queue is emptied into the holding queue and deleted; the dead-letter queue into its
   holding queue.
4. Every queue is declared again with the new type and its bindings; the holding queue is unbound, emptied
   into the consumer's queue and deleted, and so is the dead letters' one.

A queue that has the new type already is left as it is, so a run that was interrupted is finished by running
it again. Each message is acknowledged at its source only after the broker confirmed its copy. A moved copy is
sent by the consumer's own broker user, which is the only one it may send as; the original sender travels in
the ``x-original-user-id`` header, as on a retry (``trust``).
"""
from __future__ import annotations

import contextlib
import dataclasses

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Exchange, Producer, Queue, binding

from recert_common.bus.broker import connect
from recert_common.bus.topology import ConsumerTopology, ensure_exchange
from recert_common.bus.trust import ORIGINAL_USER_HEADER, BusTrust
from recert_common.config import QUEUE_TYPES


def _declares(connection: Connection, queue: Queue) -> bool:
    """Whether the broker accepts ``queue``'s declaration (False: it exists with other arguments)."""
    channel = connection.channel()
    try:
        queue(channel).declare()
        return True
    except PreconditionFailed:
        return False
    finally:
        with contextlib.suppress(Exception):
            channel.close()


def _has_other_type(connection: Connection, queue: Queue, as_before: Queue) -> bool:
    """Whether ``queue`` exists as ``as_before``, the same queue of the other type. The broker names only the
    first argument that differs (a retry queue's ``x-overflow`` comes before its type), so the declaration of
    the other type is what tells."""
    if _declares(connection, queue):
        return False
    if _declares(connection, as_before):
        return True
    raise PreconditionFailed(f"queue {queue.name!r} exists with arguments of neither type; see the broker")


def _move(connection: Connection, producer: Producer, trust: BusTrust, source: str, target: str) -> int:
    """Every message of ``source`` into ``target`` (through the default exchange), each acknowledged after
    its copy was confirmed. Returns how many."""
    channel = connection.channel()
    moved = 0
    try:
        while (raw := channel.basic_get(source, no_ack=False)) is not None:
            message = channel.message_to_python(raw)
            headers = dict(message.headers or {})
            headers[ORIGINAL_USER_HEADER] = trust.sender(message.properties.get("user_id"), headers) or ""
            producer.publish(message.body, exchange="", routing_key=target, headers=headers, delivery_mode=2,
                             content_type=message.content_type, content_encoding=message.content_encoding,
                             message_id=message.properties.get("message_id"), user_id=trust.own_user,
                             retry=False)
            message.ack()
            moved += 1
    finally:
        with contextlib.suppress(Exception):
            channel.close()
    return moved


def _delete(connection: Connection, name: str) -> None:
    channel = connection.channel()
    try:
        channel.queue_delete(name)
    except NotFound:
        pass
    finally:
        with contextlib.suppress(Exception):
            channel.close()


def change_queue_type(amqp_url: str, topology: ConsumerTopology, trust: BusTrust) -> dict[str, int]:
    """Give every queue of ``topology`` the type ``topology.queue_type``, keeping every message (see the
    module's description; the consumer's worker must be stopped). Returns how many messages each queue of
    the old type held."""
    holding = f"{topology.queue}.moving"
    dead_holding = f"{topology.dead_letter_queue}.moving"
    of_type = {"x-queue-type": topology.queue_type}
    exchange = Exchange(topology.exchange, type="topic", durable=True, no_declare=True)
    bindings = [binding(exchange, routing_key=key) for key in topology.routing_keys]
    moved: dict[str, int] = {}
    with Connection(amqp_url, transport_options={"confirm_publish": True}, connect_timeout=10) as connection:
        connect(connection)
        ensure_exchange(connection, topology.exchange)
        producer = Producer(connection.channel())
        channel = connection.channel()
        Queue(holding, exchange=exchange, bindings=bindings, durable=True, queue_arguments=of_type)(
            channel).declare()
        Queue(dead_holding, durable=True, queue_arguments=of_type)(channel).declare()
        before = dataclasses.replace(topology, queue_type=next(
            kind for kind in QUEUE_TYPES if kind != topology.queue_type))
        pairs = [*zip(topology.retries(), before.retries(), strict=True), (topology.main(), before.main()),
                 (topology.dead(), before.dead())]
        for queue, as_before in pairs:
            if _has_other_type(connection, queue, as_before):
                into = dead_holding if queue.name == topology.dead_letter_queue else holding
                moved[queue.name] = _move(connection, producer, trust, queue.name, into)
                _delete(connection, queue.name)
        channel = connection.channel()
        topology.declare(channel)
        for key in topology.routing_keys:
            channel.queue_unbind(holding, topology.exchange, key)
        _move(connection, producer, trust, holding, topology.queue)
        _move(connection, producer, trust, dead_holding, topology.dead_letter_queue)
        _delete(connection, holding)
        _delete(connection, dead_holding)
    return moved
