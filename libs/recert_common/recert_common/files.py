"""File responses and upload names, the same in every service.

``file_response`` is the one way a service answers with a file (an evidence file, a reflection-meeting proof,
an assessment form or invoice PDF): always a download (``Content-Disposition: attachment`` with the name as
RFC 6266 ``filename`` and, for names that are not plain ASCII, ``filename*``), never sniffed into another
type, never cached by a shared cache, and sandboxed with an empty Content-Security-Policy so that a browser
opening the file (an HTML file uploaded as "text", a PDF with script) runs nothing with our origin.

``upload_filename`` reads the name an upload gives, from its ``Content-Disposition`` header (preferring
``filename*``) or else ``?filename=``; the service judges the name itself.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

from flask import Request, Response
from werkzeug.http import dump_options_header, parse_options_header

from recert_common.filetypes import UnsafeFilename

FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"
_EXTENDED_FILENAME = re.compile(r"""filename\*\s*=\s*([^;\s]+)""", re.IGNORECASE)
# Characters left as they are in filename* (RFC 8187 attr-char without the quote).
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(filename: str, *, fallback: str = "bestand") -> str:
    """``attachment`` with ``filename`` (quoted as needed); a name that is not plain ASCII also as
    ``filename*=UTF-8''...`` with an ASCII approximation in ``filename``."""
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C") or fallback
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii") or fallback
        return dump_options_header("attachment", {
            "filename": simple, "filename*": "UTF-8''" + quote(name, safe=_ATTR_CHARS)})
    return dump_options_header("attachment", {"filename": name})


def file_response(body: bytes | Iterable[bytes], *, filename: str, mimetype: str,
                  length: int | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """A file download. ``body`` is bytes or an iterable of chunks (streamed as it is, with ``length`` as
    Content-Length when known); ``headers`` adds any others (a checksum)."""
    streamed = not isinstance(body, bytes | bytearray)
    response = Response(body, status=200, mimetype=mimetype, direct_passthrough=streamed)
    if length is None and not streamed:
        length = len(body)
    if length is not None:
        response.headers["Content-Length"] = str(length)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    # Personal documents: no shared cache keeps them.
    response.headers["Cache-Control"] = "private, no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def filename_from_disposition(header: str | None) -> str | None:
    """The filename a ``Content-Disposition`` header gives (RFC 6266), preferring ``filename*``.

    Raises ``UnsafeFilename`` when ``filename*`` cannot be decoded; the name itself is judged later.
    """
    if not header:
        return None
    extended = _EXTENDED_FILENAME.search(header)
    if extended:
        charset, _, rest = extended.group(1).partition("'")
        _language, _, encoded = rest.partition("'")
        if charset.lower() not in ("utf-8", "iso-8859-1") or not encoded:
            raise UnsafeFilename("encoding")
        try:
            return unquote(encoded, encoding=charset.lower(), errors="strict")
        except UnicodeDecodeError:
            raise UnsafeFilename("encoding") from None
    _, params = parse_options_header(header)
    return params.get("filename")


def upload_filename(request: Request) -> str | None:
    """The name an upload gives: its ``Content-Disposition`` header's or, when that names none,
    ``?filename=``. Every upload of every service reads its name here (evidence, documents to read, meeting
    proof, service-desk attachments). Raises ``UnsafeFilename`` for an undecodable ``filename*``."""
    named = filename_from_disposition(request.headers.get("Content-Disposition"))
    return named or request.args.get("filename", named)
