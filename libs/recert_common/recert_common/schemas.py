"""The marshmallow pieces every service's HTTP bodies are made of: strict input, UTC instants, pages.

A service's ``schemas.py`` builds its bodies from these, so that every API refuses unknown fields, writes
instants alike and pages its lists alike.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


class Strict(Schema):
    """An input body or query: a field the API does not know is an error, not silently dropped."""

    class Meta:
        unknown = RAISE


def utc_text(value: datetime | None) -> str | None:
    """An instant as RFC 3339 in UTC (``2027-03-01T09:30:00Z``), however the database session gave it."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UtcDateTime(fields.DateTime):
    """An instant in RFC 3339, always in UTC (whatever time zone the database session uses)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return utc_text(value)


class Computed(fields.Method):
    """A value a method of the schema computes (as ``fields.Method``), documented as ``shown_as``: a typed
    field (``fields.Boolean()``, ``fields.Nested(SomeSchema)``, ``fields.Dict(values=...)``) that says what
    the method returns, so that the OpenAPI document gives a client its type (issue 13). The value on the
    wire is the method's, unchanged; ``shown_as`` only describes it (``web.py`` documents it so)."""

    def __init__(self, method: str, shown_as: fields.Field, **kwargs: Any):
        super().__init__(method, **kwargs)
        shown_as.allow_none = self.allow_none
        self.shown_as = shown_as

    def _bind_to_schema(self, field_name: str, parent: Any) -> None:
        super()._bind_to_schema(field_name, parent)
        self.shown_as._bind_to_schema(field_name, parent)


def always_sent(schema: Any = None, *, except_: Sequence[str] = ()) -> Any:
    """Class decorator for a response schema: every field (but ``except_``) is always in the answer (null
    when it has no value), so the OpenAPI document marks each one ``required`` and a client need not test
    for absence. Marshmallow ignores ``required`` when dumping: the answer is unchanged. The fields are
    copies, so a base schema shared with another answer keeps its own.

    ``@always_sent`` or ``@always_sent(except_=("parts",))``."""
    def mark(cls: Any) -> Any:
        unknown = set(except_) - set(cls._declared_fields)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field {sorted(unknown)}")
        marked = {}
        for name, field in cls._declared_fields.items():
            if name not in except_:
                field = copy.copy(field)
                field.required = True
            marked[name] = field
        cls._declared_fields = marked
        return cls

    return mark if schema is None else mark(schema)


BLANK = "field.blank"


def not_blank(value: str) -> None:
    """Refuse text that is only white space (a length check alone lets "   " through)."""
    if not value.strip():
        raise ValidationError(BLANK)


def text(max_length: int, *, min_length: int = 1, **kwargs: Any) -> fields.String:
    """A required-looking text field: between ``min_length`` and ``max_length`` characters, not blank."""
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), not_blank], **kwargs)


class PageQuerySchema(Strict):
    # Bounded so that the offset (page x page_size) stays a PostgreSQL bigint: a huge page is a 422,
    # not an overflow (found by the fuzzer).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE,
                               validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class PageSchema(Schema):
    """One page of a list; a subclass says what the items are: ``items = fields.List(fields.Nested(...))``."""

    # Declared here, though every subclass replaces it, so that ``items`` comes first in the documents.
    items = fields.List(fields.Raw())
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


def page_body(items: Sequence[Any], total: int, query: Mapping[str, Any]) -> dict[str, Any]:
    """The body a ``PageSchema`` writes: the items of the page ``query`` asked for, and how many there are."""
    return {"items": items, "page": query["page"], "page_size": query["page_size"], "total": total}


class AllowedTypeSchema(Schema):
    content_type = fields.String(required=True, metadata={
        "description": "The type, as decided from the file's content (never from its name)."})
    extensions = fields.List(fields.String(), required=True,
                             metadata={"description": "The extensions a file of this type may carry."})
    name = fields.String(required=True, metadata={
        "description": "The type as a person reads it, in the request's language."})


class UploadRulesSchema(Schema):
    """What a service takes as an uploaded file (``filetypes.upload_rules``): an upload is still checked."""

    max_bytes = fields.Integer(required=True, metadata={"description": "The largest file, in bytes."})
    types = fields.List(fields.Nested(AllowedTypeSchema), required=True,
                        metadata={"description": "The types a file may have, in the order to show."})

