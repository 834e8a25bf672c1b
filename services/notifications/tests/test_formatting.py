"""Dates, times, money and numbers the Dutch way and the English way, without the machine's locales."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from recert_common.i18n import format_date, reader_language
from recert_notifications.formatting import format_datetime, format_money, format_number

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(("month", "nl", "en"), [
    (1, "januari", "January"), (2, "februari", "February"), (3, "maart", "March"), (4, "april", "April"),
    (5, "mei", "May"), (6, "juni", "June"), (7, "juli", "July"), (8, "augustus", "August"),
    (9, "september", "September"), (10, "oktober", "October"), (11, "november", "November"),
    (12, "december", "December")])
def test_every_month_has_its_name_in_both_languages(month, nl, en):
    assert format_date(date(2026, month, 8), "nl") == f"8 {nl} 2026"
    assert format_date(date(2026, month, 8), "en") == f"8 {en} 2026"


def test_a_date_is_written_out_and_anything_but_english_is_dutch():
    assert format_date(date(2026, 11, 28)) == "28 november 2026"
    assert format_date(date(2026, 11, 28), reader_language("en-GB")) == "28 November 2026"
    assert format_date(date(2026, 11, 28), reader_language("de")) == "28 november 2026"
    with pytest.raises(TypeError):
        format_date(datetime(2026, 11, 28, tzinfo=UTC))


def test_an_instant_is_shown_on_the_readers_clock_in_winter_and_summer():
    winter, summer = datetime(2026, 11, 28, 13, 5, tzinfo=UTC), datetime(2027, 7, 1, 22, 30, tzinfo=UTC)
    assert format_datetime(winter, AMSTERDAM, "nl") == "28 november 2026 om 14:05"
    assert format_datetime(summer, AMSTERDAM, "en") == "2 July 2027 at 00:30"
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 11, 28, 13, 5), AMSTERDAM)


@pytest.mark.parametrize(("amount", "nl", "en"), [
    ("242", "€ 242,00", "€242.00"),
    ("242.5", "€ 242,50", "€242.50"),
    ("0.05", "€ 0,05", "€0.05"),
    ("1212.50", "€ 1.212,50", "€1,212.50"),
    ("1234567.891", "€ 1.234.567,89", "€1,234,567.89"),
    ("-75", "€ -75,00", "€-75.00"),
])
def test_money_has_two_decimals_and_grouped_thousands(amount, nl, en):
    assert format_money({"amount": Decimal(amount), "currency": "EUR"}, "nl") == nl
    assert format_money(Decimal(amount), "en") == en


def test_numbers_drop_trailing_zeros_and_use_the_languages_decimal_sign():
    assert format_number(Decimal("76.50"), "nl") == "76,5"
    assert format_number(Decimal("76.50"), "en") == "76.5"
    assert format_number(Decimal("75.00"), "nl") == "75"
