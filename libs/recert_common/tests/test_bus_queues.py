"""The queues' type (RECERT_QUEUE_TYPE) and a cluster's nodes in RECERT_AMQP_URL, as the settings read them
and as the consumers' topology declares them (ADR 0032)."""
from __future__ import annotations

import pytest
from kombu import Connection

from recert_common.bus.topology import ConsumerTopology
from recert_common.config import ConfigError, ServiceSettings

NODES = ("amqp://recert-billing:pw@rabbitmq-1:5672/recert;amqp://recert-billing:pw@rabbitmq-2:5672/recert;"
         "amqp://recert-billing:pw@rabbitmq-3:5672/recert")


def test_quorum_queues_unless_the_deployment_says_classic():
    assert ServiceSettings.from_env("billing", env={}).queue_type == "quorum"
    assert ServiceSettings.from_env("billing", env={"RECERT_QUEUE_TYPE": " Classic "}).queue_type == "classic"
    with pytest.raises(ConfigError, match="RECERT_QUEUE_TYPE"):
        ServiceSettings.from_env("billing", env={"RECERT_QUEUE_TYPE": "stream"})
    with pytest.raises(ConfigError, match="RECERT_QUEUE_TYPE"):
        ServiceSettings.from_env("billing", env={}, queue_type="mirrored")


def test_a_clusters_nodes_are_one_url_each_and_kombu_fails_over_between_them():
    settings = ServiceSettings.from_env("billing", env={"RECERT_AMQP_URL": NODES})
    connection = Connection(settings.amqp_url)
    assert [url.split("@")[1] for url in connection.alt] == [
        "rabbitmq-1:5672/recert", "rabbitmq-2:5672/recert", "rabbitmq-3:5672/recert"]
    assert (connection.userid, connection.hostname) == ("recert-billing", "rabbitmq-1")
    connection.maybe_switch_next()
    assert (connection.userid, connection.hostname) == ("recert-billing", "rabbitmq-2")


@pytest.mark.parametrize("urls", [
    "amqp://recert-billing:pw@a:5672/recert;amqp://recert-portfolio:pw@b:5672/recert",  # another user
    "amqp://recert-billing:pw@a:5672/recert;amqp://recert-billing:pw@b:5672/other",      # another vhost
    "amqp://recert-billing:pw@a:5672/recert;http://b:15672",
    " ; ",
])
def test_nodes_that_disagree_on_user_or_vhost_are_refused(urls):
    with pytest.raises(ConfigError, match="RECERT_AMQP_URL"):
        ServiceSettings.from_env("billing", env={"RECERT_AMQP_URL": urls})


def topology(queue_type: str) -> ConsumerTopology:
    return ConsumerTopology(exchange="recert.events", queue="billing.events", routing_keys=("a.b",),
                            max_retries=2, queue_type=queue_type)


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
def test_every_queue_of_a_consumer_says_its_type(queue_type):
    t = topology(queue_type)
    queues = [t.main(), t.dead(), *t.retries()]
    assert [q.name for q in queues] == t.all_queue_names()
    assert {q.queue_arguments["x-queue-type"] for q in queues} == {queue_type}
    assert all(q.durable and not q.auto_delete and not q.exclusive for q in queues)


def test_a_quorum_retry_queue_dead_letters_at_least_once():
    """By default a quorum queue dead-letters at most once: an expiring retry could vanish with a node."""
    for retry in topology("quorum").retries():
        assert retry.queue_arguments["x-dead-letter-strategy"] == "at-least-once"
        assert retry.queue_arguments["x-overflow"] == "reject-publish"  # which at-least-once requires
        assert retry.queue_arguments["x-dead-letter-routing-key"] == "billing.events"
    for retry in topology("classic").retries():
        assert "x-dead-letter-strategy" not in retry.queue_arguments
