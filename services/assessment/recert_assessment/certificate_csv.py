"""Reading the CSV file of existing certificate holders: ``noloc_number,certificate_number,valid_until,email,
name`` with a header line (``email``: the address Noloc holds for the holder, which an account must have
verified before the certificate is linked to it; ``name``: the holder's name as the public register shows
it; ADR 0018), and optionally ``register_fee_paid_until``: the date up to which an external affiliate has
paid Noloc's register fee already (empty or absent: not known, billing invoices the running certificate
year; see ADR 0013). Pure: bytes in, rows and per-line errors out; whether a row is new or known is the
service's business.

Accepted: UTF-8 (with or without a byte-order mark), comma or semicolon as separator (Dutch spreadsheets
write semicolons), columns in any order, blank lines, dates as ``2027-06-30`` or ``30-06-2027``. A file that
is not such a CSV at all (not UTF-8, no or a wrong header) raises ``MalformedCsv``; a bad row becomes a
``LineError`` naming its line (the header is line 1) and field.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from recert_common.rules import InvalidRegistrationNumber, parse_registration_number

COLUMNS = ("noloc_number", "certificate_number", "valid_until", "email", "name")
OPTIONAL_COLUMNS = ("register_fee_paid_until",)
CERTIFICATE_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,31}")
# One @, something on both sides, a dot in the domain, no spaces: the address is compared, never mailed.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
NAME_MAX = 200
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


class MalformedCsv(Exception):
    """The file as a whole cannot be read as the certificate CSV."""

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class CsvRow:
    line: int
    membership_number: str
    certificate_number: str
    valid_until: date
    register_fee_paid_until: date | None = None
    email: str = ""
    name: str = ""


@dataclass(frozen=True)
class LineError:
    line: int
    field: str  # a column name, or "row" for the row as a whole
    code: str  # a message code under assessment.import.*
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedCsv:
    rows: tuple[CsvRow, ...]
    errors: tuple[LineError, ...]


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedCsv("not_utf8", position=exc.start) from None
    if "\x00" in text:
        raise MalformedCsv("not_text")
    if not text.strip():
        raise MalformedCsv("empty")
    return text


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _header(names: list[str]) -> dict[str, int]:
    normalised = [name.strip().lower() for name in names]
    duplicated = sorted({name for name in normalised if normalised.count(name) > 1})
    if duplicated:
        raise MalformedCsv("header_duplicate_columns", columns=", ".join(duplicated))
    missing = [name for name in COLUMNS if name not in normalised]
    unknown = [name for name in normalised if name not in COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        raise MalformedCsv("header_columns", missing=", ".join(missing) or "-",
                           unknown=", ".join(unknown) or "-",
                           expected=",".join(COLUMNS) + "".join(f"[,{name}]" for name in OPTIONAL_COLUMNS))
    return {name: normalised.index(name) for name in COLUMNS + OPTIONAL_COLUMNS if name in normalised}


def parse_date(raw: str) -> date | None:
    value = raw.strip()
    match = _DUTCH_DATE.fullmatch(value)
    try:
        if match:
            day, month, year = (int(group) for group in match.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        return None
    return None


def parse_certificate_csv(data: bytes, *, today: date) -> ParsedCsv:
    """Rows and per-line errors of the file; raises ``MalformedCsv`` for a file that is no such CSV."""
    text = _text(data)
    lines = text.splitlines()
    first = next(line for line in lines if line.strip())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    rows: list[CsvRow] = []
    errors: list[LineError] = []
    seen_numbers: dict[str, int] = {}
    seen_members: dict[str, int] = {}
    columns: dict[str, int] | None = None
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                columns = _header(record)
                continue
            if len(record) != len(columns):
                errors.append(LineError(line, "row", "field_count",
                                        {"expected": len(columns), "found": len(record)}))
                continue
            row_errors, row = _row(line, {name: record[index] for name, index in columns.items()}, today)
            if row is not None:
                if row.certificate_number in seen_numbers:
                    row_errors.append(LineError(line, "certificate_number", "duplicate_in_file",
                                                {"first_line": seen_numbers[row.certificate_number]}))
                if row.membership_number in seen_members:
                    row_errors.append(LineError(line, "noloc_number", "duplicate_in_file",
                                                {"first_line": seen_members[row.membership_number]}))
            if row_errors:
                errors.extend(row_errors)
                continue
            seen_numbers[row.certificate_number] = line
            seen_members[row.membership_number] = line
            rows.append(row)
    except csv.Error as exc:
        raise MalformedCsv("unreadable", line=reader.line_num, reason=str(exc)) from None
    if columns is None:
        raise MalformedCsv("empty")
    return ParsedCsv(tuple(rows), tuple(errors))


def _row(line: int, cells: Mapping[str, str], today: date) -> tuple[list[LineError], CsvRow | None]:
    errors: list[LineError] = []
    raw_member = cells["noloc_number"].strip()
    member = None
    if not raw_member:
        errors.append(LineError(line, "noloc_number", "required"))
    else:
        try:
            member = parse_registration_number(raw_member).value
        except InvalidRegistrationNumber:
            errors.append(LineError(line, "noloc_number", "noloc_number_invalid", {"value": raw_member}))
    number = cells["certificate_number"].strip().upper()
    if not number:
        errors.append(LineError(line, "certificate_number", "required"))
    elif not CERTIFICATE_NUMBER.fullmatch(number):
        errors.append(LineError(line, "certificate_number", "certificate_number_invalid",
                                {"value": cells["certificate_number"].strip()[:40]}))
    raw_date = cells["valid_until"].strip()
    valid_until = parse_date(raw_date) if raw_date else None
    if not raw_date:
        errors.append(LineError(line, "valid_until", "required"))
    elif valid_until is None:
        errors.append(LineError(line, "valid_until", "date_invalid", {"value": raw_date[:40]}))
    elif valid_until < today:
        errors.append(LineError(line, "valid_until", "date_in_past", {"value": valid_until.isoformat()}))
    raw_paid = cells.get("register_fee_paid_until", "").strip()
    paid_until = parse_date(raw_paid) if raw_paid else None
    if raw_paid and paid_until is None:
        errors.append(LineError(line, "register_fee_paid_until", "date_invalid", {"value": raw_paid[:40]}))
    email = cells["email"].strip()
    if not email:
        errors.append(LineError(line, "email", "required"))
    elif len(email) > 254 or not EMAIL.fullmatch(email):
        errors.append(LineError(line, "email", "email_invalid", {"value": email[:60]}))
    name = " ".join(cells["name"].split())
    if not name:
        errors.append(LineError(line, "name", "required"))
    elif len(name) > NAME_MAX:
        errors.append(LineError(line, "name", "too_long", {"max": NAME_MAX}))
    if errors:
        return errors, None
    return errors, CsvRow(line, member, number, valid_until, paid_until, email, name)
