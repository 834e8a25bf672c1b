"""The envelope's own rules: what a producer may put in, what a consumer gets out."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from recert_common.context import correlation
from recert_common.events import InvalidEvent, load_event, new_event

ACCOUNT = uuid.uuid4()


def _locked(**data):
    data = {"account_id": ACCOUNT, "locked_until": datetime(2026, 11, 28, 12, tzinfo=UTC),
            "reason": "failed_passwords", **data}
    return new_event("identity.account.locked", data, producer="identity", subject=ACCOUNT)


def test_a_mistyped_data_key_is_refused_rather_than_dropped():
    with pytest.raises(InvalidEvent, match="unknown fields"):
        _locked(lockedd_until="2026-11-28T12:00:00Z")


def test_a_value_that_cannot_be_serialised_is_an_invalid_event():
    with pytest.raises(InvalidEvent):
        new_event("certification.certificate.lapsed", {"account_id": ACCOUNT, "certificate_id": uuid.uuid4(),
                                                       "certificate_number": "RJ-1", "lapsed_on": 12345},
                  producer="assessment", subject=ACCOUNT)


def test_the_correlation_id_comes_from_the_context_and_survives_the_wire():
    with correlation("req-123"):
        event = _locked()
    loaded = load_event(event.to_json())
    assert loaded.correlation_id == "req-123"
    assert loaded.id == event.id and loaded.subject == ACCOUNT and loaded.type == "identity.account.locked"


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"id": "x"}'])
def test_unreadable_envelopes_are_invalid(body):
    with pytest.raises(InvalidEvent):
        load_event(body)
