"""Times, money and numbers written the way a Dutch or an English reader expects them.

Dates and money are written by ``recert_common.i18n.format_date`` and ``format_money``, the one date and
money format of every service's texts (billing's invoices write amounts with the same function).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from recert_common import i18n
from recert_common.i18n import format_money
from recert_common.rules import format_number as _format_number

_AT = {"nl": "om", "en": "at"}


def format_datetime(instant: datetime, zone: ZoneInfo, language: str = "nl") -> str:
    """An instant on the reader's clock: "28 november 2026 om 14:05" / "28 November 2026 at 14:05"."""
    if instant.tzinfo is None:
        raise ValueError("an instant needs its time zone")
    local = instant.astimezone(zone)
    language = i18n.reader_language(language)
    return f"{i18n.format_date(local.date(), language)} {_AT[language]} {local:%H:%M}"


def format_number(value: Decimal | int, language: str = "nl") -> str:
    """``Decimal("12.50")`` -> "12,5" (nl) or "12.5" (en); whole numbers without decimals."""
    return _format_number(Decimal(value), i18n.reader_language(language))


__all__ = ["format_datetime", "format_money", "format_number"]
