"""The bodies billing's HTTP API reads and writes. Money is ``{"amount": "242.00", "currency": "EUR"}``."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from recert_billing.domain import PAYMENT_SUCCEEDED, InvoiceKind, InvoiceState, PaymentOutcome, vat_percent
from recert_common.errors import request_language
from recert_common.schemas import Computed, PageQuerySchema, PageSchema, UtcDateTime, always_sent


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(amount.quantize(Decimal("0.01")), "f"), "currency": currency}


class MoneySchema(Schema):
    amount = fields.String(required=True, metadata={"example": "242.00"})
    currency = fields.String(required=True, metadata={"example": "EUR"})


def _money_field(name: str, description: str | None = None) -> fields.Method:
    return Computed(f"_{name}", fields.Nested(MoneySchema),
                    metadata={"description": description} if description else {})


# --- input -----------------------------------------------------------------------------------------------


class InvoiceQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf([str(s) for s in InvoiceState]))
    kind = fields.String(validate=validate.OneOf([str(k) for k in InvoiceKind]))
    account_id = fields.UUID(metadata={"description": "Staff: the invoices of one jobcoach."})


class _TwoDecimals(fields.Decimal):
    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if not number.is_finite() or number.as_tuple().exponent < -2:
            raise ValidationError("billing.field.two_decimals")
        return number


# The stored column is numeric(12,2): a larger amount is refused, not an overflow (found by the fuzzer).
# A function rather than validate.Range, which apispec would document with a string bound.
_LARGEST_AMOUNT = Decimal("9999999999.99")


def _fits_the_column(amount: Decimal) -> None:
    if not Decimal(0) <= amount <= _LARGEST_AMOUNT:
        raise ValidationError(f"Must be between 0 and {_LARGEST_AMOUNT}.")


class PaymentNotificationSchema(Schema):
    """The payment provider's notification. Unknown fields are ignored, unlike our other inputs: the body
    is signed by the provider, and a field it adds must not make us refuse payments."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "The provider's event id; the same id twice pays once."})
    type = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": f"Only {PAYMENT_SUCCEEDED} pays an invoice; other types are kept and ignored."})
    invoice_number = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(min=1, max=32))
    amount = _TwoDecimals(load_default=None, allow_none=True, validate=_fits_the_column,
                          metadata={"example": "242.00", "minimum": 0, "maximum": float(_LARGEST_AMOUNT)})
    currency = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=3))
    paid_at = fields.AwareDateTime(load_default=None, allow_none=True, format="iso",
                                   metadata={"description": "When it was paid; the receipt time if absent."})

    @validates_schema
    def _payment_names_what_it_pays(self, data: dict[str, Any], **kwargs) -> None:
        if data.get("type") != PAYMENT_SUCCEEDED:
            return
        missing = {name: ["billing.field.required_for_payment"] for name in ("invoice_number", "amount",
                                                                               "currency")
                   if data.get(name) is None}
        if missing:
            raise ValidationError(missing)


# --- output ----------------------------------------------------------------------------------------------


@always_sent
class LineSchema(Schema):
    description = Computed("_description", fields.String(),
                           metadata={"description": "In the Accept-Language."})
    vat_rate = Computed("_vat_rate", fields.String(), metadata={"description": "Percent, e.g. \"21\"."})
    net = _money_field("net", "Excluding VAT.")
    vat = _money_field("vat", "VAT on net, rounded half-up to cents.")
    gross = _money_field("gross", "net + vat.")

    def _description(self, line) -> str:
        return line.description.get(request_language())

    def _vat_rate(self, line) -> str:
        return format(vat_percent(line.vat_rate), "f")

    def _net(self, line):
        return money(line.net, "EUR")

    def _vat(self, line):
        return money(line.vat, "EUR")

    def _gross(self, line):
        return money(line.gross, "EUR")


@always_sent
class CreditNoteSchema(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"example": "DNV-C-2026-000001"})
    issued_on = fields.Date()
    reason = fields.String()
    refund_due = fields.Boolean(metadata={"description": "The invoice had been paid: the issuer refunds it."})
    net = _money_field("net")
    vat = _money_field("vat")
    gross = _money_field("gross")

    def _net(self, note):
        return money(note.net, "EUR")

    def _vat(self, note):
        return money(note.vat, "EUR")

    def _gross(self, note):
        return money(note.gross, "EUR")


@always_sent
class InvoiceSchema(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "Gapless per issuer and year.",
                                     "example": "DNV-2026-000001"})
    issuer = fields.String(metadata={"enum": ["DNV", "Noloc"]})
    kind = fields.Method("_kind", metadata={"enum": [str(k) for k in InvoiceKind]})
    state = fields.Method("_state", metadata={"enum": [str(s) for s in InvoiceState]})
    account_id = fields.UUID(metadata={"description": "The jobcoach the invoice is addressed to."})
    recipient_name = fields.String(allow_none=True)
    recipient_number = fields.String(allow_none=True,
                                     metadata={"description": "Noloc membership or affiliate number."})
    submission_id = fields.UUID(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    period_year = fields.Integer(allow_none=True, metadata={
        "description": "A register fee: the calendar year its certificate year starts in."})
    period_start = fields.Date(allow_none=True, metadata={
        "description": "A register fee: the first day of the certificate year it covers (counted from the "
                       "certificate's start date)."})
    period_end = fields.Date(allow_none=True, metadata={
        "description": "A register fee: the last day of the certificate year it covers."})
    issued_on = fields.Date()
    due_on = fields.Date()
    currency = fields.String(metadata={"enum": ["EUR"]})
    vat_rate = Computed("_vat_rate", fields.String(), metadata={"description": "Percent, e.g. \"21\"."})
    net = _money_field("net", "Excluding VAT.")
    vat = _money_field("vat", "The VAT.")
    gross = _money_field("gross", "The total to pay: net + vat.")
    lines = fields.List(fields.Nested(LineSchema))
    framework_version = fields.String(metadata={"description": "The assessment framework of the fees."})
    paid_at = UtcDateTime(allow_none=True)
    cancelled_at = UtcDateTime(allow_none=True)
    credit_note = fields.Nested(CreditNoteSchema, allow_none=True)

    def _kind(self, invoice) -> str:
        return str(invoice.kind)

    def _state(self, invoice) -> str:
        return str(invoice.state)

    def _vat_rate(self, invoice) -> str:
        return format(vat_percent(invoice.vat_rate), "f")

    def _net(self, invoice):
        return money(invoice.net, invoice.currency)

    def _vat(self, invoice):
        return money(invoice.vat, invoice.currency)

    def _gross(self, invoice):
        return money(invoice.gross, invoice.currency)


class InvoicePageSchema(PageSchema):
    items = fields.List(fields.Nested(InvoiceSchema))


class PaymentResultSchema(Schema):
    status = fields.String(metadata={"enum": [str(o) for o in PaymentOutcome], "description": (
        "200: paid (now), duplicate (this provider event id was received before), already_paid. 202: "
        "kept but not applied: unknown_invoice, amount_mismatch, invoice_cancelled, ignored_type.")})
    invoice_number = fields.String(allow_none=True)
