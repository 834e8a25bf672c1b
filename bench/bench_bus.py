"""Outbox-to-consumer throughput and latency over N events, beside kombu's raw publish rate with publisher
confirms measured in the same run on the same broker.

Latency of one event: from its outbox row's creation (inside the committing transaction) to the consumer's
effect row (inside the handler's transaction); both timestamps come from the same PostgreSQL server clock.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

from recert_common import bus, db  # noqa: E402
from recert_common.config import ServiceSettings  # noqa: E402
from recert_common.worker import Worker  # noqa: E402

from bus_fixtures import MIGRATIONS, change_items, record_effect, wait_for  # noqa: E402
from common import AMQP_URL, POSTGRES_URL, percentile, write_result  # noqa: E402


def raw_publish_rate(exchange_name: str, count: int) -> float:
    exchange = Exchange(exchange_name, type="topic", durable=True)
    queue_name = f"{exchange_name}.raw"
    body = f'{{"id":"{uuid.uuid4()}","n":1}}'
    with Connection(AMQP_URL, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        queue = Queue(queue_name, exchange=exchange, routing_key="raw.#", durable=True)(channel)
        queue.declare()
        producer = Producer(channel, exchange=exchange)
        started = time.perf_counter()
        for _ in range(count):
            producer.publish(body, routing_key="raw.message", delivery_mode=2,
                             content_type="application/json", content_encoding="utf-8", retry=False)
        elapsed = time.perf_counter() - started
        queue.delete()
        channel.exchange_delete(exchange_name)
    return count / elapsed


def change_items_at_rate(db_, count: int, rate: float, start: int) -> None:
    """``count`` changes at a steady ``rate`` per second (each in its own transaction)."""
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for n in range(count):
        change_items(db_, 1, start=start + n)
        next_at += interval
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def latencies_ms(producer, consumer, first_item: int, last_item: int) -> list[float]:
    """Commit-to-effect latency of the events of items [first_item, last_item)."""
    with producer.transaction() as conn:
        rows = conn.execute("SELECT event_id, created_at FROM outbox WHERE (body->'data'->>'item_id')::int "
                            "BETWEEN %s AND %s", (first_item, last_item - 1))
        created = {r["event_id"]: r["created_at"] for r in rows}
    with consumer.transaction() as conn:
        rows = conn.execute("SELECT event_id, handled_at FROM effects WHERE item_id BETWEEN %s AND %s",
                            (first_item, last_item - 1))
        handled = {r["event_id"]: r["handled_at"] for r in rows}
    return [(handled[i] - created[i]).total_seconds() * 1000 for i in created]


def summary(values: list[float]) -> dict:
    return {"p50": round(percentile(values, 50), 2), "p99": round(percentile(values, 99), 2),
            "max": round(max(values), 2)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--out", default="bench-results/bus.json")
    parser.add_argument("--steady-rate", type=float, default=100.0)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:8]
    exchange = f"recert.bench.{tag}"
    producer_url = f"{POSTGRES_URL}/bench_{tag}_producer"
    consumer_url = f"{POSTGRES_URL}/bench_{tag}_consumer"
    raw_rate = raw_publish_rate(exchange + ".raw", args.events)

    settings = ServiceSettings.from_env("bench", env={}, amqp_url=AMQP_URL, exchange=exchange,
                                        queue_prefix=f"bench{tag}.", relay_poll_seconds=1.0,
                                        bus_trusted_users=Connection(AMQP_URL).userid)
    db.migrate_service(producer_url, "producer", MIGRATIONS / "producer")
    db.migrate_service(consumer_url, "consumer", MIGRATIONS / "consumer")
    producer = db.Database(producer_url, max_size=4).open(wait=True)
    consumer = db.Database(consumer_url, max_size=4).open(wait=True)
    subscription = bus.Subscription("effects", {"bustest.item.changed": record_effect})
    consuming = Worker(settings, consumer, [subscription], relay=False).start().wait_ready()
    relaying = Worker(settings, producer).start()
    try:
        started = time.perf_counter()
        change_items(producer, args.events)
        write_seconds = time.perf_counter() - started

        def effects() -> int:
            with consumer.transaction() as conn:
                return conn.execute("SELECT count(*) AS n FROM effects").fetchone()["n"]

        wait_for(lambda: effects() >= args.events, timeout=300, interval=0.1, message="every effect")
        total_seconds = time.perf_counter() - started
        burst = latencies_ms(producer, consumer, 0, args.events)
        with producer.transaction() as conn:
            first = conn.execute("SELECT min(created_at) AS t FROM outbox").fetchone()["t"]
        with consumer.transaction() as conn:
            last = conn.execute("SELECT max(handled_at) AS t FROM effects").fetchone()["t"]

        steady_count = int(args.steady_rate * args.steady_seconds)
        change_items_at_rate(producer, steady_count, args.steady_rate, start=args.events)
        wait_for(lambda: effects() >= args.events + steady_count, timeout=120, interval=0.1,
                 message="every steady-rate effect")
        steady = latencies_ms(producer, consumer, args.events, args.events + steady_count)
        with consumer.transaction() as conn:
            duplicates = conn.execute(
                "SELECT count(*) - count(DISTINCT event_id) AS d FROM effects").fetchone()["d"]
    finally:
        relaying.stop()
        consuming.stop()
        producer.close()
        consumer.close()
        with Connection(AMQP_URL) as conn:
            channel = conn.channel()
            for name in consuming.consumers[0].topology.all_queue_names():
                channel.queue_delete(name)
            channel.exchange_delete(exchange)
        db.drop_database(producer_url)
        db.drop_database(consumer_url)

    write_result(args.out, "bus", {
        "events": args.events,
        "duplicates": duplicates,
        "raw_kombu_publish_with_confirms_per_second": round(raw_rate, 1),
        "outbox_to_consumer": {
            "throughput_events_per_second": round(args.events / (last - first).total_seconds(), 1),
            "latency_ms": summary(burst),
            "producer_commit_rate_per_second": round(args.events / write_seconds, 1),
            "wall_seconds": round(total_seconds, 2),
        },
        "steady_rate": {"events_per_second": args.steady_rate, "events": steady_count,
                        "latency_ms": summary(steady)},
    })
    return 0 if duplicates == 0 and len(burst) == args.events and len(steady) == steady_count else 1


if __name__ == "__main__":
    sys.exit(main())
