"""The real flows and the forgeries of issue 11 on services running as processes the way compose and
`make dev` run them: a vhost of this system, every service, Noloc and DNV with a broker user of their own,
permissions and topic permissions from the table, and the strict user_id check (no trusted users).
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from kombu import Connection, Exchange, Producer

from recert_common.bus.deadletter import list_dead_letters
from recert_common.events import new_event

from e2e_fixtures import app_fixture, system_fixture
from journeys import TODAY, certified_coach, eventually, record
from waiting import wait_for

system = system_fixture(["identity", "pe-registry", "portfolio"], broker_users=True,
                        extra_env={"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"})
app = app_fixture()


def _send(system, party: str, event, *, exchange: str | None = None, routing_key: str | None = None,
          user_id: str | None = None) -> str:
    """``event`` as ``party``'s broker user sends it: on the events exchange, or into a queue by name."""
    user = Connection(system.broker[party]).userid
    target = Exchange(system.exchange, type="topic", durable=True) if exchange is None else exchange
    with Connection(system.broker[party], transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            event.to_json(), exchange=target, routing_key=routing_key or event.type, retry=False,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            user_id=user_id or user)
    return str(event.id)


def _activity(number: str, **overrides) -> dict:
    return {"external_id": f"academy-{uuid.uuid4()}", "membership_number": number, "title": "Webinar",
            "provider": "Noloc Academie", "completed_on": TODAY - timedelta(days=3), "points": Decimal("75"),
            **overrides}


def _pe_queue(system) -> str:
    return f"{system.env['RECERT_QUEUE_PREFIX']}pe-registry.events"


def _dead_letters(system) -> dict[str, str]:
    return {d.event_id: d.error for d in list_dead_letters(system.broker["pe-registry"], _pe_queue(system))}


def test_the_real_flows_run_with_a_broker_user_per_service(app, system):
    # identity's, assessment's (here: the test's) and Noloc's users publish; pe-registry and portfolio
    # consume as their own users, and pe-registry's relay publishes what the jobcoach records.
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    number = person.account["membership_number"]
    system.publish("noloc.academy.activity.completed", _activity(number, points=Decimal("3")))
    system.publish("noloc.meeting.attended", {
        "external_id": f"meeting-{uuid.uuid4()}", "membership_number": number,
        "met_on": TODAY - timedelta(days=5), "kind": "intervision", "group_name": "Intervisie"})
    items = eventually(lambda: app.get("pe/activities", person).json()["items"])
    assert [(i["source"], Decimal(i["points"])) for i in items] == [("noloc_academy", 3)]
    eventually(lambda: app.get("portfolio/cycles/current", person).json()["meetings"])
    record(app, person, 1, 10)
    assert len(app.get("pe/activities", person).json()["items"]) == 2
    assert _dead_letters(system) == {}


def test_forged_events_are_refused_by_the_broker_or_dead_lettered_with_no_effect(app, system):
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    number = person.account["membership_number"]
    cycle_before = app.get("portfolio/cycles/current", person).json()
    forged_credit = new_event("noloc.academy.activity.completed", _activity(number), producer="noloc")

    # A service's user may not publish Noloc's event, nor claim to be Noloc's user.
    with pytest.raises(AccessRefused):
        _send(system, "portfolio", forged_credit)
    with pytest.raises(PreconditionFailed):
        _send(system, "noloc", forged_credit, user_id=Connection(system.broker["portfolio"]).userid)
    # Through the default exchange, straight into pe-registry's queue: as Noloc's user_id it is refused,
    # under its own user_id it arrives but is not believed.
    with pytest.raises(PreconditionFailed):
        _send(system, "portfolio", forged_credit, user_id=Connection(system.broker["noloc"]).userid,
              exchange="", routing_key=_pe_queue(system))
    by_queue = _send(system, "portfolio", forged_credit, exchange="", routing_key=_pe_queue(system))
    # What Noloc's own user may not claim: 900 points for one webinar.
    too_much = _send(system, "noloc", new_event("noloc.academy.activity.completed",
                                                _activity(number, points=Decimal("900")), producer="noloc"))

    # Noloc's user may not publish a DNV decision, nor anything else but noloc.*; DNV's nothing at all.
    decision = new_event("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": uuid.uuid4(), "account_id": person.id,
        "certificate_id": uuid.uuid4(), "decision": "positive", "follows_advice": True,
        "objection_deadline": TODAY + timedelta(days=42)}, producer="assessment", subject=person.id)
    paid = new_event("billing.invoice.paid", {
        "invoice_id": uuid.uuid4(), "number": "DNV-2026-9999", "issuer": "DNV", "account_id": person.id,
        "kind": "recertification", "amount": {"amount": "242.00", "currency": "EUR"}, "paid_on": TODAY},
        producer="billing", subject=person.id)
    for party, event in [("noloc", decision), ("portfolio", paid), ("pe-registry", decision),
                         ("dnv", decision), ("dnv", forged_credit)]:
        with pytest.raises(AccessRefused):
            _send(system, party, event)
    with pytest.raises(AccessRefused):  # nor into a queue by name
        _send(system, "noloc", decision, exchange="", routing_key=f"{system.env['RECERT_QUEUE_PREFIX']}"
                                                                  "portfolio.events")

    dead = wait_for(lambda: (lambda d: d if {by_queue, too_much} <= set(d) else None)(_dead_letters(system)),
                    message="the two dead letters")
    assert "published by broker user" in dead[by_queue] and "portfolio" in dead[by_queue]
    assert "noloc may not claim this" in dead[too_much]
    # 0 effects: no PE activity, the portfolio cycle as it was.
    assert app.get("pe/activities", person).json()["items"] == []
    assert app.get("portfolio/cycles/current", person).json() == cycle_before
