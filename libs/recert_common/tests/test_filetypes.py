"""Real-type sniffing, filename tricks, and the combined upload check."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recert_common.errors import upload_problem
from recert_common.filetypes import (
    DEFAULT_ALLOWED,
    DOCX,
    EMAIL,
    JPEG,
    PDF,
    PNG,
    SNIFF_BYTES,
    TEXT,
    Accepted,
    UnsafeFilename,
    UploadTypeMismatch,
    UploadTypeRefused,
    check_upload,
    extension_of,
    safe_filename,
    sniff,
)

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def kind(prefix: bytes, complete: bool = True) -> tuple[str | None, str]:
    verdict = sniff(prefix, complete=complete)
    return verdict.content_type, verdict.kind


# -- allowed binary types --------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "expected"), [
    (PDF_HEAD, (PDF, "pdf")),
    (b"%PDF-", (PDF, "pdf")),
    (PNG_HEAD, (PNG, "png")),
    (JPEG_HEAD, (JPEG, "jpeg")),
    (b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00", (JPEG, "jpeg")),
])
def test_allowed_magic_numbers(prefix, expected):
    assert kind(prefix) == expected


def test_pdf_signature_must_be_at_the_start():
    assert kind(b"\x00\x00" + PDF_HEAD) == (None, "unknown")
    assert kind(b"\n" + PDF_HEAD)[0] is None


def test_truncated_signatures_are_not_the_type():
    assert kind(b"\x89PNG\r\n")[0] is None
    assert kind(b"\xff\xd8")[0] is None


# -- refused binary types, named -------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "expected_kind"), [
    (b"\x7fELF\x02\x01\x01\x00" + bytes(8), "elf"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "pe"),
    (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "mach-o"),
    (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "mach-o"),
    (b"PK\x03\x04\x14\x00\x06\x00", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "ole"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "archive"),
    (b"GIF89a\x01\x00\x01\x00\x80\x00", "image"),
    (b"\x00\x01\x02\x03\xfe\xff", "unknown"),
])
def test_refused_binary_types(prefix, expected_kind):
    assert kind(prefix) == (None, expected_kind)


def test_empty_prefix():
    assert kind(b"") == (None, "empty")


def test_text_that_happens_to_start_with_mz_is_text():
    assert kind(b"MZ-rapportage van januari\n") == (TEXT, "text")


# -- plain text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Gewoon een notitie.\n",
    "Reflectie: één gesprek, café, naïef — “quotes” €200 🙂\n",
    "kolom1\tkolom2\r\nregel twee\fnieuwe pagina\n",
    "   \n",
    "# Kop in markdown\n",
    "<3 voor mijn coach\n",
    "<abc> is geen HTML-tag\n",
])
def test_utf8_text_is_plain_text(text):
    assert kind(text.encode()) == (TEXT, "text")


def test_a_utf8_bom_is_allowed():
    assert kind(b"\xef\xbb\xbfHallo\n") == (TEXT, "text")


@pytest.mark.parametrize("prefix", [
    b"tekst met een NUL\x00erin",
    b"bel\x07",
    b"escape \x1b[31mrood",
    b"delete \x7f",
    b"vertical tab \x0b",
    "C1 control \u0085 next line".encode(),
])
def test_control_characters_other_than_tab_cr_lf_ff_are_refused(prefix):
    assert kind(prefix)[0] is None


@pytest.mark.parametrize("prefix", [
    "café".encode("cp1252"),
    "Hallo".encode("utf-16"),
    b"\xc3\x28 invalid sequence",
    b"\xed\xa0\x80 encoded surrogate",
])
def test_non_utf8_text_is_refused(prefix):
    assert kind(prefix)[0] is None


def test_a_multibyte_character_cut_by_the_sniff_window_is_fine():
    data = ("é" * SNIFF_BYTES).encode()
    window = data[: SNIFF_BYTES - 1]  # ends halfway through a two-byte character
    assert window[-1:] == b"\xc3"
    assert kind(window, complete=False) == (TEXT, "text")


def test_a_multibyte_character_cut_at_the_end_of_the_file_is_refused():
    assert kind("één café".encode()[:-1], complete=True)[0] is None


@given(st.text(alphabet=st.characters(
    codec="utf-8", categories=("L", "N", "Zs", "So", "Pd"), exclude_characters="\u0085",
), min_size=1), st.integers(min_value=0))
def test_any_cut_of_clean_text_is_text_when_more_may_follow(text, cut):
    encoded = text.encode()
    prefix = encoded[: 1 + cut % len(encoded)]
    assert kind(prefix, complete=False) == (TEXT, "text")


# -- scripts and markup ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [
    b"#!/bin/sh\nrm -rf /\n",
    b"#!/usr/bin/env python3\nprint(1)\n",
    b"#! /bin/bash\n",
    b"\xef\xbb\xbf#!/bin/sh\n",
])
def test_shebang_scripts_are_refused(prefix):
    assert kind(prefix) == (None, "script")


@pytest.mark.parametrize("prefix", [
    b"<!DOCTYPE html>\n<html></html>",
    b"  \n\t<HTML lang='nl'>",
    b"<script>alert(1)</script>",
    b"<?xml version='1.0'?><root/>",
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'>",
    b"<!-- comment -->",
    b"<b>vet</b>",
    b"<p>alinea</p>",
    b"<iframe src='x'>",
    b"<a href='x'>link</a>",
    b"<br/>",
])
def test_html_xml_and_svg_are_refused(prefix):
    assert kind(prefix) == (None, "html")


# -- e-mail ---------------------------------------------------------------------------------------

EML = (
    b"Return-Path: <planning@noloc.nl>\r\n"
    b"Received: from mail.noloc.nl by mx.example.nl;\r\n"
    b"\tMon, 3 Mar 2025 10:00:00 +0100\r\n"
    b"From: Noloc <planning@noloc.nl>\r\n"
    b"To: coach@example.nl\r\n"
    b"Subject: Bevestiging intervisie\r\n"
    b"Date: Mon, 3 Mar 2025 10:00:00 +0100\r\n"
    b"Message-ID: <abc@noloc.nl>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"U was aanwezig.\r\n"
)


def test_an_rfc5322_message_is_email():
    assert kind(EML) == (EMAIL, "email")


def test_email_with_lf_line_ends_and_unknown_first_header():
    assert kind(b"X-Mozilla-Status: 0001\nFrom: a@b.nl\nSubject: hoi\n\nbody\n") == (EMAIL, "email")


def test_email_with_a_legacy_8bit_body_is_email():
    assert kind(b"From: a@b.nl\r\nSubject: x\r\n\r\nCaf\xe9 om tien uur\r\n") == (EMAIL, "email")


def test_email_whose_header_block_is_cut_by_the_sniff_window():
    cut = EML[: EML.index(b"MIME-Version") + 5]
    assert kind(cut, complete=False) == (EMAIL, "email")


@pytest.mark.parametrize("prefix", [
    b"Subject: mijn aantekeningen\n\nNiet echt een e-mail.\n",  # only one known header
    b"Hallo,\nFrom: a@b.nl\nSubject: x\n\n",  # does not start with a header
    b"From: a@b.nl\nhier begint gewoon tekst\nSubject: x\n\n",  # a non-header line in the block
    b"From a@b.nl Mon Mar  3 10:00:00 2025\nFrom: a@b.nl\nSubject: x\n\n",  # mbox separator line
])
def test_text_that_is_not_quite_an_email_is_text(prefix):
    assert kind(prefix) == (TEXT, "text")


def test_a_binary_body_without_email_headers_is_not_email():
    assert kind(b"Note: one\n\nCaf\xe9\n")[0] is None


def test_an_email_header_block_with_nul_bytes_is_refused():
    assert kind(b"From: a@b.nl\r\nSubject: x\r\n\r\nbody\x00\xe9")[0] is None


# -- filenames -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "display"), [
    ("cv.pdf", "cv.pdf"),
    ("Verslag reflectie 2025.pdf", "Verslag reflectie 2025.pdf"),
    ("  Bewijs   PE\u00a0punten .pdf ", "Bewijs PE punten .pdf"),
    ("e\u0301e\u0301n.txt", "één.txt"),  # macOS sends decomposed characters
    ('vraag?<antwoord>:"ja"|*.txt', "vraag__antwoord___ja___.txt"),
    ("cv.pdf:evil.exe", "cv.pdf_evil.exe"),
    ("CONTRACT.pdf", "CONTRACT.pdf"),
    ("scan", "scan"),
    ("é" * 127 + "a", "é" * 127 + "a"),  # exactly 255 bytes
])
def test_safe_names(name, display):
    assert safe_filename(name) == display
    assert unicodedata.is_normalized("NFC", safe_filename(name))


@pytest.mark.parametrize(("name", "reason"), [
    ("", "empty"),
    ("   ", "empty"),
    ("\u00a0", "empty"),
    ("é" * 128, "too_long"),
    ("a" * 252 + ".pdf", "too_long"),
    ("\ud800.pdf", "encoding"),
    (b"cv.pdf", "encoding"),
    ("../cv.pdf", "path"),
    ("../../etc/passwd", "path"),
    ("/etc/passwd", "path"),
    ("docs/cv.pdf", "path"),
    ("C:\\Users\\coach\\cv.pdf", "path"),
    ("..\\cv.pdf", "path"),
    ("cv\x00.pdf", "control"),
    ("cv.pdf\x00.exe", "control"),
    ("cv\n.pdf", "control"),
    ("cv\t.pdf", "control"),
    ("cv\x1b.pdf", "control"),
    ("cv\u202efdp.exe", "control"),  # right-to-left override: shows as "cvexe.pdf"
    ("cv\u2066.pdf", "control"),
    ("cv\u200b.pdf", "control"),
    ("cv\ufeff.pdf", "control"),
    ("cv\u2028.pdf", "control"),
    (".", "dot"),
    ("..", "dot"),
    ("...", "dot"),
    (".bashrc", "dot"),
    (" .hidden.pdf", "dot"),
    ("cv.exe.", "dot"),
    ("cv.pdf .", "dot"),
    ("CON", "reserved"),
    ("con.pdf", "reserved"),
    ("Nul.tar.gz", "reserved"),
    ("LPT1.txt", "reserved"),
    ("COM9 .txt", "reserved"),
])
def test_filename_tricks_are_refused(name, reason):
    with pytest.raises(UnsafeFilename) as refused:
        safe_filename(name)
    assert refused.value.reason == reason
    assert refused.value.code == "filename_refused"


@pytest.mark.parametrize(("name", "extension"), [
    ("cv.PDF", ".pdf"), ("archive.tar.gz", ".gz"), ("scan", ""), ("v1.2 notitie", ".2 notitie"),
])
def test_extension_of(name, extension):
    assert extension_of(name) == extension


# -- the combined check ----------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "filename", "expected"), [
    (PDF_HEAD, "cv.pdf", Accepted(PDF, "cv.pdf")),
    (PDF_HEAD, None, Accepted(PDF, None)),
    (PDF_HEAD, "scan zonder extensie", Accepted(PDF, "scan zonder extensie")),
    (PNG_HEAD, "Scherm.PNG", Accepted(PNG, "Scherm.PNG")),
    (JPEG_HEAD, "foto.jpeg", Accepted(JPEG, "foto.jpeg")),
    (JPEG_HEAD, "foto.jpg", Accepted(JPEG, "foto.jpg")),
    (b"notitie\n", "notitie.txt", Accepted(TEXT, "notitie.txt")),
    (b"mbox-export zonder headers\n", "export.eml", Accepted(TEXT, "export.eml")),
    (EML, "bevestiging.eml", Accepted(EMAIL, "bevestiging.eml")),
    (EML, "bevestiging.txt", Accepted(EMAIL, "bevestiging.txt")),
])
def test_accepted_uploads_take_the_sniffed_type(prefix, filename, expected):
    assert check_upload(prefix, complete=True, filename=filename) == expected


@pytest.mark.parametrize(("prefix", "filename", "extension"), [
    (PNG_HEAD, "foto.pdf", ".pdf"),
    (PDF_HEAD, "cv.exe", ".exe"),
    (PDF_HEAD, "cv.pdf.exe", ".exe"),
    (b"gewone tekst\n", "pagina.html", ".html"),
    (b"echo hoi\n", "run.bat", ".bat"),
    (JPEG_HEAD, "foto.png", ".png"),
])
def test_an_extension_contradicting_the_content_is_refused(prefix, filename, extension):
    with pytest.raises(UploadTypeMismatch) as refused:
        check_upload(prefix, complete=True, filename=filename)
    assert refused.value.extension == extension
    assert refused.value.code == "upload_type_mismatch" and upload_problem(refused.value).status == 415


def test_a_renamed_executable_is_refused_for_its_content():
    with pytest.raises(UploadTypeRefused) as refused:
        check_upload(b"\x7fELF\x02\x01\x01\x00" + bytes(8), complete=False, filename="cv.pdf")
    assert not isinstance(refused.value, UploadTypeMismatch)
    assert refused.value.kind == "elf" and refused.value.code == "upload_type_refused"


def test_the_caller_can_narrow_the_allow_list():
    assert check_upload(PDF_HEAD, complete=True, allowed={PDF}).content_type == PDF
    with pytest.raises(UploadTypeRefused) as refused:
        check_upload(PNG_HEAD, complete=True, allowed={PDF})
    assert refused.value.kind == "png"
    assert refused.value.message("nl").endswith("Toegestaan zijn: PDF.")


def test_the_filename_is_judged_before_the_content():
    with pytest.raises(UnsafeFilename):
        check_upload(b"\x7fELF", complete=True, filename="../cv.pdf")


def test_refusals_speak_dutch_first_and_english_on_request():
    with pytest.raises(UploadTypeRefused) as refused:
        check_upload(b"PK\x03\x04\x14\x00", complete=False, allowed=DEFAULT_ALLOWED)
    error = refused.value
    assert "ZIP-archief" in error.message() and "niet aannemen" in error.message("nl")
    assert "ZIP archive" in error.message("en-GB") and str(error) == error.message("en")
    assert "PDF, PNG, JPEG, platte tekst (.txt), e-mail (.eml)" in error.message("nl")
    with pytest.raises(UnsafeFilename) as unsafe:
        safe_filename("../x")
    assert "pad" in unsafe.value.message() and "path" in unsafe.value.message("en")


# -- Word documents (.docx): recognised by their parts, not by the ZIP signature --------------------------

_WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _content_types(part: str = "/word/document.xml", content_type: str = _WORD_MAIN) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="{part}" ContentType="{content_type}"/></Types>')


def _zip(entries: list[tuple[str, str | bytes]], compression: int = 8) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def _docx(**content_types) -> bytes:
    return _zip([("[Content_Types].xml", _content_types(**content_types)),
                 ("_rels/.rels", "<Relationships/>"),
                 ("word/document.xml", "<w:document><w:body><w:p/></w:body></w:document>"),
                 ("word/styles.xml", "<w:styles/>")])


@pytest.mark.parametrize("compression", [0, 8])
def test_a_word_document_is_recognised_by_its_parts(compression):
    data = _zip([("[Content_Types].xml", _content_types()), ("_rels/.rels", "<Relationships/>"),
                 ("word/document.xml", "<w:document/>")], compression=compression)
    assert kind(data) == (DOCX, "docx")
    accepted = check_upload(data[:SNIFF_BYTES], complete=True, filename="Reflectieformulier A3.1.docx")
    assert accepted == Accepted(DOCX, "Reflectieformulier A3.1.docx")


def test_a_big_word_document_is_judged_by_its_first_bytes():
    data = _docx() + b"\x00" * (3 * SNIFF_BYTES)  # the rest (images, ...) is not read
    assert kind(data[:SNIFF_BYTES], complete=False) == (DOCX, "docx")


@pytest.mark.parametrize("data", [
    _zip([("notes.txt", "hello"), ("word/document.xml", "<w:document/>")]),  # no content types
    _zip([("[Content_Types].xml", _content_types()), ("word/other.xml", "<x/>")]),  # no main part
    _zip([("[Content_Types].xml", _content_types("/xl/workbook.xml", _XLSX_MAIN)),
          ("xl/workbook.xml", "<workbook/>")]),  # a spreadsheet
    _zip([("[Content_Types].xml", _content_types(
        content_type="application/vnd.ms-word.document.macroEnabled.main+xml")),
          ("word/document.xml", "<w:document/>")]),  # .docm: macros
    b"PK\x03\x04" + b"\xff" * 40,  # a broken header
])
def test_a_zip_that_is_not_a_word_document_is_refused_as_zip(data):
    assert kind(data) == (None, "zip")
    with pytest.raises(UploadTypeRefused) as refused:
        check_upload(data, complete=True, filename="verslag.docx")
    assert upload_problem(refused.value).status == 415 and refused.value.kind == "zip"


def test_a_program_named_docx_is_refused():
    with pytest.raises(UploadTypeRefused) as refused:
        check_upload(b"\x7fELF\x02\x01\x01" + b"\x00" * 64, complete=True, filename="verslag.docx")
    assert (upload_problem(refused.value).status, refused.value.kind) == (415, "elf")


def test_a_word_document_under_another_extension_is_refused():
    with pytest.raises(UploadTypeMismatch):
        check_upload(_docx(), complete=True, filename="verslag.pdf")


def test_word_is_among_the_allowed_types_by_default():
    assert DOCX in DEFAULT_ALLOWED
    with pytest.raises(UploadTypeRefused) as refused:
        check_upload(b"\x7fELF", complete=True)
    assert "Word (.docx)" in refused.value.message("nl")
