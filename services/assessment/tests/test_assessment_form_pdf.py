"""The assessment form as PDF: a real PDF document that holds the verdicts, the advice and the assignments."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from recert_assessment.domain import AssessmentForm, GivenAdvice, PartVerdict, SupplementAssignment
from recert_assessment.form_pdf import FormHeader, printable, render_form
from recert_assessment.problems import _NOT_NOW
from recert_assessment.states import CaseAction


def test_the_pdf_holds_the_whole_form():
    form = AssessmentForm(
        verdicts=(PartVerdict("A1", "meets", "Helder cv met ‘doelgroepen’ — " + "lang " * 200),
                  PartVerdict("A3", "does_not_meet", "De reflectie blijft oppervlakkig."),
                  PartVerdict("B", "meets", "Ruim voldoende PE.")),
        feedback={"A4": "Maak het ontwikkelplan concreter."},
        development_advice="Volg een supervisietraject.",
        advice="postponed", supplements=(SupplementAssignment("A3", "Schrijf een nieuw reflectieverslag."),))
    advice = GivenAdvice(uuid.uuid4(), 1, uuid.uuid4(), form, date(2027, 8, 1),
                         datetime(2027, 5, 1, 8, tzinfo=UTC))
    header = FormHeader(case_id=str(advice.case_id), jobcoach_name="Jürgen Ő. Smit",
                        certificate_number="RJ-7",
                        certificate_expires_on=date(2027, 6, 30), assessor_name="Anne Assessor",
                        submitted_on=date(2027, 4, 20))
    document = render_form(header, advice, ZoneInfo("Europe/Amsterdam"))

    assert document.startswith(b"%PDF-")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(document)).pages)
    for expected in ("Beoordelingsformulier", "Jürgen O. Smit", "RJ-7", "Beoordelaar Anne Assessor",
                     "Datum advies 1 mei 2027", "Geldig tot 30 juni 2027", "Ingediend op 20 april 2027",
                     "A1 Beroepsgericht cv Oordeel Voldoet",
                     "A3 Reflectie op beroepsmatig handelen Oordeel Voldoet niet "
                     "De reflectie blijft oppervlakkig.",
                     "B Permanente educatie Oordeel Voldoet",
                     "Maak het ontwikkelplan concreter.", "Volg een supervisietraject.", "Advies Uitgesteld",
                     "Aanvullen uiterlijk 1 augustus 2027", "Schrijf een nieuw reflectieverslag."):
        assert expected in text, expected


def test_text_outside_the_pdf_fonts_is_made_printable():
    assert printable("Ärger € ‘x’") == "Ärger € ‘x’"
    assert printable("Łódź 中") == "Lódz ?"


def test_every_step_has_a_text_for_when_it_is_not_possible():
    assert {str(a) for a in CaseAction} <= set(_NOT_NOW)
