"""Billing's rules without a database: fees per year, numbers, credit notes, payments, the webhook
signature and the PDF's formatting."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from recert_billing import pdf, signature
from recert_billing.domain import (
    CertificateYear,
    Invoice,
    InvoiceKind,
    InvoiceState,
    PaymentNotification,
    PaymentOutcome,
    credit_note_for,
    draft_invoice,
    format_number,
    judge_payment,
    owes_register_fee,
    vat_percent,
)
from recert_common.rules import FrameworkNotFound, UnknownFeeKind

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def framework_files() -> dict[int, dict]:
    """The packaged framework files, read as plain JSON: the expectations do not go through the rules code."""
    folder = resources.files("recert_common.rules") / "frameworks"
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            raw = json.loads(entry.read_text())
            found[raw["year"]] = raw
    return found


def expected(raw: dict, kind: str) -> tuple[Decimal, Decimal, Decimal, str]:
    fees = raw["fees"]
    net = Decimal(fees["items"][kind]["net"])
    vat = (net * Decimal(fees["vat_rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return net, vat, net + vat, fees["items"][kind]["issuer"]


FILES = framework_files()


def test_the_framework_files_hold_the_design_figures():
    # The numbers the design names, so that a changed file is noticed here too.
    assert Decimal(FILES[2023]["fees"]["items"]["register_fee"]["net"]) == Decimal("202.50")
    assert Decimal(FILES[2024]["fees"]["items"]["register_fee"]["net"]) == Decimal("212.50")
    assert Decimal(FILES[2023]["fees"]["items"]["recertification"]["net"]) == Decimal("200.00")


ISSUED_KINDS = [str(k) for k in InvoiceKind if k != InvoiceKind.AFFILIATE_NUMBER]


def _period(kind: str, year: int) -> CertificateYear | None:
    return CertificateYear(date(year, 3, 1), date(year + 1, 2, 28)) if kind == "register_fee" else None


@pytest.mark.parametrize("year", sorted(FILES))
@pytest.mark.parametrize("kind", ISSUED_KINDS)
def test_every_fee_of_every_year_is_exact(year, kind):
    net, vat, gross, issuer = expected(FILES[year], kind)
    draft = draft_invoice(kind, account_id=uuid.uuid4(), issued_on=date(year, 6, 15),
                          submission_id=uuid.uuid4(), case_id=uuid.uuid4(), supplement_id=uuid.uuid4(),
                          period=_period(kind, year))
    assert (draft.net, draft.vat, draft.gross) == (net, vat, gross)
    amounts = (draft.net, draft.vat, draft.gross)
    assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in amounts)
    assert draft.issuer == {"dnv": "DNV", "noloc": "Noloc"}[issuer]
    assert draft.due_on == date(year, 7, 15)
    assert [(line.net, line.vat, line.gross) for line in draft.lines] == [(net, vat, gross)]
    assert draft.period_year == (year if kind == "register_fee" else None)


def test_no_invoice_for_an_affiliate_number_is_drafted_any_more():
    """ADR 0013: the platform issues no affiliate numbers, so the framework holds no such fee."""
    assert not any(kind == "affiliate_number" for raw in FILES.values() for kind in raw["fees"]["items"])
    with pytest.raises(UnknownFeeKind):
        draft_invoice(InvoiceKind.AFFILIATE_NUMBER, account_id=uuid.uuid4(), issued_on=date(2024, 6, 1))


def test_the_register_fee_of_2023_rounds_half_up():
    draft = draft_invoice("register_fee", account_id=uuid.uuid4(), issued_on=date(2023, 1, 1),
                          period=_period("register_fee", 2023))
    # 202.50 x 0.21 = 42.525: half-up gives 42.53 (banker's rounding would give 42.52).
    assert (draft.vat, draft.gross) == (Decimal("42.53"), Decimal("245.03"))


def test_a_year_after_the_latest_file_uses_its_figures_and_a_year_before_the_first_is_refused():
    latest = max(FILES)
    net, vat, gross, _ = expected(FILES[latest], "register_fee")
    later = draft_invoice("register_fee", account_id=uuid.uuid4(), issued_on=date(latest + 3, 3, 1),
                          period=_period("register_fee", latest + 3))
    assert (later.net, later.vat, later.gross, later.period_year) == (net, vat, gross, latest + 3)
    with pytest.raises(FrameworkNotFound):
        draft_invoice("recertification", account_id=uuid.uuid4(), issued_on=date(min(FILES) - 1, 5, 1),
                      submission_id=uuid.uuid4())


def test_numbers_are_series_year_and_six_digits():
    assert format_number("DNV", 2026, 1) == "DNV-2026-000001"
    assert format_number("Noloc-C", 2027, 4711) == "Noloc-C-2027-004711"
    with pytest.raises(ValueError):
        format_number("DNV", 2026, 0)


def test_vat_is_given_in_percent():
    assert format(vat_percent(Decimal("0.21")), "f") == "21"
    assert format(vat_percent(Decimal("0.215")), "f") == "21.5"
    assert format(vat_percent(Decimal("0")), "f") == "0"


def _invoice(state=InvoiceState.OPEN, gross="242.00") -> Invoice:
    return Invoice(id=uuid.uuid4(), number="DNV-2026-000007", issuer="DNV", year=2026, seq=7,
                   account_id=uuid.uuid4(), kind=InvoiceKind.RECERTIFICATION, submission_id=uuid.uuid4(),
                   case_id=None, supplement_id=None, period_year=None, period_start=None, period_end=None,
                   recipient_name="Jet de Vries",
                   recipient_number="1234567", currency="EUR", vat_rate=Decimal("0.21"),
                   net=Decimal("200.00"), vat=Decimal("42.00"), gross=Decimal(gross),
                   framework_version="2024.1", issued_on=date(2026, 3, 2), due_on=date(2026, 4, 1),
                   issued_at=T0, state=state,
                   paid_at=T0 if state == InvoiceState.PAID else None,
                   cancelled_at=T0 if state == InvoiceState.CANCELLED else None,
                   lines=draft_invoice("recertification", account_id=uuid.uuid4(), issued_on=date(2026, 3, 2),
                                       submission_id=uuid.uuid4()).lines)


def test_a_credit_note_negates_the_invoice_in_its_own_series():
    note = credit_note_for(_invoice(), seq=3, issued_on=date(2027, 1, 5), issued_at=T0, reason="Ingetrokken")
    assert note.number == "DNV-C-2027-000003" and note.year == 2027
    assert (note.net, note.vat, note.gross) == (Decimal("-200.00"), Decimal("-42.00"), Decimal("-242.00"))
    assert note.refund_due is False
    paid = credit_note_for(_invoice(InvoiceState.PAID), seq=4, issued_on=date(2027, 1, 5), issued_at=T0,
                           reason="Ingetrokken")
    assert paid.refund_due is True
    with pytest.raises(ValueError):
        credit_note_for(_invoice(InvoiceState.CANCELLED), seq=5, issued_on=date(2027, 1, 5), issued_at=T0,
                        reason="x")


def test_only_affiliates_pay_the_register_fee_and_only_while_certified():
    assert owes_register_fee("affiliate", True)
    assert not owes_register_fee("affiliate", False)
    assert not owes_register_fee("member", True) and not owes_register_fee(None, True)


def _paid(amount="242.00", currency="EUR", type_="payment.succeeded") -> PaymentNotification:
    return PaymentNotification(provider_event_id="evt_1", type=type_, invoice_number="DNV-2026-000007",
                               amount=Decimal(amount), currency=currency, paid_at=T0)


@pytest.mark.parametrize(("notification", "invoice", "outcome"), [
    (_paid(), _invoice(), PaymentOutcome.PAID),
    (_paid("242"), _invoice(), PaymentOutcome.PAID),  # the same amount, written without cents
    (_paid(), None, PaymentOutcome.UNKNOWN_INVOICE),
    (_paid(), _invoice(InvoiceState.PAID), PaymentOutcome.ALREADY_PAID),
    (_paid(), _invoice(InvoiceState.CANCELLED), PaymentOutcome.INVOICE_CANCELLED),
    (_paid("241.99"), _invoice(), PaymentOutcome.AMOUNT_MISMATCH),
    (_paid("484.00"), _invoice(), PaymentOutcome.AMOUNT_MISMATCH),
    (_paid(currency="USD"), _invoice(), PaymentOutcome.AMOUNT_MISMATCH),
    (_paid(type_="payment.failed"), _invoice(), PaymentOutcome.IGNORED_TYPE),
])
def test_what_a_payment_notification_does(notification, invoice, outcome):
    assert judge_payment(notification, invoice) == outcome
    assert outcome.settles_invoice == (outcome in {PaymentOutcome.PAID, PaymentOutcome.ALREADY_PAID})


def test_the_signature_is_the_hmac_sha256_of_the_timestamp_and_the_raw_body():
    body = b'{"id":"evt_1","type":"payment.succeeded"}'
    now = 1_796_000_000
    digest = hmac.new(b"s3cret", f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    assert signature.sign("s3cret", body, timestamp=now) == f"t={now},v1={digest}"
    assert signature.verify("s3cret", body, f"t={now},v1={digest}", now=now)
    assert signature.verify("s3cret", body, f"t={now},v1={digest.upper()}", now=now)
    assert signature.verify("s3cret", body, f"t={now}, v1=00, v1={digest}", now=now)  # a rolled secret
    assert not signature.verify("s3cret", body + b" ", f"t={now},v1={digest}", now=now)
    assert not signature.verify("other", body, f"t={now},v1={digest}", now=now)
    assert not signature.verify("s3cret", body, f"t={now + 1},v1={digest}", now=now)  # the time is signed
    assert not signature.verify("s3cret", body, f"v1={digest}", now=now)
    assert not signature.verify("s3cret", body, digest, now=now)
    assert not signature.verify("s3cret", body, f"sha256={digest}", now=now)
    assert not signature.verify("s3cret", body, None, now=now)
    assert not signature.verify("s3cret", body, f"t={now},v1=ünïcode", now=now)
    assert not signature.verify("s3cret", body, f"t=-{now},v1={digest}", now=now)
    # The window: 5 minutes either side by default, configurable.
    assert signature.verify("s3cret", body, f"t={now},v1={digest}", now=now + 300)
    assert not signature.verify("s3cret", body, f"t={now},v1={digest}", now=now + 301)
    assert not signature.verify("s3cret", body, f"t={now},v1={digest}", now=now - 301)
    assert signature.verify("s3cret", body, f"t={now},v1={digest}", now=now + 900, tolerance=900)
    # No secret configured: nothing verifies, not even a signature made with the empty key.
    assert not signature.verify("", body, signature.sign("", body))


def test_dutch_money_and_dates_on_paper():
    assert pdf.euro(Decimal("1234.5")) == "€ 1.234,50"
    assert pdf.euro(Decimal("-242")) == "€ -242,00"
    assert pdf.euro(Decimal("0.005")) == "€ 0,01"
    assert pdf.dutch_date(date(2026, 3, 2)) == "2 maart 2026"
    assert pdf.printable("Zoë Ünal Łukasz 王") == "Zoë Ünal ?ukasz ?"
    assert pdf.printable("Dvořák") == "Dvorák"


def test_a_payment_late_in_the_evening_is_on_paper_on_its_day_in_amsterdam():
    """Paid at 00:30 in Amsterdam on 3 March is 23:30 UTC on 2 March: the paper says 3 March."""
    invoice = replace(_invoice(InvoiceState.PAID), paid_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    text = PdfReader(io.BytesIO(pdf.render_invoice(invoice, zone=AMSTERDAM))).pages[0].extract_text()
    assert "Betaald op 3 maart 2026" in text


def test_an_invoice_and_its_credit_note_as_pdf():
    invoice = replace(_invoice(InvoiceState.PAID), recipient_name="Zoë de Vries")
    text = PdfReader(io.BytesIO(pdf.render_invoice(invoice, ["Adresregel 1"], zone=AMSTERDAM))).pages[0] \
        .extract_text()
    for expected_text in ("Factuur", "DNV-2026-000007", "Zoë de Vries", "Factuurdatum", "2 maart 2026",
                          "Vervaldatum", "1 april 2026", "Bedrag excl. btw", "€ 200,00", "Btw 21%", "€ 42,00",
                          "Totaal te betalen", "€ 242,00", "Betaald op 2 maart 2026", "Adresregel 1"):
        assert expected_text in text, expected_text
    note = credit_note_for(invoice, seq=1, issued_on=date(2026, 5, 1), issued_at=T0,
                           reason="Portfolio ingetrokken")
    text = PdfReader(io.BytesIO(pdf.render_credit_note(invoice, note))).pages[0].extract_text()
    for expected_text in ("Creditnota", "DNV-C-2026-000001", "DNV-2026-000007", "€ -242,00", "terugbetaald",
                          "Portfolio ingetrokken"):
        assert expected_text in text, expected_text
