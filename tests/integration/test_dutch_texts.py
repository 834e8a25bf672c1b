"""One voice in Dutch: every Dutch text a jobcoach (or a staff member) may read addresses the reader with
"je/jij", never "u/uw", and shows no code (``awaiting_payment``, ``dnv_officer``, ``assessor``) where a Dutch
word belongs. Dutch words for states, stages and roles come from one table, ``recert_common.i18n.LABELS``.

Scanned: the message catalogue (every service's problem titles and details, registered at import), the
Dutch notification templates, every Dutch literal in the source (``"nl": "..."`` entries and ``nl=...``
arguments, as readiness and the rules write them), and every string of the two PDF builders (the assessment
form, the invoices), which are Dutch only. Needs no database: it reads code and data.
"""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from recert_common import i18n

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_MODULES = ("recert_identity.problems", "recert_assessment.problems", "recert_pe_registry.problems",
                     "recert_portfolio.problems", "recert_notifications.problems", "recert_billing.problems",
                     "recert_gateway.messages")
TEMPLATES = ROOT / "services/notifications/recert_notifications/templates/nl"
PDF_BUILDERS = (ROOT / "services/assessment/recert_assessment/form_pdf.py",
                ROOT / "services/billing/recert_billing/pdf.py")

# "u", "uw", "uzelf" as words: the formal address.
FORMAL = re.compile(r"(?<![\w'’-])(?:[Uu]|[Uu]w|[Uu]zelf)(?![\w'’-])")
# A code: lower-case words joined by underscores (awaiting_payment, dnv_officer, supplement_due).
CODE = re.compile(r"(?<![\w.@/-])[a-z]+(?:_[a-z0-9]+)+(?![\w@/-]|\.\w)")
# Role codes that are also English words; the Dutch word is in LABELS ("beoordelaar").
ROLE_WORDS = re.compile(r"\b(?:[Aa]ssessor(?:s|en)?)\b")


def _prose(text: str) -> str:
    """What a reader sees: without placeholders ({name}), Jinja ({{ }}, {% %}, {# #}), tags and URLs."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"https?://\S+", " ", text)


def _problems(text: str) -> list[str]:
    seen = _prose(text)
    found = [f"formal address {m.group()!r}" for m in FORMAL.finditer(seen)]
    found += [f"code {m.group()!r}" for m in CODE.finditer(seen)]
    found += [f"role code {m.group()!r}" for m in ROLE_WORDS.finditer(seen)]
    return found


def _catalogue() -> dict[str, str]:
    for module in CATALOGUE_MODULES:
        importlib.import_module(module)
    return {code: texts["nl"] for code, texts in i18n._CATALOGUE.items()}


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: its fixed parts, the values as placeholders
        return "".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values)
    return None


def _sources():
    for folder in ("libs", "services", "gateway"):
        yield from (p for p in (ROOT / folder).rglob("*.py")
                    if ".venv" not in p.parts and "tests" not in p.parts)


def _dutch_literals() -> list[tuple[str, str]]:
    """(where, text) of each ``"nl": "..."`` entry and ``nl="..."`` argument in the source."""
    found = []
    for path in _sources():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(), where)):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "nl" and (text := _literal(value)):
                        found.append((f"{where}:{value.lineno}", text))
            elif isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "nl" and (text := _literal(keyword.value)):
                        found.append((f"{where}:{keyword.value.lineno}", text))
    return found


def _pdf_strings() -> list[tuple[str, str]]:
    """Every string a PDF builder writes: all its literals that contain a space (sentences, not keys)."""
    found = []
    for path in PDF_BUILDERS:
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(), where)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                      and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            text = _literal(node) if isinstance(node, (ast.Constant, ast.JoinedStr)) else None
            if text and " " in text.strip():
                found.append((f"{where}:{node.lineno}", text))
    return found


def test_the_catalogue_says_je_and_shows_no_codes():
    offences = {code: _problems(text) for code, text in _catalogue().items()}
    assert {code: found for code, found in offences.items() if found} == {}


def test_the_dutch_templates_say_je_and_show_no_codes():
    offences = {}
    for path in sorted(TEMPLATES.glob("*.j2")):
        found = _problems(path.read_text())
        if found:
            offences[path.name] = found
    assert offences == {}


def test_dutch_literals_in_the_source_say_je_and_show_no_codes():
    offences = {where: found for where, text in _dutch_literals() if (found := _problems(text))}
    assert offences == {}


def test_the_pdfs_say_je_and_show_no_codes():
    offences = {where: found for where, text in _pdf_strings() if (found := _problems(text))}
    assert offences == {}


PORTAL_TEXTS = ROOT / "web/src/i18n"
# The portal's Dutch texts that must name codes: the CSV's column names, typed by Noloc's and DNV's staff.
PORTAL_CODES_ALLOWED = {"dnv.import.columns"}


def _portal_dutch_texts() -> dict[str, str]:
    """The portal's Dutch catalogue (web/src/i18n/*.ts): each ``export const <area>Nl = {...}`` (and
    ``nl``) block's ``"key": "text"`` entries, a text possibly on the line after its key."""
    texts = {}
    for path in sorted(PORTAL_TEXTS.glob("*.ts")):
        for block in re.finditer(r"^export const (?:\w+Nl|nl) = \{\n(.*?)^\}", path.read_text(),
                                 flags=re.S | re.M):
            for entry in re.finditer(r'"([\w.]+)":\s*"((?:[^"\\]|\\.)*)"', block.group(1)):
                texts[entry.group(1)] = entry.group(2)
    return texts


def test_the_portals_dutch_texts_say_je_and_show_no_codes():
    """Issue 10: one voice wherever a jobcoach reads, the portal too ("beoordelaar", not "assessor")."""
    texts = _portal_dutch_texts()
    assert len(texts) > 1000 and "portfolio.progress.assessor" in texts  # the parser found the catalogue
    offences = {key: found for key, text in texts.items()
                if key not in PORTAL_CODES_ALLOWED and (found := _problems(text))}
    assert offences == {}


@pytest.mark.parametrize("text", [
    "Wilt u uw portfolio indienen?", "Uw sessie is verlopen.", "U kunt dit niet doen.",
    "De zaak staat op awaiting_payment.", "Alleen een dnv_officer mag dit.", "De assessor beslist.",
])
def test_the_scan_catches_what_it_looks_for(text):
    assert _problems(text)


@pytest.mark.parametrize("text", [
    "Je kunt je portfolio indienen tot {valid_until}.", "Neem contact op via support@dnv.example.",
    "Zie https://mijn.example.org/a_b.", "Bijeenkomst {meeting_id} is verwijderd.", "Ruim 75 uur (sbu).",
])
def test_the_scan_leaves_plain_dutch_alone(text):
    assert _problems(text) == []


def test_every_state_stage_and_role_has_dutch_and_english_words():
    from recert_assessment.states import CaseState, stage
    from recert_billing.domain import InvoiceState
    from recert_common.auth import ROLES
    from recert_notifications.domain import State as MessageState
    from recert_portfolio.domain import CycleState

    codes = {*CaseState, *InvoiceState, *MessageState, *CycleState, *ROLES, *(stage(s) for s in CaseState)}
    missing = sorted(str(code) for code in codes if str(code) not in i18n.LABELS)
    assert missing == []
    for code in codes:
        words = i18n.LABELS[str(code)]
        assert words["nl"] and words["en"] and not CODE.search(words["nl"]), code


def test_a_state_in_a_message_is_written_with_its_words():
    i18n.register_messages({"test.detail.state": {"nl": "Niet in deze fase ({state}).",
                                                   "en": "Not at this stage ({state})."}})
    assert i18n.translate("test.detail.state", "nl", state=i18n.Label("awaiting_payment")) == \
        "Niet in deze fase (wacht op betaling)."
    assert i18n.translate("test.detail.state", "en", state=i18n.Label("awaiting_payment")) == \
        "Not at this stage (awaiting payment)."
    assert i18n.translate("test.detail.state", "nl", state=i18n.Label("assessor", "dnv_officer")) == \
        "Niet in deze fase (beoordelaar, DNV-medewerker)."
