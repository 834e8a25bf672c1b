"""The certificate as a PDF for the holder (fpdf2), with a QR code (segno) that opens the public
verification page of its credential (ADR 0030). Dutch, with the English words beside the headings."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from recert_assessment.form_pdf import printable
from recert_common.i18n import format_date

QR_SIZE_MM = 50


@dataclass(frozen=True)
class CertificatePage:
    holder_name: str
    certificate_number: str
    valid_from: date
    valid_until: date
    issuer_name: str
    verification_url: str
    credential_id: str
    kid: str


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG (error correction M; 4 modules of quiet zone)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def render_certificate(page: CertificatePage) -> bytes:
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(f"Certificaat Register Jobcoach {page.certificate_number}")
    pdf.set_author(page.issuer_name)
    pdf.set_creation_date(datetime.now(UTC))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    width = pdf.epw

    def centred(text: str, size: int, style: str = "", height: float = 9) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, printable(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def line(label: str, value: str) -> None:
        pdf.set_x(pdf.l_margin + 25)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(60, 8, printable(label))
        pdf.set_font("Helvetica", size=11)
        pdf.cell(width - 85, 8, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.ln(18)
    centred("Certificaat", 30, "B", 14)
    centred("Register Jobcoach", 22, "B", 12)
    pdf.ln(10)
    centred("Hierbij wordt verklaard dat", 12)
    pdf.ln(2)
    centred(page.holder_name, 20, "B", 11)
    pdf.ln(2)
    centred("is ingeschreven als Register Jobcoach / is registered as Register Jobcoach.", 12)
    pdf.ln(12)
    line("Certificaatnummer", page.certificate_number)
    line("Geldig vanaf", format_date(page.valid_from, "nl"))
    line("Geldig tot en met", format_date(page.valid_until, "nl"))
    line("Uitgegeven door", page.issuer_name)
    pdf.ln(12)
    x = (pdf.w - QR_SIZE_MM) / 2
    pdf.image(io.BytesIO(qr_png(page.verification_url)), x=x, y=pdf.get_y(), w=QR_SIZE_MM, h=QR_SIZE_MM)
    pdf.set_y(pdf.get_y() + QR_SIZE_MM + 4)
    centred("Controleer dit certificaat: scan de QR-code of ga naar", 10, height=5)
    centred(page.verification_url, 9, height=5)
    centred("Check this certificate: scan the QR code or open the address above.", 9, "I", 5)
    pdf.set_y(-30)
    pdf.set_font("Helvetica", size=7)
    pdf.multi_cell(width, 4, printable(
        "Digitaal ondertekende credential (W3C Verifiable Credential / Open Badges 3.0): "
        f"{page.credential_id}, sleutel {page.kid}. De credential zelf (JSON) is de bron; dit document is "
        "een weergave ervan."),
        align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
