"""Reading an upload's filename from Content-Disposition and writing it back on download (RFC 6266), for every
service (recert_common.files)."""
from __future__ import annotations

import pytest
from flask import Flask, request

from recert_common.files import content_disposition, filename_from_disposition, upload_filename
from recert_common.filetypes import UnsafeFilename


@pytest.mark.parametrize(("header", "name"), [
    (None, None),
    ("attachment", None),
    ('attachment; filename="bewijs van deelname.pdf"', "bewijs van deelname.pdf"),
    ("attachment; filename=bewijs.pdf", "bewijs.pdf"),
    # filename* wins over filename, wherever it stands (RFC 6266 section 4.3).
    ("attachment; filename*=UTF-8''%C3%A9t%C3%A9.pdf; filename=ete.pdf", "été.pdf"),
    ("attachment; filename=ete.pdf; filename*=utf-8'nl'%C3%A9t%C3%A9.pdf", "été.pdf"),
    ('attachment; filename="..\\\\..\\\\boot.ini"', "..\\..\\boot.ini"),  # judged later, kept as sent
])
def test_the_filename_is_read_from_content_disposition(header, name):
    assert filename_from_disposition(header) == name


@pytest.mark.parametrize("header", [
    "attachment; filename*=UTF-8''%FF%FE.pdf",  # not UTF-8
    "attachment; filename*=x-unknown''a.pdf",
    "attachment; filename*=a.pdf",
])
def test_an_undecodable_extended_filename_is_refused(header):
    with pytest.raises(UnsafeFilename):
        filename_from_disposition(header)


@pytest.mark.parametrize(("query", "header", "name"), [
    ("", None, None),
    ("?filename=kring.pdf", None, "kring.pdf"),
    ("", 'attachment; filename="bewijs.pdf"', "bewijs.pdf"),
    # the header wins where both name the file, in every service
    ("?filename=kring.pdf", 'attachment; filename="bewijs.pdf"', "bewijs.pdf"),
    ("?filename=kring.pdf", "attachment", "kring.pdf"),
    ("?filename=kring.pdf", 'attachment; filename=""', "kring.pdf"),
    ("", 'attachment; filename=""', ""),
])
def test_an_uploads_name_comes_from_its_header_or_else_the_query(query, header, name):
    headers = {"Content-Disposition": header} if header is not None else {}
    with Flask(__name__).test_request_context("/upload" + query, method="POST", headers=headers):
        assert upload_filename(request) == name


def test_an_undecodable_header_is_refused_even_with_a_query_name():
    headers = {"Content-Disposition": "attachment; filename*=UTF-8''%FF%FE.pdf"}
    with Flask(__name__).test_request_context("/upload?filename=kring.pdf", method="POST", headers=headers):
        with pytest.raises(UnsafeFilename):
            upload_filename(request)


def test_the_download_names_the_file_for_every_browser():
    assert content_disposition("bewijs.pdf") == "attachment; filename=bewijs.pdf"
    assert content_disposition('a "quoted" name.pdf') == 'attachment; filename="a \\"quoted\\" name.pdf"'
    assert content_disposition("été.pdf") == (
        "attachment; filename=ete.pdf; filename*=UTF-8''%C3%A9t%C3%A9.pdf")
    assert content_disposition("日本.pdf") == (
        "attachment; filename=.pdf; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf")


def test_a_file_response_is_a_sandboxed_download_that_is_never_sniffed():
    from flask import Flask

    from recert_common.files import file_response

    with Flask(__name__).test_request_context():
        pdf = file_response(b"%PDF-1.4 ...", filename="factuur 2026.pdf", mimetype="application/pdf")
        streamed = file_response(iter([b"a", b"b"]), filename="été.txt", mimetype="text/plain", length=2,
                                 headers={"X-Content-SHA256": "ab"})
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="factuur 2026.pdf"'
    assert pdf.headers["Content-Length"] == "12"
    assert streamed.headers["Content-Disposition"] == (
        "attachment; filename=ete.txt; filename*=UTF-8''%C3%A9t%C3%A9.txt")
    assert streamed.headers["Content-Length"] == "2" and streamed.headers["X-Content-SHA256"] == "ab"
    for response in (pdf, streamed):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.headers["Cache-Control"] == "private, no-store"
