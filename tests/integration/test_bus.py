"""The event bus against the real broker and database, each test asserting on counts."""
from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from kombu import Connection, Exchange, Producer, Queue
from races import waiting_for_advisory_locks

from recert_common import bus
from recert_common.bus.broker import QueueTypeMismatch
from recert_common.bus.provision import BrokerAdmin
from recert_common.bus.relay import RELAY_ASLEEP_LOCK
from recert_common.config import LOOPBACK, ServiceSettings
from recert_common.db import Database
from recert_common.events import CONTENT_TYPE, load_event, new_event
from recert_common.worker import Worker, consumer_topology, declare_queues
from recert_common.worker_metrics import serve_metrics, worker_registry

from bus_fixtures import (
    TcpProxy,
    change_items,
    effect_counts,
    make_database,
    record_effect,
    take_all,
    wait_for,
)


@pytest.fixture
def names(infra):
    """A queue prefix and databases of this test alone."""
    tag = uuid.uuid4().hex[:6]
    settings = ServiceSettings.from_env("bustest", env={}, exchange=infra.exchange, amqp_url=infra.amqp_url,
                                        queue_prefix=f"{infra.queue_prefix}{tag}.", queue_expires_ms=600_000,
                                        queue_type="classic",
                                        consumer_max_retries=2, consumer_retry_base_ms=100,
                                        relay_poll_seconds=1.0, bus_trusted_users=infra.amqp_user)
    producer = make_database(infra, f"producer_{tag}", "producer")
    consumer = make_database(infra, f"consumer_{tag}", "consumer")
    workers: list[Worker] = []

    class Names:
        pass

    n = Names()
    n.settings, n.producer, n.consumer, n.workers = settings, producer, consumer, workers

    def start(db: Database, subscriptions=(), relay=True, **overrides) -> Worker:
        worker = Worker(ServiceSettings(**{**settings.__dict__, **overrides}), db, subscriptions, relay=relay)
        for consumer_ in worker.consumers:
            infra.queues.update(consumer_.topology.all_queue_names())
        workers.append(worker.start().wait_ready())
        return worker

    n.start = start
    yield n
    for worker in workers:
        worker.stop()
    producer.close()
    consumer.close()


EFFECTS = bus.Subscription("effects", {"bustest.item.changed": record_effect})


def test_a_thousand_changes_give_a_thousand_effects_none_twice(names):
    names.start(names.consumer, [EFFECTS], relay=False)
    change_items(names.producer, 1000)
    names.start(names.producer)
    wait_for(lambda: effect_counts(names.consumer)[0] >= 1000, message="1000 effects")
    with names.producer.transaction() as conn:
        assert bus.pending_count(conn) == 0
    assert effect_counts(names.consumer) == (1000, 1000)


def test_a_batch_added_at_once_is_published_in_its_order_with_the_bodies_as_made(names):
    """``outbox.add_many``: one statement, the rows in the batch's order, each body the event's message."""
    events = [new_event("bustest.item.changed", {"item_id": n}, producer="bustest", subject=uuid.uuid4())
              for n in (7, 3, 5)]
    with names.producer.transaction() as conn:
        bus.add_many(conn, events)
        bus.add_many(conn, [])
        rows = conn.execute("SELECT event_id, event_type, body FROM outbox ORDER BY seq").fetchall()
    assert [row["event_id"] for row in rows] == [event.id for event in events]
    assert all(row["event_type"] == "bustest.item.changed" for row in rows)
    assert [row["body"] for row in rows] == [event.to_message() for event in events]


def test_broker_unreachable_while_200_changes_are_made_none_lost(names, infra):
    host, port = Connection(infra.amqp_url).hostname, Connection(infra.amqp_url).port or 5672
    proxy = TcpProxy(host, port)
    try:
        proxied_url = Connection(infra.amqp_url).clone(hostname="127.0.0.1", port=proxy.port).as_uri(
            include_password=True)
        names.start(names.consumer, [EFFECTS], relay=False)
        names.start(names.producer, amqp_url=proxied_url)
        change_items(names.producer, 20)
        wait_for(lambda: effect_counts(names.consumer)[0] >= 20, message="first 20 effects")

        proxy.cut()
        change_items(names.producer, 200, start=20)
        with names.producer.transaction() as conn:
            # While the broker is unreachable the changes are committed and their events wait.
            assert bus.pending_count(conn) > 0
        proxy.restore()

        wait_for(lambda: effect_counts(names.consumer)[0] >= 220, message="all 220 effects")
        # The consumer may see a batch before the relay has marked it published (it marks after the
        # broker's confirms): every row is marked in the end.
        with names.producer.transaction() as conn:
            wait_for(lambda: bus.pending_count(conn) == 0, message="every outbox row marked published")
        assert effect_counts(names.consumer) == (220, 220)
    finally:
        proxy.close()


def _publish_raw(infra, exchange: str, body: str | bytes, routing_key: str,
                 content_type: str = "application/json"):
    with Connection(infra.amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(body, exchange=Exchange(exchange, type="topic", durable=True),
                                         routing_key=routing_key, content_type=content_type,
                                         content_encoding="utf-8", delivery_mode=2, user_id=conn.userid)


def test_the_same_event_delivered_twice_has_one_effect(names, infra):
    worker = names.start(names.consumer, [EFFECTS], relay=False)
    body = new_event("bustest.item.changed", {"item_id": 7}, producer="bustest").to_json()
    _publish_raw(infra, names.settings.exchange, body, "bustest.item.changed")
    _publish_raw(infra, names.settings.exchange, body, "bustest.item.changed")
    wait_for(lambda: effect_counts(names.consumer)[0] >= 1, message="the effect")
    # Give the duplicate time to arrive and be dropped, then check it really was dropped.
    wait_for(lambda: worker.consumers[0].handled >= 1, message="handled")
    with names.consumer.transaction() as conn:
        wait_for(lambda: conn.execute("SELECT count(*) AS n FROM inbox").fetchone()["n"] == 1)
    _publish_raw(infra, names.settings.exchange,
                 new_event("bustest.item.changed", {"item_id": 8}, producer="bustest").to_json(),
                 "bustest.item.changed")
    wait_for(lambda: effect_counts(names.consumer)[0] >= 2, message="the second event's effect")
    assert effect_counts(names.consumer) == (2, 2)


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_a_failing_handler_ends_in_the_dead_letter_queue_and_replay_puts_it_back(names, infra, queue_type):
    calls = []
    healthy = threading.Event()

    def flaky(conn, event):
        calls.append(event.id)
        if not healthy.is_set():
            raise RuntimeError("handler broke")
        record_effect(conn, event)

    worker = names.start(names.consumer, [bus.Subscription("flaky", {"bustest.item.changed": flaky})],
                         relay=False, queue_type=queue_type)
    queue = worker.consumers[0].topology.queue
    # Every queue of the consumer is of the type asked for: the retries' way back to the consumer's queue
    # (dead-lettering when a retry expires) works on both.
    types = queue_types(infra)
    assert {types[name] for name in worker.consumers[0].topology.all_queue_names()} == {queue_type}
    event = new_event("bustest.item.changed", {"item_id": 1}, producer="bustest")
    _publish_raw(infra, names.settings.exchange, event.to_json(), "bustest.item.changed")

    letters = wait_for(lambda: bus.list_dead_letters(infra.amqp_url, queue), message="a dead letter")
    assert [(letter.event_id, letter.retries) for letter in letters] == [(str(event.id), 2)]
    assert "handler broke" in letters[0].error
    assert len(calls) == 3  # the first try and two retries
    assert effect_counts(names.consumer) == (0, 0)
    # Listing does not remove.
    assert len(bus.list_dead_letters(infra.amqp_url, queue)) == 1

    healthy.set()
    assert bus.replay_dead_letters(infra.amqp_url, queue) == 1
    wait_for(lambda: effect_counts(names.consumer)[0] >= 1, message="the replayed effect")
    assert effect_counts(names.consumer) == (1, 1)
    assert bus.list_dead_letters(infra.amqp_url, queue) == []


@pytest.mark.parametrize("body, content_type, reason", [
    (json.dumps({"type": "bustest.item.changed"}), "application/json", "malformed envelope"),
    (b"{not json", "application/json", "not JSON"),
    # A pickle (protocol 4, the integer 1): never unpickled, whatever its content type claims.
    (b"\x80\x04K\x01.", "application/x-python-serialize", "content type"),
    (new_event("bustest.item.changed", {"item_id": 9}, producer="bustest").to_json(), "text/plain",
     "content type"),
], ids=["malformed-envelope", "not-json", "pickle", "text-plain"])
def test_an_unreadable_message_goes_to_the_dead_letter_queue_at_once(names, infra, body, content_type,
                                                                      reason):
    worker = names.start(names.consumer, [EFFECTS], relay=False)
    _publish_raw(infra, names.settings.exchange, body, "bustest.item.changed", content_type)
    letters = wait_for(lambda: bus.list_dead_letters(infra.amqp_url, worker.consumers[0].topology.queue),
                       message="a dead letter")
    assert len(letters) == 1 and letters[0].retries == 0
    assert "unreadable" in letters[0].error and reason in letters[0].error
    assert effect_counts(names.consumer) == (0, 0)
    # The consumer goes on with the next message.
    _publish_raw(infra, names.settings.exchange,
                 new_event("bustest.item.changed", {"item_id": 10}, producer="bustest").to_json(),
                 "bustest.item.changed")
    wait_for(lambda: effect_counts(names.consumer)[0] >= 1, message="the next event's effect")


def test_headers_a_publisher_forged_neither_stop_the_consumer_nor_cut_its_retries(names, infra):
    # Any publisher can set headers. A retry count that is no number stopped the consumer at that message
    # (ValueError on every redelivery), and the dead-letter tools at a replay count that is no number.
    calls = []

    def failing(conn, event):
        calls.append(event.id)
        raise RuntimeError("handler broke")

    worker = names.start(names.consumer, [bus.Subscription("failing", {"bustest.item.changed": failing})],
                         relay=False)
    queue = worker.consumers[0].topology.queue
    forged = {"x-retries": "abc", "x-replayed": "many"}
    event = new_event("bustest.item.changed", {"item_id": 1}, producer="bustest")
    with Connection(infra.amqp_url, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        exchange = Exchange(names.settings.exchange, type="topic", durable=True)
        for body in (b"{not json", event.to_json()):
            producer.publish(body, exchange=exchange, routing_key="bustest.item.changed",
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                             user_id=conn.userid, headers=forged)
    letters = wait_for(lambda: (found := bus.list_dead_letters(infra.amqp_url, queue)) and len(found) == 2
                       and found, message="both messages dead-lettered")
    by_id = {letter.event_id: letter for letter in letters}
    assert by_id[str(event.id)].retries == 2 and len(calls) == 3  # the first try and both retries
    assert "unreadable" in by_id[None].error and by_id[None].retries == 0
    assert {letter.event_type for letter in letters} == {"bustest.item.changed"}
    assert bus.replay_dead_letters(infra.amqp_url, queue) == 2


def test_two_relays_at_once_publish_no_event_twice(names, infra):
    # A plain queue sees every published message, before any deduplication by a consumer.
    queue_name = f"{names.settings.queue_prefix}tap"
    infra.queues.add(queue_name)
    exchange = Exchange(names.settings.exchange, type="topic", durable=True)
    with Connection(infra.amqp_url) as conn:
        Queue(queue_name, exchange=exchange, routing_key="bustest.#", durable=True)(conn.channel()).declare()
    ids = change_items(names.producer, 1000)

    first = names.start(names.producer)
    second = names.start(names.producer)
    wait_for(lambda: first.relay.published + second.relay.published >= 1000, message="1000 published")

    seen: list[str] = []
    with Connection(infra.amqp_url) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue_name, no_ack=True)) is not None:
            seen.append(json.loads(message.body)["id"])
    assert first.relay.published + second.relay.published == 1000
    assert len(seen) == 1000
    assert set(seen) == {str(i) for i in ids}


def queue_types(infra) -> dict[str, str]:
    """Each queue of the run's vhost and its type, as the broker's management API reports them."""
    answer = requests.get(f"{BrokerAdmin(infra.broker_admin_url).base}/api/queues/%2F?columns=name,type",
                          auth=BrokerAdmin(infra.broker_admin_url).session.auth, timeout=10)
    answer.raise_for_status()
    return {queue["name"]: queue["type"] for queue in answer.json()}


def test_a_queue_declared_as_another_type_is_refused_with_what_to_do(names, infra):
    """A queue's type cannot change in place: the broker refuses, and `migrate` says why and what to do."""
    settings = names.settings
    topology = consumer_topology(settings, EFFECTS)
    infra.queues.update(topology.all_queue_names())
    # Declared as before RECERT_QUEUE_TYPE (no x-queue-type; as the dev broker's queues of every earlier
    # `make dev` are): a declaration that says classic accepts them.
    with Connection(infra.amqp_url) as conn:
        channel = conn.channel()
        for queue in [topology.main(), topology.dead(), *topology.retries()]:
            arguments = {k: v for k, v in queue.queue_arguments.items() if k != "x-queue-type"}
            Queue(queue.name, durable=True, queue_arguments=arguments)(channel).declare()
    declare_queues(settings, [EFFECTS])
    with pytest.raises(QueueTypeMismatch, match="RECERT_QUEUE_TYPE=quorum.*docs/operations.md"):
        declare_queues(ServiceSettings(**{**settings.__dict__, "queue_type": "quorum"}), [EFFECTS])
    declare_queues(settings, [EFFECTS])  # the type it has is still accepted


def test_migrate_change_queue_type_keeps_every_message_of_a_classic_consumer(names, infra):
    """An existing deployment's move to quorum queues (docs/operations.md): the worker stopped, messages
    waiting in the consumer's queue, in a retry queue and in its dead-letter queue; afterwards every queue
    is a quorum queue and every message is where the consumer finds it."""
    classic = ServiceSettings(**{**names.settings.__dict__, "consumer_retry_base_ms": 600_000})
    quorum = ServiceSettings(**{**classic.__dict__, "queue_type": "quorum"})
    topology = consumer_topology(classic, EFFECTS)
    infra.queues.update([*topology.all_queue_names(), f"{topology.queue}.moving",
                         f"{topology.dead_letter_queue}.moving"])
    declare_queues(classic, [EFFECTS])
    waiting = [new_event("bustest.item.changed", {"item_id": n}, producer="bustest") for n in range(3)]
    for event in waiting:
        _publish_raw(infra, classic.exchange, event.to_json(), "bustest.item.changed")
    retried = new_event("bustest.item.changed", {"item_id": 3}, producer="bustest")
    buried = new_event("bustest.item.changed", {"item_id": 4}, producer="bustest")
    with Connection(infra.amqp_url, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        for event, queue, retries in ((retried, topology.retry_queue(1), 1),
                                      (buried, topology.dead_letter_queue, 2)):
            producer.publish(event.to_json(), exchange="", routing_key=queue, delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8", user_id=conn.userid,
                             headers={"x-retries": retries, "x-last-error": "RuntimeError: broke"})

    with pytest.raises(QueueTypeMismatch):
        declare_queues(quorum, [EFFECTS])
    declare_queues(quorum, [EFFECTS], change_type=True)
    declare_queues(quorum, [EFFECTS], change_type=True)  # a second run finds nothing to change

    types = queue_types(infra)
    assert {types[name] for name in topology.all_queue_names()} == {"quorum"}
    assert f"{topology.queue}.moving" not in types and f"{topology.dead_letter_queue}.moving" not in types
    letters = bus.list_dead_letters(infra.amqp_url, topology.queue)
    assert [(letter.event_id, letter.retries) for letter in letters] == [(str(buried.id), 2)]
    names.start(names.consumer, [EFFECTS], relay=False, queue_type="quorum", consumer_retry_base_ms=600_000)
    wait_for(lambda: effect_counts(names.consumer)[0] >= 4, message="the moved events' effects")
    with names.consumer.transaction() as conn:
        handled = {row["event_id"] for row in conn.execute("SELECT event_id FROM effects").fetchall()}
    assert handled == {event.id for event in [*waiting, retried]}


def test_events_published_before_the_consumer_first_runs_wait_in_its_declared_queue(names, infra):
    # What `migrate` does on a fresh deployment, before any worker of any service runs.
    settings = names.settings
    [queue] = declare_queues(settings, [EFFECTS])
    infra.queues.update(consumer_topology(settings, EFFECTS).all_queue_names())
    assert queue == settings.queue("effects")
    _publish_raw(infra, settings.exchange,
                 new_event("bustest.item.changed", {"item_id": 42}, producer="bustest").to_json(),
                 "bustest.item.changed")
    names.start(names.consumer, [EFFECTS], relay=False)
    wait_for(lambda: effect_counts(names.consumer)[0] >= 1, message="the early event's effect")
    assert effect_counts(names.consumer) == (1, 1)


def test_the_workers_metrics_follow_the_outbox_the_queues_and_the_dead_letters(names, infra):
    """What an operator's dashboard and alerts read from a worker (recert_common.worker_metrics) moves with
    what really happens: the outbox fills and drains, a failing event is retried and dead-lettered, a
    stopped consumer's queue grows, an unreachable broker shows, and the worker serves it all over HTTP."""

    def picky(conn, event):
        if event.data["item_id"] == 1:
            raise RuntimeError("item 1 refused")
        record_effect(conn, event)

    consumer = names.start(names.consumer, [bus.Subscription("picky", {"bustest.item.changed": picky})],
                           relay=False)
    queue = consumer.consumers[0].name
    producer = Worker(names.settings, names.producer)  # its relay is driven by hand below
    produced, consumed = worker_registry(producer), worker_registry(consumer)

    def value(registry, name, **labels):
        return registry.get_sample_value(name, labels)

    change_items(names.producer, 3)
    assert value(produced, "recert_outbox_pending_events") == 3
    assert value(produced, "recert_outbox_oldest_pending_age_seconds") > 0
    assert value(produced, "recert_outbox_published_events_total") == 0
    assert value(produced, "recert_worker_dependency_up", dependency="database") == 1
    assert value(produced, "recert_worker_dependency_up", dependency="broker") == 1
    assert producer.relay.drain() == 3
    assert value(produced, "recert_outbox_pending_events") == 0
    assert value(produced, "recert_outbox_oldest_pending_age_seconds") == 0
    assert value(produced, "recert_outbox_published_events_total") == 3

    wait_for(lambda: value(consumed, "recert_dead_letter_messages", queue=queue) == 1,
             message="a dead letter")
    assert value(consumed, "recert_consumer_handled_events_total", queue=queue) == 2
    assert value(consumed, "recert_consumer_retried_events_total", queue=queue) == 2  # max_retries
    assert value(consumed, "recert_consumer_dead_lettered_events_total", queue=queue) == 1
    assert value(consumed, "recert_consumer_refused_events_total", queue=queue) == 0
    assert value(consumed, "recert_queue_consumers", queue=queue) == 1
    assert value(consumed, "recert_queue_messages_ready", queue=queue) == 0

    consumer.stop()  # its queue keeps what arrives: the lag grows
    change_items(names.producer, 2, start=3)
    producer.relay.drain()
    wait_for(lambda: (value(consumed, "recert_queue_messages_ready", queue=queue),
                      value(consumed, "recert_queue_consumers", queue=queue)) == (2, 0), message="the lag")

    unreachable = ServiceSettings(**{**names.settings.__dict__, "amqp_url": "amqp://guest:guest@127.0.0.1:9//"})
    cut_off = Worker(unreachable, names.consumer, [bus.Subscription("picky", {})], relay=False)
    assert value(worker_registry(cut_off), "recert_worker_dependency_up", dependency="broker") == 0
    assert value(worker_registry(cut_off), "recert_queue_messages_ready", queue=queue) is None

    server, _ = serve_metrics(produced, 0, LOOPBACK, host="127.0.0.1")
    outsider, _ = serve_metrics(produced, 0, (ipaddress.ip_network("10.0.0.0/8"),), host="127.0.0.1")
    try:
        answer = requests.get(f"http://127.0.0.1:{server.server_port}/metrics")
        assert answer.status_code == 200 and "recert_outbox_published_events_total 5.0" in answer.text
        assert requests.get(f"http://127.0.0.1:{server.server_port}/other").status_code == 404
        assert requests.get(f"http://127.0.0.1:{outsider.server_port}/metrics").status_code == 404
    finally:
        for running in (server, outsider):
            running.shutdown()
            running.server_close()
        producer.relay.close()


# --- batches: the relay's confirms awaited together, the consumer's events committed together ---------------


@pytest.fixture
def tap(infra, names):
    """``tap(arguments)``: a plain queue on the run's exchange that sees every event published; removed when
    the test ends, as the run's later tests publish on the same exchange."""
    made = []

    def make(arguments: dict | None = None) -> str:
        queue_name = f"{names.settings.queue_prefix}tap{len(made)}"
        exchange = Exchange(names.settings.exchange, type="topic", durable=True)
        with Connection(infra.amqp_url) as conn:
            Queue(queue_name, exchange=exchange, routing_key="bustest.#", durable=True,
                  queue_arguments=arguments or {})(conn.channel()).declare()
        made.append(queue_name)
        return queue_name

    yield make
    with Connection(infra.amqp_url) as conn:
        for queue_name in made:
            conn.channel().queue_delete(queue_name)


def _outbox(db: Database) -> dict:
    with db.transaction() as conn:
        return {row["event_id"]: row for row in conn.execute(
            "SELECT event_id, published_at, attempts, last_error FROM outbox ORDER BY seq")}


def test_the_relay_keeps_no_confirms_past_their_batch(names, infra, tap):
    """One channel serves batch after batch and numbers their messages ever higher: the broker's answers
    of a finished batch are dropped, or they would grow with every event the relay ever published."""
    tap = tap()
    ids = change_items(names.producer, 30)
    relay = bus.OutboxRelay(names.producer, infra.amqp_url, names.settings.exchange, batch_size=10)
    try:
        for _ in range(3):
            assert relay.publish_batch() == 10
            assert relay._confirms.acked == set() and relay._confirms.nacked == set()
        assert relay._confirms.published == 30  # the same channel throughout
    finally:
        relay.close()
    assert sorted(take_all(infra.amqp_url, tap)) == sorted(str(event_id) for event_id in ids)


@pytest.mark.skipif(not hasattr(socket, "TCP_CORK"), reason="TCP_CORK is Linux's")
def test_a_batch_is_written_corked_and_sent_before_its_confirms_are_awaited(names, infra, tap):
    """The relay holds a batch's messages in the kernel while it writes them, so that they leave in a few
    segments, and lets them go before it waits for their confirms; one message at a time (after a failed
    batch) it holds nothing back, as each is confirmed before the next."""
    tap = tap()
    ids = change_items(names.producer, 8)
    relay = bus.OutboxRelay(names.producer, infra.amqp_url, names.settings.exchange, batch_size=4)
    seen: list[tuple[str, int]] = []

    def corked() -> int:
        return relay._socket().getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK)

    def watched(step: str, call):
        def watching(*args, **kwargs):
            seen.append((step, corked()))
            return call(*args, **kwargs)
        return watching

    try:
        producer = relay._producer_for_batch()  # the relay's producer, kept for every batch that succeeds
        producer.publish = watched("publish", producer.publish)
        relay._await_confirms = watched("await", relay._await_confirms)
        assert relay.publish_batch() == 4
        assert seen == [("publish", 1)] * 4 + [("await", 0)]
        seen.clear()
        relay._one_at_a_time = True
        assert relay.publish_batch() == 4
        assert seen == [("publish", 0), ("await", 0)] * 4 + [("await", 0)]
    finally:
        relay.close()
    assert sorted(take_all(infra.amqp_url, tap)) == sorted(str(event_id) for event_id in ids)


def test_the_relay_sends_each_body_as_stored_the_same_json_in_utf_8(names, infra, tap):
    """The relay publishes the body as PostgreSQL writes the jsonb out: the event's message, with text
    beyond ASCII in UTF-8 as the content encoding says, read back by ``load_event`` as made."""
    tap = tap()
    event = new_event("bustest.item.changed", {"item_id": 1}, producer="bustest", subject=uuid.uuid4(),
                      correlation_id="één coach, €12 — ü")
    with names.producer.transaction() as conn:
        bus.add(conn, event)
    relay = bus.OutboxRelay(names.producer, infra.amqp_url, names.settings.exchange)
    try:
        assert relay.publish_batch() == 1
    finally:
        relay.close()
    with Connection(infra.amqp_url) as conn:
        message = conn.channel().basic_get(tap, no_ack=True)
    assert message.properties["content_type"] == CONTENT_TYPE
    assert message.properties["content_encoding"] == "utf-8"
    body = message.body if isinstance(message.body, bytes) else message.body.encode("utf-8")
    assert "één coach, €12 — ü".encode() in body  # UTF-8 itself, not \\u escapes
    assert json.loads(body) == event.to_message()
    received = load_event(body)
    assert (received.id, received.correlation_id) == (event.id, event.correlation_id)
    assert received.data == {"item_id": 1}


def test_messages_the_broker_nacks_mid_batch_stay_in_the_outbox_only_the_confirmed_marked(names, infra, tap):
    # The broker nacks what a full queue rejects (x-overflow: reject-publish): of 10 events in one batch the
    # queue takes the first 4 and the broker nacks the other 6.
    tap = tap({"x-max-length": 4, "x-overflow": "reject-publish"})
    ids = change_items(names.producer, 10)
    relay = bus.OutboxRelay(names.producer, infra.amqp_url, names.settings.exchange, batch_size=10)
    try:
        assert relay.publish_batch() == 4
    finally:
        relay.close()
    rows = _outbox(names.producer)
    marked = [event_id for event_id, row in rows.items() if row["published_at"] is not None]
    assert marked == ids[:4]
    assert set(take_all(infra.amqp_url, tap)) == {str(event_id) for event_id in marked}
    for event_id in ids[4:]:
        assert rows[event_id]["attempts"] == 1 and "MessageNacked" in rows[event_id]["last_error"]
    for event_id in ids[:4]:
        assert rows[event_id]["attempts"] == 0 and rows[event_id]["last_error"] is None


def test_the_broker_gone_mid_batch_leaves_exactly_the_unconfirmed_rows_which_go_later(names, infra, tap):
    host, port = Connection(infra.amqp_url).hostname, Connection(infra.amqp_url).port or 5672
    proxy = TcpProxy(host, port)
    tap = tap()
    ids = change_items(names.producer, 40)
    proxied_url = Connection(infra.amqp_url).clone(hostname="127.0.0.1", port=proxy.port).as_uri(
        include_password=True)
    relay = bus.OutboxRelay(names.producer, proxied_url, names.settings.exchange, batch_size=40)
    make_producer, sent = relay._producer_for_batch, []

    def producer_whose_broker_goes_after_ten():
        producer = make_producer()
        if not sent:
            publish = producer.publish

            def publish_then_cut(*args, **kwargs):
                publish(*args, **kwargs)
                sent.append(1)
                if len(sent) == 10:
                    proxy.cut()  # the 30 after these reach no broker

            producer.publish = publish_then_cut
        return producer

    relay._producer_for_batch = producer_whose_broker_goes_after_ten
    try:
        try:
            marked_count = relay.publish_batch()
        except Exception:  # nothing confirmed before the cut: the batch's failure is raised
            marked_count = 0
        rows = _outbox(names.producer)
        marked = {event_id for event_id, row in rows.items() if row["published_at"] is not None}
        assert len(marked) == marked_count <= 10
        # Every row marked was really taken by the broker; every other row keeps the error for the next try.
        assert {str(event_id) for event_id in marked} <= set(take_all(infra.amqp_url, tap))
        for event_id in set(ids) - marked:
            assert rows[event_id]["attempts"] == 1 and rows[event_id]["last_error"], rows[event_id]

        proxy.restore()
        drained = relay.drain()
        assert drained == 40 - marked_count, [
            (row["attempts"], row["last_error"]) for row in _outbox(names.producer).values()
            if row["published_at"] is None][:3]
        with names.producer.transaction() as conn:
            assert bus.pending_count(conn) == 0
        # What the broker has now: every event, those sent before the cut perhaps twice (at least once).
        assert set(take_all(infra.amqp_url, tap)) >= {str(event_id) for event_id in set(ids) - marked}
    finally:
        relay.close()
        proxy.close()


def test_a_refused_message_in_a_batch_is_singled_out_and_the_rows_before_it_are_marked(names, infra, tap):
    """The broker closes the channel on a message it refuses; the batch after a failed one goes one message
    at a time, so the rows before the refused one are marked and it alone keeps the error."""
    tap = tap()
    ids = change_items(names.producer, 6)
    relay = bus.OutboxRelay(names.producer, infra.amqp_url, names.settings.exchange, batch_size=10)
    make_producer, refused = relay._producer_for_batch, ids[3]

    def producer_refusing_the_fourth():
        producer = make_producer()
        publish = producer.publish

        def publish_or_refuse(body, **kwargs):
            # A user_id that is not the connection's user: the broker refuses it (PRECONDITION_FAILED) and
            # closes the channel, as it does for a routing key the user may not publish.
            if kwargs["message_id"] == str(refused):
                kwargs = {**kwargs, "user_id": "somebody-else"}
            publish(body, **kwargs)

        producer.publish = publish_or_refuse
        return producer

    relay._producer_for_batch = producer_refusing_the_fourth
    try:
        # The first, pipelined, fails (the confirms cannot say which message was refused); the next go one at
        # a time: the rows before the refused one are marked, the refused one fails again and stays.
        for _ in range(3):
            with contextlib.suppress(Exception):
                relay.publish_batch()
        rows = _outbox(names.producer)
        assert [rows[event_id]["published_at"] is not None for event_id in ids] == [True] * 3 + [False] * 3
        assert "PRECONDITION_FAILED" in rows[refused]["last_error"]
    finally:
        relay.close()
    assert set(take_all(infra.amqp_url, tap)) >= {str(event_id) for event_id in ids[:3]}
    assert str(refused) not in take_all(infra.amqp_url, tap)


def _consumer_of(names, handlers: dict) -> bus.EventConsumer:
    """A consumer that is not consuming: its batches handed to it by the test."""
    worker = Worker(names.settings, names.consumer, [bus.Subscription("direct", handlers)], relay=False)
    return worker.consumers[0]


def test_a_failing_handler_in_a_batch_undoes_only_its_own_event(names):
    events = [new_event("bustest.item.changed", {"item_id": n}, producer="bustest") for n in range(5)]
    healthy = threading.Event()

    def picky(conn, event):
        record_effect(conn, event)
        if event.data["item_id"] == 2 and not healthy.is_set():
            raise RuntimeError("item 2 refused")

    consumer = _consumer_of(names, {"bustest.item.changed": picky})
    failures = consumer.handle_batch([*events, events[1]])  # with a second copy of one of them
    assert [failure and type(failure) for failure in failures] == [None, None, RuntimeError, None, None, None]
    with names.consumer.transaction() as conn:
        effects = conn.execute("SELECT item_id, xmin::text AS tx FROM effects ORDER BY item_id").fetchall()
        inbox = {row["event_id"] for row in conn.execute("SELECT event_id FROM inbox")}
    assert [row["item_id"] for row in effects] == [0, 1, 3, 4]
    assert len({row["tx"] for row in effects}) == 1  # the others committed together, in one transaction
    assert inbox == {events[n].id for n in (0, 1, 3, 4)}
    assert consumer.handled == 4

    healthy.set()
    assert consumer.handle_batch(events) == [None] * 5  # redelivered: only the failed one has an effect now
    assert effect_counts(names.consumer) == (5, 5)
    assert consumer.handled == 5


def test_two_failing_handlers_in_a_batch_leave_the_others_each_one_effect(names):
    """The batch is handled again without the first failure; after the second, one event per transaction."""
    events = [new_event("bustest.item.changed", {"item_id": n}, producer="bustest") for n in range(8)]

    def picky(conn, event):
        record_effect(conn, event)
        if event.data["item_id"] in (2, 5):
            raise RuntimeError(f"item {event.data['item_id']} refused")

    consumer = _consumer_of(names, {"bustest.item.changed": picky})
    failures = consumer.handle_batch(events)
    assert [n for n, failure in enumerate(failures) if failure is not None] == [2, 5]
    with names.consumer.transaction() as conn:
        effects = [row["item_id"] for row in conn.execute("SELECT item_id FROM effects ORDER BY item_id")]
        inbox = {row["event_id"] for row in conn.execute("SELECT event_id FROM inbox")}
    assert effects == [0, 1, 3, 4, 6, 7]
    assert inbox == {events[n].id for n in (0, 1, 3, 4, 6, 7)}
    assert effect_counts(names.consumer) == (6, 6)
    assert consumer.handled == 6


def test_two_copies_of_a_consumer_handle_one_batch_at_a_time(names, infra):
    """Copies of a worker share the consumer's queue, each taking its own messages; a service's handlers
    still run one batch at a time, each seeing what the batch before committed (ADR 0040). With one message
    held by each copy, the second copy's batch waits for the first's transaction instead of running beside
    it."""
    inside: list[int] = []
    most = 0
    counting = threading.Lock()
    release = threading.Event()

    def slow(conn, event):
        nonlocal most
        with counting:
            inside.append(event.data["item_id"])
            most = max(most, len(inside))
        release.wait(20)
        record_effect(conn, event)
        with counting:
            inside.remove(event.data["item_id"])

    subscription = bus.Subscription("serial", {"bustest.item.changed": slow})
    copies = [names.start(names.consumer, [subscription], relay=False, consumer_prefetch=1) for _ in range(2)]
    for n in range(2):  # one each: a copy holding its unacknowledged message is not given another
        _publish_raw(infra, names.settings.exchange,
                     new_event("bustest.item.changed", {"item_id": n}, producer="bustest").to_json(),
                     "bustest.item.changed")

    try:
        wait_for(lambda: len(inside) == 2 or (inside and waiting_for_advisory_locks(names.consumer)),
                 message="both handlers in, or the second copy waiting for the first")
        assert len(inside) == 1 and waiting_for_advisory_locks(names.consumer) == 1
    finally:
        release.set()
    wait_for(lambda: effect_counts(names.consumer)[0] == 2, message="both effects")
    assert most == 1 and effect_counts(names.consumer) == (2, 2)
    assert sorted(copy.consumers[0].handled for copy in copies) == [1, 1]


def test_in_a_delivered_batch_only_the_failing_event_is_retried(names, infra):
    calls: dict[int, int] = {}
    transactions: dict[int, int] = {}

    def picky(conn, event):
        calls[event.data["item_id"]] = calls.get(event.data["item_id"], 0) + 1
        transactions[event.data["item_id"]] = conn.execute("SELECT txid_current() AS tx").fetchone()["tx"]
        if event.data["item_id"] == 3:
            raise RuntimeError("item 3 refused")
        record_effect(conn, event)

    settings = names.settings
    subscription = bus.Subscription("picky", {"bustest.item.changed": picky})
    declare_queues(settings, [subscription])
    infra.queues.update(consumer_topology(settings, subscription).all_queue_names())
    for n in range(10):  # waiting in the queue before the consumer starts: they arrive together
        _publish_raw(infra, settings.exchange,
                     new_event("bustest.item.changed", {"item_id": n}, producer="bustest").to_json(),
                     "bustest.item.changed")
    worker = Worker(settings, names.consumer, [subscription], relay=False)
    worker.consumers[0].batch_idle_seconds = 1.0  # one batch even on a slow machine
    names.workers.append(worker.start().wait_ready())
    queue = worker.consumers[0].topology.queue
    wait_for(lambda: bus.list_dead_letters(infra.amqp_url, queue), message="item 3 dead-lettered")
    # Item 3: the first try and two retries. The three before it ran a second time, in the batch handled
    # again without item 3 (the first run was rolled back); the six after it ran once.
    assert calls == {0: 2, 1: 2, 2: 2, 3: 3, **{n: 1 for n in range(4, 10)}}
    assert effect_counts(names.consumer) == (9, 9)
    # The nine committed in one transaction, undisturbed by the tenth's failure in it.
    assert len({transactions[n] for n in range(10) if n != 3}) == 1
    assert worker.consumers[0].retried == 2 and worker.consumers[0].dead_lettered == 1


# A consumer in a process of its own, to be killed: its handler says on stdout which event it has just handled
# (in the batch's transaction, not yet committed) and then takes its time.
_KILLABLE_CONSUMER = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from recert_common import bus
from recert_common.config import ServiceSettings
from recert_common.db import Database
from recert_common.worker import Worker
from bus_fixtures import record_effect

def slow(conn, event):
    record_effect(conn, event)
    print(event.data["item_id"], flush=True)
    time.sleep(0.05)

settings = ServiceSettings.from_env("bustest", env={}, **json.loads(sys.argv[1]))
database = Database(settings.database_url, max_size=2).open(wait=True)
effects = bus.Subscription("effects", {"bustest.item.changed": slow})
worker = Worker(settings, database, [effects], relay=False)
worker.consumers[0].batch_idle_seconds = 1.0  # the 50 prefetched make one batch, even on a slow machine
worker.start().wait_ready()
time.sleep(600)
"""


def test_a_consumer_killed_inside_a_batch_gives_every_effect_exactly_once(names, infra):
    """SIGKILL after some events of a batch were handled in its transaction, before the commit and the
    acknowledgements: nothing of the batch is committed, and the redelivered batch has each effect once."""
    settings = names.settings
    declare_queues(settings, [EFFECTS])
    infra.queues.update(consumer_topology(settings, EFFECTS).all_queue_names())
    change_items(names.producer, 120)
    names.start(names.producer)
    with names.producer.transaction() as conn:
        wait_for(lambda: bus.pending_count(conn) == 0, message="every event published")
    overrides = {name: getattr(settings, name) for name in (
        "exchange", "amqp_url", "queue_prefix", "queue_expires_ms", "queue_type", "consumer_max_retries",
        "consumer_retry_base_ms", "bus_trusted_users")}
    overrides["database_url"] = names.consumer.url
    process = subprocess.Popen([sys.executable, "-c", _KILLABLE_CONSUMER, json.dumps(overrides),
                                str(Path(__file__).parent)], stdout=subprocess.PIPE, text=True)
    try:
        # 20 of the first batch's 50 (the batch may start before wait_ready returns: the 50 wait already).
        handled = [process.stdout.readline().strip() for _ in range(20)]
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert all(line.isdigit() for line in handled), handled  # an empty line: the process died early
    assert effect_counts(names.consumer) == (0, 0)  # killed inside the batch's transaction
    names.start(names.consumer, [EFFECTS], relay=False)
    wait_for(lambda: effect_counts(names.consumer)[0] >= 120, message="every effect")
    assert effect_counts(names.consumer) == (120, 120)


# -- waking the relay: producers notify only while a relay sleeps (migration 0003) ---------------------------
def _notified_within(listener, seconds: float) -> bool:
    return any(True for _ in listener.notifies(timeout=seconds, stop_after=1))


def _relay_asleep(db: Database) -> bool:
    high, low = divmod(RELAY_ASLEEP_LOCK, 1 << 32)
    with db.transaction() as conn:
        return conn.execute(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' "
            "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s AND objid = %s AND objsubid = 1", (high, low)).fetchone()["n"] == 1


def _published(db: Database, event_id: uuid.UUID) -> bool:
    with db.transaction() as conn:
        row = conn.execute("SELECT published_at IS NOT NULL AS sent FROM outbox WHERE event_id = %s",
                           (event_id,)).fetchone()
    return row is not None and row["sent"]  # no row: its transaction has not committed yet


def test_a_producer_notifies_only_while_a_relay_holds_the_asleep_lock(names):
    with psycopg.connect(names.producer.url, autocommit=True) as listener, \
            psycopg.connect(names.producer.url, autocommit=True) as relay_session:
        listener.execute("LISTEN recert_outbox")
        change_items(names.producer, 1)
        assert not _notified_within(listener, 0.3), "no relay sleeps, yet the producer notified"

        relay_session.execute("SELECT pg_advisory_lock(%s)", (RELAY_ASLEEP_LOCK,))
        change_items(names.producer, 1, start=1)
        assert _notified_within(listener, 2.0), "a relay sleeps, and the producer did not wake it"

        relay_session.execute("SELECT pg_advisory_unlock(%s)", (RELAY_ASLEEP_LOCK,))
        change_items(names.producer, 1, start=2)
        assert not _notified_within(listener, 0.3)


def test_a_row_committed_while_the_relay_sleeps_is_published_at_once_not_at_the_poll(names):
    worker = names.start(names.producer, relay_poll_seconds=60.0)
    wait_for(lambda: _relay_asleep(names.producer), timeout=10, message="the relay asleep")
    [event_id] = change_items(names.producer, 1)
    wait_for(lambda: _published(names.producer, event_id), timeout=3, message="the row published")
    assert worker.relay.published == 1
    wait_for(lambda: _relay_asleep(names.producer), timeout=10, message="the relay asleep again")


def test_a_producer_between_its_row_and_its_commit_keeps_the_relay_from_sleeping_past_its_row(names):
    """The race the lock closes: the producer saw no relay asleep (so it will not notify), and commits after
    the relay's last empty claim. The relay must not fall asleep before that commit, or the row would wait
    for the poll (60 s here)."""
    with names.producer.transaction() as producer:
        event_id = bus.record(producer, "bustest.item.changed", {"item_id": 1}, producer="bustest").id
        worker = names.start(names.producer, relay_poll_seconds=60.0)
        time.sleep(0.5)  # the relay has claimed, found nothing it can see, and tried to fall asleep
        assert not _relay_asleep(names.producer)
        assert worker.relay.published == 0
    wait_for(lambda: _published(names.producer, event_id), timeout=3, message="the row published")
    wait_for(lambda: _relay_asleep(names.producer), timeout=10, message="the relay asleep after the commit")


def test_a_commit_between_the_relays_last_empty_claim_and_its_sleep_is_published(names, infra):
    """The narrower race: the producer commits after the relay's claim found nothing and before the relay
    takes the asleep lock. The relay must claim once more with the lock held, or the row waits for the
    poll."""
    producer = psycopg.connect(names.producer.url)
    event_id = bus.record(producer, "bustest.item.changed", {"item_id": 1}, producer="bustest").id
    relay = bus.OutboxRelay(names.producer, infra.amqp_url, names.settings.exchange, poll_seconds=60.0)
    claims = []

    def drain_then_let_the_producer_commit():
        claims.append(relay.publish_batch())
        if len(claims) == 1:
            producer.commit()  # after the first, empty claim: exactly the window of the race
        return claims[-1]

    relay.drain = drain_then_let_the_producer_commit
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: _published(names.producer, event_id), timeout=3, message="the row published")
        assert claims[:2] == [0, 1]
    finally:
        stop.set()
        thread.join(5)
        producer.close()
