"""The consumer's check of who sent an event, and the broker permissions table derived from the catalogue."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from recert_common.bus.access import parties, party, platform_types, producers
from recert_common.bus.trust import ORIGINAL_USER_HEADER, BusTrust
from recert_common.config import ServiceSettings
from recert_common.events import all_types, load_event
from recert_common.events import new_event as _new_event

STRICT = BusTrust(own_user="recert-portfolio")


def new_event(type_, data, *, producer):
    """The event as a consumer gets it: through the wire and ``load_event``."""
    return load_event(_new_event(type_, data, producer=producer).to_json())


def decision(producer="assessment"):
    return new_event("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": uuid.uuid4(), "account_id": uuid.uuid4(),
        "certificate_id": uuid.uuid4(), "decision": "positive", "follows_advice": True,
        "objection_deadline": date(2026, 3, 1)}, producer=producer)


def activity(**data):
    return new_event("noloc.academy.activity.completed", {
        "external_id": "x1", "membership_number": "123", "title": "Webinar", "provider": "Noloc",
        "completed_on": date(2025, 5, 1), "points": "12", **data}, producer="noloc")


def test_an_event_from_its_producers_user_is_believed():
    assert STRICT.refusal(decision(), "recert-assessment") is None
    assert STRICT.refusal(activity(), "recert-noloc") is None


@pytest.mark.parametrize("user", ["recert-portfolio", "recert-noloc", "recert-billing", "guest",
                                  "assessment"])
def test_an_event_from_any_other_user_is_refused_with_the_reason(user):
    reason = STRICT.refusal(decision(), user)
    assert reason and f"published by broker user {user!r}" in reason and "'assessment'" in reason


def test_an_event_without_user_id_is_refused():
    assert "no user_id" in STRICT.refusal(decision(), None)
    assert "no user_id" in STRICT.refusal(decision(), "")


def test_the_envelope_must_name_the_catalogues_producer_even_from_the_right_user():
    reason = STRICT.refusal(decision(producer="noloc"), "recert-assessment")
    assert reason and "envelope names producer 'noloc'" in reason


def test_the_original_sender_header_is_believed_only_on_the_consumers_own_messages():
    forwarded = {ORIGINAL_USER_HEADER: "recert-assessment"}
    assert STRICT.refusal(decision(), "recert-portfolio", forwarded) is None
    # Anyone else setting the header gains nothing: their own user_id is what counts.
    assert STRICT.refusal(decision(), "recert-billing", forwarded) is not None
    lying = {ORIGINAL_USER_HEADER: "recert-billing"}
    assert STRICT.refusal(decision(), "recert-portfolio", lying) is not None
    assert "no user_id" in STRICT.refusal(decision(), "recert-portfolio", {ORIGINAL_USER_HEADER: ""})


def test_trusted_users_are_an_explicit_opt_in_and_strict_is_the_default():
    settings = ServiceSettings.from_env("portfolio", env={})
    assert settings.bus_trusted_users == "" and settings.broker_user_prefix == "recert-"
    assert BusTrust.from_settings(settings, "recert-portfolio").refusal(decision(), "guest") is not None
    harness = ServiceSettings.from_env("portfolio", env={"RECERT_BUS_TRUSTED_USERS": "guest"})
    trust = BusTrust.from_settings(harness, "guest")
    assert trust.refusal(decision(), "guest") is None
    assert trust.refusal(decision(), "someone") is not None
    assert trust.refusal(decision(producer="noloc"), "guest") is not None  # the envelope is still checked


@pytest.mark.parametrize(("data", "words"), [
    ({"points": "501"}, "bounds"),
    ({"points": None, "amount": "900", "unit": "sbu"}, "bounds"),
    ({"points": None, "amount": "21", "unit": "ects"}, "bounds"),
    ({"completed_on": datetime.now(UTC).date() + timedelta(days=3)}, "in the future"),
])
def test_noloc_may_not_claim_implausible_activities(data, words):
    reason = STRICT.refusal(activity(**data), "recert-noloc")
    assert reason and "noloc may not claim this" in reason and words in reason


def test_noloc_may_claim_plausible_activities_and_meetings_up_to_today():
    assert STRICT.refusal(activity(points="500"), "recert-noloc") is None
    assert STRICT.refusal(activity(points=None, amount="20", unit="ects"), "recert-noloc") is None
    assert STRICT.refusal(activity(completed_on=datetime.now(UTC).date()), "recert-noloc") is None
    meeting = {"external_id": "m1", "membership_number": "123", "kind": "intervision", "group_name": "G"}
    future = new_event("noloc.meeting.attended", {**meeting, "met_on": date.today() + timedelta(days=5)},
                       producer="noloc")
    assert "in the future" in STRICT.refusal(future, "recert-noloc")
    past = new_event("noloc.meeting.attended", {**meeting, "met_on": date(2025, 1, 1)}, producer="noloc")
    assert STRICT.refusal(past, "recert-noloc") is None


def test_dates_are_judged_by_the_consumers_own_calendar_day():
    """A service running on a fixed day (a demo, a test standing in 2027) judges Noloc's dates by that day."""
    meeting = new_event("noloc.meeting.attended", {
        "external_id": "m2", "membership_number": "123", "kind": "intervision", "group_name": "G",
        "met_on": date(2027, 7, 16)}, producer="noloc")
    in_2027 = BusTrust(own_user="recert-portfolio", today=lambda: date(2027, 7, 20))
    assert in_2027.refusal(meeting, "recert-noloc") is None
    on_the_eve = BusTrust(own_user="recert-portfolio", today=lambda: date(2027, 7, 14))
    assert "in the future" in on_the_eve.refusal(meeting, "recert-noloc")
    assert BusTrust(own_user="recert-portfolio", today=lambda: date(2027, 7, 15)).refusal(
        meeting, "recert-noloc") is None  # a day of grace for the time zones ahead


# --- the table ------------------------------------------------------------------------------------------


def test_each_producer_may_write_exactly_the_routing_keys_of_its_events():
    platform = {t.type for t in platform_types()}
    assert {"certification.decision.made", "noloc.academy.activity.completed"} <= platform
    for entry in platform_types():
        for p in parties():
            allowed = re.fullmatch(p.topic_write(), entry.type) is not None
            assert allowed == (p.name == entry.producer), (p.name, entry.type)


def test_assessment_produces_the_certification_events_and_noloc_only_noloc_events():
    assert {t.split(".")[0] for t in producers()["assessment"]} == {"assessment", "certification"}
    assert all(t.startswith("noloc.") for t in party("noloc").publishes)


def test_dnv_may_publish_nothing_and_the_outside_parties_configure_nothing():
    dnv, noloc = party("dnv"), party("noloc")
    assert dnv.publishes == () and dnv.topic_write() == "^$"
    assert dnv.permissions("recert.events") == {"configure": "^$", "write": "^$", "read": "^dnv\\..*$"}
    assert noloc.permissions("recert.events")["configure"] == "^$"
    assert noloc.permissions("recert.events")["write"] == "^recert\\.events$"


def test_a_service_configures_and_reads_only_its_own_queues():
    perms = party("portfolio").permissions("recert.events")
    for queue in ("portfolio.events", "portfolio.events.dead", "portfolio.events.retry.3"):
        assert re.fullmatch(perms["read"], queue) and re.fullmatch(perms["configure"], queue)
    for queue in ("billing.events", "pe-registry.noloc", "noloc.events", "dnv.events"):
        assert not re.fullmatch(perms["read"], queue) and not re.fullmatch(perms["configure"], queue)


# --- what the AsyncAPI document tells the outside parties ------------------------------------------------


def test_the_asyncapi_document_says_who_may_publish_and_what_each_outside_party_receives():
    from recert_common.events.asyncapi import _matches, asyncapi_document

    document = asyncapi_document()
    for type_, operation in ((k.removeprefix("send."), v) for k, v in document["operations"].items()):
        producer = next(t.producer for t in all_types() if t.type == type_)
        assert operation["x-broker-user"] == f"recert-{producer}"
        assert document["channels"][type_]["bindings"]["amqp"]["exchange"]["vhost"] == "recert"
    dnv, noloc = document["x-parties"]["dnv"], document["x-parties"]["noloc"]
    assert dnv["mayPublish"] == [] and dnv["queue"] == "dnv.events"
    assert dnv["receives"] and all(t.startswith("certification.") for t in dnv["receives"])
    assert noloc["mayPublish"] == ["noloc.academy.activity.completed", "noloc.meeting.attended"]
    assert all(t.startswith(("certification.certificate.", "certification.credential."))
               for t in noloc["receives"])
    assert "user_id" in document["info"]["description"]
    assert _matches("certification.#", "certification.decision.made")
    assert _matches("a.*.c", "a.b.c") and not _matches("a.*", "a.b.c") and _matches("a.#", "a")


def test_a_claim_that_cannot_be_checked_is_not_believed(monkeypatch):
    from recert_common.bus import trust

    def broken(event, latest_day):
        raise ValueError("no framework")

    monkeypatch.setitem(trust.OUTSIDE_CLAIMS, "noloc.academy.activity.completed", broken)
    reason = STRICT.refusal(activity(), "recert-noloc")
    assert reason and "cannot be checked" in reason and "no framework" in reason


def test_a_type_registered_outside_the_catalogue_gets_no_broker_rights(monkeypatch):
    from marshmallow import Schema

    from recert_common.events import register, registry

    # Registered into copies of the registry, so the probe is gone after this test.
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_LATEST", dict(registry._LATEST))

    class Probe(Schema):
        pass

    register("trustprobe.thing.happened", 1, Probe, producer="portfolio", summary="A probe.")
    assert "trustprobe.thing.happened" in {t.type for t in all_types()}
    assert "trustprobe.thing.happened" not in {t.type for t in platform_types()}
    assert "trustprobe.thing.happened" not in party("portfolio").publishes


@pytest.mark.parametrize("count, believed", [
    (2, 2), (0, 0), (None, 0), ("abc", 0), (b"1", 0), (1.5, 0), (True, 0), (-1, 0), (3, 0), (10**6, 0)])
def test_a_retry_count_is_believed_only_as_a_whole_number_in_range(count, believed):
    headers = {} if count is None else {"x-retries": count}
    assert STRICT.retries("recert-portfolio", headers, max_retries=2) == believed


def test_a_retry_count_from_another_user_counts_for_nothing():
    # Set by the publisher, it would send the event to the dead-letter queue at its first failure (or
    # past the last retry queue); only the consumer's own forwards carry a count it believes.
    assert STRICT.retries("recert-noloc", {"x-retries": 2}, max_retries=2) == 0
    assert STRICT.retries(None, {"x-retries": 1}, max_retries=2) == 0
    assert STRICT.retries("recert-portfolio", None, max_retries=2) == 0


def test_a_forward_keeps_the_senders_user_and_routing_key_believed_only_from_its_own_user():
    from recert_common.bus.consumer import forwarded_headers

    at = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    # From another user: what it claims in the headers is replaced by what the broker says.
    forged = {ORIGINAL_USER_HEADER: "recert-assessment", "x-original-routing-key": "somewhere.else",
              "x-retries": "abc", "x-custom": "kept"}
    first = forwarded_headers(STRICT, "recert-noloc", forged, "noloc.meeting.attended", retries=1,
                              error="RuntimeError: broke", failed_at=at)
    assert first[ORIGINAL_USER_HEADER] == "recert-noloc"
    assert first["x-original-routing-key"] == "noloc.meeting.attended"
    assert first["x-retries"] == 1 and first["x-last-error"] == "RuntimeError: broke"
    assert first["x-failed-at"] == "2026-12-07T01:00:00+00:00" and first["x-custom"] == "kept"
    # Back from the retry queue, sent by the consumer's own user: its own earlier forward is believed.
    second = forwarded_headers(STRICT, "recert-portfolio", first, "recert-portfolio.retry.1", retries=2,
                               error="x" * 2000, failed_at=at)
    assert second[ORIGINAL_USER_HEADER] == "recert-noloc"
    assert second["x-original-routing-key"] == "noloc.meeting.attended"
    assert second["x-retries"] == 2 and len(second["x-last-error"]) == 1000
