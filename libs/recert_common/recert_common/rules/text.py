"""Texts in Dutch and English, and numbers written the way each language writes them."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Localized:
    nl: str
    en: str

    def get(self, language: str | None = "nl") -> str:
        """The text in ``language``; anything but "en" gives Dutch, the platform's first language."""
        return self.en if (language or "").lower().startswith("en") else self.nl


def format_number(value: Decimal, language: str = "nl") -> str:
    """``Decimal("12.50")`` -> "12,5" (nl) or "12.5" (en); whole numbers without decimals, never exponents."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if language == "nl" else text
