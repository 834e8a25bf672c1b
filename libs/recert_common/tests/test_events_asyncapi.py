"""The AsyncAPI document: complete, internally consistent, valid AsyncAPI 3.0.0, and true to the wire."""
from __future__ import annotations

import copy
import json
import uuid
from decimal import Decimal
from importlib import resources

import jsonschema
import pytest
from marshmallow import fields
from referencing import Registry
from referencing.jsonschema import DRAFT7

from recert_common.events import all_types, catalogue, new_event, register
from recert_common.events.__main__ import main
from recert_common.events.asyncapi import asyncapi_document


class WidgetMadeV1(catalogue.EventData):
    widget_id = fields.UUID(required=True)


class WidgetMadeV2(catalogue.EventData):
    widget_id = fields.UUID(required=True)
    price = catalogue.Cents(required=True)


# A type with two versions, so the one-channel-many-messages path is exercised; not part of the catalogue.
register("test_asyncapi.widget.made", 1, WidgetMadeV1, producer="portfolio", summary="A widget, v1.")
register("test_asyncapi.widget.made", 2, WidgetMadeV2, producer="portfolio", summary="A widget, v2.")


@pytest.fixture(scope="module")
def document() -> dict:
    return asyncapi_document()


def _resolve(document: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_one_channel_per_registered_type_addressed_by_its_routing_key(document):
    types = {entry.type for entry in all_types()}
    assert set(document["channels"]) == types
    for type_, channel in document["channels"].items():
        assert channel["address"] == type_
        amqp = channel["bindings"]["amqp"]
        assert amqp["is"] == "routingKey"
        assert amqp["exchange"].items() >= {"name": "recert.events", "type": "topic", "durable": True}.items()


def test_every_channel_has_a_send_operation_naming_its_producer(document):
    by_channel = {op["channel"]["$ref"]: op for op in document["operations"].values()}
    assert set(by_channel) == {f"#/channels/{type_}" for type_ in document["channels"]}
    for entry in all_types():
        operation = by_channel[f"#/channels/{entry.type}"]
        assert operation["action"] == "send"
        assert operation["x-producer"] == entry.producer
        assert {"name": entry.producer} in operation["tags"]


def test_every_version_is_a_message_carrying_its_own_data_schema(document):
    channel = document["channels"]["test_asyncapi.widget.made"]
    assert len(channel["messages"]) == 2
    operation = document["operations"]["send.test_asyncapi.widget.made"]
    assert len(operation["messages"]) == 2
    for entry in all_types():
        message = _resolve(document, f"#/components/messages/{entry.type}.v{entry.version}")
        overlay = message["payload"]["allOf"][1]["properties"]
        assert overlay["type"] == {"const": entry.type}
        assert overlay["version"] == {"const": entry.version}
        data_schema = _resolve(document, overlay["data"]["$ref"])
        assert set(data_schema["properties"]) == set(entry.schema().fields)
        required = {name for name, field in entry.schema().fields.items() if field.required}
        assert set(data_schema.get("required", [])) == required


def test_every_reference_resolves(document):
    refs = list(_refs(document))
    assert len(refs) > 3 * len(document["channels"])
    for ref in refs:
        _resolve(document, ref)
    for operation in document["operations"].values():
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            # Operations may only name messages of their own channel.
            assert message["$ref"].startswith(channel_ref + "/messages/")


def test_consumers_and_decimal_conventions_reach_the_document(document):
    assert document["channels"]["billing.invoice.paid"]["x-consumers"] == ["assessment", "notifications"]
    money = document["components"]["schemas"]["Money"]["properties"]["amount"]
    assert money["type"] == "string" and money["pattern"] == r"^\d+\.\d{2}$"
    assert "gross = net + vat" in document["components"]["schemas"]["InvoiceIssued"]["description"]


def _asyncapi_3_schema() -> dict:
    # The official AsyncAPI 3.0.0 JSON Schema (asyncapi/spec-json-schemas, schemas/3.0.0.json), as vendored by
    # this PyPI package; identical to @asyncapi/specs 6.11.1 except for one "examples" entry.
    pytest.importorskip("xstate_statemachine", reason="xstate-statemachine==0.11.0 ships the schema")
    text = resources.files("xstate_statemachine.eda").joinpath("_asyncapi_schema.json").read_text("utf-8")
    schema = json.loads(text)
    assert schema["$id"] == "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
    return schema


def test_document_is_valid_asyncapi_3(document):
    validator = jsonschema.Draft7Validator(_asyncapi_3_schema())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []

    broken = copy.deepcopy(document)
    broken["operations"]["send.billing.invoice.paid"]["action"] = "publish"
    broken["channels"]["billing.invoice.paid"]["bindings"]["amqp"]["exchange"]["type"] = "fan-out"
    assert len(list(validator.iter_errors(broken))) == 2


def _payload_validator(document: dict, type_: str, version: int = 1) -> jsonschema.Draft7Validator:
    uri = "urn:recert:asyncapi"
    registry = Registry().with_resource(uri, DRAFT7.create_resource(document))
    return jsonschema.Draft7Validator({"$ref": f"{uri}#/components/messages/{type_}.v{version}/payload"},
                                      registry=registry,
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_second_version_is_documented_with_its_own_fields(document):
    v2 = _payload_validator(document, "test_asyncapi.widget.made", 2)
    data = {"widget_id": uuid.uuid4(), "price": Decimal("9.5")}
    message = json.loads(new_event("test_asyncapi.widget.made", data, producer="portfolio").to_json())
    assert message["version"] == 2 and message["data"]["price"] == "9.50"
    assert v2.is_valid(message)

    del message["data"]["price"]  # what v1 carried
    assert not v2.is_valid(message)
    v1 = json.loads(new_event("test_asyncapi.widget.made", message["data"], producer="portfolio",
                              version=1).to_json())
    assert _payload_validator(document, "test_asyncapi.widget.made", 1).is_valid(v1)
    assert not v2.is_valid(v1)


def test_command_line_prints_the_document(capsys, document):
    assert main(["asyncapi"]) == 0
    assert json.loads(capsys.readouterr().out) == document


def test_command_line_prints_yaml(capsys, document):
    yaml = pytest.importorskip("yaml")
    assert main(["asyncapi", "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == document
