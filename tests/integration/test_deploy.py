"""The operators' deployment without a Docker engine: the compose file names every service with a web
process, a worker and a migration run; each command is one our command line understands; every variable it
or the example environment sets is one a process reads (and every variable a process reads is documented);
every health check asks a real endpoint of the app it checks."""
from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from recert_common.bus.access import parties
from recert_common.bus.provision import password_variable
from recert_common.config import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
INFRASTRUCTURE = {"postgres", "rabbitmq", "minio", "mailpit", "redis"}
# Variables read outside the settings classes: the rules' replacement framework files, and the service
# URLs the gateway reads for each service it routes to.
READ_ELSEWHERE = {"RECERT_FRAMEWORK_DIR"} | {f"RECERT_{s.upper().replace('-', '_')}_URL" for s in SERVICES}
# ... and what the broker's provisioning command reads (python -m recert_common.bus provision).
PROVISIONING = {"RECERT_BROKER_ADMIN_URL", "RECERT_BROKER_VHOST"} | {password_variable(p.name)
                                                                   for p in parties()}
READ_ELSEWHERE |= PROVISIONING


def documented(path: Path) -> set[str]:
    return {line.split("=", 1)[0] for line in path.read_text().splitlines()
            if re.match(r"^RECERT_[A-Z0-9_]+=", line)}


def module(name: str) -> str:
    return "recert_" + name.replace("-", "_")


def settings_classes() -> dict[str, type[ServiceSettings]]:
    found = {}
    for name in [*SERVICES, "gateway"]:
        settings = importlib.import_module(f"{module(name)}.settings")
        classes = [c for c in vars(settings).values() if isinstance(c, type)
                   and issubclass(c, ServiceSettings) and c.__module__ == settings.__name__]
        found[name] = classes[0] if classes else ServiceSettings
    return found


def variables_read() -> set[str]:
    names = set(READ_ELSEWHERE)
    for name, cls in settings_classes().items():
        for field in dataclasses.fields(cls):
            if name == "gateway" and field.name == "database_url":
                continue  # the gateway keeps nothing durable: it has no database
            if field.metadata.get("env"):
                names.add(field.metadata["env"].format(service=name.upper().replace("-", "_")))
    return names


def test_compose_names_every_service_with_web_worker_and_migration():
    names = set(COMPOSE["services"])
    expected = {"gateway", "bus-provision", "backup"} | {f"{s}{suffix}" for s in SERVICES
                                                         for suffix in ("", "-worker", "-migrate")}
    assert names - INFRASTRUCTURE == expected


def test_the_backup_runs_only_when_asked_with_every_services_settings():
    backup = COMPOSE["services"]["backup"]
    assert backup["profiles"] == ["tools"] and backup["restart"] == "no"
    assert backup["entrypoint"] == ["python", "-m", "recert_common.backup"]
    # Every service's settings are read, and a settings object refuses to be made without its secrets.
    secrets = {key for service in SERVICES for key in COMPOSE["services"][service]["environment"]
               if key.startswith("RECERT_") and SECRET_NAME.search(key)}
    assert secrets and secrets <= set(backup["environment"])
    assert "postgresql-client" in (ROOT / "deploy" / "Dockerfile").read_text()


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_each_command_is_one_our_command_line_understands(name):
    spec = importlib.import_module(f"{module(name)}.__main__").SPEC
    processes = {"": "web"} if name == "gateway" else {"": "web", "-worker": "worker", "-migrate": "migrate"}
    for suffix, command in processes.items():
        argv = COMPOSE["services"][f"{name}{suffix}"]["command"]
        assert argv[:4] == ["python", "-m", module(name), command], argv
        if command == "web":
            assert argv[argv.index("--port") + 1] == "8000"
    assert spec.name == name


def test_every_variable_set_is_read_and_every_variable_read_is_documented():
    read = variables_read()
    example = documented(ROOT / "deploy" / "example.env") | documented(ROOT / "deploy" / "example.broker.env")
    compose_set = set()
    for service in COMPOSE["services"].values():
        compose_set |= {key for key in (service.get("environment") or {}) if key.startswith("RECERT_")}
    assert compose_set - read == set(), "compose sets variables nothing reads"
    assert example - read == set(), "example.env documents variables nothing reads"
    assert read - example == set(), "variables read but not documented in deploy/example.env"


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_every_health_check_asks_a_real_endpoint(name, infra, monkeypatch):
    check = " ".join(COMPOSE["services"][name]["healthcheck"]["test"])
    url = re.search(r"http://[^'\" ]+", check).group(0)
    assert urlsplit(url).port == 8000
    for key, value in infra.settings_env(name).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RECERT_IDENTITY_SECRETS_KEY", "A" * 43 + "=")
    monkeypatch.setenv("RECERT_ASSESSMENT_SECRETS_KEY", "A" * 43 + "=")
    spec = importlib.import_module(f"{module(name)}.__main__").SPEC
    app = spec.create_app(spec.settings())
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    assert urlsplit(url).path in routes


def test_each_service_talks_to_the_broker_as_its_own_user_and_provisioning_comes_first():
    provision = COMPOSE["services"]["bus-provision"]
    assert provision["command"] == ["python", "-m", "recert_common.bus", "provision"]
    for p in parties():  # every party of the table gets a password, and none has a default
        variable = password_variable(p.name)
        required = re.escape("${" + variable + ":?") + r"[^}]+\}"
        assert re.fullmatch(required, provision["environment"][variable])
    assert ":?" in COMPOSE["services"]["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"]
    for name in SERVICES:
        own_url = (re.escape(f"amqp://recert-{name}:${{{password_variable(name)}:?") + r"[^}]+"
                   + re.escape("}@rabbitmq:5672/recert"))
        for suffix in ("", "-worker", "-migrate"):
            spec = COMPOSE["services"][f"{name}{suffix}"]
            assert re.fullmatch(own_url, spec["environment"]["RECERT_AMQP_URL"]), (name, suffix)
            assert spec["depends_on"]["bus-provision"] == {"condition": "service_completed_successfully"}
    assert "RECERT_AMQP_URL" not in COMPOSE["services"]["gateway"].get("environment", {})
    # The broker's secrets are never in the file handed to every container.
    example = [line for line in (ROOT / "deploy" / "example.env").read_text().splitlines()
               if not line.startswith("#")]
    assert not any(line.startswith("RECERT_BROKER_PASSWORD_") for line in example)


SECRET_NAME = re.compile(r"PASSWORD(?!_RESET)|SECRET|ACCESS_KEY|ROOT_USER")  # not the reset link's lifetime


def test_compose_refuses_to_start_without_its_secrets_and_the_examples_hold_none():
    """Issue 11: no default password anywhere; an unset secret stops `docker compose up` with a message."""
    text = (ROOT / "deploy" / "docker-compose.yml").read_text()
    substitutions = re.findall(r"\$\{([A-Z0-9_]+)(:?[-?])?([^}]*)\}", text)
    secrets = [(name, op) for name, op, _ in substitutions if SECRET_NAME.search(name)]
    assert secrets, "the compose file names its secrets"
    assert [name for name, op in secrets if op != ":?"] == []
    for required in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "RECERT_IDENTITY_SECRETS_KEY",
                     "RECERT_BILLING_WEBHOOK_SECRET", "RABBITMQ_ADMIN_PASSWORD",
                     "RECERT_ASSESSMENT_SECRETS_KEY"):
        assert (required, ":?") in secrets, required
    for example in ("example.env", "example.broker.env"):
        filled = [line for line in (ROOT / "deploy" / example).read_text().splitlines()
                  if re.match(r"^[A-Z0-9_]+=.+", line) and SECRET_NAME.search(line.split("=", 1)[0])]
        assert filled == [], f"{example} carries credentials"


def test_only_the_gateway_is_published_so_its_limits_cannot_be_skipped():
    """Issue 11: the services answer only on compose's own network; from outside, everything goes through the
    gateway (its rate limits, its token check). Operator views stay on the host's loopback."""
    published = {name: service["ports"] for name, service in COMPOSE["services"].items()
                 if service.get("ports")}
    assert set(published) - {"rabbitmq", "mailpit"} == {"gateway"}
    for name in ("rabbitmq", "mailpit"):
        assert all(str(port).startswith("127.0.0.1:") for port in published.get(name, []))


def test_the_image_builds_the_portal_from_every_source_it_has_and_the_gateway_serves_it():
    """No Docker engine here: what can be checked is that the image's Node stage copies every tracked
    source of web/ (a new one forgotten there would be missing from the built portal) and that the final
    image serves the result."""
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    copied = {Path(source).name for line in dockerfile.splitlines() if line.startswith("COPY web/")
              for source in line.split()[1:-1]}
    ignored = {".gitignore", "node_modules", "dist", "openapi"}
    sources = {entry.name for entry in (ROOT / "web").iterdir()} - ignored
    assert sources <= copied, f"web/ sources the image does not copy: {sorted(sources - copied)}"
    assert "FROM node:20" in dockerfile and "npm ci" in dockerfile and "npm run build" in dockerfile
    assert "COPY --from=portal /web/dist ./web/dist" in dockerfile
    assert "ENV RECERT_GATEWAY_WEB_ROOT=/app/web/dist" in dockerfile
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert "**/node_modules" in ignore and "web/dist" in ignore
