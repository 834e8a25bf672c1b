"""The assessment framework ("toetsingskader") as versioned data.

One JSON file per framework year holds every number the platform applies: PE units and categories,
required reflection meetings, periods, fees and identifier formats. The code in this package only interprets
them, so Noloc can change a number by shipping a file.

Where the files come from: the packaged ``rules/frameworks/<year>.json``, overlaid by the files in the
directory named by ``RECERT_FRAMEWORK_DIR`` (or an explicit ``directory``): a file there replaces the packaged
file of the same year and may add years. The framework for a year is the file with the greatest year not
after it, so years after the last file use the last file's figures; the earliest file also stands for every
earlier year (certificates issued before the platform existed still need their periods and meeting counts),
except for fees, which ``fees.fee_amount`` refuses to guess for years before the earliest file.
"""
from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import FrameworkDataError, FrameworkNotFound
from .text import Localized

FRAMEWORK_DIR_ENV = "RECERT_FRAMEWORK_DIR"
FORMAT_VERSION = 1

# Units of a PE activity's amount.
UNIT_HOURS = "hours"
UNIT_ECTS = "ects"
UNIT_POINTS = "points"
PE_UNITS = (UNIT_HOURS, UNIT_ECTS, UNIT_POINTS)

# Fee kinds, the keys of ``fees.items`` in the data.
FEE_RECERTIFICATION = "recertification"
FEE_REASSESSMENT = "reassessment"
FEE_REGISTER = "register_fee"
# No affiliate-number fee: Noloc's secretariat issues affiliate numbers (and charges for them); the platform
# does not (ADR 0013).
FEE_KINDS = (FEE_RECERTIFICATION, FEE_REASSESSMENT, FEE_REGISTER)

ISSUER_DNV = "dnv"
ISSUER_NOLOC = "noloc"


@dataclass(frozen=True)
class PeUnit:
    key: str
    points_per_unit: Decimal
    max_per_activity: Decimal  # in the unit itself: 20 means 20 ECTS, not 20 points
    name: Localized


@dataclass(frozen=True)
class PeCategory:
    number: int
    key: str
    name: Localized
    minimum: Decimal  # 0 when the category has no minimum
    maximum: Decimal | None  # None: every point counts


@dataclass(frozen=True)
class PeRules:
    required_total: Decimal
    units: Mapping[str, PeUnit]
    categories: tuple[PeCategory, ...]  # ordered by number
    categories_official: bool
    categories_note: str

    def category(self, number: int) -> PeCategory | None:
        for category in self.categories:
            if category.number == number:
                return category
        return None

    def category_number(self, category: str) -> int | None:
        """A category as pe-registry names it, by number ("1") or key ("training_in_field"); None: unknown."""
        named = category.strip()
        for known in self.categories:
            if named in (str(known.number), known.key):
                return known.number
        return None


@dataclass(frozen=True)
class MeetingsStep:
    expiry_year_from: int | None  # None: every year before the next step
    meetings: int


@dataclass(frozen=True)
class ReflectionRules:
    required_reports: int
    required_meetings: tuple[MeetingsStep, ...]  # ascending; the first has expiry_year_from None


@dataclass(frozen=True)
class PeriodRules:
    validity_years: int
    submission_window_months: int
    supplement_months: int
    new_portfolio_months: int
    next_cycle_offset_days: int
    result_normal_weeks: int
    result_due_weeks: int


@dataclass(frozen=True)
class FeeDefinition:
    kind: str
    net: Decimal
    issuer: str  # "dnv" or "noloc": who invoices it
    charged: str  # "per_submission", "per_supplement" or "per_certificate_year" (descriptive)
    name: Localized


@dataclass(frozen=True)
class FeeRules:
    currency: str
    vat_rate: Decimal
    items: Mapping[str, FeeDefinition]


@dataclass(frozen=True)
class IdentifierFormat:
    pattern: re.Pattern[str]
    example: str
    template: str | None = None  # str.format template with ``number``, for numbers this platform issues


@dataclass(frozen=True)
class IdentifierRules:
    official: bool
    note: str
    membership_number: IdentifierFormat
    affiliate_number: IdentifierFormat


@dataclass(frozen=True)
class Framework:
    year: int
    revision: int
    title: Localized
    notes: str
    source: str  # the file it was read from, for audit trails and error messages
    pe: PeRules
    reflection: ReflectionRules
    periods: PeriodRules
    fees: FeeRules
    identifiers: IdentifierRules

    @property
    def version(self) -> str:
        """A short label to store with a decision or invoice, e.g. "2024.1"."""
        return f"{self.year}.{self.revision}"


# ---------------------------------------------------------------------------------------------------------
# Loading


def load_framework(year: int | None = None, *, directory: str | os.PathLike[str] | None = None) -> Framework:
    """The framework in force in ``year``: the file with the greatest year <= ``year``; the earliest file for
    earlier years; the latest file when ``year`` is ``None``.

    ``directory`` (else ``$RECERT_FRAMEWORK_DIR``, if set) overlays the packaged files. Results are cached per
    directory; call ``clear_framework_cache()`` after changing files at the same path.
    """
    frameworks = available_frameworks(directory=directory)
    if year is None:
        return frameworks[max(frameworks)]
    candidates = [known for known in frameworks if known <= year]
    return frameworks[max(candidates) if candidates else min(frameworks)]


def available_frameworks(*, directory: str | os.PathLike[str] | None = None) -> Mapping[int, Framework]:
    """Every known framework by year, after the overlay."""
    if directory is None:
        directory = os.environ.get(FRAMEWORK_DIR_ENV) or None
    key = str(Path(directory).resolve()) if directory is not None else None
    return _frameworks(key)


def clear_framework_cache() -> None:
    _frameworks.cache_clear()


def read_framework_file(path: str | os.PathLike[str] | Traversable) -> Framework:
    """Read and validate one framework file."""
    if isinstance(path, (str, os.PathLike)):
        path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise FrameworkDataError(f"{path}: cannot read: {exc}") from exc
    return parse_framework(raw, source=str(path))


@functools.lru_cache(maxsize=8)
def _frameworks(directory: str | None) -> Mapping[int, Framework]:
    files: dict[int, Any] = {}
    for entry in resources.files(__package__).joinpath("frameworks").iterdir():
        if _is_framework_file(entry.name):
            files[int(entry.name[:-5])] = entry
    if directory is not None:
        overlay = Path(directory)
        if not overlay.is_dir():
            raise FrameworkDataError(f"{FRAMEWORK_DIR_ENV}={directory}: not a directory")
        for entry in overlay.iterdir():
            if _is_framework_file(entry.name):
                files[int(entry.name[:-5])] = entry
    if not files:
        raise FrameworkNotFound("no assessment framework files at all")
    frameworks = {}
    for year, entry in sorted(files.items()):
        framework = read_framework_file(entry)
        if framework.year != year:
            raise FrameworkDataError(f"{entry}: says year {framework.year} but is named {year}.json")
        frameworks[year] = framework
    return MappingProxyType(frameworks)


def _is_framework_file(name: str) -> bool:
    return re.fullmatch(r"[0-9]{4}\.json", name) is not None


# ---------------------------------------------------------------------------------------------------------
# Parsing and validation: a bad file fails loudly at load time, naming the key, instead of deep in a request.


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str) -> FrameworkDataError:
        return FrameworkDataError(f"{self.source}: {where}: {problem}")

    def get(self, data: Any, key: str, where: str) -> Any:
        if not isinstance(data, dict):
            raise self.fail(where, "expected an object")
        if key not in data:
            raise self.fail(f"{where}.{key}", "missing")
        return data[key]

    def integer(self, data: Any, key: str, where: str, *, minimum: int = 0) -> int:
        value = self.get(data, key, where)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"{where}.{key}", f"expected an integer >= {minimum}, got {value!r}")
        return value

    def decimal(self, data: Any, key: str, where: str, *, optional: bool = False) -> Decimal | None:
        value = self.get(data, key, where)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise self.fail(f"{where}.{key}", f"expected a decimal number, got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(f"{where}.{key}", f"not a decimal number: {value!r}") from None
        if not number.is_finite() or number < 0:
            raise self.fail(f"{where}.{key}", f"expected a finite number >= 0, got {value!r}")
        return number

    def text(self, data: Any, key: str, where: str) -> str:
        value = self.get(data, key, where)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "expected a non-empty string")
        return value

    def localized(self, data: Any, key: str, where: str) -> Localized:
        value = self.get(data, key, where)
        at = f"{where}.{key}"
        return Localized(nl=self.text(value, "nl", at), en=self.text(value, "en", at))

    def boolean(self, data: Any, key: str, where: str) -> bool:
        value = self.get(data, key, where)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "expected true or false")
        return value

    def pattern(self, data: Any, key: str, where: str) -> re.Pattern[str]:
        value = self.text(data, key, where)
        try:
            return re.compile(value)
        except re.error as exc:
            raise self.fail(f"{where}.{key}", f"not a regular expression: {exc}") from None


def parse_framework(raw: Any, *, source: str = "<data>") -> Framework:
    """Build a ``Framework`` from decoded JSON; raises ``FrameworkDataError`` naming the offending key."""
    r = _Reader(source)
    version = r.integer(raw, "format_version", "$")
    if version != FORMAT_VERSION:
        raise r.fail("$.format_version", f"this code reads version {FORMAT_VERSION}, not {version}")
    return Framework(
        year=r.integer(raw, "year", "$", minimum=2000),
        revision=r.integer(raw, "revision", "$", minimum=1),
        title=r.localized(raw, "title", "$"),
        notes=r.text(raw, "notes", "$"),
        source=source,
        pe=_parse_pe(r, r.get(raw, "pe", "$")),
        reflection=_parse_reflection(r, r.get(raw, "reflection", "$")),
        periods=_parse_periods(r, r.get(raw, "periods", "$")),
        fees=_parse_fees(r, r.get(raw, "fees", "$")),
        identifiers=_parse_identifiers(r, r.get(raw, "identifiers", "$")),
    )


def _parse_pe(r: _Reader, raw: Any) -> PeRules:
    where = "$.pe"
    required_total = r.decimal(raw, "required_total", where)
    if not required_total:
        raise r.fail(f"{where}.required_total", "must be positive")
    units_raw = r.get(raw, "units", where)
    units = {}
    for key in PE_UNITS:
        at = f"{where}.units.{key}"
        unit_raw = r.get(units_raw, key, f"{where}.units")
        units[key] = PeUnit(
            key=key,
            points_per_unit=r.decimal(unit_raw, "points_per_unit", at),
            max_per_activity=r.decimal(unit_raw, "max_per_activity", at),
            name=r.localized(unit_raw, "name", at),
        )
        if not units[key].points_per_unit or not units[key].max_per_activity:
            raise r.fail(at, "points_per_unit and max_per_activity must be positive")
    categories_raw = r.get(raw, "categories", where)
    items = r.get(categories_raw, "items", f"{where}.categories")
    if not isinstance(items, list) or not items:
        raise r.fail(f"{where}.categories.items", "expected a non-empty list")
    categories = []
    for index, item in enumerate(items):
        at = f"{where}.categories.items[{index}]"
        category = PeCategory(
            number=r.integer(item, "number", at, minimum=1),
            key=r.text(item, "key", at),
            name=r.localized(item, "name", at),
            minimum=r.decimal(item, "minimum", at),
            maximum=r.decimal(item, "maximum", at, optional=True),
        )
        if category.maximum is not None and category.minimum > category.maximum:
            raise r.fail(at, "minimum is above maximum")
        categories.append(category)
    numbers = [category.number for category in categories]
    if len(set(numbers)) != len(numbers):
        raise r.fail(f"{where}.categories.items", f"category numbers repeat: {numbers}")
    if sum(c.minimum for c in categories) > required_total:
        raise r.fail(f"{where}.categories.items", "the minima add up to more than required_total")
    if all(c.maximum is not None for c in categories) and sum(c.maximum for c in categories) < required_total:
        raise r.fail(f"{where}.categories.items", "the maxima leave required_total out of reach")
    return PeRules(
        required_total=required_total,
        units=MappingProxyType(units),
        categories=tuple(sorted(categories, key=lambda c: c.number)),
        categories_official=r.boolean(categories_raw, "official", f"{where}.categories"),
        categories_note=r.text(categories_raw, "note", f"{where}.categories"),
    )


def _parse_reflection(r: _Reader, raw: Any) -> ReflectionRules:
    where = "$.reflection"
    steps_raw = r.get(raw, "required_meetings", where)
    if not isinstance(steps_raw, list) or not steps_raw:
        raise r.fail(f"{where}.required_meetings", "expected a non-empty list")
    steps = []
    for index, step in enumerate(steps_raw):
        at = f"{where}.required_meetings[{index}]"
        year_from = r.get(step, "expiry_year_from", at)
        if index == 0 and year_from is not None:
            raise r.fail(at, "the first step must have expiry_year_from null (it covers every earlier year)")
        if index > 0:
            year_from = r.integer(step, "expiry_year_from", at, minimum=2000)
            if steps[-1].expiry_year_from is not None and year_from <= steps[-1].expiry_year_from:
                raise r.fail(at, "expiry_year_from must ascend")
        steps.append(MeetingsStep(expiry_year_from=year_from, meetings=r.integer(step, "meetings", at)))
    return ReflectionRules(
        required_reports=r.integer(raw, "required_reports", where, minimum=1), required_meetings=tuple(steps)
    )


def _parse_periods(r: _Reader, raw: Any) -> PeriodRules:
    where = "$.periods"
    periods = PeriodRules(
        validity_years=r.integer(raw, "validity_years", where, minimum=1),
        submission_window_months=r.integer(raw, "submission_window_months", where),
        supplement_months=r.integer(raw, "supplement_months", where),
        new_portfolio_months=r.integer(raw, "new_portfolio_months", where),
        next_cycle_offset_days=r.integer(raw, "next_cycle_offset_days", where),
        result_normal_weeks=r.integer(raw, "result_normal_weeks", where),
        result_due_weeks=r.integer(raw, "result_due_weeks", where, minimum=1),
    )
    if periods.result_normal_weeks > periods.result_due_weeks:
        raise r.fail(where, "result_normal_weeks is after result_due_weeks")
    return periods


def _parse_fees(r: _Reader, raw: Any) -> FeeRules:
    where = "$.fees"
    vat_rate = r.decimal(raw, "vat_rate", where)
    if vat_rate >= 1:
        raise r.fail(f"{where}.vat_rate", "write the rate as a fraction, e.g. 0.21")
    items_raw = r.get(raw, "items", where)
    items = {}
    for kind in FEE_KINDS:
        at = f"{where}.items.{kind}"
        item = r.get(items_raw, kind, f"{where}.items")
        net = r.decimal(item, "net", at)
        if net != net.quantize(Decimal("0.01")):
            raise r.fail(f"{at}.net", "money has at most two decimals")
        issuer = r.text(item, "issuer", at)
        if issuer not in (ISSUER_DNV, ISSUER_NOLOC):
            raise r.fail(f"{at}.issuer", f"expected {ISSUER_DNV!r} or {ISSUER_NOLOC!r}")
        items[kind] = FeeDefinition(
            kind=kind,
            net=net.quantize(Decimal("0.01")),
            issuer=issuer,
            charged=r.text(item, "charged", at),
            name=r.localized(item, "name", at),
        )
    return FeeRules(currency=r.text(raw, "currency", where), vat_rate=vat_rate, items=MappingProxyType(items))


def _parse_identifiers(r: _Reader, raw: Any) -> IdentifierRules:
    where = "$.identifiers"
    formats = {}
    for key in ("membership_number", "affiliate_number"):
        at = f"{where}.{key}"
        item = r.get(raw, key, where)
        template = item.get("template") if isinstance(item, dict) else None
        if template is not None and not isinstance(template, str):
            raise r.fail(f"{at}.template", "expected a string")
        formats[key] = IdentifierFormat(
            pattern=r.pattern(item, "pattern", at), example=r.text(item, "example", at), template=template
        )
        if not formats[key].pattern.fullmatch(formats[key].example):
            raise r.fail(f"{at}.example", "does not match the pattern")
        if template is not None:
            try:
                issued = template.format(number=1)
            except (KeyError, IndexError, ValueError) as exc:
                raise r.fail(f"{at}.template", f"cannot format a number: {exc}") from None
            if not formats[key].pattern.fullmatch(issued):
                raise r.fail(f"{at}.template", f"makes {issued!r}, which does not match the pattern")
    member, affiliate = formats["membership_number"], formats["affiliate_number"]
    # Identity tells the two kinds apart by format alone, so no number may fit both.
    if member.pattern.fullmatch(affiliate.example) or affiliate.pattern.fullmatch(member.example):
        raise r.fail(where, "the membership and affiliate formats overlap")
    return IdentifierRules(
        official=r.boolean(raw, "official", where),
        note=r.text(raw, "note", where),
        membership_number=member,
        affiliate_number=affiliate,
    )
