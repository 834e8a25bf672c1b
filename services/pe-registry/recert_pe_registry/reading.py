"""Evidence read for the jobcoach (ADR 0027): from the text of a certificate of attendance, a confirmation
e-mail or a screenshot (``extraction`` turns the file into text), a proposal for the PE activity: title,
provider, completion date, amount and unit, and the PE points that follow. No Flask, no SQL, no OCR here:
text in, proposal out, so that the hard cases are pinned by fast tests.

The rules of thumb, each chosen for the documents jobcoaches upload:

- **Amounts**: a number followed by a unit, in the ways people write them: "3 uur", "2,5 uur" (the Dutch
  decimal comma), "2.5 hours", "4 SBU", "3 studiebelastingsuren", "6 study-load hours", "90 minuten" (1.5
  hours), "1 EC" and "2 ECTS" (ECTS credits; "EC" is the Dutch short form), "3 studiepunten" (ECTS too),
  "6 PE-punten", "4 PE points". Clock times ("13.00 - 16.30 uur", "om 14.00 uur") are not amounts. A range
  ("2-3 uur", "2 tot 3 uur") proposes its lower end: never more than the document vouches for. An amount
  with a label ("Studiebelasting:", "Duration:", "levert ... op") wins over one without; PE points that are
  only the conversion of an hours or ECTS figure on the same document ("1 EC (28 PE-punten)") do not
  replace it.
- **Dates**: "15 maart 2026", "15 mrt 2026", "15-03-2026", "15/03/2026", "15.03.2026", "March 15, 2026",
  "15 March 2026", "2026-03-15". A date range ("14 en 15 maart 2026", "14-15 maart 2026", "March 14-15,
  2026") proposes its last day (the day the activity was completed). On a document with several dates, a
  date the text calls the activity's ("Datum:", "gehouden op", "held on") wins over a date of issue,
  printing, signing or validity ("Afgegeven op", "Utrecht, 20 maart 2026", "Issued"); among equals the
  first.
- **Title and provider**: a label ("Training:", "Titel:", "Course:", "Aanbieder:", "Provider:"), a phrase
  ("heeft deelgenomen aan", "has attended", "georganiseerd door", "organised by"), a quoted title, the
  e-mail's subject and sender, or the letterhead (the first line). These are proposals: the jobcoach
  confirms or corrects every field.
- **Category**: not guessed. The category list is a default of this platform, not Noloc's (ADR 0003), and
  nothing on a certificate says which one applies; the jobcoach chooses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from recert_common.rules import InvalidPeAmount, UnknownUnit, load_framework
from recert_pe_registry.domain import study_load

UNIT_SBU, UNIT_ECTS, UNIT_POINTS = "sbu", "ects", "points"

_MONTHS = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "february": 2, "feb": 2, "febr": 2,
    "maart": 3, "march": 3, "mrt": 3, "mar": 3, "maa": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "augustus": 8, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:e|ste|de|st|nd|rd|th)?"
_YEAR = r"(\d{4})"
_JOIN = r"\s*(?:-|–|—|/|en|and|&|t/m|tot en met|tot|to|until|through)\s*"

# Most specific first; a match masks its span for the later patterns.
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dm_range", re.compile(rf"\b{_DAY}{_JOIN}{_DAY}\s+{_MONTH}\s+{_YEAR}\b", re.IGNORECASE)),
    ("md_range", re.compile(rf"\b{_MONTH}\s+{_DAY}{_JOIN}{_DAY},?\s+{_YEAR}\b", re.IGNORECASE)),
    ("dmy_words", re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE)),
    ("mdy_words", re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE)),
    ("iso", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("numeric", re.compile(r"\b(\d{1,2})\s?[-/.]\s?(\d{1,2})\s?[-/.]\s?(\d{4})\b")),
)

# Words before a date that make it the activity's date, or a date of something else.
_DATE_FOR = re.compile(
    r"\b(datum|data|date|dates|op|on|gevolgd|deelgenomen|deelname|bijgewoond|attended|attending|held|"
    r"gehouden|plaatsgevonden|took place|completed|afgerond|behaald|webinar|training|cursus|course|"
    r"workshop|bijeenkomst|session|sessie|when|wanneer)\b", re.IGNORECASE)
_DATE_AGAINST = re.compile(
    r"\b(afgegeven|uitgegeven|uitgifte|issued|issue|printed|geprint|afgedrukt|verzonden|sent|verstuurd|"
    r"ondertekend|signed|geldig|valid|vervalt|vervaldatum|expires|expiry|aangemaakt|created|geboren|birth|"
    r"factuurdatum|invoice|ingeschreven|inschrijving|registered|registration|aangevraagd|requested|"
    r"gegenereerd|generated)\b", re.IGNORECASE)
# "Utrecht, 20 maart 2026": a place and a date alone on a line is where and when the paper was signed.
_PLACE_DATE_LINE = re.compile(r"^\s*[A-Z][\w'.-]+(?:\s[A-Z][\w'.-]+)?\s*,\s*$")

_NUMBER = r"(\d{1,3}(?:[.,]\d{1,2})?)"
_RANGE = rf"(?:{_NUMBER}\s*(?:-|–|à|a|tot|to|or|of)\s*)?"
_UNIT_WORDS: tuple[tuple[str, str], ...] = (
    # (unit, pattern): ECTS before the generic "punten", points before hours.
    ("ects", r"ECTS(?:[- ]?(?:credits?|punten|studiepunten))?|EC(?:[- ]?punten)?|studiepunt(?:en)?|"
             r"study credits?"),
    ("points", r"PE[- ]?punt(?:en)?|PE[- ]?points?|accreditatiepunt(?:en)?|punt(?:en)?|points?"),
    ("sbu", r"SBU|studiebelastingsu(?:u)?r(?:en)?|studiebelastinguren|studielasturen|"
            r"study[- ]load[- ]hours?|contacturen|uur|uren|hours?|hrs?|u"),
    ("minutes", r"minuten|minutes|min"),
)
_AMOUNT = re.compile(
    rf"(?<![\d.,:]){_RANGE}{_NUMBER}\s*(?:[-:;]\s*)?(?:({_UNIT_WORDS[0][1]})|({_UNIT_WORDS[1][1]})|"
    rf"({_UNIT_WORDS[2][1]})|({_UNIT_WORDS[3][1]}))(?![\w])", re.IGNORECASE)
# "SBU: 4", "Studiebelastingsuren: 3", "PE-punten: 6", "ECTS: 2": the unit as the label, the number after.
_LABELLED_UNIT = re.compile(
    rf"\b(?:(ECTS|EC|studiepunten)|(PE[- ]?punten|PE[- ]?points|accreditatiepunten)|"
    rf"(SBU|studiebelastingsuren|studiebelastinguren|study[- ]load[- ]hours|contacturen)|"
    rf"(minuten|minutes))\s*[:=]\s*{_NUMBER}(?![\d])", re.IGNORECASE)
_AMOUNT_LABEL = re.compile(
    r"\b(studiebelasting|studielast|omvang|duur|tijdsinvestering|accreditatie|geaccrediteerd|levert|"
    r"oplevert|goed voor|waard|study load|workload|duration|length|credits?|worth|accredited|earns?|"
    r"awarded|punten|points|sbu|ects)\b", re.IGNORECASE)
# Clock times: "13.00 - 16.30 uur", "van 9:30 tot 12:00", "om 14.00 uur", "at 10:00 hrs".
_CLOCK = re.compile(
    r"(?<![\d,])([01]?\d|2[0-3])[:.]([0-5]\d)(?:\s*(?:-|–|tot|to|until)\s*([01]?\d|2[0-3])[:.]([0-5]\d))?"
    r"(?:\s*(?:uur|u|h|hrs|hours)\b)?", re.IGNORECASE)
_CLOCK_CONTEXT = re.compile(
    r"\b(om|at|van|from|vanaf|tijd|time|tijdstip|aanvang|start|begin|eind)\b\s*:?\s*$", re.IGNORECASE)

_TITLE_LABEL = re.compile(
    r"^\s*(?:titel|title|naam (?:van de )?(?:training|cursus|activiteit)|training|cursus|course|webinar|"
    r"onderwerp|programma|programme|program|opleiding|workshop|module|e-learning|event|evenement|"
    r"activiteit|activity|bijeenkomst|leergang|masterclass)\s*[:\-–]\s*(.{3,200})$",
    re.IGNORECASE | re.MULTILINE)
_TITLE_PHRASE = re.compile(
    r"(?:heeft (?:met goed gevolg )?deelgenomen aan|heeft (?:met succes )?(?:afgerond|gevolgd|bijgewoond)|"
    r"voor (?:je |uw |de )?deelname aan|deelname aan|has (?:successfully )?(?:attended|completed|"
    r"participated in|followed)|for (?:attending|completing|participating in|your participation in)|"
    r"participated in|attended|completed|bijgewoond|gevolgd)\s*:?\s*(?:de |het |the |a |an )?"
    r"(?:(?:training|cursus|course|webinar|workshop|e-learning|masterclass|bijeenkomst|opleiding|module|"
    r"session|sessie)(?:\s+|$))?(.*)", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“„'‘«]([^\"“”„'‘’«»\n]{4,160})[\"”'’»]")
_PROVIDER_LABEL = re.compile(
    r"^\s*(?:aanbieder|organisatie|organisator|provider|organi[sz]er|organi[sz]ation|opleider|"
    r"opleidingsinstituut|instituut|institute|verzorgd door|aangeboden door|offered by|georganiseerd door|"
    r"organi[sz]ed by|uitgevoerd door|delivered by|trainer/organisatie)\s*[:\-–]?\s*(.{2,200})$",
    re.IGNORECASE | re.MULTILINE)
_PROVIDER_PHRASE = re.compile(
    r"\b(?:georganiseerd door|verzorgd door|aangeboden door|uitgevoerd door|organi[sz]ed by|offered by|"
    r"provided by|delivered by|hosted by)\s+(.{2,120}?)(?:[.,;\n]|\s+(?:op|on|in|te|at)\s|$)",
    re.IGNORECASE)
_SUBJECT = re.compile(r"^Subject:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_FROM = re.compile(r"^From:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_SUBJECT_NOISE = re.compile(
    r"^(?:(?:re|fw|fwd|aw)\s*:\s*)*(?:bevestiging(?: van)?(?: je| uw)?(?: deelname| inschrijving)?"
    r"(?: aan)?|je certificaat(?: voor)?|uw certificaat(?: voor)?|certificaat(?: voor)?|bewijs van deelname"
    r"(?: voor| aan)?|deelnamebewijs(?: voor)?|confirmation(?: of)?(?: your)?(?: attendance| participation)?"
    r"(?: at| in| for)?|your certificate(?: for)?|certificate(?: of attendance)?(?: for)?|"
    r"thank you for attending|bedankt voor je deelname aan)\s*[:\-–]?\s*", re.IGNORECASE)
_HEADINGS = re.compile(
    r"^\s*(?:certifica(?:a)?t(?:e)?|bewijs|deelnamebewijs|verklaring|attest|certificate|diploma|"
    r"hierbij|this is to|beste|dear|hallo|hello|geachte|subject|from|to|onderwerp|van|aan)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Amount:
    amount: Decimal
    unit: str  # sbu, ects or points
    text: str  # as it was written


@dataclass(frozen=True)
class Proposal:
    """What the reading proposes; any field may be None when the text did not say it clearly."""

    title: str | None
    provider: str | None
    completed_on: date | None
    amount: Decimal | None
    unit: str | None
    points: Decimal | None
    category: int | None = None  # never guessed (see the module's notes)


# --- numbers and amounts ----------------------------------------------------------------------------------


def parse_number(text: str) -> Decimal | None:
    """"2,5" and "2.5" are two and a half; at most two decimals (OCR's "2.50" too)."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _clock_spans(text: str) -> list[tuple[int, int]]:
    """Where clock times are: a range of two times, a time with a colon, or a time after "om"/"at"/"van"
    or followed by "uur"/"u"/"h" when its minutes are two digits ("14.00 uur", not "2,5 uur")."""
    spans = []
    for match in _CLOCK.finditer(text):
        whole = match.group(0)
        is_range = match.group(3) is not None
        colon = ":" in whole
        before = text[max(0, match.start() - 20):match.start()]
        # "14.00 uur": a unit right after hours and minutes (len("14.00") == hours + 3).
        suffixed = len(whole.rstrip()) > len(match.group(1)) + 3
        if is_range or colon or _CLOCK_CONTEXT.search(before) or (suffixed and match.group(2) in (
                "00", "15", "30", "45")):
            spans.append((match.start(), match.end()))
    return spans


@dataclass(frozen=True)
class _Candidate:
    amount: Amount
    score: float
    position: int


def _unit_of(groups: tuple[str | None, ...]) -> str:
    return ("ects", "points", "sbu", "minutes")[next(i for i, g in enumerate(groups) if g)]


def _as_amount(number: Decimal, unit: str, text: str) -> Amount | None:
    if number <= 0:
        return None
    if unit == "minutes":
        hours = (number / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return Amount(_plain(hours), UNIT_SBU, text) if hours > 0 else None
    return Amount(_plain(number), unit, text)


def _plain(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def amount_candidates(text: str) -> list[_Candidate]:
    masked = _mask(text, _clock_spans(text))
    found: list[_Candidate] = []
    for match in _AMOUNT.finditer(masked):
        low, number = match.group(1), match.group(2)
        unit = _unit_of(match.groups()[2:])
        value = parse_number(low if low is not None else number)
        if value is None:
            continue
        amount = _as_amount(value, unit, match.group(0).strip())
        if amount is None:
            continue
        line_start = masked.rfind("\n", 0, match.start()) + 1
        before = masked[line_start:match.start()]
        score = 0.0
        if _AMOUNT_LABEL.search(before):
            score += 2
        score += {"ects": 1, "points": 1, "sbu": 0.5, "minutes": 0}[unit]
        if unit == "sbu" and re.search(r"sbu|studiebelasting", match.group(5), re.IGNORECASE):
            score += 0.5
        found.append(_Candidate(amount, score, match.start()))
    for match in _LABELLED_UNIT.finditer(masked):
        unit = _unit_of(match.groups()[:4])
        value = parse_number(match.group(5))
        amount = _as_amount(value, unit, match.group(0).strip()) if value is not None else None
        if amount is not None:
            found.append(_Candidate(amount, 3.0, match.start()))
    return found


def _points_of(amount: Amount, year: int) -> Decimal | None:
    try:
        return study_load(amount.amount, amount.unit, load_framework(year)).points
    except (InvalidPeAmount, UnknownUnit):
        return None


def find_amount(text: str, year: int) -> Amount | None:
    """The study load the document states (see the module's notes), or None."""
    candidates = amount_candidates(text)
    if not candidates:
        return None
    # PE points that merely convert another figure on the page are that figure's echo, not a claim.
    others = {_points_of(c.amount, year) for c in candidates if c.amount.unit != UNIT_POINTS}
    primary = [c for c in candidates if not (c.amount.unit == UNIT_POINTS and c.amount.amount in others)]
    best = max(primary or candidates, key=lambda c: (c.score, -c.position))
    return best.amount


# --- dates ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DateFound:
    day: date
    start: int
    end: int


def _make_date(year: str, month: int | str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _dates(text: str) -> list[_DateFound]:
    found: list[_DateFound] = []
    masked = text
    for kind, pattern in _DATE_PATTERNS:
        spans = []
        for m in pattern.finditer(masked):
            g = m.groups()
            if kind == "dm_range":
                day = _make_date(g[3], _MONTHS[g[2].lower()], g[1])
                first = _make_date(g[3], _MONTHS[g[2].lower()], g[0])
                if day is not None and (first is None or first > day):
                    day = None
            elif kind == "md_range":
                day = _make_date(g[3], _MONTHS[g[0].lower()], g[2])
            elif kind == "dmy_words":
                day = _make_date(g[2], _MONTHS[g[1].lower()], g[0])
            elif kind == "mdy_words":
                day = _make_date(g[2], _MONTHS[g[0].lower()], g[1])
            elif kind == "iso":
                day = _make_date(g[0], g[1], g[2])
            else:
                first, second = int(g[0]), int(g[1])
                # Day first, as written here; a month over 12 can only be the American order.
                day = _make_date(g[2], second, g[0]) if second <= 12 else _make_date(g[2], first, g[1])
            if day is not None and 1990 <= day.year <= 2100:
                found.append(_DateFound(day, m.start(), m.end()))
                spans.append((m.start(), m.end()))
        masked = _mask(masked, spans)
    return sorted(found, key=lambda d: d.start)


def _date_score(text: str, found: _DateFound) -> float:
    line_start = text.rfind("\n", 0, found.start) + 1
    line_end = text.find("\n", found.end)
    line_end = len(text) if line_end < 0 else line_end
    # Only the clause the date is in: "Issued on 20 March. Held on 12 March" holds two.
    before = re.split(r"[.;!?]\s|\(|\)", text[line_start:found.start])[-1][-40:]
    after = re.split(r"[.;!?](?:\s|$)|\(|\)", text[found.end:line_end])[0]
    previous_line = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1:max(0, line_start - 1)]
    score = 0.0
    if _DATE_AGAINST.search(before) or _DATE_AGAINST.search(after[:30]):
        score -= 3
    elif _DATE_AGAINST.search(previous_line) and not before.strip():
        score -= 2
    elif _DATE_FOR.search(before) or (not before.strip() and _DATE_FOR.search(previous_line)):
        score += 2
    if _PLACE_DATE_LINE.match(before) and not after.strip():
        score -= 2
    if re.match(r"^\s*date\s*:", text[line_start:found.start], re.IGNORECASE) and line_start < 400 and \
            re.search(r"^From:", text[:line_start], re.IGNORECASE | re.MULTILINE):
        score -= 3  # an e-mail's own Date header: when it was sent
    return score


def find_date(text: str) -> date | None:
    """The day the activity was (last) held, by the rules in the module's notes, or None."""
    found = _dates(text)
    if not found:
        return None
    best = max(found, key=lambda d: (_date_score(text, d), -d.start))
    return best.day


# --- title and provider -----------------------------------------------------------------------------------


def _clean(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip(" \t:;,.-–\"“”„'‘’«»")
    return value[:limit] if len(value) >= 3 else None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _strip_date_tail(value: str) -> str:
    for _kind, pattern in _DATE_PATTERNS:
        value = pattern.sub("", value)
    return re.sub(r"\s+(?:op|on|d\.d\.|dd)\s*$", "", value.strip(" ,-–"), flags=re.IGNORECASE)


def find_title(text: str) -> str | None:
    match = _TITLE_LABEL.search(text)
    if match:
        return _clean(_strip_date_tail(match.group(1)), 300)
    # A quoted title, also when the page wrapped it over two lines.
    quoted = _QUOTED.search(re.sub(r"\s*\n\s*", " ", _SUBJECT.sub("", text)))
    if quoted:
        return _clean(quoted.group(1), 300)
    lines = text.splitlines()
    for index, line in enumerate(lines):
        phrase = _TITLE_PHRASE.search(line)
        if not phrase:
            continue
        rest = phrase.group(1)
        quoted = _QUOTED.search(rest)
        if quoted:
            return _clean(quoted.group(1), 300)
        rest = _strip_date_tail(re.split(r"\s+(?:op|on|van|of|georganiseerd|organi[sz]ed|door|by)\s+\d",
                                         rest)[0])
        rest = re.split(r"\s+(?:georganiseerd door|verzorgd door|organi[sz]ed by|offered by|hosted by)\s",
                        rest)[0]
        if len(rest.strip(" .:,")) >= 4:
            return _clean(rest, 300)
        following = next((candidate for candidate in lines[index + 1:] if candidate.strip()), None)
        if following:
            return _clean(_strip_date_tail(following), 300)
    subject = _SUBJECT.search(text)
    if subject:
        return _clean(_strip_date_tail(_SUBJECT_NOISE.sub("", subject.group(1))), 300)
    return None


def find_provider(text: str) -> str | None:
    match = _PROVIDER_LABEL.search(text)
    if match:
        return _clean(match.group(1), 200)
    match = _PROVIDER_PHRASE.search(text)
    if match:
        return _clean(match.group(1), 200)
    sender = _FROM.search(text)
    if sender:
        name = re.sub(r"<[^>]*>", "", sender.group(1)).strip(' "')
        if name and "@" not in name:
            return _clean(name, 200)
        if "@" in sender.group(1):
            domain = sender.group(1).split("@", 1)[1].split(">")[0].split(".")[0]
            return _clean(domain, 200)
    for line in _lines(text)[:3]:
        if (not _HEADINGS.match(line) and not _dates(line) and not amount_candidates(line)
                and _looks_like_a_name(line)):
            return _clean(line, 200)
    return None


def _looks_like_a_name(line: str) -> bool:
    """A letterhead, not OCR's reading of a speck or an edge ("EEE UE RE Se"): words of letters, on
    average four or more long."""
    words = re.findall(r"[^\W\d_]+", line)
    return bool(words) and sum(map(len, words)) / len(words) >= 4 and len(words) <= 8


# --- the proposal ---------------------------------------------------------------------------------------


def propose(text: str, today: date) -> Proposal:
    """Everything the text says about the activity, as far as the rules above find it; the points by the
    framework of the activity's year (of ``today``'s when the date was not found)."""
    completed_on = find_date(text)
    year = completed_on.year if completed_on else today.year
    amount = find_amount(text, year)
    points = _points_of(amount, year) if amount is not None else None
    return Proposal(
        title=find_title(text), provider=find_provider(text), completed_on=completed_on,
        amount=amount.amount if amount else None, unit=amount.unit if amount else None, points=points)
