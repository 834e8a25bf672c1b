"""Texts that come as data in Dutch and English, and numbers written the way each language writes them.

``Localized`` holds a text the assessment framework's files give in both languages (the name of a category,
a unit, a fee). Texts of our own are catalogue codes (``recert_common.i18n.Message``), not ``Localized``.
"""
from __future__ import annotations

from dataclasses import dataclass

from recert_common.i18n import format_number, reader_language

LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Localized:
    nl: str
    en: str

    def get(self, language: str | None = "nl") -> str:
        """The text in ``language``; anything but "en" gives Dutch, the platform's first language."""
        return self.en if reader_language(language) == "en" else self.nl

    def render(self, language: str) -> str:
        """As a message parameter (``translate(code, language, unit=name)``): the text in ``language``."""
        return self.get(language)


__all__ = ["LANGUAGES", "Localized", "format_number", "reader_language"]
