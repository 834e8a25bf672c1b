"""The event catalogue as an AsyncAPI 3.0.0 document, for DNV's and Noloc's systems (DESIGN.md section 3).

Built from the registry, so it cannot drift from the schemas producers and consumers use: one channel per
event type (its address is the routing key on the ``recert.events`` topic exchange), one message per
registered version (the envelope with that type's data schema), and one ``send`` operation per type naming
its producer and the one broker user that may publish it. ``x-parties`` says, per outside party (Noloc's and
DNV's systems), what its broker user may publish and which queue it reads, with the event types that reach
that queue; both come from the broker permissions table (``recert_common.bus.access``). The marshmallow
schemas are converted to JSON Schema by apispec's converter; cross-field rules (``@validates_schema``) cannot
be expressed there and are stated in the schema descriptions instead.
"""
from __future__ import annotations

import inspect
from collections import defaultdict
from importlib import metadata

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from recert_common.events import catalogue, registry
from recert_common.events.envelope import CONTENT_TYPE, EnvelopeSchema

ASYNCAPI_VERSION = "3.0.0"
EXCHANGE = "recert.events"
VHOST = "recert"
AMQP_BINDING_VERSION = "0.3.0"
ENVELOPE = "Envelope"

_ENVELOPE_DESCRIPTION = (
    "Every message on the recert.events exchange is this JSON envelope. `id` is unique per event and is "
    "the key consumers deduplicate on (delivery is at least once). `type` is also the routing key; "
    "`version` selects the data schema; `subject` is the account the event is about (null for events from "
    "Noloc's systems). Unknown fields, in the envelope and in `data`, must be ignored."
)


def asyncapi_document() -> dict:
    """The AsyncAPI 3.0.0 document of every registered event type, as plain JSON-ready data."""
    from recert_common.bus.access import DEFAULT_USER_PREFIX, parties

    entries = registry.all_types()
    schemas = _json_schemas(entries)
    versions_by_type: dict[str, list[registry.EventType]] = defaultdict(list)
    for entry in entries:
        versions_by_type[entry.type].append(entry)

    channels: dict = {}
    operations: dict = {}
    messages: dict = {}
    for type_, versions in versions_by_type.items():
        latest = versions[-1]
        channel_messages = {}
        for entry in versions:
            key = _message_key(entry)
            messages[key] = _message(entry)
            channel_messages[key] = {"$ref": f"#/components/messages/{key}"}
        consumers = catalogue.CONSUMERS.get(type_, ())
        channels[type_] = {
            "address": type_,
            "title": type_,
            "summary": latest.summary,
            "description": _channel_description(latest, consumers),
            "messages": channel_messages,
            "bindings": {"amqp": {
                "is": "routingKey",
                "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False,
                             "vhost": VHOST},
                "bindingVersion": AMQP_BINDING_VERSION,
            }},
            "x-consumers": list(consumers),
        }
        operations[f"send.{type_}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{type_}"},
            "title": f"{latest.producer} publishes {type_}",
            "summary": latest.summary,
            "messages": [{"$ref": f"#/channels/{type_}/messages/{key}"} for key in channel_messages],
            "tags": [{"name": latest.producer}],
            # Persistent messages, published with confirms from the producer's outbox.
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING_VERSION}},
            "x-producer": latest.producer,
            "x-broker-user": f"{DEFAULT_USER_PREFIX}{latest.producer}",
        }
    outside = {
        p.name: {
            "brokerUser": p.user(),
            "mayPublish": list(p.publishes),
            "queue": p.outside_queue(),
            "bindings": list(p.receives),
            "receives": sorted(t for t in versions_by_type
                               if any(_matches(pattern, t) for pattern in p.receives)),
        }
        for p in parties() if p.outside
    }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Register Jobcoach recertification events",
            "version": _catalogue_version(),
            "description": (
                "The events of the Register Jobcoach recertification platform. Every event goes to the "
                f"durable topic exchange `{EXCHANGE}` with its type as routing key, as a persistent JSON "
                "message, on the vhost `recert`. Delivery is at least once and unordered: deduplicate by "
                "the envelope's `id`.\n\n"
                "Who may publish what: every party has its own broker user, and RabbitMQ refuses a routing "
                "key the user may not publish (ACCESS_REFUSED, a channel error; with publisher confirms "
                "the publish fails). Each event type may be published only by the broker user of its "
                "producer (`x-broker-user` on each send operation). Every message must carry the AMQP "
                "`user_id` property set to the publishing user; the broker refuses any other value, and "
                "consumers dead-letter an event whose `user_id` or envelope `producer` is not its "
                "producer's. Outside parties (`x-parties`) cannot declare or bind queues: their queue is "
                "made and bound by the platform's operators; they read it and nothing else. Noloc's system "
                "may publish only the `noloc.*` types below, and what it claims must be plausible (the "
                "points of an academy activity within the assessment framework's bounds for one "
                "activity, dates not in the future), or the event is dead-lettered. DNV's system publishes "
                "nothing."
            ),
            "tags": [{"name": producer} for producer in sorted({e.producer for e in entries})],
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "host": "{host}:{port}",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The platform's RabbitMQ broker, vhost `recert`; each deployment gives its "
                               "own address.",
                "variables": {
                    "host": {"default": "localhost", "description": "Broker host name."},
                    "port": {"default": "5672", "description": "AMQP port (5671 with TLS)."},
                },
                "security": [{"$ref": "#/components/securitySchemes/brokerUser"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "brokerUser": {"type": "userPassword",
                               "description": "A RabbitMQ user of your own, issued by the platform's "
                                              "operators, with exactly the rights in `x-parties`."},
            },
        },
        "x-parties": outside,
    }


def _matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] in ("*", k[0])) and match(p[1:], k[1:])
    return match(pattern.split("."), routing_key.split("."))


def _message_key(entry: registry.EventType) -> str:
    return f"{entry.type}.v{entry.version}"


def _message(entry: registry.EventType) -> dict:
    return {
        "name": entry.type,
        "title": f"{entry.type} v{entry.version}",
        "summary": entry.summary,
        "contentType": CONTENT_TYPE,
        "correlationId": {"description": "Follows one request through every service and event.",
                          "location": "$message.payload#/correlation_id"},
        "tags": [{"name": entry.area}],
        "payload": {"allOf": [
            {"$ref": f"#/components/schemas/{ENVELOPE}"},
            {
                "type": "object",
                "properties": {
                    "type": {"const": entry.type},
                    "version": {"const": entry.version},
                    "producer": {"const": entry.producer},
                    "data": {"$ref": f"#/components/schemas/{_schema_name(entry.schema)}"},
                },
            },
        ]},
    }


def _channel_description(entry: registry.EventType, consumers: tuple[str, ...]) -> str:
    listeners = ", ".join(consumers) if consumers else "none inside the platform (audit and operators)"
    return f"{entry.summary}\n\nPublished by {entry.producer}. Expected consumers: {listeners}."


def _catalogue_version() -> str:
    try:
        return metadata.version("recert-common")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


# --- marshmallow -> JSON Schema ------------------------------------------------------------------------


def _schema_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return ENVELOPE if cls is EnvelopeSchema else cls.__name__


def _json_schemas(entries: list[registry.EventType]) -> dict:
    """Component schemas: the envelope, each data schema, and the small schemas they nest."""
    spec = APISpec("events", "1", "3.1.0", plugins=[_EventsPlugin()])
    named: dict[str, type[Schema]] = {}
    for schema in [EnvelopeSchema, *(entry.schema for entry in entries)]:
        name = _schema_name(schema)
        if named.setdefault(name, schema) is not schema:
            raise ValueError(f"two event data schemas are both called {name}; rename one")
        if name in spec.components.schemas:  # one schema class serving two types
            continue
        spec.components.schema(name, schema=schema)
    converted = spec.to_dict()["components"]["schemas"]

    summaries = {_schema_name(entry.schema): entry.summary for entry in entries}
    for name, schema in named.items():
        text = _ENVELOPE_DESCRIPTION if schema is EnvelopeSchema else _describe(schema, summaries[name])
        converted[name]["description"] = text
    return converted


def _describe(schema: type[Schema], summary: str) -> str:
    """The type's summary, then the nearest docstring of the data schema (cross-field rules live there)."""
    for cls in schema.__mro__:
        if cls is catalogue.EventData:
            break
        doc = cls.__dict__.get("__doc__")
        if doc:
            return f"{summary}\n\n{inspect.cleandoc(doc)}"
    return summary


class _EventsPlugin(MarshmallowPlugin):
    """apispec's converter, taught that our decimals travel as strings."""

    def __init__(self):
        super().__init__(schema_name_resolver=_schema_name)

    def init_spec(self, spec):
        super().init_spec(spec)
        # A copy: map_to_openapi_type would write into apispec's module-wide mapping.
        self.converter.field_mapping = {**self.converter.field_mapping,
                                        catalogue.WireDecimal: ("string", "decimal")}
        self.converter.add_attribute_function(_decimal_pattern)


def _decimal_pattern(self, field: fields.Field, **kwargs) -> dict:
    """A pattern tells a JSON Schema validator which strings are numbers."""
    if not isinstance(field, catalogue.WireDecimal):
        return {}
    if isinstance(field, catalogue.Cents):
        return {"pattern": r"^\d+\.\d{2}$"}
    non_negative = any(getattr(v, "min", None) is not None and v.min >= 0 for v in field.validators
                       if isinstance(v, validate.Range))
    return {"pattern": r"^\d+(\.\d+)?$" if non_negative else r"^-?\d+(\.\d+)?$"}
