"""The event bus: transactional outbox, relay, idempotent consumers, retries and dead letters."""
from recert_common.bus.consumer import EventConsumer, Handler, Subscription
from recert_common.bus.deadletter import DeadLetter, list_dead_letters, replay_dead_letters
from recert_common.bus.outbox import add, add_many, pending_count, record
from recert_common.bus.relay import OutboxRelay
from recert_common.bus.topology import ConsumerTopology, events_exchange

__all__ = ["ConsumerTopology", "DeadLetter", "EventConsumer", "Handler", "OutboxRelay", "Subscription", "add",
           "add_many", "events_exchange", "list_dead_letters", "pending_count", "record",
           "replay_dead_letters"]
