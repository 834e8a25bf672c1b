"""Rules about our own code that no linter checks for us."""
from __future__ import annotations

import ast
import logging
import re
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
# The edge, and the wiring that may know it: the HTTP views (``api.py``, ``<part>_api.py``), their schemas,
# the problem map, the app, the operators' command line (``commands.py`` prints a refusal as its problem's
# text) and the settings. Every other module of a service (domain, states, service, handlers, store, worker
# and their helpers such as portfolio's ``wegwijzer.py`` or assessment's ``certificates.py``) is below it:
# it raises refusals (DomainError) and never chooses an HTTP answer.
EDGE = ("__init__.py", "__main__.py", "app.py", "api.py", "schemas.py", "problems.py", "commands.py",
        "settings.py")


def _below_the_edge(package: Path) -> list[Path]:
    return [p for p in sorted(package.glob("*.py")) if p.name not in EDGE and not p.name.endswith("_api.py")]


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
    """Below the edge only the stores (the SQL) and the worker (its runner) touch infrastructure: the domain,
    the use cases, the handlers and their helpers (``wegwijzer.py``, ``desk.py``, ``reading.py``, ...) do
    not."""
    found = []
    for package in SERVICES:
        for path in _below_the_edge(package):
            if path.name in ("store.py", "worker.py"):
                continue
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
        for path in _below_the_edge(package):
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
        for path in _below_the_edge(package):
            if path.name == "store.py":
                continue
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



def _problem_map(package: Path):
    import importlib

    problems = importlib.import_module(f"{package.name}.problems")
    if hasattr(problems, "PROBLEMS"):
        return problems.PROBLEMS
    # identity's map names DNV's support, which comes from the settings
    return problems.problem_map(problems.SupportContact("support@example.org"))


def _raised_names(tree: ast.AST) -> set[str]:
    """``X`` of every ``raise X(...)``, ``raise X`` and ``raise module.X(...)`` in a module."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name | ast.Attribute):
                names.add(ast.unparse(target))
    return names


def test_every_refusal_a_service_raises_has_an_answer_in_its_problem_map():
    """A refusal with no entry in the service's ``ProblemMap`` answers 500 (ADR 0021): each refusal class a
    service defines, and each shared one it raises (``NotFoundError``, ``TransitionNotAllowed``), is answered
    by its own entry or its nearest base class's."""
    import functools
    import importlib

    from recert_common.domain_errors import DomainError

    unanswered = []
    for package in SERVICES:
        table = _problem_map(package).table
        refusals: set[type] = set()
        for path in sorted(package.glob("*.py")):
            module = importlib.import_module(f"{package.name}.{path.stem}" if path.stem != "__init__"
                                             else package.name)
            # defined here, or shared and raised by shared code (``StateMachine`` raises
            # ``TransitionNotAllowed``); the bases (``NotFoundError``, ...) only when raised by name
            refusals |= {value for value in vars(module).values() if isinstance(value, type)
                         and issubclass(value, DomainError) and value.__module__ != DomainError.__module__}
            for name in _raised_names(ast.parse(path.read_text(), str(path))):
                try:
                    value = functools.reduce(getattr, name.split(".")[1:], vars(module)[name.split(".")[0]])
                except (KeyError, AttributeError):
                    continue  # a local name (``raise refusal``): its class is among those defined or imported
                if isinstance(value, type) and issubclass(value, DomainError):
                    refusals.add(value)
        unanswered += [f"{package.name}: {cls.__module__}.{cls.__qualname__}" for cls in refusals
                       if not any(base in table for base in cls.__mro__ if base is not DomainError)]
    assert sorted(unanswered) == []


def test_handlers_are_organised_the_same_way():
    """Every consuming service has ``class Handlers`` with ``on_<event>(uow, event)`` methods and
    ``table()`` (event type -> method); ``subscriptions(settings, db)`` wraps that table's handlers in the
    unit of work."""
    found = []
    for package in SERVICES:
        path = package / "handlers.py"
        tree = ast.parse(path.read_text(), str(path))
        functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        subscriptions = functions.get("subscriptions")
        if subscriptions is None or [a.arg for a in subscriptions.args.args[:2]] != ["settings", "db"]:
            found.append(f"{path.relative_to(ROOT)}: no subscriptions(settings, db)")
            continue
        if not any(isinstance(n, ast.Call) and ast.unparse(n.func) == "handled_in"
                   for n in ast.walk(subscriptions)):
            continue  # consumes nothing (identity)
        found += [f"{path.relative_to(ROOT)}: module-level handler {name}" for name in functions
                  if name.startswith("on_")]
        classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
        methods = {node.name for node in classes["Handlers"].body if isinstance(node, ast.FunctionDef)} \
            if "Handlers" in classes else set()
        if "table" not in methods:
            found.append(f"{path.relative_to(ROOT)}: no Handlers.table()")
        if not any(isinstance(n, ast.Attribute) and n.attr == "table" for n in ast.walk(subscriptions)):
            found.append(f"{path.relative_to(ROOT)}: subscriptions() does not use Handlers.table()")
    assert found == []


def test_worker_schedules_follow_one_convention():
    """``worker.schedules(settings, db)`` returns ``Schedule``s named ``<service>.<job>``."""
    found = []
    for package in SERVICES:
        path = package / "worker.py"
        service = package.parent.name
        tree = ast.parse(path.read_text(), str(path))
        schedules = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "schedules"]
        if not schedules or [a.arg for a in schedules[0].args.args] != ["settings", "db"]:
            found.append(f"{path.relative_to(ROOT)}: no schedules(settings, db)")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Schedule":
                name = node.args[0] if node.args else None
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)
                        and re.fullmatch(rf"{re.escape(service)}\.[a-z]+(-[a-z]+)*", name.value)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: schedule {ast.unparse(name)}")
    assert found == []



def test_every_use_case_and_every_event_consumed_is_exercised_by_the_fast_tests():
    """Each service's fast suite (``services/<svc>/tests``, on the fake unit of work) names every public
    use case of ``service.py`` (one its handlers call is exercised through their events) and every event
    type its ``Handlers.table()`` takes. A name, not a proof of a good test: it catches the use case or
    event nobody wrote a fast test for."""
    found = []
    for package in SERVICES:
        tests = "".join(p.read_text() for p in sorted((package.parent / "tests").glob("*.py")))
        handlers = (package / "handlers.py").read_text()
        tree = ast.parse((package / "service.py").read_text())
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if any(ast.unparse(base) == "Protocol" for base in cls.bases):
                continue
            for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                helper = any(ast.unparse(d) in ("staticmethod", "property") for d in method.decorator_list)
                if method.name.startswith("_") or helper:
                    continue
                if not re.search(rf"\b{method.name}\b", tests) and f".{method.name}(" not in handlers:
                    found.append(f"{package.name}: {cls.name}.{method.name}")
        tables = [n for n in ast.walk(ast.parse(handlers))
                  if isinstance(n, ast.FunctionDef) and n.name == "table"]
        for node in ast.walk(tables[0]) if tables else ():
            if isinstance(node, ast.Dict):
                found += [f"{package.name}: event {key.value}" for key in node.keys
                          if isinstance(key, ast.Constant) and f'"{key.value}"' not in tests]
    assert found == []

# Flask's and flask-smorest's own underscore names, used as their documentation says.
FRAMEWORK_PRIVATES = {"_get_current_object", "_apidoc", "_bind_to_schema"}


def test_no_code_reaches_into_another_objects_private_names():
    """``obj._name`` only on ``self``/``cls``: a private helper another class needs is made public (the
    attributes the shared web stack keeps on Flask's ``g``, ``request`` and a view are its own)."""
    found = []
    for path in _sources():
        if "tests" in path.parts or "egg-info" in str(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")) or node.attr in FRAMEWORK_PRIVATES \
                    or node.attr.startswith("_recert_"):
                continue
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls", "sys", "os"):
                continue
            if isinstance(base, ast.Call) and ast.unparse(base.func) == "super":
                continue
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
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
