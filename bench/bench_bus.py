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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--out", default="bench-results/bus.json")
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:8]
    exchange = f"recert.bench.{tag}"
    producer_url = f"{POSTGRES_URL}/bench_{tag}_producer"
    consumer_url = f"{POSTGRES_URL}/bench_{tag}_consumer"
    raw_rate = raw_publish_rate(exchange + ".raw", args.events)

    settings = ServiceSettings.from_env("bench", env={}, amqp_url=AMQP_URL, exchange=exchange,
                                        queue_prefix=f"bench{tag}.", relay_poll_seconds=1.0)
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
        with producer.transaction() as conn:
            rows = conn.execute("SELECT event_id, created_at FROM outbox")
            created = {r["event_id"]: r["created_at"] for r in rows}
        with consumer.transaction() as conn:
            rows = conn.execute("SELECT event_id, handled_at FROM effects")
            handled = {r["event_id"]: r["handled_at"] for r in rows}
            duplicates = conn.execute(
                "SELECT count(*) - count(DISTINCT event_id) AS d FROM effects").fetchone()["d"]
        latencies = [(handled[i] - created[i]).total_seconds() * 1000 for i in created]
        first, last = min(created.values()), max(handled.values())
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
            "latency_ms": {"p50": round(percentile(latencies, 50), 2),
                           "p99": round(percentile(latencies, 99), 2), "max": round(max(latencies), 2)},
            "producer_commit_rate_per_second": round(args.events / write_seconds, 1),
            "wall_seconds": round(total_seconds, 2),
        },
    })
    return 0 if duplicates == 0 and len(latencies) == args.events else 1


if __name__ == "__main__":
    sys.exit(main())
