"""The processes around the API: readiness, the OpenAPI document, the service's spec, and the worker's relay
publishing billing's events to the real broker."""
from __future__ import annotations

import json
import time

from kombu import Connection, Queue

from recert_billing.__main__ import SPEC
from recert_common.bus import events_exchange
from recert_common.worker import Worker


def test_ready_when_database_and_broker_answer(billing):
    response = billing.http.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_the_openapi_document_lists_the_api(billing):
    document = billing.http.get("/v1/openapi.json").get_json()
    assert set(document["paths"]) == {
        "/v1/invoices", "/v1/invoices/{invoice_id}", "/v1/invoices/{invoice_id}/pdf",
        "/v1/invoices/{invoice_id}/credit-note/pdf", "/v1/payments/webhook"}
    webhook = document["paths"]["/v1/payments/webhook"]["post"]
    assert webhook["security"] == [] and {"200", "202", "401"} <= set(webhook["responses"])
    assert document["paths"]["/v1/invoices"]["get"]["security"] == [{"bearerAuth": []}]


def test_the_spec_wires_the_consumer_and_the_register_fee_schedule(billing):
    assert SPEC.name == "billing" and SPEC.default_port == 8006
    [subscription] = SPEC.subscriptions(billing.settings, billing.db)
    assert subscription.purpose == "events"
    assert set(subscription.handlers) == {
        "identity.account.registered", "identity.account.updated", "portfolio.submitted",
        "portfolio.supplement.submitted", "portfolio.withdrawn", "certification.certificate.registered",
        "certification.certificate.renewed", "certification.certificate.reactivated",
        "certification.certificate.lapsed"}
    [schedule] = SPEC.schedules(billing.settings, billing.db)
    assert schedule.name == "billing.register-fees" and schedule.every_seconds == 3600


def test_the_worker_publishes_billing_events_to_the_broker(billing, infra):
    settings = billing.settings.__class__.from_env(
        "billing", env={}, database_url=billing.settings.database_url, amqp_url=infra.amqp_url,
        exchange=infra.exchange, relay_poll_seconds=0.5, log_level="WARNING")
    queue_name = f"{infra.queue_prefix}billing-test.invoices"
    infra.queues.add(queue_name)
    with Connection(infra.amqp_url) as connection:
        queue = Queue(queue_name, events_exchange(infra.exchange), routing_key="billing.invoice.*",
                      durable=False, auto_delete=False)
        queue(connection.channel()).declare()
        relay = Worker(settings, billing.db).start()
        try:
            coach = billing.coach()
            billing.submitted(coach)
            [invoice] = billing.invoices(coach.account_id)
            billing.webhook(billing.payment(billing.invoice_body(coach, invoice["id"])))
            deadline, seen = time.monotonic() + 20, []
            with connection.SimpleQueue(queue) as simple:
                while time.monotonic() < deadline and len(seen) < 2:
                    try:
                        message = simple.get(timeout=1)
                    except simple.Empty:
                        continue
                    message.ack()
                    body = json.loads(message.body)
                    if body["data"]["invoice_id"] == str(invoice["id"]):
                        seen.append(body["type"])
        finally:
            relay.stop()
    assert seen == ["billing.invoice.issued", "billing.invoice.paid"]
