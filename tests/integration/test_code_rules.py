"""Rules about our own code that no linter checks for us."""
from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The attributes every LogRecord has: an ``extra`` key with one of these names makes logging raise
# KeyError, which turns a log line into a 500 (seen once: ``extra={"created": ...}``).
RESERVED = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {"message", "asctime"}


def _sources():
    for folder in ("libs", "services", "gateway"):
        yield from (p for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


def test_no_log_call_passes_an_extra_key_that_logging_reserves():
    clashes = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                    keys = {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
                    clashes += [f"{path.relative_to(ROOT)}:{node.lineno}: {key}" for key in keys & RESERVED]
    assert clashes == []
