"""Times, money and numbers written the way a Dutch or an English reader expects them.

Dates are written by ``recert_common.i18n.format_date``, the one date format of every service's texts.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from recert_common import i18n
from recert_common.rules import format_number as _format_number

_AT = {"nl": "om", "en": "at"}
_CURRENCY_SIGNS = {"EUR": "€"}




def format_datetime(instant: datetime, zone: ZoneInfo, language: str = "nl") -> str:
    """An instant on the reader's clock: "28 november 2026 om 14:05" / "28 November 2026 at 14:05"."""
    if instant.tzinfo is None:
        raise ValueError("an instant needs its time zone")
    local = instant.astimezone(zone)
    language = i18n.reader_language(language)
    return f"{i18n.format_date(local.date(), language)} {_AT[language]} {local:%H:%M}"


def _group_thousands(whole: str, separator: str) -> str:
    digits = whole.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ("-" if whole.startswith("-") else "") + separator.join(groups)


def format_money(money: Mapping[str, Any] | Decimal, language: str = "nl", currency: str = "EUR") -> str:
    """``{"amount": Decimal("1242.5"), "currency": "EUR"}`` -> "€ 1.242,50" (nl) or "€1,242.50" (en)."""
    if isinstance(money, Mapping):
        amount, currency = Decimal(money["amount"]), money["currency"]
    else:
        amount = Decimal(money)
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = format(amount, "f").split(".")
    sign = _CURRENCY_SIGNS.get(currency, currency + " ")
    if i18n.reader_language(language) == "nl":
        # Dutch puts a space after the sign: "€ 242,00".
        return f"{sign.rstrip()} {_group_thousands(whole, '.')},{cents}"
    return f"{sign}{_group_thousands(whole, ',')}.{cents}"


def format_number(value: Decimal | int, language: str = "nl") -> str:
    """``Decimal("12.50")`` -> "12,5" (nl) or "12.5" (en); whole numbers without decimals."""
    return _format_number(Decimal(value), i18n.reader_language(language))
