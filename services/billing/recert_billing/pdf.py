"""Invoices and credit notes as PDF documents, with Dutch labels (fpdf2).

The standard PDF fonts are used, so no font file has to ship with the service; they are encoded as
Windows-1252, which holds the euro sign and the accented letters of Dutch and most West-European names.
A character outside it (a name in another script) is printed without its accent where that helps, else as
"?": the invoice number, amounts and dates, which are what a payment depends on, are always plain ASCII.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import tzinfo
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from recert_billing.domain import (
    CreditNote,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Line,
    dutch_date,
    vat_percent,
)
from recert_common import i18n
from recert_common.clock import local_day

ENCODING = "windows-1252"
_SUBJECTS = {
    InvoiceKind.RECERTIFICATION: "Beoordeling hercertificeringsportfolio Register Jobcoach",
    InvoiceKind.REASSESSMENT: "Herbeoordeling na uitgesteld advies, Register Jobcoach",
    InvoiceKind.REGISTER_FEE: "Registerbijdrage Register Jobcoach (extern aangeslotene)",
    InvoiceKind.AFFILIATE_NUMBER: "Aansluitnummer Noloc (extern aangeslotene)",  # historic, see domain
}


def euro(amount: Decimal) -> str:
    """``Decimal("1234.5")`` -> "€ 1.234,50"; negative "€ -200,00" (``i18n.format_money`` in Dutch)."""
    return i18n.format_money(amount, "nl")


def percent(rate: Decimal) -> str:
    return format(vat_percent(rate), "f").replace(".", ",") + "%"


def printable(text: str) -> str:
    """``text`` in what the standard fonts can print (see the module's docstring)."""
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode(ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4", unit="mm")
        self.core_fonts_encoding = ENCODING
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        self.set_title(title)
        self.set_creator("Register Jobcoach - recert-billing")
        self.set_lang("nl")
        self.add_page()

    def text_line(self, text: str, *, size: float = 10, style: str = "", height: float = 5.5,
                  align: str = "L") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, height, printable(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pair(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(55, 6, printable(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, 6, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def header_block(self, issuer: str, details: Sequence[str], title: str) -> None:
        self.text_line(issuer, size=16, style="B", height=8)
        for line in details:
            self.text_line(line, size=9, height=4.5)
        self.ln(8)
        self.text_line(title, size=20, style="B", height=10)
        self.ln(2)

    def recipient(self, invoice: Invoice) -> None:
        self.pair("Aan", invoice.recipient_name or "(naam onbekend)")
        if invoice.recipient_number:
            self.pair("Lidmaatschaps-/aansluitnr.", invoice.recipient_number)
        self.pair("Klantnummer", str(invoice.account_id))

    def lines_table(self, lines: Sequence[Line], sign: int = 1) -> None:
        widths = (80, 26, 14, 22, 28)
        headings = ("Omschrijving", "Bedrag excl. btw", "Btw %", "Btw", "Totaal")
        self.ln(4)
        self.set_font("Helvetica", "B", 9)
        for width, heading in zip(widths, headings, strict=True):
            self.cell(width, 7, heading, border="B", align="L" if heading == "Omschrijving" else "R")
        self.ln()
        for line in lines:
            description = printable(line.description.nl)
            self._fit_font(description, widths[0] - 2, size=9)
            self.cell(widths[0], 7, description)
            self.set_font("Helvetica", "", 9)
            amounts = (euro(sign * line.net), percent(line.vat_rate), euro(sign * line.vat),
                       euro(sign * line.gross))
            for width, value in zip(widths[1:], amounts, strict=True):
                self.cell(width, 7, value, align="R")
            self.ln()

    def _fit_font(self, text: str, width: float, *, size: float, smallest: float = 6) -> None:
        """The largest font size up to ``size`` at which ``text`` fits ``width``."""
        self.set_font("Helvetica", "", size)
        while size > smallest and self.get_string_width(text) > width:
            size -= 0.5
            self.set_font("Helvetica", "", size)

    def totals(self, net: Decimal, vat: Decimal, gross: Decimal, vat_rate: Decimal, gross_label: str) -> None:
        self.ln(2)
        for label, amount, style in (("Totaal excl. btw", net, ""), (f"Btw {percent(vat_rate)}", vat, ""),
                                     (gross_label, gross, "B")):
            self.set_font("Helvetica", style, 10)
            self.cell(142, 7, label, border="T" if style else "", align="R")
            self.cell(28, 7, euro(amount), border="T" if style else "", align="R",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_invoice(invoice: Invoice, issuer_details: Sequence[str] = (), *, zone: tzinfo) -> bytes:
    """The invoice as PDF; ``zone`` is the calendar the day of its payment is written in (the service's)."""
    doc = _Document(f"Factuur {invoice.number}")
    doc.header_block(invoice.issuer, issuer_details, "Factuur")
    doc.recipient(invoice)
    doc.ln(3)
    doc.pair("Factuurnummer", invoice.number)
    doc.pair("Factuurdatum", dutch_date(invoice.issued_on))
    doc.pair("Vervaldatum", dutch_date(invoice.due_on))
    doc.pair("Betreft", _SUBJECTS[invoice.kind])
    doc.pair("Status", i18n.label(invoice.state, "nl"))
    doc.lines_table(invoice.lines)
    doc.totals(invoice.net, invoice.vat, invoice.gross, invoice.vat_rate, "Totaal te betalen")
    doc.ln(8)
    if invoice.state == InvoiceState.OPEN:
        doc.text_line(f"Betaal het totaalbedrag van {euro(invoice.gross)} uiterlijk op "
                      f"{dutch_date(invoice.due_on)} en vermeld daarbij factuurnummer {invoice.number}.")
    if invoice.paid_at is not None:
        doc.text_line(f"Betaald op {dutch_date(local_day(invoice.paid_at, zone))}. Hartelijk dank.")
    if invoice.credit_note is not None:
        doc.text_line(f"Deze factuur is geannuleerd met creditnota {invoice.credit_note.number} van "
                      f"{dutch_date(invoice.credit_note.issued_on)}.")
    doc.text_line(f"Tarieven volgens het toetsingskader (versie {invoice.framework_version}).", size=8)
    return bytes(doc.output())


def render_credit_note(invoice: Invoice, note: CreditNote, issuer_details: Sequence[str] = ()) -> bytes:
    doc = _Document(f"Creditnota {note.number}")
    doc.header_block(invoice.issuer, issuer_details, "Creditnota")
    doc.recipient(invoice)
    doc.ln(3)
    doc.pair("Creditnotanummer", note.number)
    doc.pair("Datum", dutch_date(note.issued_on))
    doc.pair("Crediteert factuur", f"{invoice.number} van {dutch_date(invoice.issued_on)}")
    doc.pair("Reden", note.reason)
    doc.lines_table(invoice.lines, sign=-1)
    doc.totals(note.net, note.vat, note.gross, invoice.vat_rate, "Totaal creditnota")
    doc.ln(8)
    if note.refund_due:
        doc.text_line(f"De factuur was al betaald: je krijgt het bedrag van {euro(-note.gross)} "
                      "terugbetaald.")
    else:
        doc.text_line(f"Factuur {invoice.number} vervalt; je hoeft niets te betalen.")
    return bytes(doc.output())
