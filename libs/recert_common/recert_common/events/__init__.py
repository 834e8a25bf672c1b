"""Events: the envelope, the registry of types, and the catalogue of every type the platform uses."""
from recert_common.events import catalogue  # noqa: F401  (registers every type)
from recert_common.events.envelope import (
    CONTENT_TYPE,
    EnvelopeSchema,
    Event,
    InvalidEvent,
    load_event,
    new_event,
)
from recert_common.events.registry import EventType, all_types, event_type, get, register

__all__ = ["CONTENT_TYPE", "Event", "EnvelopeSchema", "EventType", "InvalidEvent", "all_types", "event_type",
           "get", "load_event", "new_event", "register"]
