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


# --- the service shape (issue 12, docs/architecture.md) --------------------------------------------------

SERVICES = sorted(p for p in (ROOT / "services").glob("*/recert_*")
                  if p.is_dir() and "egg-info" not in p.name)
# What a domain module may not know about: the web, the database, the broker, the wire format.
INFRASTRUCTURE = ("flask", "flask_smorest", "werkzeug", "psycopg", "psycopg_pool", "kombu", "marshmallow",
                  "boto3", "botocore")
# The modules below the edge: they raise refusals (DomainError) and never choose an HTTP answer.
BELOW_THE_EDGE = ("domain.py", "states.py", "service.py", "handlers.py", "store.py", "worker.py")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _in(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_every_service_has_the_same_modules():
    expected = {"__init__.py", "__main__.py", "app.py", "settings.py", "domain.py", "store.py", "service.py",
                "handlers.py", "worker.py", "problems.py", "schemas.py", "api.py"}
    missing = {p.name: sorted(expected - {f.name for f in p.glob("*.py")}) for p in SERVICES}
    assert {name: files for name, files in missing.items() if files} == {}


def test_no_domain_module_imports_the_web_the_database_or_the_broker():
    found = []
    for package in SERVICES:
        for module in ("domain.py", "states.py"):
            path = package / module
            if path.exists():
                found += [f"{path.relative_to(ROOT)}: {n}" for n in sorted(_imports(path))
                          if _in(n, INFRASTRUCTURE)]
    rules = ROOT / "libs/recert_common/recert_common/rules"
    for path in rules.rglob("*.py"):
        found += [f"{path.relative_to(ROOT)}: {n}" for n in sorted(_imports(path)) if _in(n, INFRASTRUCTURE)]
    assert found == []


def test_no_http_answer_is_chosen_below_the_edge():
    """Domain, use cases, handlers and stores raise refusals; only problems.py and the views pick a status."""
    found = []
    for package in SERVICES:
        edge = (f"{package.name}.problems", "recert_common.errors", "flask", "werkzeug")
        for module in BELOW_THE_EDGE:
            path = package / module
            if not path.exists():
                continue
            found += [f"{path.relative_to(ROOT)}: imports {n}"
                      for n in sorted(_imports(path)) if _in(n, edge)]
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = {getattr(t, "id", getattr(t, "attr", None)) for t in targets}
                    value = node.value
                    http_number = isinstance(value, ast.Constant) and isinstance(value.value, int) \
                        and 400 <= value.value <= 599
                    if names & {"http_status", "status_code"} or ("status" in names and http_number):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: sets an HTTP status")
    assert found == []


def test_use_cases_and_handlers_work_on_a_unit_of_work_not_a_connection():
    found = []
    for package in SERVICES:
        for module in ("service.py", "handlers.py"):
            path = package / module
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for arg in node.args.args + node.args.kwonlyargs:
                        if arg.annotation is not None and "Connection" in ast.unparse(arg.annotation):
                            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}({arg.arg})")
    assert found == []


def test_stores_return_domain_types():
    """A repository hands the use cases domain objects: no rows (``dict[str, Any]``), nothing untyped. A map
    of domain objects by id, or counts by name, is fine."""
    found = []
    for package in SERVICES:
        path = package / "store.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            returns = ast.unparse(node.returns) if node.returns is not None else "(none)"
            if node.name == "__init__" or returns == "None":
                continue
            if returns == "(none)" or any(word in returns for word in ("Any", "Row", "DictRow")) \
                    or returns in ("dict", "Mapping", "tuple", "list"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} -> {returns}")
    assert found == []


# --- the API document a frontend can trust (issue 13) -----------------------------------------------------

# What types a value in a JSON schema; an object says its members or that its map's values have a type.
_TYPING = ("type", "$ref", "allOf", "oneOf", "anyOf", "enum", "items")


def _untyped(schema: dict) -> bool:
    if not any(key in schema for key in _TYPING):
        return True
    if schema.get("type") == "object" and "properties" not in schema and "additionalProperties" not in schema:
        return True
    # additionalProperties: {} says nothing about the values; a genuinely free-form map says so with true
    # (and a comment in its schema saying why).
    return schema.get("additionalProperties") == {}


def test_every_property_of_the_merged_document_has_a_type(tmp_path):
    """The portal's API types are generated from the merged document: an untyped property is ``unknown``
    there, and every screen must check it at run time. No allow-list: a free-form map is documented as
    ``additionalProperties: true`` where its schema says why."""
    import json
    import subprocess
    import sys

    out = tmp_path / "api.json"
    subprocess.run([sys.executable, str(ROOT / "scripts/openapi_document.py"), "--out", str(out)],
                   capture_output=True, check=True, timeout=120)
    untyped = []
    for name, schema in json.loads(out.read_text())["components"]["schemas"].items():
        for member, value in (schema.get("properties") or {}).items():
            where = f"{name}.{member}"
            if _untyped(value):
                untyped.append(where)
            if isinstance(value.get("items"), dict) and _untyped(value["items"]):
                untyped.append(where + "[]")
            if isinstance(value.get("additionalProperties"), dict) and value["additionalProperties"] \
                    and _untyped(value["additionalProperties"]):
                untyped.append(where + "{}")
    assert untyped == []
