"""The assessment form as a PDF document (fpdf2), in Dutch: the form DNV files and the jobcoach receives.

The built-in PDF fonts cover Windows-1252 only; any other character is written as its closest plain letter
(``ő`` -> ``o``) or ``?``, so a name in another script never breaks the document.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from recert_assessment.domain import ASSESSED_PARTS, FEEDBACK_PARTS, GivenAdvice
from recert_common.clock import local_day
from recert_common.i18n import format_date

PART_NAMES = {
    "A1": "A1 Beroepsgericht cv",
    "A2": "A2 Terugblik op het ontwikkelplan",
    "A3": "A3 Reflectie op beroepsmatig handelen",
    "A4": "A4 Ontwikkelplan",
    "B": "B Permanente educatie",
}
VERDICT_NAMES = {"meets": "Voldoet", "does_not_meet": "Voldoet niet"}
ADVICE_NAMES = {"positive": "Positief", "postponed": "Uitgesteld", "negative": "Negatief"}
_ENCODING = "windows-1252"
# Letters that Unicode does not decompose into a plain letter with a mark.
_PLAIN = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h"})


@dataclass(frozen=True)
class FormHeader:
    """Who and what the form is about, as printed at its top."""

    case_id: str
    jobcoach_name: str | None
    certificate_number: str | None
    certificate_expires_on: date
    assessor_name: str | None
    submitted_on: date


def printable(text: str) -> str:
    """``text`` in the characters the built-in fonts have."""
    out = []
    for char in text.replace("\r\n", "\n").replace("\t", "    ").translate(_PLAIN):
        try:
            char.encode(_ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode(_ENCODING, "ignore").decode(_ENCODING)
            out.append(plain or "?")
    return "".join(out)


class _Form(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Pagina {self.page_no()}/{{nb}}", align="C")


def render_form(header: FormHeader, advice: GivenAdvice, zone: ZoneInfo) -> bytes:
    pdf = _Form(format="A4")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_title("Beoordelingsformulier hercertificering Register Jobcoach")
    pdf.set_author("DNV")
    pdf.set_creation_date(datetime.now(UTC))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 12) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, 7, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=10)

    def line(label: str, value: str) -> None:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(55, 6, printable(label))
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(width - 55, 6, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def part_name(part: str) -> None:
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(width, 6, printable(PART_NAMES[part]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=10)

    def paragraph(text: str) -> None:
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(width, 5.5, printable(text.strip() or "-"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    heading("Beoordelingsformulier hercertificering Register Jobcoach", 15)
    given_on = local_day(advice.given_at, zone)
    kind = "Herbeoordeling na aanvulling" if advice.round == 2 else "Beoordeling portfolio"
    line("Soort", kind)
    line("Dossier", header.case_id)
    line("Jobcoach", header.jobcoach_name or "-")
    line("Certificaatnummer", header.certificate_number or "-")
    line("Geldig tot", format_date(header.certificate_expires_on, "nl"))
    line("Ingediend op", format_date(header.submitted_on, "nl"))
    line("Beoordelaar", header.assessor_name or str(advice.assessor_id))
    line("Datum advies", format_date(given_on, "nl"))

    form = advice.form
    heading("Beoordeling per onderdeel")
    for part in ASSESSED_PARTS:
        verdict = form.verdict(part)
        if verdict is None:
            continue
        part_name(part)
        line("Oordeel", VERDICT_NAMES[verdict.verdict])
        paragraph(verdict.findings)
        pdf.ln(1)

    heading("Feedback (geen onderdeel van het oordeel)")
    for part in FEEDBACK_PARTS:
        part_name(part)
        paragraph(form.feedback.get(part) or "-")

    heading("Ontwikkeladvies")
    paragraph(form.development_advice)

    heading("Advies")
    line("Advies", ADVICE_NAMES[form.advice])
    if form.supplements:
        if advice.supplement_due_on:  # only advices from before ADR 0011: the term is the decision's
            line("Aanvullen uiterlijk", format_date(advice.supplement_due_on, "nl"))
        heading("Aanvullende opdrachten", 11)
        for item in form.supplements:
            part_name(item.part)
            paragraph(item.assignment)
    return bytes(pdf.output())
