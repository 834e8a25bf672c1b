"""The text of an uploaded document, for ``reading.propose`` (ADR 0027): a PDF's own text (pypdf), an
e-mail's subject, sender and body (the standard library; HTML turned into text), and what Tesseract reads
in a screenshot or a photo (Debian's ``tesseract-ocr`` with its Dutch and English data).

Photos taken with a phone are prepared before Tesseract sees them: grey, the contrast stretched, specks
removed, a low resolution scaled up (Tesseract wants letters of about 20-30 pixels), and the orientation
found by Tesseract's orientation detection (OSD); when OSD is unsure, the four orientations are tried and
the one Tesseract reads with the most confidence wins. Runs in the worker, never in a request.
"""
from __future__ import annotations

import email
import email.policy
import html
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from recert_common.filetypes import EMAIL, JPEG, PDF, PNG, TEXT

_log = logging.getLogger(__name__)

#: What can be read: the evidence types, without Word (a .docx is a report, not a certificate).
READABLE_TYPES = frozenset({PDF, PNG, JPEG, EMAIL, TEXT})
#: The written part of a page is scaled so that its longer side is at least this many pixels (letters of
#: 25-40 pixels, which Tesseract reads best)...
MIN_OCR_WIDTH = 2000
#: ... and at most this many (a 48-megapixel photo gains nothing and costs seconds).
MAX_OCR_WIDTH = 3000
#: At most this many pages of a PDF are read (a certificate has one or two).
MAX_PDF_PAGES = 5
#: Seconds one Tesseract run may take.
OCR_TIMEOUT = 60
#: A reading with at least this many words at this mean confidence (0-100) is upright: no other
#: orientation is tried. Upside-down or sideways text reads as a few words below 50.
CLEAR_WORDS = 15
CLEAR_CONFIDENCE = 75.0
#: The text taken from a document at most (characters).
MAX_TEXT = 20_000


class ReadingFailed(Exception):
    """The document could not be read; ``reason`` is one of ``unreadable``, ``no_text``, ``ocr_missing``."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    text: str
    method: str  # pdf_text, email, text, ocr


def extract_text(content_type: str, data: bytes) -> Extracted:
    """The document's text, or ``ReadingFailed``."""
    if content_type == PDF:
        return Extracted(_pdf_text(data), "pdf_text")
    if content_type == EMAIL:
        return Extracted(email_text(data), "email")
    if content_type == TEXT:
        text = data.decode("utf-8", errors="replace")[:MAX_TEXT]
        if not text.strip():
            raise ReadingFailed("no_text", "the file is blank")
        return Extracted(text, "text")
    if content_type in (PNG, JPEG):
        return Extracted(ocr_image(data), "ocr")
    raise ReadingFailed("unreadable", f"type {content_type}")


# --- PDF --------------------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        parts = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ReadingFailed("unreadable", str(exc)) from None
    text = "\n".join(parts).strip()
    if not text:
        # A scanned PDF holds pictures, not text; we do not rasterise PDFs (ADR 0027).
        raise ReadingFailed("no_text", "the PDF holds no text")
    return text[:MAX_TEXT]


# --- e-mail -----------------------------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """HTML to text: block elements and <br> become line breaks, cells a tab; script and style vanish."""

    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul",
                         "ol",
                         "section", "article", "header", "footer", "blockquote", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def email_text(data: bytes) -> str:
    """Subject and sender (the date it was sent is left out: that is not the activity's date), then the
    body: the plain-text part, or the HTML part as text."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError):
            content = body.get_payload(decode=True).decode("utf-8", errors="replace")
        text = html_to_text(content) if body.get_content_type() == "text/html" else content
    header = f"From: {message.get('From', '')}\nSubject: {message.get('Subject', '')}\n\n"
    if not text.strip() and not message.get("Subject"):
        raise ReadingFailed("no_text", "the e-mail holds no text")
    return (header + text)[:MAX_TEXT]


# --- images -----------------------------------------------------------------------------------------------


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def _tesseract(image_path: Path, *args: str) -> str:
    try:
        # One thread: Tesseract's OpenMP threads only fight each other on a busy machine.
        done = subprocess.run(["tesseract", str(image_path), "stdout", *args],  # noqa: S603, S607
                              capture_output=True, timeout=OCR_TIMEOUT, check=False,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except FileNotFoundError:
        raise ReadingFailed("ocr_missing", "tesseract is not installed") from None
    except subprocess.TimeoutExpired:
        raise ReadingFailed("unreadable", "tesseract took too long") from None
    if done.returncode != 0:
        raise ReadingFailed("unreadable", done.stderr.decode("utf-8", "replace")[-300:])
    return done.stdout.decode("utf-8", errors="replace")


def prepare_image(data: bytes):
    """The picture as Tesseract reads it best: grey, the light evened out, cropped to the written part,
    its longer side 2000-3000 pixels, specks removed, the contrast stretched. Returns a PIL image."""
    from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image)
        image = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ReadingFailed("unreadable", str(exc)) from None
    image = flatten_light(image)
    # The page's written part only: margins and the table it lies on are no help to Tesseract.
    ink = image.point(lambda v: 255 if v < 128 else 0).getbbox()
    if ink is not None:
        pad = round(0.02 * max(image.size))
        image = image.crop((max(0, ink[0] - pad), max(0, ink[1] - pad), min(image.width, ink[2] + pad),
                            min(image.height, ink[3] + pad)))
    longest = max(image.size)
    if longest < MIN_OCR_WIDTH or longest > MAX_OCR_WIDTH:
        scale = (MIN_OCR_WIDTH if longest < MIN_OCR_WIDTH else MAX_OCR_WIDTH) / longest
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    image = ImageOps.autocontrast(image.filter(ImageFilter.MedianFilter(3)), cutoff=0.5)
    return image


def flatten_light(image):
    """Even out the light of a photo: the page's local background (the brightest nearby, at a sixteenth
    of the size, so that letters drop out of it) minus the picture leaves the ink, which is turned back
    into dark letters on white. A shadow or a dark table edge stops fooling Tesseract's global threshold.
    """
    from PIL import Image, ImageChops, ImageFilter, ImageOps

    width, height = image.size
    small = (max(1, width // 16), max(1, height // 16))
    background = (image.resize(small, Image.Resampling.BOX).filter(ImageFilter.MaxFilter(5))
                  .resize((width, height), Image.Resampling.BILINEAR))
    return ImageOps.invert(ImageOps.autocontrast(ImageChops.subtract(background, image), cutoff=0.5))


_ROTATE = re.compile(r"Rotate:\s*(\d+)")


def ocr_image(data: bytes) -> str:
    """What Tesseract reads in the picture (Dutch and English), upright.

    The orientations are read in turn, the one OSD proposes first, and the first reading that is clearly
    right (most words read with confidence) is taken; otherwise the reading with the most confident words
    of all four. A photo OSD gets right costs one Tesseract run besides OSD, a hard one up to four.
    """
    if not tesseract_available():
        raise ReadingFailed("ocr_missing", "tesseract is not installed")
    image = prepare_image(data)
    with tempfile.TemporaryDirectory(prefix="pe-reading-") as folder:
        path = Path(folder) / "page.png"
        image.save(path)
        proposed = _osd(path)
        candidates = [0, 90, 180, 270]
        if proposed is not None:
            candidates.remove(proposed)
            candidates.insert(0, proposed)
        best = _Read("", 0.0, 0.0, 0)
        for rotation in candidates:
            # OSD's "Rotate: 90" means: turn 90 degrees clockwise; PIL turns counter-clockwise.
            turned = path if rotation == 0 else Path(folder) / f"page-{rotation}.png"
            if rotation:
                image.rotate(-rotation, expand=True).save(turned)
            reading = _read_tsv(_tesseract(turned, "-l", "nld+eng", "--psm", "3", "tsv"))
            if reading.score > best.score:
                best = reading
            if reading.clearly_right:
                break
    text = best.text.strip()
    if not text:
        raise ReadingFailed("no_text", "no text found in the picture")
    return text[:MAX_TEXT]


@dataclass(frozen=True)
class _Read:
    text: str
    score: float  # the sum of the words' confidence (0-1 each): many words read well
    mean_confidence: float  # 0-100
    words: int

    @property
    def clearly_right(self) -> bool:
        return self.words >= CLEAR_WORDS and self.mean_confidence >= CLEAR_CONFIDENCE


def _osd(path: Path) -> int | None:
    """Degrees to turn the page clockwise so that it stands upright by Tesseract's OSD, or None when OSD
    gave no answer (too little text). OSD is often wrong on photos: a proposal, tried first."""
    try:
        report = _tesseract(path, "--psm", "0", "-l", "osd")
    except ReadingFailed:
        return None
    rotate = _ROTATE.search(report)
    return int(rotate.group(1)) % 360 if rotate else None


def _read_tsv(tsv: str) -> _Read:
    """The text of Tesseract's TSV output, line by line, and how confidently it was read."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    confidences = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or not cells[11].strip():
            continue
        lines.setdefault((cells[2], cells[3], cells[4]), []).append(cells[11])
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        if confidence >= 0 and any(ch.isalnum() for ch in cells[11]):
            confidences.append(confidence)
    text = "\n".join(" ".join(words) for words in lines.values())
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return _Read(text, sum(confidences) / 100.0, mean, len(confidences))
