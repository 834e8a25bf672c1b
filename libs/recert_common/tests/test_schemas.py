"""The schema pieces every service's HTTP bodies share: strict input, UTC instants, pages."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from marshmallow import Schema, ValidationError, fields

from recert_common.schemas import PageQuerySchema, PageSchema, Strict, UtcDateTime, page_body


class NameInput(Strict):
    name = fields.String(required=True)


class Item(Schema):
    id = fields.Integer()


class ItemPage(PageSchema):
    items = fields.List(fields.Nested(Item))


class Stamped(Schema):
    at = UtcDateTime(allow_none=True)


def test_strict_input_refuses_a_field_it_does_not_know():
    assert NameInput().load({"name": "Ans"}) == {"name": "Ans"}
    with pytest.raises(ValidationError) as caught:
        NameInput().load({"name": "Ans", "role": "noloc_admin"})
    assert "role" in caught.value.messages


def test_an_instant_is_written_in_utc_with_z_whatever_its_zone():
    summer = timezone(timedelta(hours=2))
    summer_morning = datetime(2026, 7, 1, 9, 30, tzinfo=summer)
    assert Stamped().dump({"at": summer_morning}) == {"at": "2026-07-01T07:30:00Z"}
    assert Stamped().dump({"at": datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC)}) == {
        "at": "2026-01-01T00:00:00.000005Z"}
    assert Stamped().dump({"at": None}) == {"at": None}


def test_a_page_query_defaults_to_the_first_page_of_twenty():
    assert PageQuerySchema().load({}) == {"page": 1, "page_size": 20}
    assert PageQuerySchema().load({"page": "3", "page_size": "100"}) == {"page": 3, "page_size": 100}


@pytest.mark.parametrize("query", [{"page": 0}, {"page_size": 0}, {"page_size": 101}, {"sort": "name"}])
def test_a_page_query_out_of_bounds_or_with_unknown_fields_is_refused(query):
    with pytest.raises(ValidationError):
        PageQuerySchema().load(query)


def test_a_page_body_carries_the_items_the_query_asked_for_and_the_total():
    body = page_body([{"id": 1}, {"id": 2}], 7, {"page": 2, "page_size": 2, "unread": True})
    assert body == {"items": [{"id": 1}, {"id": 2}], "page": 2, "page_size": 2, "total": 7}
    assert ItemPage().dump(body) == body


def test_a_page_schema_lists_its_items_first_with_their_own_schema():
    assert list(ItemPage().fields) == ["items", "page", "page_size", "total"]
    assert ItemPage().dump({"items": [{"id": 1, "secret": "x"}], "page": 1, "page_size": 20, "total": 1})[
        "items"] == [{"id": 1}]
