"""Rendering messages from the Jinja2 templates in ``templates/<language>/``.

Each message template is three files: ``<name>.subject.j2`` (one line), ``<name>.txt.j2`` (the plain-text
body) and ``<name>.html.j2`` (the HTML body, autoescaped). The bodies extend ``_layout.txt.j2`` and
``_layout.html.j2`` (greeting and footer); words shared by several templates (the portfolio parts, invoice
kinds) are in ``_words.j2``; ``support`` (DNV's support desk) is known to every template. Undefined
variables raise (StrictUndefined), so a template that asks for what the context lacks fails in the unit
tests instead of sending an empty blank to a jobcoach.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from recert_common import i18n
from recert_notifications import formatting

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("nl", "en")
PARTS = ("subject", "txt", "html")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Support:
    """DNV's support, whom the messages about login and the authenticator app name (``support`` in every
    template)."""

    email: str
    phone: str = ""


def _environment(directory: Path, language: str, zone: ZoneInfo, support: Support) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False,
                                     default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update({
        "date": lambda day: i18n.format_date(day, language),
        "datetime": lambda instant: formatting.format_datetime(instant, zone, language),
        "money": lambda money: formatting.format_money(money, language),
        "number": lambda value: formatting.format_number(value, language),
    })
    env.globals["support"] = support
    return env


class Renderer:
    def __init__(self, zone: ZoneInfo, directory: Path = TEMPLATE_DIR,
                 support: Support = Support("support@registerjobcoach.nl")):
        self.directory = directory
        self._environments = {language: _environment(directory / language, language, zone, support)
                              for language in LANGUAGES}

    def templates(self, language: str) -> frozenset[str]:
        """The message templates present for ``language`` (a name counts once all three files exist)."""
        names: dict[str, set[str]] = {}
        for path in (self.directory / language).glob("*.j2"):
            if path.name.startswith("_"):
                continue
            name, part, _ = path.name.rsplit(".", 2)
            names.setdefault(name, set()).add(part)
        return frozenset(name for name, parts in names.items() if parts == set(PARTS))

    def render(self, template: str, language: str, context: Mapping[str, Any]) -> Rendered:
        env = self._environments[i18n.reader_language(language)]
        values = {**context, "language": i18n.reader_language(language)}
        subject = env.get_template(f"{template}.subject.j2").render(values)
        text = env.get_template(f"{template}.txt.j2").render(values)
        html = env.get_template(f"{template}.html.j2").render(values)
        # A subject is one line whatever the template's layout; bodies end with exactly one newline.
        return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html.strip() + "\n")
