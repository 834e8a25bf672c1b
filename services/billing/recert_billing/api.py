"""Billing's HTTP API: invoices under /v1/invoices, the payment provider's webhook under /v1/payments.

Who sees which invoice: a jobcoach their own; a DNV officer every invoice issued by DNV; a Noloc admin every
invoice issued by Noloc (staff see their own as well, should they have any). Anything else answers 404, as
if it did not exist (the service refuses it as ``InvoiceNotFound``); an assessor has no business here (403).

The webhook needs no access token (the gateway lets it through): it carries the provider's HMAC-SHA256
signature of its timestamp and raw body instead, checked before the body is even parsed.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from recert_billing import signature
from recert_billing.domain import PaymentNotification
from recert_billing.problems import InvalidSignature
from recert_billing.schemas import (
    InvoicePageSchema,
    InvoiceQuerySchema,
    InvoiceSchema,
    PaymentNotificationSchema,
    PaymentResultSchema,
)
from recert_billing.service import BillingService
from recert_common.auth import Role, current_principal, require_roles
from recert_common.errors import BadRequest, ValidationProblem
from recert_common.files import file_response
from recert_common.schemas import page_body
from recert_common.web import answers, load_json, reads_raw_body

invoices = Blueprint("invoices", __name__, url_prefix="/v1/invoices",
                     description="Invoices and credit notes: the jobcoach's own, and the issuer's for staff.")
payments = Blueprint("payments", __name__, url_prefix="/v1/payments",
                     description="The payment provider's signed notifications.")
BLUEPRINTS = (invoices, payments)

READERS = (Role.JOBCOACH, Role.DNV_OFFICER, Role.NOLOC_ADMIN)
_PDF_RESPONSE = {"200": {"description": "The document as PDF.",
                         "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
_WEBHOOK_BODY = {
    "required": True,
    "description": "Signed by the provider: header X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 "
                   "of \"<t>.\" followed by the raw body, with the shared secret "
                   "RECERT_BILLING_WEBHOOK_SECRET>. "
                   "A t more than RECERT_BILLING_WEBHOOK_TOLERANCE_SECONDS (default 300) from our clock is "
                   "refused (401), so a captured call cannot be replayed later. A paid_at before the "
                   "invoice was issued or in the future (beyond RECERT_BILLING_PAID_AT_SKEW_SECONDS) is not "
                   "believed: kept, not applied (202).",
    "content": {"application/json": {"schema": PaymentNotificationSchema}},
}


def _service() -> BillingService:
    return current_app.extensions["billing"]


def _pdf(content: bytes, filename: str) -> Response:
    return file_response(content, filename=filename, mimetype="application/pdf")


# --- invoices --------------------------------------------------------------------------------------------


@invoices.get("")
@require_roles(*READERS)
@invoices.arguments(InvoiceQuerySchema, location="query")
@invoices.response(200, InvoicePageSchema)
def list_invoices(query: dict[str, Any]):
    """Invoices, newest first.

    A jobcoach sees their own; DNV officers DNV's, Noloc admins Noloc's. Filter by state (open, paid,
    cancelled), kind, and (staff) account_id."""
    items, total = _service().list_invoices(
        current_principal(), state=query.get("state"), kind=query.get("kind"),
        account_id=query.get("account_id"), page=query["page"], page_size=query["page_size"])
    return page_body(items, total, query)


@invoices.get("/<uuid:invoice_id>")
@require_roles(*READERS)
@invoices.response(200, InvoiceSchema)
def get_invoice(invoice_id: UUID):
    """One invoice with its lines and, when cancelled, its credit note."""
    return _service().visible_invoice(current_principal(), invoice_id)


@invoices.route("/<uuid:invoice_id>/pdf", methods=["GET"])
@require_roles(*READERS)
@invoices.doc(responses=_PDF_RESPONSE)
def invoice_pdf(invoice_id: UUID):
    """The invoice as PDF (Dutch)."""
    service = _service()
    invoice = service.visible_invoice(current_principal(), invoice_id)
    return _pdf(service.invoice_pdf(invoice), f"{invoice.number}.pdf")


@invoices.route("/<uuid:invoice_id>/credit-note/pdf", methods=["GET"])
@require_roles(*READERS)
@invoices.doc(responses=_PDF_RESPONSE)
def credit_note_pdf(invoice_id: UUID):
    """The credit note that cancelled the invoice, as PDF (Dutch); 404 when there is none."""
    service = _service()
    invoice = service.visible_invoice(current_principal(), invoice_id)
    return _pdf(service.credit_note_pdf(invoice), f"{invoice.credit_note.number}.pdf")


# --- the payment provider's webhook ----------------------------------------------------------------------


@payments.route("/webhook", methods=["POST"])
@answers(InvalidSignature)
@payments.doc(requestBody=_WEBHOOK_BODY, security=[])
@payments.response(200, PaymentResultSchema)
@payments.alt_response(202, schema=PaymentResultSchema,
                       description="Kept but not applied (unknown invoice, amount mismatch, cancelled "
                                   "invoice, not a successful payment): for a person to look at.")
@payments.alt_response(401, description="The signature is missing, wrong or outside the time window; nothing "
                                        "was recorded.")
@payments.alt_response(400, description="The body is not JSON, or is nested too deeply; nothing was "
                                        "recorded.")
@payments.alt_response(422, description="The body is not a payment notification (or holds a NUL character "
                                        "or a lone surrogate); nothing was recorded.")
@reads_raw_body
def webhook():
    """A payment notification from the payment provider.

    A successful payment of an open invoice's exact total marks it paid and publishes billing.invoice.paid
    (200). The same provider event id again, or a second payment of a paid invoice, has no further effect
    (200). Anything else is kept for a person to look at (202), including a payment whose paid_at lies before
    the invoice's issue or in the future. The signature, with its timestamp, is checked before the body is
    parsed."""
    service = _service()
    body = request.get_data(cache=False)
    if not signature.verify(service.settings.webhook_secret, body, request.headers.get(signature.HEADER),
                            tolerance=service.settings.webhook_tolerance_seconds):
        raise InvalidSignature()
    try:
        payload = load_json(body)  # too deep (400) or text we cannot keep (422): refused as problems
    except ValueError:
        raise BadRequest(code="detail.malformed_json") from None
    if not isinstance(payload, dict):
        raise BadRequest(code="detail.malformed_json")
    try:
        data = PaymentNotificationSchema().load(payload)
    except ValidationError as error:
        raise ValidationProblem.from_marshmallow(error) from None
    notification = PaymentNotification(provider_event_id=data["id"], type=data["type"],
                                       invoice_number=data["invoice_number"], amount=data["amount"],
                                       currency=data["currency"], paid_at=data["paid_at"])
    result = service.receive_payment(notification, payload)
    status = 200 if result.outcome.settles_invoice else 202
    return {"status": str(result.outcome), "invoice_number": result.invoice_number}, status
