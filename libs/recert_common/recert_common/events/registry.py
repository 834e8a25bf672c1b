"""Which event types exist, at which version, with which data schema.

``catalogue.py`` registers every type of the platform with ``@event_type``; tests may register their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from marshmallow import EXCLUDE, Schema


class UnknownEventType(LookupError):
    pass


@dataclass(frozen=True)
class EventType:
    type: str
    version: int
    schema: type[Schema]
    producer: str
    summary: str

    @property
    def area(self) -> str:
        return self.type.split(".", 1)[0]

    # One instance of the data schema per use, made on first use and kept: making a schema deep-copies its
    # declared fields, which cost more than the dump or load itself (a fifth of a consumer's CPU per event),
    # and a marshmallow schema keeps no state between calls, so threads may share it.
    @cached_property
    def writer(self) -> Schema:
        """The schema producers dump and validate the data with (unknown keys are refused before)."""
        return self.schema()

    @cached_property
    def data_keys(self) -> frozenset[str]:
        """The keys the data may have: anything else is a producer's mistake."""
        return frozenset(field.data_key or name for name, field in self.writer.fields.items())

    @cached_property
    def reader(self) -> Schema:
        """The schema consumers load the data with: fields a newer producer added are left out."""
        return self.schema(unknown=EXCLUDE)


_REGISTRY: dict[tuple[str, int], EventType] = {}
_LATEST: dict[str, int] = {}


def register(type_: str, version: int, schema: type[Schema], *, producer: str, summary: str) -> EventType:
    if type_.count(".") < 1 or type_ != type_.lower():
        raise ValueError(f"event types look like <area>.<thing>.<verb>: {type_!r}")
    key = (type_, version)
    existing = _REGISTRY.get(key)
    if existing and existing.schema is not schema:
        raise ValueError(f"{type_} v{version} is registered already")
    entry = EventType(type_, version, schema, producer, summary)
    _REGISTRY[key] = entry
    _LATEST[type_] = max(version, _LATEST.get(type_, 0))
    return entry


def event_type(type_: str, *, version: int = 1, producer: str, summary: str):
    """Class decorator: ``@event_type("pe.activity.recorded", producer="pe-registry", summary=...)``."""

    def decorate(schema: type[Schema]) -> type[Schema]:
        register(type_, version, schema, producer=producer, summary=summary)
        return schema

    return decorate


def get(type_: str, version: int | None = None) -> EventType:
    if version is None:
        version = _LATEST.get(type_)
    try:
        return _REGISTRY[(type_, version)]
    except KeyError:
        raise UnknownEventType(f"{type_} v{version}") from None


def all_types() -> list[EventType]:
    return sorted(_REGISTRY.values(), key=lambda e: (e.type, e.version))
