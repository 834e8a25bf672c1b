"""A corpus of evidence documents for the reading of evidence (ADR 0027), made here, deterministic from a
seed, each with the truth: what a careful person would enter for it.

Dutch and English; certificates of attendance as text PDFs, as screenshots (PNG) and as phone photos (JPEG:
turned a quarter, a half or three quarters, a little skewed, noisy, unevenly lit, blurred and at a low
resolution); confirmation e-mails in plain text and in HTML. Study loads written in the ways people write
them ("3 uur", "2,5 uur", "4 SBU", "1 EC", "2 ECTS", "3 studiebelastingsuren", "90 minuten", "6 PE-punten",
and their English forms), dates as "15 maart 2026", "15-03-2026", "March 15, 2026" and "2026-03-15", some
over two days, and distractions a real certificate has: clock times, a date of issue, a place and date
under the signature, a certificate number.

Used by the unit tests, the integration tests and ``bench/bench_reading.py``. Needs Pillow and fpdf2 (both
pinned) and Debian's DejaVu fonts (fonts-dejavu-core).
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

DEFAULT_SEED = 14
DEFAULT_SIZE = 48

# Eight kinds in turn, so any 8 consecutive documents hold one of each.
KINDS = ("pdf", "eml_plain", "png", "jpeg_photo", "eml_html", "pdf", "png_photo", "jpeg_photo")
CONTENT_TYPES = {"pdf": "application/pdf", "eml_plain": "message/rfc822", "eml_html": "message/rfc822",
                 "png": "image/png", "png_photo": "image/png", "jpeg_photo": "image/jpeg"}
EXTENSIONS = {"pdf": "pdf", "eml_plain": "eml", "eml_html": "eml", "png": "png", "png_photo": "png",
              "jpeg_photo": "jpg"}

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

TITLES = {
    "nl": ("Motiverende gespreksvoering in de praktijk", "Werken met de Participatiewet",
           "Oplossingsgericht coachen", "Jobcrafting voor begeleiders", "Omgaan met weerstand",
           "Arbeidsrecht voor jobcoaches", "Autisme op de werkvloer", "Psychische kwetsbaarheid en werk",
           "Netwerken met werkgevers", "Loopbaangesprekken voeren"),
    "en": ("Supported employment in practice", "Motivational interviewing basics",
           "Strengths-based career coaching", "Working with neurodiverse clients",
           "Job carving for employers", "Resilience at work", "Coaching across cultures",
           "Inclusive recruitment"),
}
PROVIDERS = ("Academie Noord", "Stichting Werkwijzer", "Hogeschool Utrecht", "Bureau Loopbaanwijs",
             "Career Institute", "Inclusive Work Academy", "JobcoachPlus Opleidingen", "Noloc Academie")
NAMES = ("Jan de Vries", "Fatima el Amrani", "Sanne Bakker", "Pieter Jansen", "Anna Smit", "Mohamed Yilmaz")
CITIES = ("Utrecht", "Zwolle", "Groningen", "Amersfoort", "Rotterdam", "Eindhoven")


@dataclass(frozen=True)
class Truth:
    title: str
    provider: str
    completed_on: date
    amount: Decimal
    unit: str  # sbu, ects or points


@dataclass(frozen=True)
class CorpusDocument:
    name: str
    kind: str
    language: str
    content_type: str
    filename: str
    data: bytes
    truth: Truth
    features: tuple[str, ...] = field(default=())  # what makes it hard: "rotated_90", "noise", ...


# --- what is written ------------------------------------------------------------------------------------


def _number(value: Decimal, language: str) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if language == "nl" else text


def _amount(rng: random.Random, language: str) -> tuple[str, Decimal, str, str]:
    """(text, amount, unit, form)."""
    form = rng.choice(("uur", "uur_half", "sbu", "studiebelastingsuren", "minuten", "ec", "ects", "punten"))
    if form == "uur":
        n = Decimal(rng.randint(1, 8))
        return f"{n} {'uur' if language == 'nl' else 'hours'}", n, "sbu", form
    if form == "uur_half":
        n = Decimal(rng.randint(1, 6)) + Decimal("0.5")
        return f"{_number(n, language)} {'uur' if language == 'nl' else 'hours'}", n, "sbu", form
    if form == "sbu":
        n = Decimal(rng.randint(2, 16))
        return f"{n} SBU", n, "sbu", form
    if form == "studiebelastingsuren":
        n = Decimal(rng.randint(2, 12))
        return f"{n} {'studiebelastingsuren' if language == 'nl' else 'study-load hours'}", n, "sbu", form
    if form == "minuten":
        minutes = rng.choice((45, 90, 120, 150, 180))
        hours = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
        return f"{minutes} {'minuten' if language == 'nl' else 'minutes'}", hours, "sbu", form
    if form == "ec":
        n = Decimal(rng.randint(1, 3))
        return f"{n} EC", n, "ects", form
    if form == "ects":
        n = Decimal(rng.choice(("1", "2", "3", "2.5")))
        return f"{_number(n, language)} ECTS", n, "ects", form
    n = Decimal(rng.randint(2, 8))
    return f"{n} {'PE-punten' if language == 'nl' else 'PE points'}", n, "points", form


def _date_text(day: date, language: str, form: str) -> str:
    if form == "words":
        return (f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}" if language == "nl"
                else f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}")
    if form == "words_dmy":
        return (f"{day.day} {MONTHS_NL[day.month - 1][:3]} {day.year}" if language == "nl"
                else f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}")
    if form == "dashes":
        return f"{day.day:02d}-{day.month:02d}-{day.year}"
    return day.isoformat()


def _range_text(first: date, last: date, language: str) -> str:
    if language == "nl":
        return f"{first.day} en {last.day} {MONTHS_NL[last.month - 1]} {last.year}"
    return f"{MONTHS_EN[last.month - 1]} {first.day}-{last.day}, {last.year}"


@dataclass(frozen=True)
class _Facts:
    language: str
    title: str
    provider: str
    name: str
    city: str
    day: date
    date_text: str
    issued_text: str
    amount_text: str
    amount: Decimal
    unit: str
    clock: bool
    number: str
    features: tuple[str, ...]


def _facts(rng: random.Random, index: int) -> _Facts:
    language = "nl" if index % 2 == 0 else "en"
    title = rng.choice(TITLES[language])
    provider = rng.choice(PROVIDERS)
    day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 310))
    features = []
    if rng.random() < 0.2 and day.day < 28:
        first, day = day, day + timedelta(days=1)
        date_text = _range_text(first, day, language)
        features.append("date_range")
    else:
        form = rng.choice(("words", "words_dmy", "dashes", "iso"))
        date_text = _date_text(day, language, form)
        features.append(f"date_{form}")
    issued = day + timedelta(days=rng.randint(2, 20))
    issued_text = _date_text(issued, language, rng.choice(("words", "dashes")))
    amount_text, amount, unit, form = _amount(rng, language)
    features.append(f"amount_{form}")
    clock = rng.random() < 0.5
    if clock:
        features.append("clock_times")
    return _Facts(language, title, provider, rng.choice(NAMES), rng.choice(CITIES), day, date_text,
                  issued_text, amount_text, amount, unit, clock, f"{day.year}-{rng.randint(100, 9999):04d}",
                  tuple(features))


def _amount_line(rng: random.Random, facts: _Facts) -> str:
    if facts.language == "nl":
        return rng.choice((f"Studiebelasting: {facts.amount_text}", f"Omvang: {facts.amount_text}",
                           f"Duur: {facts.amount_text}", f"Deze training levert {facts.amount_text} op."))
    return rng.choice((f"Study load: {facts.amount_text}", f"Duration: {facts.amount_text}",
                       f"This course is worth {facts.amount_text}."))


def certificate_lines(rng: random.Random, facts: _Facts) -> list[tuple[str, str]]:
    """The certificate's lines as (style, text), style one of "head", "big", "body"."""
    amount_line = _amount_line(rng, facts)
    nl = facts.language == "nl"

    def say(dutch: str, english: str) -> str:
        return dutch if nl else english

    clock = [("body", say("Tijd: 13.00 - 16.30 uur", "Time: 13:00 - 16:30"))] if facts.clock else []
    if rng.random() < 0.5:
        lines = [("head", facts.provider),
                 ("big", say("Certificaat van deelname", "Certificate of attendance")),
                 ("body", ""), ("body", say("Hierbij verklaren wij dat", "This is to certify that")),
                 ("big", facts.name), ("body", say("heeft deelgenomen aan de training", "has attended")),
                 ("big", facts.title),
                 ("body", say(f"Datum: {facts.date_text}", f"held on {facts.date_text}")),
                 *clock, ("body", amount_line),
                 ("body", say(f"Certificaatnummer: {facts.number}", f"Certificate number: {facts.number}")),
                 ("body", ""), ("body", f"{facts.city}, {facts.issued_text}"),
                 ("body", say("directeur", "director"))]
    else:
        statement = say(f'{facts.name} heeft op {facts.date_text} de workshop "{facts.title}" gevolgd.',
                        f'{facts.name} has successfully completed the course "{facts.title}" on '
                        f"{facts.date_text}.")
        lines = [("big", say("Bewijs van deelname", "Certificate of completion")), ("body", ""),
                 ("body", statement),
                 ("body", say(f"Aanbieder: {facts.provider}", f"Provider: {facts.provider}")),
                 *clock, ("body", amount_line), ("body", ""),
                 ("body", say(f"Afgegeven op {facts.issued_text}", f"Date of issue: {facts.issued_text}"))]
    return lines


# --- PDF ------------------------------------------------------------------------------------------------


def _pdf(lines: list[tuple[str, str]], title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2026, 1, 1))
    pdf.set_title(title)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_page()
    pdf.set_margins(25, 30, 25)
    pdf.set_y(35)
    for style, text in lines:
        size = {"head": 16, "big": 18, "body": 12}[style]
        pdf.set_font("DejaVu", "B" if style in ("head", "big") else "", size)
        pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


# --- images ---------------------------------------------------------------------------------------------


def _render(lines: list[tuple[str, str]], width: int, scale: float) -> object:
    from PIL import Image, ImageDraw, ImageFont

    fonts = {"head": ImageFont.truetype(str(FONT_BOLD), round(34 * scale)),
             "big": ImageFont.truetype(str(FONT_BOLD), round(40 * scale)),
             "body": ImageFont.truetype(str(FONT), round(28 * scale))}
    height = round(width * 1.414)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin, y = round(90 * scale), round(110 * scale)
    for style, text in lines:
        font = fonts[style]
        words, line = text.split(" "), ""
        for word in words:  # wrap
            attempt = f"{line} {word}".strip()
            if draw.textlength(attempt, font=font) > width - 2 * margin and line:
                draw.text((margin, y), line, font=font, fill=20)
                y += round(font.size * 1.35)
                line = word
            else:
                line = attempt
        draw.text((margin, y), line, font=font, fill=20)
        y += round(font.size * (1.6 if style != "body" else 1.45))
    return image


def _noise_tile(rng: random.Random, size: int = 128):
    from PIL import Image

    return Image.frombytes("L", (size, size), rng.randbytes(size * size))


def _photo(rng: random.Random, image, features: list[str]):
    """What a phone makes of the page: turned, skewed, unevenly lit, noisy, blurred, low resolution."""
    from PIL import Image, ImageChops, ImageFilter

    quarter = rng.choice((0, 0, 90, 180, 270))
    skew = rng.uniform(-2.5, 2.5)
    features += [f"rotated_{quarter}", "skewed", "uneven_light", "noise", "blur", "low_resolution"]
    image = image.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=200)
    gradient = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(image.size)
    shade = gradient.point(lambda v: 255 - v * 70 // 255)  # one side up to ~27 % darker
    image = ImageChops.multiply(image, shade)
    tile = _noise_tile(rng)
    noise = Image.new("L", image.size)
    for x in range(0, image.width, tile.width):
        for y in range(0, image.height, tile.height):
            noise.paste(tile, (x, y))
    noise = noise.point(lambda v: 128 + (v - 128) * 40 // 128)  # +-40 grey levels
    image = ImageChops.add(ImageChops.subtract(image, Image.new("L", image.size, 128)), noise)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
    low = rng.randint(720, 900)
    image = image.resize((low, round(image.height * low / image.width)), Image.Resampling.BILINEAR)
    if quarter:
        image = image.rotate(quarter, expand=True)
    return image


def _image_bytes(image, fmt: str, rng: random.Random) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=rng.randint(55, 80))
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue()


# --- e-mail ---------------------------------------------------------------------------------------------


def _domain(provider: str) -> str:
    return "".join(ch for ch in provider.lower() if ch.isalnum())[:20] + ".example"


def _email(rng: random.Random, facts: _Facts, *, as_html: bool) -> bytes:
    nl = facts.language == "nl"
    first = facts.name.split(" ")[0]
    message = EmailMessage()
    message["From"] = f"{facts.provider} <info@{_domain(facts.provider)}>"
    message["To"] = f"{facts.name} <{first.lower()}@example.nl>"
    message["Subject"] = (f"Bevestiging van je deelname: {facts.title}" if nl
                          else f"Your certificate for {facts.title}")
    sent = datetime.combine(facts.day + timedelta(days=rng.randint(1, 5)), time(9, 30))
    message["Date"] = format_datetime(sent.replace(tzinfo=UTC))
    message["Message-ID"] = f"<{facts.number}@{_domain(facts.provider)}>"
    amount_sentence = (f"De webinar levert {facts.amount_text} op." if nl
                       else f"The webinar is worth {facts.amount_text}.")
    if as_html:
        label_date, label_load = ("Datum", "Studiebelasting") if nl else ("Date", "Study load")
        clock = (f"<tr><td>{'Tijd' if nl else 'Time'}</td><td>14.00 - 15.30 uur</td></tr>" if facts.clock
                 else "")
        thanks = ("Bedankt voor je deelname! Hieronder de gegevens." if nl
                  else "Thank you for taking part! The details are below.")
        body = (f"<html><head><style>td {{ padding: 4px; }}</style></head><body>"
                f"<p>{'Beste' if nl else 'Dear'} {first},</p><p>{thanks}</p>"
                f"<table><tr><td>Webinar</td><td><strong>{facts.title}</strong></td></tr>"
                f"<tr><td>{label_date}</td><td>{facts.date_text}</td></tr>{clock}"
                f"<tr><td>{label_load}</td><td>{facts.amount_text}</td></tr></table>"
                f"<p>{'Met vriendelijke groet' if nl else 'Kind regards'},<br>{facts.provider}</p>"
                "</body></html>")
        message.set_content(body, subtype="html")
    else:
        clock = ((" van 14.00 tot 15.30 uur" if nl else " from 14:00 to 15:30") if facts.clock else "")
        body = ((f"Beste {first},\n\nBedankt voor je deelname aan de webinar \"{facts.title}\" op "
                 f"{facts.date_text}{clock}.\n{amount_sentence}\nJe certificaat staat in je account.\n\n"
                 f"Met vriendelijke groet,\n{facts.provider}\n") if nl else
                (f"Dear {first},\n\nThank you for attending the webinar \"{facts.title}\" on "
                 f"{facts.date_text}{clock}.\n{amount_sentence}\nYour certificate is in your account.\n\n"
                 f"Kind regards,\n{facts.provider}\n"))
        message.set_content(body)
    return bytes(message)


# --- the corpus -----------------------------------------------------------------------------------------


def document(seed: int, index: int) -> CorpusDocument:
    """Document ``index`` of the corpus of ``seed``; the same (seed, index) always gives the same bytes."""
    rng = random.Random(f"{seed}:{index}")
    kind = KINDS[index % len(KINDS)]
    facts = _facts(rng, index)
    features = list(facts.features)
    if kind == "pdf":
        data = _pdf(certificate_lines(rng, facts), facts.title)
    elif kind in ("eml_plain", "eml_html"):
        data = _email(rng, facts, as_html=kind == "eml_html")
    elif kind == "png":
        data = _image_bytes(_render(certificate_lines(rng, facts), 1240, 1.0), "PNG", rng)
        features.append("screenshot")
    else:
        scale = rng.uniform(0.9, 1.1)
        image = _photo(rng, _render(certificate_lines(rng, facts), round(1240 * scale), scale), features)
        data = _image_bytes(image, "JPEG" if kind == "jpeg_photo" else "PNG", rng)
    truth = Truth(facts.title, facts.provider, facts.day, facts.amount, facts.unit)
    name = f"{index:03d}-{kind}-{facts.language}"
    return CorpusDocument(name, kind, facts.language, CONTENT_TYPES[kind], f"{name}.{EXTENSIONS[kind]}", data,
                          truth, tuple(features))


def corpus(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> list[CorpusDocument]:
    return [document(seed, index) for index in range(size)]
