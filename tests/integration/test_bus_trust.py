"""Forged events, against the real broker with the dev set-up: a vhost of this run with every party's own
broker user, permissions and topic permissions, made by ``python -m recert_common.bus provision``'s code and
deleted afterwards.

A forged event is refused by the broker (topic permissions, the validated ``user_id`` property), or, where it
reaches a consumer by another road (the default exchange), dead-lettered with the reason and no effect.
"""
from __future__ import annotations

import dataclasses
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from kombu import Connection, Exchange, Producer

from recert_common import bus
from recert_common.bus.access import Party, parties, platform_types
from recert_common.bus.deadletter import list_dead_letters
from recert_common.bus.provision import BrokerAdmin, amqp_url, deprovision, provision
from recert_common.config import ServiceSettings
from recert_common.db import Database
from recert_common.events import all_types, catalogue, new_event
from recert_common.worker import Worker

from bus_fixtures import effect_counts, make_database, wait_for

EXCHANGE = "recert.events"  # the production name: the vhost is this run's own
TEST_CONSUMER_EXTRA = ("noloc.academy.activity.completed", "billing.invoice.paid")
OWN = object()


@dataclass
class Broker:
    vhost: str
    prefix: str
    host: str
    port: int
    passwords: dict[str, str]
    queues: dict[str, str] = field(default_factory=dict)
    table: dict[str, Party] = field(default_factory=dict)

    def user(self, party: str) -> str:
        return f"{self.prefix}{party}"

    def url(self, party: str) -> str:
        return amqp_url(self.host, self.user(party), self.passwords[party], self.vhost, self.port)

    def publish(self, party: str, routing_key: str, body: str = "{}", *, exchange: str = EXCHANGE,
                user_id=OWN) -> None:
        """Publish as ``party`` with confirms; raises what the broker answers when it refuses."""
        with Connection(self.url(party), transport_options={"confirm_publish": True},
                        connect_timeout=5) as conn:
            target = Exchange(exchange, type="topic", durable=True) if exchange else ""
            Producer(conn.channel()).publish(
                body, exchange=target, routing_key=routing_key, content_type="application/json",
                content_encoding="utf-8", delivery_mode=2, retry=False,
                **({"user_id": self.user(party)} if user_id is OWN else
                   {} if user_id is None else {"user_id": user_id}))


@pytest.fixture(scope="module")
def broker(infra):
    admin = BrokerAdmin(infra.broker_admin_url)
    amqp = Connection(infra.amqp_url)
    vhost, prefix = f"t{infra.run_id}.trust", f"t{infra.run_id}-"
    # The ``consumer`` fixture runs as portfolio's user and also handles two types portfolio does not
    # consume (to receive Noloc's credits and payments by the exchange): its user may bind those too.
    table = [dataclasses.replace(p, consumes=tuple(sorted({*p.consumes, *TEST_CONSUMER_EXTRA})))
             if p.name == "portfolio" else p for p in parties()]
    passwords = {p.name: secrets.token_urlsafe(18) for p in table}
    done = provision(admin, passwords, vhost=vhost, exchange=EXCHANGE, user_prefix=prefix, table=table)
    # Provisioning twice is harmless: the second run changes nothing and fails on nothing.
    provision(admin, passwords, vhost=vhost, exchange=EXCHANGE, user_prefix=prefix, table=table)
    yield Broker(vhost, prefix, amqp.hostname, amqp.port or 5672, passwords, done.queues,
                 {p.name: p for p in table})
    deprovision(admin, vhost=vhost, user_prefix=prefix, table=table)


# --- the broker's permissions ------------------------------------------------------------------------------


# Every event type of the catalogue, by every party that does not produce it.
FORGERIES = [(t.type, p.name) for t in platform_types() for p in parties() if p.name != t.producer]


@pytest.mark.parametrize(("type_", "forger"), FORGERIES, ids=[f"{t}-by-{w}" for t, w in FORGERIES])
def test_every_event_type_published_by_any_other_party_is_refused_by_the_broker(broker, type_, forger):
    with pytest.raises(AccessRefused):
        broker.publish(forger, type_)


@pytest.mark.parametrize("type_", sorted({t.type for t in platform_types()}))
def test_the_producer_named_by_the_catalogue_may_publish_its_type(broker, type_):
    producer = next(t.producer for t in all_types() if t.type == type_)
    broker.publish(producer, type_)  # confirmed: no error


def test_noloc_may_not_publish_certification_events_nor_invent_types(broker):
    for key in ("certification.decision.made", "certification.certificate.renewed", "certification.anything",
                "noloc.academy.activity.invented"):
        with pytest.raises(AccessRefused):
            broker.publish("noloc", key)
    broker.publish("noloc", "noloc.meeting.attended")


def test_dnv_may_not_publish_at_all(broker):
    for key in ("noloc.meeting.attended", "certification.decision.made", "dnv.anything"):
        with pytest.raises(AccessRefused):
            broker.publish("dnv", key)
    with pytest.raises(AccessRefused):  # nor straight into a queue through the default exchange
        broker.publish("dnv", broker.queues["dnv"], exchange="")


@pytest.mark.parametrize("party", ["portfolio", "assessment", "noloc", "dnv"])
def test_no_party_may_delete_or_redefine_the_events_exchange(broker, party):
    with Connection(broker.url(party), connect_timeout=5) as conn:
        with pytest.raises(AccessRefused):
            conn.channel().exchange_delete(EXCHANGE)
        with pytest.raises(AccessRefused):
            Exchange(EXCHANGE, type="fanout", durable=True)(conn.channel()).declare()
    broker.publish("assessment", "certification.decision.made")  # still there


def test_a_user_id_that_lies_is_refused_by_the_broker(broker):
    with pytest.raises(PreconditionFailed):
        broker.publish("portfolio", "portfolio.submitted", user_id=broker.user("assessment"))
    with pytest.raises(PreconditionFailed):
        broker.publish("noloc", "noloc.meeting.attended", user_id=broker.user("pe-registry"))


def test_outside_parties_read_only_their_own_queue_and_cannot_rebind_it(broker):
    with Connection(broker.url("dnv"), connect_timeout=5) as conn:
        channel = conn.channel()
        while channel.basic_get(broker.queues["dnv"], no_ack=True) is not None:
            pass  # what earlier tests published
        broker.publish("assessment", "certification.decision.made", '{"n": 1}')
        broker.publish("portfolio", "portfolio.submitted", '{"n": 2}')
        got = wait_for(lambda: channel.basic_get(broker.queues["dnv"], no_ack=True), message="DNV's message")
        assert got.delivery_info["routing_key"] == "certification.decision.made"
        assert channel.basic_get(broker.queues["dnv"], no_ack=True) is None  # portfolio.submitted not routed
        with pytest.raises(AccessRefused):
            channel.queue_bind(broker.queues["dnv"], EXCHANGE, "portfolio.#")
    with Connection(broker.url("dnv"), connect_timeout=5) as conn, pytest.raises(AccessRefused):
        conn.channel().basic_get(broker.queues["noloc"], no_ack=True)


@pytest.mark.parametrize("party", ["billing", "portfolio", "pe-registry"])
def test_a_service_binds_its_own_queues_only_to_the_events_it_consumes(broker, party):
    """A service declares its own queues, but binding one to the exchange is checked against its topic read
    permission: it cannot listen to what it does not consume, such as identity's events that carry the
    password-reset and verification links, nor to everything (``#``)."""
    spy = f"{party}.spy-{uuid.uuid4().hex[:6]}"
    consumed = sorted(broker.table[party].consumes)
    assert set(consumed) == {t for t, consumers in catalogue.CONSUMERS.items() if party in consumers} | (
        set(TEST_CONSUMER_EXTRA) if party == "portfolio" else set())
    others = [t.type for t in platform_types() if t.type not in consumed]
    with Connection(broker.url(party), connect_timeout=5) as conn:
        conn.channel().queue_declare(spy, durable=False, auto_delete=False)
        for key in ("identity.password.reset_requested", "identity.email.verification_requested", "#",
                    "identity.#", "*.*.*", *others):
            with pytest.raises(AccessRefused):
                conn.channel().queue_bind(spy, EXCHANGE, key)
        for key in consumed:
            conn.channel().queue_bind(spy, EXCHANGE, key)
        conn.channel().queue_delete(spy)
        # Nor by an exchange of its own bound to the events exchange (exchange-to-exchange binding).
        relay = f"{party}.relay-{uuid.uuid4().hex[:6]}"
        conn.channel().exchange_declare(relay, "fanout", durable=False, auto_delete=False)
        with pytest.raises(AccessRefused):
            conn.channel().exchange_bind(relay, EXCHANGE, "identity.password.reset_requested")
        conn.channel().exchange_delete(relay)
    assert consumed and "identity.password.reset_requested" in others


def test_every_service_subscribes_to_exactly_the_types_the_catalogue_names_it_a_consumer_of():
    """The broker lets a service bind exactly the catalogue's types for it (``Party.topic_read``): a
    subscription the catalogue does not list would be refused when the service starts under its own user,
    and a type it lists but does not handle would be a binding right nobody needs (and a wrong line in
    docs/events.md and the AsyncAPI document)."""
    import base64
    import importlib

    key = base64.urlsafe_b64encode(bytes(32)).decode()
    env = {"RECERT_ASSESSMENT_SECRETS_KEY": key, "RECERT_IDENTITY_SECRETS_KEY": key}
    for service in ("identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"):
        spec = importlib.import_module(f"recert_{service.replace('-', '_')}.__main__").SPEC
        settings = spec.settings_cls.from_env(service, env=env)
        # A pool never opened: given none, a service's subscriptions open one of their own, which would go on
        # trying to reach a database that does not exist, logging into the tests that run after this one.
        unopened = Database(settings.database_url)
        subscribed = {t for s in spec.all_subscriptions(settings, unopened) for t in s.handlers}
        allowed = {t for t, consumers in catalogue.CONSUMERS.items() if service in consumers}
        assert subscribed == allowed, (service, sorted(subscribed - allowed), sorted(allowed - subscribed))


# --- the consumer's user_id check with real users ----------------------------------------------------------


def _record(conn, event) -> None:
    conn.execute("INSERT INTO effects (item_id, event_id) VALUES (0, %s)", (event.id,))


class FailsOnce:
    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, conn, event) -> None:
        with self.lock:
            self.calls += 1
            first = self.calls == 1
        if first:
            raise RuntimeError("the first attempt fails")
        _record(conn, event)


@pytest.fixture
def consumer(infra, broker):
    """A consumer of the portfolio service's user (queue ``portfolio.trust<tag>``), believing the strict
    mapping, with one handler that fails once to prove that retries keep the original sender."""
    tag = uuid.uuid4().hex[:6]
    db = make_database(infra, f"trust_{tag}", "consumer")
    settings = ServiceSettings.from_env(
        "portfolio", env={}, amqp_url=broker.url("portfolio"), exchange=EXCHANGE,
        broker_user_prefix=broker.prefix, consumer_max_retries=2, consumer_retry_base_ms=100,
        queue_expires_ms=600_000)
    assert settings.bus_trusted_users == ""  # the default is strict
    handlers = {t: _record for t in ("certification.decision.made", "noloc.academy.activity.completed",
                                     "noloc.meeting.attended", "billing.invoice.paid")}
    handlers["assessment.case.opened"] = FailsOnce()
    worker = Worker(settings, db, [bus.Subscription(f"trust{tag}", handlers)], relay=False)
    worker.start().wait_ready()
    worker.db_ = db
    yield worker
    worker.stop()
    db.close()


def _decision(producer: str = "assessment") -> str:
    return new_event("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": uuid.uuid4(), "account_id": uuid.uuid4(),
        "certificate_id": uuid.uuid4(), "decision": "positive", "follows_advice": True,
        "objection_deadline": date.today() + timedelta(days=42)}, producer=producer).to_json()


def _activity(**overrides) -> str:
    data = {"external_id": uuid.uuid4().hex, "membership_number": "12345", "title": "Webinar",
            "provider": "Noloc", "completed_on": date.today(), "points": "75", **overrides}
    return new_event("noloc.academy.activity.completed", data, producer="noloc").to_json()


def _paid() -> str:
    return new_event("billing.invoice.paid", {
        "invoice_id": uuid.uuid4(), "number": "DNV-2026-0001", "issuer": "DNV", "account_id": uuid.uuid4(),
        "kind": "recertification", "amount": {"amount": "242.00", "currency": "EUR"},
        "paid_on": date.today()},
        producer="billing").to_json()


def _dead(broker, worker) -> dict[str, str]:
    queue = worker.consumers[0].topology.queue
    return {letter.event_id: letter.error for letter in list_dead_letters(broker.url("portfolio"), queue)}


def test_forged_events_reaching_a_consumer_are_dead_lettered_with_the_reason_and_no_effect(broker, consumer):
    queue = consumer.consumers[0].topology.queue
    forged = {
        # a service's user sends Noloc's event straight into the queue through the default exchange
        "noloc_by_billing": ("billing", _activity()),
        # portfolio's user sends a payment into its own queue
        "paid_by_portfolio": ("portfolio", _paid()),
        # the envelope names a producer that is not the type's
        "decision_claims_noloc": ("billing", _decision(producer="noloc")),
    }
    ids = {}
    for name, (party, body) in forged.items():
        broker.publish(party, queue, body, exchange="")
        ids[name] = new_id(body)
    no_user = _decision()
    broker.publish("billing", queue, no_user, exchange="", user_id=None)
    ids["no_user_id"] = new_id(no_user)
    wait_for(lambda: set(ids.values()) <= set(_dead(broker, consumer)), message="every forgery dead-lettered")
    dead = _dead(broker, consumer)
    assert "published by broker user" in dead[ids["noloc_by_billing"]]
    assert f"{broker.prefix}billing" in dead[ids["noloc_by_billing"]]
    assert "published by broker user" in dead[ids["paid_by_portfolio"]]
    assert "envelope names producer 'noloc'" in dead[ids["decision_claims_noloc"]]
    assert "no user_id" in dead[ids["no_user_id"]]
    assert all(reason.startswith("refused: ") for reason in dead.values())
    assert effect_counts(consumer.db_) == (0, 0)
    assert consumer.consumers[0].refused == 4


def test_a_forgery_dead_lettered_onto_the_exchange_by_a_queue_of_its_own_is_still_refused(broker, consumer):
    """Topic permissions are not checked when the broker dead-letters: a service may declare a queue of its
    own whose dead letters go to the events exchange under any routing key, and so get any type routed. The
    message keeps the ``user_id`` of the service that published it, and the consumer refuses it."""
    detour = f"billing.detour-{uuid.uuid4().hex[:6]}"
    with Connection(broker.url("billing"), connect_timeout=5) as conn:
        conn.channel().queue_declare(detour, durable=False, auto_delete=False, arguments={
            "x-dead-letter-exchange": EXCHANGE, "x-dead-letter-routing-key": "certification.decision.made",
            "x-message-ttl": 0})
        forged = _decision()
        broker.publish("billing", detour, forged, exchange="")
        wait_for(lambda: new_id(forged) in _dead(broker, consumer), message="the detoured forgery refused")
        conn.channel().queue_delete(detour)
    assert f"published by broker user '{broker.prefix}billing'" in _dead(broker, consumer)[new_id(forged)]
    assert effect_counts(consumer.db_) == (0, 0)


def test_what_noloc_may_not_claim_is_dead_lettered(broker, consumer):
    too_much = _activity(points=None, amount="900", unit="sbu")
    future = _activity(completed_on=date.today() + timedelta(days=30))
    fine = _activity()
    for body in (too_much, future, fine):
        broker.publish("noloc", "noloc.academy.activity.completed", body)
    wait_for(lambda: effect_counts(consumer.db_)[0] >= 1, message="the plausible activity's effect")
    wait_for(lambda: {new_id(too_much), new_id(future)} <= set(_dead(broker, consumer)),
             message="dead letters")
    dead = _dead(broker, consumer)
    assert "noloc may not claim this" in dead[new_id(too_much)] and "bounds" in dead[new_id(too_much)]
    assert "in the future" in dead[new_id(future)]
    assert effect_counts(consumer.db_) == (1, 1)


def test_real_events_from_their_producers_users_pass_also_after_a_retry(broker, consumer):
    broker.publish("assessment", "certification.decision.made", _decision())
    case = new_event("assessment.case.opened", {
        "case_id": uuid.uuid4(), "account_id": uuid.uuid4(), "portfolio_id": uuid.uuid4(),
        "submission_id": uuid.uuid4(), "due_on": date.today()}, producer="assessment").to_json()
    broker.publish("assessment", "assessment.case.opened", case)
    wait_for(lambda: effect_counts(consumer.db_)[0] >= 2, message="both effects")
    assert consumer.consumers[0].handlers["assessment.case.opened"].calls == 2  # failed once, retried
    assert effect_counts(consumer.db_) == (2, 2)
    assert _dead(broker, consumer) == {}


def test_the_relay_publishes_as_its_own_user_and_not_another_services_event(infra, broker, consumer):
    """The whole road with real users: billing's outbox -> relay (billing's user) -> the consumer. An event
    billing may not produce stays in billing's outbox with the broker's refusal as its error."""
    db = make_database(infra, f"trust_billing_{uuid.uuid4().hex[:6]}", "producer")
    settings = ServiceSettings.from_env("billing", env={}, amqp_url=broker.url("billing"), exchange=EXCHANGE,
                                        broker_user_prefix=broker.prefix, relay_poll_seconds=0.5)
    try:
        with db.transaction() as conn:
            paid = bus.add(conn, new_event_from(_paid()))
        relay = bus.OutboxRelay(db, settings.amqp_url, settings.exchange)
        assert relay.drain() == 1
        wait_for(lambda: effect_counts(consumer.db_)[0] >= 1, message="the payment's effect")
        with consumer.db_.transaction() as conn:
            assert conn.execute("SELECT event_id FROM effects").fetchone()["event_id"] == paid.id
        with db.transaction() as conn:
            bus.add(conn, new_event_from(_decision()))
        with pytest.raises(AccessRefused):
            relay.publish_batch()
        relay.close()
        with db.transaction() as conn:
            row = conn.execute("SELECT published_at, last_error FROM outbox WHERE event_type = "
                               "'certification.decision.made'").fetchone()
        assert row["published_at"] is None and "ACCESS_REFUSED" in row["last_error"]
        assert effect_counts(consumer.db_) == (1, 1)
    finally:
        db.close()


def new_id(body: str) -> str:
    import json

    return json.loads(body)["id"]


def new_event_from(body: str):
    from recert_common.events import load_event

    event = load_event(body)
    return new_event(event.type, load_event(body).data, producer=event.producer)


# --- the operator's command --------------------------------------------------------------------------------


def test_the_provision_command_makes_the_table_on_the_broker_and_refuses_a_missing_password(
        infra, monkeypatch, capsys):
    from recert_common.bus.__main__ import main
    from recert_common.bus.provision import password_variable

    admin = BrokerAdmin(infra.broker_admin_url)
    vhost, prefix = f"t{infra.run_id}.cli", f"t{infra.run_id}cli-"
    table = parties()
    monkeypatch.setenv("RECERT_BROKER_ADMIN_URL", infra.broker_admin_url)
    monkeypatch.setenv("RECERT_BROKER_VHOST", vhost)
    monkeypatch.setenv("RECERT_BROKER_USER_PREFIX", prefix)
    monkeypatch.setenv("RECERT_EXCHANGE", EXCHANGE)
    for p in table:
        monkeypatch.setenv(password_variable(p.name), secrets.token_hex(12))
    monkeypatch.delenv(password_variable("dnv"))
    try:
        assert main(["provision"]) == 1
        assert "RECERT_BROKER_PASSWORD_DNV" in capsys.readouterr().err
        assert not {p.user(prefix) for p in table} & admin.users()  # nothing made without every password

        monkeypatch.setenv(password_variable("dnv"), "dnv-secret")
        assert main(["provision"]) == 0 and main(["provision"]) == 0  # twice: idempotent
        assert {p.user(prefix) for p in table} <= admin.users()
        assert admin.queue_type(vhost, "dnv.events") == "quorum"  # RECERT_QUEUE_TYPE's default
        capsys.readouterr()
        # Provisioning with the other type keeps the outside parties' queues as they are and says so.
        monkeypatch.setenv("RECERT_QUEUE_TYPE", "classic")
        assert main(["provision"]) == 0
        out, err = capsys.readouterr()
        assert json.loads(out)["kept"] == {"dnv.events": "quorum", "noloc.events": "quorum"}
        assert "kept dnv.events as a quorum queue" in err
        assert admin.queue_type(vhost, "dnv.events") == "quorum"
        amqp = Connection(infra.amqp_url)
        dnv = amqp_url(amqp.hostname, f"{prefix}dnv", "dnv-secret", vhost, amqp.port or 5672)
        with Connection(dnv, connect_timeout=5) as conn:
            assert conn.channel().basic_get("dnv.events", no_ack=True) is None  # its queue exists, readable
    finally:
        deprovision(admin, vhost=vhost, user_prefix=prefix, table=table)
    assert not {p.user(prefix) for p in table} & admin.users()
