"""The envelope's own rules: what a producer may put in, what a consumer gets out."""
from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from recert_common.context import correlation
from recert_common.events import InvalidEvent, load_event, new_event
from recert_common.events.envelope import _ENVELOPE, _as_sent

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


# The envelope as the relay sends it is read by a quick path beside EnvelopeSchema (``_as_sent``); the schema
# stays the definition. Each field takes its form as sent (first), forms the schema accepts in another way,
# and forms it refuses; MISSING leaves the field out.
MISSING = object()
SOME_ID = str(uuid.uuid4())
FIELD_FORMS = {
    "id": [SOME_ID, SOME_ID.upper(), "{" + SOME_ID + "}", "urn:uuid:" + SOME_ID, SOME_ID.replace("-", ""),
           SOME_ID[:-1], "", 5, None, MISSING],
    "type": ["pe.activity.recorded", "pe.activity.recorded\n", "pe.activity.recorded!", "Pe.activity", "pe",
             "pe..x", "", 7, None, MISSING],
    "version": [1, 2, 0, -1, True, False, "1", 1.0, 1.5, None, MISSING],
    "occurred_at": ["2026-12-07T03:00:00Z", "2026-12-07T03:00:00.123456+01:00", "2026-12-07T03:00:00",
                    "2026-12-07", "2026-12-07 03:00Z", "20261207T030000Z", "", "yesterday", 1765076400, None,
                    MISSING],
    "producer": ["pe-registry", "", b"pe-registry", 3, None, MISSING],
    "correlation_id": ["req-1", "", 3, [], None, MISSING],
    "subject": [SOME_ID, None, MISSING, "not-a-uuid", 4, ""],
    "data": [{"a": 1, "b": {"c": [1]}}, {}, [], "x", None, MISSING],
    "extra": [MISSING, "ignored"],
}


def _schema_loads(body):
    try:
        return _ENVELOPE.load(body)
    except ValidationError:
        return None


def _typed(loaded):
    """Each value with its type: the schema's ``1`` and a quick ``True`` must not pass for the same."""
    return loaded and {name: (type(value), value) for name, value in loaded.items()}


def test_the_quick_path_loads_only_what_the_schema_loads_and_loads_it_the_same():
    """Every envelope with one or two fields in another form than as sent (2,018), each through both."""
    names = list(FIELD_FORMS)
    sent = {name: forms[0] for name, forms in FIELD_FORMS.items()}
    bodies = [sent] + [{**sent, a: x, b: y} for a, b in itertools.combinations(names, 2)
                       for x in FIELD_FORMS[a] for y in FIELD_FORMS[b]]
    differing, quick_ones = [], 0
    for fields in bodies:
        body = {name: value for name, value in fields.items() if value is not MISSING}
        quick = _as_sent(body)
        if quick is None:
            continue
        quick_ones += 1
        if _typed(quick) != _typed(_schema_loads(body)) or quick["data"] is body["data"]:
            differing.append(body)
    assert differing == []
    assert quick_ones > 100  # the quick path was taken, not only declined


def test_what_a_producer_sends_takes_the_quick_path():
    without_subject = new_event("identity.account.locked", {
        "account_id": ACCOUNT, "locked_until": datetime(2026, 11, 28, 12, tzinfo=UTC),
        "reason": "failed_passwords"}, producer="identity")
    for event in (_locked(), without_subject):
        message = json.loads(event.to_json())
        assert _as_sent(message) is not None
        assert _as_sent(message) == _schema_loads(message)


def test_a_non_object_is_left_to_the_schema():
    assert _as_sent([1, 2]) is None
    with pytest.raises(InvalidEvent, match="malformed envelope"):
        load_event(b"[1, 2]")
