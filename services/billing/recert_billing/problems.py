"""Billing's problem types, the answers to its refusals (``PROBLEMS``), and the texts a person reads, in Dutch
and English (ADR 0004)."""
from __future__ import annotations

from recert_billing.domain import InvoiceNotFound, NoCreditNote
from recert_common import i18n
from recert_common.domain_errors import ProblemMap
from recert_common.errors import NotFound, Unauthorized


class InvalidSignature(Unauthorized):
    """The webhook body is not signed with the shared secret (or the secret is not configured)."""

    slug, title_code = "invalid-signature", "billing.problem.invalid_signature"

    def __init__(self) -> None:
        super().__init__(code="billing.detail.invalid_signature",
                         www_authenticate='HMAC-SHA256 realm="payments", header="X-Signature", scheme="t,v1"')


PROBLEMS = ProblemMap({
    # For anything the caller may not see as well as for what does not exist: the two look the same.
    InvoiceNotFound: lambda error: NotFound(code="billing.detail.not_found"),
    NoCreditNote: lambda error: NotFound(code="billing.detail.no_credit_note"),
})

_MESSAGES: dict[str, dict[str, str]] = {
    "billing.problem.invalid_signature": {"nl": "Ongeldige handtekening", "en": "Invalid signature"},
    "billing.detail.invalid_signature": {
        "nl": "De X-Signature-header is geen geldige, recente HMAC-SHA256 van tijdstip en inhoud.",
        "en": "The X-Signature header is not a valid, recent HMAC-SHA256 of the timestamp and body."},
    "billing.detail.not_found": {"nl": "Deze factuur is niet gevonden.", "en": "This invoice was not found."},
    "billing.detail.no_credit_note": {"nl": "Bij deze factuur hoort geen creditnota.",
                                      "en": "This invoice has no credit note."},
    "billing.field.required_for_payment": {"nl": "Verplicht bij een geslaagde betaling.",
                                           "en": "Required for a successful payment."},
    "billing.field.two_decimals": {"nl": "Hoogstens twee decimalen.", "en": "At most two decimals."},
}

i18n.register_messages(_MESSAGES)

__all__ = ["PROBLEMS", "InvalidSignature"]
