"""A few OCR cases on generated images (each costs a second or more of Tesseract): a phone photo turned a
quarter, noisy and at a low resolution, and a clean screenshot. The whole corpus is measured by
``make bench-reading``, not here. Needs Debian's tesseract-ocr with its Dutch and English data (the
project's set-up installs them)."""
from __future__ import annotations

from datetime import date

import reading_corpus

from recert_pe_registry.extraction import extract_text
from recert_pe_registry.reading import propose

TODAY = date(2026, 12, 6)


def _read(index: int):
    document = reading_corpus.document(reading_corpus.DEFAULT_SEED, index)
    extracted = extract_text(document.content_type, document.data)
    return document, extracted, propose(extracted.text, TODAY)


def test_a_phone_photo_turned_a_quarter_noisy_and_small_is_read_upright():
    document, extracted, proposal = _read(3)  # a JPEG photo, turned 90 degrees, 1075 x 762 pixels
    assert {"rotated_90", "noise", "low_resolution"} <= set(document.features)
    assert extracted.method == "ocr"
    assert proposal.completed_on == document.truth.completed_on
    assert (proposal.amount, proposal.unit) == (document.truth.amount, document.truth.unit)
    assert proposal.title == document.truth.title


def test_a_photo_upside_down_is_read_upright():
    document, _, proposal = _read(19)  # turned 180 degrees
    assert "rotated_180" in document.features
    assert (proposal.completed_on, proposal.amount, proposal.unit) == (
        document.truth.completed_on, document.truth.amount, document.truth.unit)


def test_a_dutch_screenshot_keeps_its_decimal_comma_and_its_dutch_date():
    document, _, proposal = _read(10)  # "4,5 uur", "<day> <maand> 2026"
    assert document.language == "nl" and document.kind == "png"
    assert {"amount_uur_half", "date_words"} <= set(document.features)
    assert (proposal.completed_on, proposal.amount, proposal.unit, proposal.provider) == (
        document.truth.completed_on, document.truth.amount, document.truth.unit, document.truth.provider)
