"""What an uploaded file may be: its real type from its first bytes, and a safe name to show.

The type is decided by the content (magic numbers), never by what the client claims: browsers guess the
Content-Type from the extension and often send ``application/octet-stream``, so the claimed type is ignored.
The extension of the claimed filename must agree with the sniffed type, so that a program renamed to
``cv.pdf`` - or a PDF renamed to ``cv.exe`` - is refused rather than stored under a misleading name.

Allowed (``DEFAULT_ALLOWED``):

- PDF: ``%PDF-`` at byte 0 (readers tolerate junk before it; we do not).
- PNG: the 8-byte PNG signature. JPEG: ``FF D8 FF``.
- e-mail (message/rfc822): the file opens with an RFC 5322 header block (every complete line a header field
  or a folded continuation) that names at least two of From, To, Cc, Subject, Date, Received, Return-Path,
  Message-ID, MIME-Version, Delivered-To, Reply-To, Sender. An mbox ``From `` first line is not a header:
  such a file is treated as plain text.
- plain text: UTF-8 (optional BOM), no NUL and no control characters except tab, LF, FF and CR; a
  multi-byte character cut off by the end of the sniffed prefix is fine, but not at the end of the file.
  Legacy encodings (Windows-1252 with accented letters, UTF-16) are refused: convert to UTF-8 or PDF.
- Word document (.docx, reports and the reflection-meeting form): a ZIP (``PK\x03\x04``) whose local
  entries, read in order from the first bytes, include ``[Content_Types].xml`` declaring
  ``/word/document.xml`` as a WordprocessingML main document (``...wordprocessingml.document.main+xml``,
  or the macro-free template's) and the entry ``word/document.xml`` itself. Both must start within the
  first ``SNIFF_BYTES``: Microsoft Word and python-docx write them first; a document that does not is
  refused with the advice to save it as PDF. Macro-enabled documents (.docm) are refused.

Refused, among others: executables (ELF, Windows PE, Mach-O), other archives (a ZIP that is not a Word
document: .zip, .xlsx, .pptx, .odt), old Office files (.doc), other images, HTML/XML/SVG (they can carry
script that a browser might run from our origin) and scripts starting with a ``#!`` line.
"""
from __future__ import annotations

import codecs
import re
import struct
import unicodedata
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from recert_common import i18n
from recert_common.i18n import Listing, Message, register_messages

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
EMAIL = "message/rfc822"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

DEFAULT_ALLOWED: frozenset[str] = frozenset({PDF, PNG, JPEG, TEXT, EMAIL, DOCX})


def openapi_file_content(allowed: Collection[str] = DEFAULT_ALLOWED) -> dict[str, dict]:
    """The OpenAPI ``content`` of a response that streams a stored file back: one entry per type a file
    can have, since the answer carries the file's real type (documenting only octet-stream made every
    download break its own schema)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {content_type: dict(binary) for content_type in sorted(allowed)}


#: How many leading bytes decide the type. Enough for a long e-mail header block's first lines, and for the
#: first entries of a Word document (its content types and the start of its main part: about 1-2 KB).
SNIFF_BYTES = 8192

MAX_FILENAME_BYTES = 255

_TEXT_EXTENSIONS = frozenset({".txt", ".text", ".log", ".eml"})

#: Extensions a filename may carry for each sniffed type. An e-mail is text and a text named ``.eml``
#: that our header check did not recognise (an mbox export, say) is harmless, so those two share a set.
EXTENSIONS: Mapping[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    PNG: frozenset({".png"}),
    JPEG: frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    TEXT: _TEXT_EXTENSIONS,
    EMAIL: _TEXT_EXTENSIONS,
    DOCX: frozenset({".docx"}),
}

# kind -> what a jobcoach reads for it: the catalogue code ``upload.kind.<kind>`` (texts at the end).
_KINDS = ("pdf", "png", "jpeg", "text", "email", "docx", "elf", "pe", "mach-o", "zip", "ole", "archive",
          "image", "html", "script", "empty", "unknown")

#: An allowed type as a jobcoach reads it in the list of what is allowed, in this order.
_ALLOWED_LABELS: Mapping[str, Message] = {
    PDF: Message("upload.allowed.pdf"),
    PNG: Message("upload.allowed.png"),
    JPEG: Message("upload.allowed.jpeg"),
    TEXT: Message("upload.allowed.text"),
    EMAIL: Message("upload.allowed.email"),
    DOCX: Message("upload.allowed.docx"),
}



@dataclass(frozen=True)
class AllowedType:
    """An allowed type as a frontend offers it: the type, the extensions its name may carry, its name."""

    content_type: str
    extensions: tuple[str, ...]
    name: Message


def allowed_types(allowed: Collection[str] = DEFAULT_ALLOWED) -> list[AllowedType]:
    """The allowed types in the order a jobcoach reads them (a frontend's file chooser, its hint)."""
    return [AllowedType(content_type, tuple(sorted(EXTENSIONS[content_type])), label)
            for content_type, label in _ALLOWED_LABELS.items() if content_type in allowed]


def upload_rules(max_bytes: int, language: str, allowed: Collection[str] = DEFAULT_ALLOWED) -> dict:
    """What a service publishes about the files it takes (``schemas.UploadRulesSchema``), so that a
    frontend can say it before the upload: the types and the largest size."""
    return {"max_bytes": max_bytes,
            "types": [{"content_type": t.content_type, "extensions": list(t.extensions),
                       "name": t.name.render(language)} for t in allowed_types(allowed)]}


_ALLOWED_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", PDF, "pdf"),
    (b"\x89PNG\r\n\x1a\n", PNG, "png"),
    (b"\xff\xd8\xff", JPEG, "jpeg"),
)

# Only to name what we refuse; anything not allowed is refused whether it is listed here or not.
_REFUSED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "elf"),
    (b"MZ", "pe"),
    (b"\xfe\xed\xfa\xce", "mach-o"),
    (b"\xfe\xed\xfa\xcf", "mach-o"),
    (b"\xce\xfa\xed\xfe", "mach-o"),
    (b"\xcf\xfa\xed\xfe", "mach-o"),
    (b"\xca\xfe\xba\xbe", "mach-o"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x1f\x8b", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!\x1a\x07", "archive"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"BM", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
)

_UTF8_BOM = b"\xef\xbb\xbf"

# Tab, LF, FF and CR are the only control characters text may hold; C1 controls usually mean a
# Windows-1252 file that happened to decode.
_FORBIDDEN_TEXT_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")

# WHATWG MIME sniffing's HTML patterns (after leading whitespace, case-insensitive), plus SVG.
_MARKUP_TAGS = (
    "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table", "<a",
    "<style", "<title", "<b", "<body", "<br", "<p", "<!--", "<svg",
)
_TAG_END = " >\t\n\r\f/"

_HEADER_FIELD = re.compile(r"([!-9;-~]+):")
_MAIL_HEADERS = frozenset({
    "from", "to", "cc", "subject", "date", "received", "return-path", "message-id", "mime-version",
    "delivered-to", "reply-to", "sender",
})

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
_UNPORTABLE_CHARS = re.compile(r'[<>:"|?*]')
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# ---------------------------------------------------------------------------------------------------------
# Refusals: a machine code for the API, and a catalogue message for the jobcoach (Dutch by default).


class UploadRefused(Exception):
    """An upload we will not store. ``code`` is stable for clients; ``text`` (an ``i18n.Message``) is for
    people, rendered in their language by ``message(language)``; ``str()`` is the English text, for logs."""

    code = "upload_refused"

    def __init__(self, text: Message, **details):
        super().__init__(text.render("en"))
        self.text = text
        self.details = details

    def message(self, language: str = "nl") -> str:
        """The text for a reader of ``language`` (any English variant gives English, the rest Dutch)."""
        return self.text.render(i18n.reader_language(language))


class UploadTypeRefused(UploadRefused):
    """The content is not of an allowed type."""

    code = "upload_type_refused"

    def __init__(self, kind: str, allowed: Collection[str] = DEFAULT_ALLOWED):
        super().__init__(
            Message("upload.detail.type_refused", kind=_kind(kind if kind in _KINDS else "unknown"),
                    allowed=Listing(*(label for t, label in _ALLOWED_LABELS.items() if t in allowed))),
            kind=kind,
        )
        self.kind = kind


class UploadTypeMismatch(UploadTypeRefused):
    """The content is allowed, but the filename's extension says it is something else."""

    code = "upload_type_mismatch"

    def __init__(self, kind: str, extension: str):
        if kind not in _KINDS:
            raise KeyError(kind)
        UploadRefused.__init__(
            self, Message("upload.detail.type_mismatch", extension=extension, kind=_kind(kind)),
            kind=kind, extension=extension,
        )
        self.kind = kind
        self.extension = extension


def _kind(kind: str) -> Message:
    return Message(f"upload.kind.{kind}")


#: Why a filename is refused: the catalogue code ``upload.filename.<reason>`` says it to the jobcoach.
_FILENAME_REASONS = ("empty", "too_long", "encoding", "path", "control", "dot", "reserved")


class UnsafeFilename(UploadRefused):
    """The claimed filename is empty, too long, or tries a trick (path, control characters, ...)."""

    code = "filename_refused"

    def __init__(self, reason: str):
        if reason not in _FILENAME_REASONS:
            raise KeyError(reason)
        super().__init__(
            Message("upload.detail.filename_refused",
                    reason=Message(f"upload.filename.{reason}", max_bytes=MAX_FILENAME_BYTES)),
            reason=reason,
        )
        self.reason = reason


register_messages({
    "upload.detail.type_refused": {
        "nl": "Dit bestand is {kind}; dat kunnen we niet aannemen. Toegestaan zijn: {allowed}.",
        "en": "This file is {kind}, which we cannot accept. Allowed are: {allowed}."},
    "upload.detail.type_mismatch": {
        "nl": "De bestandsnaam eindigt op '{extension}', maar de inhoud is {kind}. "
              "Geef het bestand de juiste extensie.",
        "en": "The filename ends in '{extension}' but the content is {kind}. "
              "Give the file the right extension."},
    "upload.detail.filename_refused": {
        "nl": "Deze bestandsnaam kunnen we niet gebruiken: {reason}. Geef het bestand een andere naam.",
        "en": "We cannot use this filename: {reason}. Please rename the file."},
    # What a file was found to be (``{kind}`` above).
    "upload.kind.pdf": {"nl": "een PDF-document", "en": "a PDF document"},
    "upload.kind.png": {"nl": "een PNG-afbeelding", "en": "a PNG image"},
    "upload.kind.jpeg": {"nl": "een JPEG-afbeelding", "en": "a JPEG image"},
    "upload.kind.text": {"nl": "platte tekst", "en": "plain text"},
    "upload.kind.email": {"nl": "een e-mailbericht", "en": "an e-mail message"},
    "upload.kind.docx": {"nl": "een Word-document (.docx)", "en": "a Word document (.docx)"},
    "upload.kind.elf": {"nl": "een programma (ELF)", "en": "a program (ELF)"},
    "upload.kind.pe": {"nl": "een Windows-programma", "en": "a Windows program"},
    "upload.kind.mach-o": {"nl": "een macOS-programma", "en": "a macOS program"},
    "upload.kind.zip": {
        "nl": "een ZIP-archief dat geen Word-document is (zoals .zip of .xlsx), of een Word-document dat we "
              "niet herkennen (bewaar het dan als PDF)",
        "en": "a ZIP archive that is not a Word document (such as .zip or .xlsx), or a Word document we do "
              "not recognise (save it as PDF then)"},
    "upload.kind.ole": {"nl": "een oud Office-bestand (.doc, .xls)", "en": "an old Office file (.doc, .xls)"},
    "upload.kind.archive": {"nl": "een gecomprimeerd archief", "en": "a compressed archive"},
    "upload.kind.image": {"nl": "een afbeelding van een niet-toegestaan type",
                          "en": "an image of a type that is not allowed"},
    "upload.kind.html": {"nl": "een HTML- of XML-document", "en": "an HTML or XML document"},
    "upload.kind.script": {"nl": "een script", "en": "a script"},
    "upload.kind.empty": {"nl": "een leeg bestand", "en": "an empty file"},
    "upload.kind.unknown": {"nl": "een onbekend bestandstype", "en": "an unknown file type"},
    # The allowed types (``{allowed}`` above).
    "upload.allowed.pdf": {"nl": "PDF", "en": "PDF"},
    "upload.allowed.png": {"nl": "PNG", "en": "PNG"},
    "upload.allowed.jpeg": {"nl": "JPEG", "en": "JPEG"},
    "upload.allowed.text": {"nl": "platte tekst (.txt)", "en": "plain text (.txt)"},
    "upload.allowed.email": {"nl": "e-mail (.eml)", "en": "e-mail (.eml)"},
    "upload.allowed.docx": {"nl": "Word (.docx)", "en": "Word (.docx)"},
    # Why a filename is refused (``{reason}`` above).
    "upload.filename.empty": {"nl": "hij is leeg", "en": "it is empty"},
    "upload.filename.too_long": {"nl": "hij is langer dan {max_bytes} bytes",
                                 "en": "it is longer than {max_bytes} bytes"},
    "upload.filename.encoding": {"nl": "hij bevat ongeldige tekens", "en": "it contains invalid characters"},
    "upload.filename.path": {"nl": "hij bevat een pad (/ of \\)", "en": "it contains a path (/ or \\)"},
    "upload.filename.control": {"nl": "hij bevat onzichtbare of stuurtekens",
                                "en": "it contains invisible or control characters"},
    "upload.filename.dot": {"nl": "hij begint of eindigt met een punt", "en": "it starts or ends with a dot"},
    "upload.filename.reserved": {"nl": "het is een gereserveerde naam van Windows",
                                 "en": "it is a name Windows reserves"},
})


# ---------------------------------------------------------------------------------------------------------
# Sniffing


@dataclass(frozen=True)
class Sniffed:
    """The verdict on a file's first bytes: an allowed ``content_type``, or None, and the ``kind`` seen."""

    content_type: str | None
    kind: str


def sniff(prefix: bytes, *, complete: bool) -> Sniffed:
    """Decide the real type from ``prefix``, the first (up to ``SNIFF_BYTES``) bytes of a file.

    ``complete`` says the prefix is the whole file, so that a multi-byte character cut off at its end is
    an error rather than an artefact of where we stopped reading.
    """
    if not prefix:
        return Sniffed(None, "empty")
    for magic, content_type, kind in _ALLOWED_MAGIC:
        if prefix.startswith(magic):
            return Sniffed(content_type, kind)
    if prefix.startswith(_ZIP_LOCAL) and _is_docx(prefix):
        return Sniffed(DOCX, "docx")
    text = _as_text(prefix, complete=complete)
    if text is not None:
        if _is_email(text, complete=complete):
            return Sniffed(EMAIL, "email")
        if text.startswith("#!"):
            return Sniffed(None, "script")
        if _is_markup(text):
            return Sniffed(None, "html")
        return Sniffed(TEXT, "text")
    if b"\x00" not in prefix and _is_email_with_legacy_body(prefix):
        return Sniffed(EMAIL, "email")
    for magic, kind in _REFUSED_MAGIC:
        if prefix.startswith(magic):
            return Sniffed(None, kind)
    return Sniffed(None, "unknown")


def _as_text(prefix: bytes, *, complete: bool) -> str | None:
    if prefix.startswith(_UTF8_BOM):
        prefix = prefix[len(_UTF8_BOM):]
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False keeps an incomplete trailing sequence pending instead of failing on it.
        text = decoder.decode(prefix, final=complete)
    except UnicodeDecodeError:
        return None
    if _FORBIDDEN_TEXT_CHARS.search(text):
        return None
    return text


def _is_markup(text: str) -> bool:
    head = text.lstrip(" \t\n\r\f")[:32].lower()
    if head.startswith("<?xml"):
        return True
    return any(
        head.startswith(tag) and len(head) > len(tag) and head[len(tag)] in _TAG_END for tag in _MARKUP_TAGS
    )


def _header_block_lines(text: str, *, complete: bool) -> list[str]:
    lines = text.splitlines(keepends=True)
    if not complete and lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # cut off by the sniff boundary: judge only whole lines
    block = []
    for line in lines:
        if not line.strip("\r\n"):
            break
        block.append(line.rstrip("\r\n"))
    return block


def _is_email(text: str, *, complete: bool) -> bool:
    block = _header_block_lines(text, complete=complete)
    if not block or not _HEADER_FIELD.match(block[0]):
        return False
    names = set()
    for line in block:
        if line[:1] in (" ", "\t"):
            continue  # a folded continuation of the previous field
        match = _HEADER_FIELD.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return len(names & _MAIL_HEADERS) >= 2


def _is_email_with_legacy_body(prefix: bytes) -> bool:
    """An e-mail whose body is 8-bit in a legacy charset: its headers must be clean text, its body not."""
    end = re.search(rb"\r?\n\r?\n", prefix)
    if end is None:
        return False
    headers = _as_text(prefix[: end.end()], complete=True)
    return headers is not None and _is_email(headers, complete=True)


_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # signature ... file name length, extra field length
_CONTENT_TYPES_PART = "[Content_Types].xml"
_DOCX_MAIN_PART = "word/document.xml"
#: The main part's content type in a Word document and a Word template without macros (.docx, .dotx).
_DOCX_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
)
_OVERRIDE = re.compile(r"<(?:\w+:)?Override\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_MAX_CONTENT_TYPES_BYTES = 64 * 1024  # inflated; a real one is 1-3 KB


def _zip_entries(prefix: bytes):
    """``(name, data or None)`` of the ZIP's local entries that start within ``prefix``, in order. ``data``
    is the entry's inflated content when it lies wholly within ``prefix`` (stored or deflated), else None.
    Stops at the first entry whose size is not in its header (a data descriptor follows its data)."""
    offset = 0
    while prefix.startswith(_ZIP_LOCAL, offset) and offset + _ZIP_LOCAL_HEADER.size <= len(prefix):
        (_, _, flags, method, _, _, _, compressed, _, name_length,
         extra_length) = _ZIP_LOCAL_HEADER.unpack_from(prefix, offset)
        start = offset + _ZIP_LOCAL_HEADER.size
        name = prefix[start:start + name_length].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        data_start = start + name_length + extra_length
        data_end = data_start + compressed
        data = None
        if not flags & 0x8 and data_end <= len(prefix):
            data = _inflate(prefix[data_start:data_end], method)
        yield name, data
        if flags & 0x8:
            return
        offset = data_end


def _inflate(raw: bytes, method: int) -> bytes | None:
    if method == 0:
        return raw[:_MAX_CONTENT_TYPES_BYTES]
    if method != 8:
        return None
    try:
        inflater = zlib.decompressobj(-15)
        return inflater.decompress(raw, _MAX_CONTENT_TYPES_BYTES)
    except zlib.error:
        return None


def _declares_word_main_part(content_types: bytes) -> bool:
    try:
        text = content_types.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    for tag in _OVERRIDE.findall(text):
        attributes = {key.lower(): a or b for key, a, b in _ATTRIBUTE.findall(tag)}
        if attributes.get("partname", "").lower() == "/" + _DOCX_MAIN_PART and \
                attributes.get("contenttype", "").strip().lower() in _DOCX_MAIN_TYPES:
            return True
    return False


def _is_docx(prefix: bytes) -> bool:
    """A Word document by its content: see the module's docstring."""
    names: set[str] = set()
    declared = False
    try:
        for name, data in _zip_entries(prefix):
            names.add(name)
            if name == _CONTENT_TYPES_PART and data is not None:
                declared = _declares_word_main_part(data)
    except struct.error:
        return False
    return declared and _DOCX_MAIN_PART in names


# ---------------------------------------------------------------------------------------------------------
# Filenames


def safe_filename(name: str) -> str:
    """The display name for a claimed filename, or ``UnsafeFilename`` when it tries a trick.

    Refused: empty, over 255 UTF-8 bytes, any ``/`` or ``\\`` (paths, ``../``, absolute and Windows
    paths), NUL and other control or invisible formatting characters (including the right-to-left
    override of the ``cv<RLO>fdp.exe`` trick), a leading dot (hidden files, ``..``), a trailing dot
    (Windows drops it, changing the extension) and Windows device names (``CON``, ``LPT1``, ...).
    Made safe: Unicode normalised to NFC, runs of spaces collapsed and trimmed, and the characters
    Windows cannot store (``<>:"|?*``) replaced by ``_``.
    """
    if not isinstance(name, str):
        raise UnsafeFilename("encoding")
    name = unicodedata.normalize("NFC", name)
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise UnsafeFilename("encoding") from None
    if size > MAX_FILENAME_BYTES:
        raise UnsafeFilename("too_long")
    if "/" in name or "\\" in name:
        raise UnsafeFilename("path")
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp") or char in _BIDI_CONTROLS:
            raise UnsafeFilename("control")
    name = " ".join(name.split())
    if not name:
        raise UnsafeFilename("empty")
    if name.startswith(".") or name.endswith("."):
        raise UnsafeFilename("dot")
    if name.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        raise UnsafeFilename("reserved")
    return _UNPORTABLE_CHARS.sub("_", name)


def extension_of(display_name: str) -> str:
    """The lower-cased last extension (``.pdf``), or ``""``; ``display_name`` comes from ``safe_filename``."""
    stem, dot, ext = display_name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


# ---------------------------------------------------------------------------------------------------------
# The whole check


@dataclass(frozen=True)
class Accepted:
    content_type: str
    filename: str | None


def check_upload(
    prefix: bytes,
    *,
    complete: bool,
    filename: str | None = None,
    allowed: Collection[str] = DEFAULT_ALLOWED,
) -> Accepted:
    """Accept a file by its first bytes and claimed name, or raise an ``UploadRefused``.

    The sniffed type wins: it is the content type we store. A filename without an extension is fine; one
    whose extension does not belong to the sniffed type is refused.
    """
    display = safe_filename(filename) if filename is not None else None
    verdict = sniff(prefix, complete=complete)
    if verdict.content_type is None or verdict.content_type not in allowed:
        raise UploadTypeRefused(verdict.kind, allowed)
    if display is not None:
        extension = extension_of(display)
        if extension and extension not in EXTENSIONS[verdict.content_type]:
            raise UploadTypeMismatch(verdict.kind, extension)
    return Accepted(verdict.content_type, display)
