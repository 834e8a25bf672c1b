"""A cluster of three RabbitMQ nodes loses the node that leads the queues in the middle of a stream of
events, and gets it back (ADR 0032).

Noloc's system sends a stream of completed Academy activities; pe-registry's worker imports each (its
consumer) and announces it (its outbox and relay); portfolio's worker takes the announcement in (its
consumer). Every service's RECERT_AMQP_URL lists the three nodes and every queue is a quorum queue. The node
that leads the queues, which every process is connected to (the first of the list), is killed with SIGKILL
mid-stream: every relay and consumer must move to the surviving nodes on its own, the stream must go on
through them while the node is down, and after the node is back every activity must be in both services
exactly once, every outbox drained and no dead letter left. The cluster runs on ports of its own
(rabbit_cluster.py); the machine's shared broker is not touched.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from kombu import Connection, Exchange, Producer

from recert_common.bus import list_dead_letters
from recert_common.bus.broker import connect
from recert_common.clock import platform_today
from recert_common.events import Event, new_event

import journeys
from e2e_fixtures import running_system
from processes import System
from rabbit_cluster import RabbitCluster

TODAY = platform_today()
SERVICES = ["pe-registry", "portfolio"]
eventually = functools.partial(journeys.eventually, timeout=60.0, interval=0.2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = RabbitCluster(tmp_path_factory.mktemp("rabbit"))
    try:
        yield cluster.start()
    except Exception:
        for node in cluster.nodes:
            print(f"--- {node.name} ---\n{cluster.log_tail(node)}")
        raise
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def system(infra, cluster, tmp_path_factory):
    # The run's databases, but the cluster for a broker; its queues and exchange go with the cluster.
    on_cluster = dataclasses.replace(infra, amqp_url=cluster.url, queues=set(), exchanges=set())
    with running_system(on_cluster, tmp_path_factory, SERVICES, {"RECERT_QUEUE_TYPE": "quorum"},
                        workers_only=True) as running:
        yield running


def scalar(system: System, service: str, sql: str, *params):
    with psycopg.connect(system.database_url(service)) as conn:
        return conn.execute(sql, params).fetchone()[0]


def publish_until_confirmed(url: str, exchange: str, events: list[Event]) -> None:
    """Publish as Noloc's system would: again, to whichever node answers, until the broker confirmed all.
    A batch sent again after a lost confirm arrives twice; the consumers must take each event once."""
    while True:
        try:
            with Connection(url, transport_options={"confirm_publish": True}, connect_timeout=2) as conn:
                connect(conn)
                producer = Producer(conn.channel())
                for event in events:
                    producer.publish(event.to_json(), exchange=Exchange(exchange, type="topic", durable=True),
                                     routing_key=event.type, content_type="application/json",
                                     content_encoding="utf-8", delivery_mode=2, user_id=conn.userid,
                                     retry=False)
            return
        except Exception:  # the node went away under the publish: once more, elsewhere
            time.sleep(0.2)


def a_certified_jobcoach(system: System) -> tuple[uuid.UUID, str]:
    """An account with a certificate, as identity and assessment announce them: whose Noloc activities
    pe-registry imports."""
    account_id, number = uuid.uuid4(), f"CL{uuid.uuid4().int % 10**8:08d}"
    url, exchange = system.env["RECERT_AMQP_URL"], system.exchange
    publish_until_confirmed(url, exchange, [new_event("identity.account.registered", {
        "account_id": account_id, "email": f"{number.lower()}@example.org", "full_name": "Clara Cluster",
        "roles": ["jobcoach"], "membership_kind": "member", "membership_number": number,
        "preferred_language": "nl"}, producer="identity")])
    publish_until_confirmed(url, exchange, [new_event("certification.certificate.registered", {
        "certificate_id": uuid.uuid4(), "certificate_number": f"C-{number}", "account_id": account_id,
        "valid_from": TODAY - timedelta(days=400), "valid_until": TODAY + timedelta(days=1000)},
        producer="assessment")])
    eventually(lambda: scalar(system, "pe-registry",
                              "SELECT count(*) FROM accounts a JOIN certificate_periods p USING (account_id) "
                              "WHERE a.account_id = %s", account_id) == 1,
               what="pe-registry knowing the certified jobcoach")
    return account_id, number


class NolocStream:
    """Noloc's system sending completed activities, a few at a time, until stopped."""

    def __init__(self, system: System, number: str, batch: int = 5, pause: float = 0.1):
        self.system, self.number, self.batch, self.pause = system, number, batch, pause
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            events = [new_event("noloc.academy.activity.completed", {
                "external_id": f"cluster-{n}", "membership_number": self.number, "title": f"Webinar {n}",
                "provider": "Noloc Academie", "completed_on": TODAY - timedelta(days=2),
                "amount": Decimal("1"), "unit": "sbu"}, producer="noloc")
                for n in range(self.sent, self.sent + self.batch)]
            publish_until_confirmed(self.system.env["RECERT_AMQP_URL"], self.system.exchange, events)
            self.sent += len(events)
            self._stop.wait(self.pause)

    def __enter__(self) -> NolocStream:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)


def test_the_queue_leaders_node_dies_mid_stream_and_comes_back_nothing_lost_or_doubled(cluster, system):
    # rabbitmqctl takes seconds to start: it asks for the queues' leaders while the stream gets going.
    asking = concurrent.futures.ThreadPoolExecutor(1)
    reported = asking.submit(cluster.queues)
    account_id, number = a_certified_jobcoach(system)
    prefix = system.env["RECERT_QUEUE_PREFIX"]
    pids = {process.name: process.popen.pid for process in system.processes}

    def imported() -> int:
        return scalar(system, "pe-registry", "SELECT count(*) FROM activities WHERE account_id = %s",
                      account_id)

    def in_portfolio() -> int:
        return scalar(system, "portfolio", "SELECT count(*) FROM pe_activities WHERE account_id = %s",
                      account_id)

    with NolocStream(system, number) as stream:
        eventually(lambda: in_portfolio() >= 30, what="the stream flowing through both services")
        queues = {name: q for name, q in reported.result(timeout=60).items() if name.startswith(prefix)}
        asking.shutdown()
        nodes = sorted(node.name for node in cluster.nodes)
        assert queues, "no queue of this system on the cluster"
        for name, queue in queues.items():  # a replica on every node, or a node's death could lose messages
            assert (queue["type"], sorted(queue["members"])) == ("quorum", nodes), name
        leader = cluster.node(queues[f"{prefix}pe-registry.events"]["leader"])
        cluster.kill(leader)
        sent_at_kill = stream.sent
        # While the node is down: everything sent until the kill and after it arrives, through the others.
        eventually(lambda: in_portfolio() >= sent_at_kill + 30, what="the stream flowing without the node")
        cluster.start_node(leader)
        cluster.wait_answering(leader)
        back_at = stream.sent
        eventually(lambda: stream.sent >= back_at + 20, what="the stream going on with the node back")
    total = stream.sent

    eventually(lambda: in_portfolio() >= total, what=f"{total} activities in portfolio")
    time.sleep(1)  # a late duplicate would arrive now
    assert imported() == total
    assert scalar(system, "pe-registry", "SELECT count(*) FROM noloc_imports WHERE account_id = %s",
                  account_id) == total
    assert scalar(system, "pe-registry",
                  "SELECT count(*) FROM outbox WHERE event_type = 'pe.activity.recorded'") == total
    assert scalar(system, "pe-registry", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert in_portfolio() == total
    for service in SERVICES:
        assert list_dead_letters(cluster.url, f"{prefix}{service}.events") == []
    # Nobody was restarted: the same processes, all still running.
    assert {process.name: process.popen.pid for process in system.processes} == pids
    for process in system.processes:
        assert process.popen.poll() is None, f"{process.name} died:\n{process.tail()}"
