"""The payment provider's webhook: signed bodies only, each notification once, an invoice paid once."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from recert_billing import signature
from recert_billing.app import create_app
from recert_billing.service import build_service
from recert_billing.settings import BillingSettings

from service_harness import problem


def _open_invoice(billing):
    coach = billing.coach()
    billing.submitted(coach)
    [row] = billing.invoices(coach.account_id)
    return coach, billing.invoice_body(coach, row["id"])


def test_a_webhook_replayed_ten_times_pays_once_and_publishes_once(billing):
    coach, invoice = _open_invoice(billing)
    paid_at = datetime.now(UTC)  # after the invoice's issue: an earlier paid_at is not believed
    body = json.dumps(billing.payment(invoice, paid_at=paid_at.isoformat())).encode()

    answers = [billing.webhook(body) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.get_json()["status"] for a in answers] == ["paid"] + ["duplicate"] * 9

    row = billing.rows("SELECT state, paid_at FROM invoices WHERE id = %s", invoice["id"])[0]
    assert row["state"] == "paid"
    [paid] = billing.outbox("billing.invoice.paid", subject=coach.account_id)
    assert paid["data"]["invoice_id"] == invoice["id"] and paid["data"]["number"] == invoice["number"]
    assert paid["data"]["amount"] == {"amount": "242.00", "currency": "EUR"}
    assert paid["data"]["submission_id"] == invoice["submission_id"]
    # The day in Amsterdam (23:30 UTC is the next day there).
    assert paid["data"]["paid_on"] == paid_at.astimezone(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    assert billing.scalar("SELECT count(*) FROM payment_notifications WHERE invoice_number = %s",
                          invoice["number"]) == 1
    assert billing.invoice_body(coach, invoice["id"])["state"] == "paid"


def test_ten_replays_at_once_pay_once(billing):
    coach, invoice = _open_invoice(billing)
    body = json.dumps(billing.payment(invoice)).encode()

    def send(_):
        with billing.app.test_client() as client:
            headers = {"Content-Type": "application/json",
                       signature.HEADER: signature.sign(billing.settings.webhook_secret, body)}
            return client.post("/v1/payments/webhook", data=body, headers=headers).get_json()["status"]

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(send, range(10)))
    assert sorted(statuses) == ["duplicate"] * 9 + ["paid"]
    assert len(billing.outbox("billing.invoice.paid", subject=coach.account_id)) == 1


def test_a_second_notification_for_a_paid_invoice_changes_nothing(billing):
    coach, invoice = _open_invoice(billing)
    assert billing.webhook(billing.payment(invoice)).get_json()["status"] == "paid"
    paid_at = billing.scalar("SELECT paid_at FROM invoices WHERE id = %s", invoice["id"])
    again = billing.webhook(billing.payment(invoice, paid_at="2026-04-01T08:00:00Z"))
    assert (again.status_code, again.get_json()["status"]) == (200, "already_paid")
    assert billing.scalar("SELECT paid_at FROM invoices WHERE id = %s", invoice["id"]) == paid_at
    assert len(billing.outbox("billing.invoice.paid", subject=coach.account_id)) == 1


def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(billing):
    _, invoice = _open_invoice(billing)
    payload = billing.payment(invoice)
    body = json.dumps(payload).encode()
    before = billing.state()
    for response in (
        billing.webhook(body, secret="not-the-secret"),
        billing.webhook(body, header=""),
        billing.webhook(body, header=signature.sign(billing.settings.webhook_secret, body)[7:]),  # no scheme
        billing.webhook(body + b"\n", header=signature.sign(billing.settings.webhook_secret, body)),
        billing.webhook(json.dumps({**payload, "amount": "0.01"}).encode(),
                        header=signature.sign(billing.settings.webhook_secret, body)),
    ):
        body_401 = problem(response, 401, "invalid-signature")
        assert body_401["title"] == "Ongeldige handtekening"
        assert response.headers["WWW-Authenticate"].startswith("HMAC-SHA256")
    english = billing.http.post("/v1/payments/webhook", data=body, headers={
        signature.HEADER: "sha256=00", "Accept-Language": "en"})
    assert problem(english, 401)["title"] == "Invalid signature"
    assert billing.state() == before
    # The genuine body still pays: the refusals left no trace that would make it a duplicate.
    assert billing.webhook(body).get_json()["status"] == "paid"


def test_without_a_configured_secret_every_notification_is_refused(billing):
    settings = BillingSettings.from_env("billing", env={}, database_url=billing.settings.database_url,
                                        amqp_url=billing.settings.amqp_url, log_level="WARNING")
    assert settings.webhook_secret == ""
    app = create_app(settings, service=build_service(settings, billing.db))
    _, invoice = _open_invoice(billing)
    body = json.dumps(billing.payment(invoice)).encode()
    before = billing.state()
    response = app.test_client().post("/v1/payments/webhook", data=body,
                                      headers={signature.HEADER: signature.sign("", body)})
    problem(response, 401, "invalid-signature")
    assert billing.state() == before


def test_notifications_that_pay_nothing_are_kept_and_answered_202(billing):
    coach, invoice = _open_invoice(billing)
    before = billing.rows("SELECT id, state FROM invoices WHERE id = %s", invoice["id"])
    cases = [
        (billing.payment(invoice, amount="241.99"), "amount_mismatch"),
        (billing.payment(invoice, currency="USD"), "amount_mismatch"),
        (billing.payment({**invoice, "number": "DNV-1999-000001"}), "unknown_invoice"),
        (billing.payment(invoice, type_="payment.failed"), "ignored_type"),
    ]
    for payload, outcome in cases:
        response = billing.webhook(payload)
        assert (response.status_code, response.get_json()["status"]) == (202, outcome), payload
        assert billing.scalar("SELECT outcome FROM payment_notifications WHERE provider_event_id = %s",
                              payload["id"]) == outcome
    assert billing.rows("SELECT id, state FROM invoices WHERE id = %s", invoice["id"]) == before
    assert billing.outbox("billing.invoice.paid", subject=coach.account_id) == []


def test_a_payment_of_a_cancelled_invoice_is_kept_for_a_refund(billing):
    coach = billing.coach()
    submission_id, _ = billing.submitted(coach)
    [row] = billing.invoices(coach.account_id)
    billing.withdrawn(coach, submission_id)
    response = billing.webhook(billing.payment(billing.invoice_body(coach, row["id"])))
    assert (response.status_code, response.get_json()["status"]) == (202, "invoice_cancelled")
    assert billing.scalar("SELECT state FROM invoices WHERE id = %s", row["id"]) == "cancelled"


def test_a_signed_but_malformed_notification_is_a_client_error(billing):
    _, invoice = _open_invoice(billing)
    before = billing.state()
    assert billing.webhook(b"{not json").status_code == 400
    assert billing.webhook(b"[1, 2]").status_code == 400
    missing = problem(billing.webhook({"id": "evt_x", "type": "payment.succeeded"}), 422, "validation-failed")
    assert set(missing["errors"]) == {"invoice_number", "amount", "currency"}
    assert missing["errors"]["amount"] == ["Verplicht bij een geslaagde betaling."]
    cents = problem(billing.webhook(billing.payment(invoice, amount="242.001")), 422)
    assert set(cents["errors"]) == {"amount"}
    assert billing.state() == before
    # A field the provider added is ignored (the body is signed; refusing it would refuse payments).
    assert billing.webhook(billing.payment(invoice, livemode=True)).get_json()["status"] == "paid"


def test_a_signature_outside_the_time_window_is_refused_as_a_replay(billing):
    coach, invoice = _open_invoice(billing)
    body = json.dumps(billing.payment(invoice)).encode()
    secret = billing.settings.webhook_secret
    assert billing.settings.webhook_tolerance_seconds == 300  # the default
    before = billing.state()
    for signed_at in (time.time() - 301, time.time() + 301, time.time() - 86_400):
        stale = billing.webhook(body, header=signature.sign(secret, body, timestamp=int(signed_at)))
        problem(stale, 401, "invalid-signature")
    # The timestamp is signed: moving it into the window breaks the HMAC.
    old = signature.sign(secret, body, timestamp=int(time.time()) - 600)
    moved = f"t={int(time.time())},{old.split(',', 1)[1]}"
    problem(billing.webhook(body, header=moved), 401, "invalid-signature")
    assert billing.state() == before
    # Within the window (here 4 minutes old) the same body pays.
    fresh = billing.webhook(body, header=signature.sign(secret, body, timestamp=int(time.time()) - 240))
    assert (fresh.status_code, fresh.get_json()["status"]) == (200, "paid")
    assert len(billing.outbox("billing.invoice.paid", subject=coach.account_id)) == 1


def test_an_implausible_paid_at_does_not_pay_the_invoice(billing):
    coach, invoice = _open_invoice(billing)
    issued_at = billing.scalar("SELECT issued_at FROM invoices WHERE id = %s", invoice["id"])
    # Beyond the 5 minutes either side that clocks (and rounding to the second) may differ.
    for paid_at in (issued_at - timedelta(minutes=6), datetime.now(UTC) + timedelta(minutes=6)):
        payload = billing.payment(invoice, paid_at=paid_at.isoformat())
        response = billing.webhook(payload)
        assert (response.status_code, response.get_json()["status"]) == (202, "implausible_paid_at"), paid_at
    assert billing.scalar("SELECT state FROM invoices WHERE id = %s", invoice["id"]) == "open"
    assert billing.outbox("billing.invoice.paid", subject=coach.account_id) == []
    # A small clock skew is tolerated: a second before the issue, as a provider rounding down may say.
    just_before = (issued_at - timedelta(seconds=1)).isoformat()
    rounded = billing.webhook(billing.payment(invoice, paid_at=just_before))
    assert rounded.get_json()["status"] == "paid"


def test_deeply_nested_or_surrogate_bodies_are_client_errors_after_the_signature(billing):
    _, invoice = _open_invoice(billing)
    before = billing.state()
    nested = b"[" * 100_000 + b"]" * 100_000
    problem(billing.webhook(nested, header="t=1,v1=00"), 401, "invalid-signature")  # not even parsed
    problem(billing.webhook(nested), 400)
    problem(billing.webhook(b'{"a":' * 100 + b"1" + b"}" * 100), 400)  # deeper than 64 levels
    surrogate = json.dumps(billing.payment(invoice, id="a\ud800b")).encode()
    assert b"\\ud800" in surrogate
    body = problem(billing.webhook(surrogate), 422, "validation-failed")
    assert body["errors"]["id"]
    assert billing.state() == before
