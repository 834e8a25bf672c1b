"""The operators' deployment without a Docker engine: the compose file names every service with a web
process, a worker and a migration run; each command is one our command line understands; every variable it
or the example environment sets is one a process reads (and every variable a process reads is documented);
every health check asks a real endpoint of the app it checks. The broker cluster's override
(docker-compose.cluster.yml) adds two nodes that join the first and gives every process all three."""
from __future__ import annotations

import dataclasses
import importlib
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from recert_common.bus.access import parties
from recert_common.bus.provision import password_variable
from recert_common.config import ServiceSettings, parse_amqp_urls
from recert_common.db import Database

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
CLUSTER = yaml.safe_load((ROOT / "deploy" / "docker-compose.cluster.yml").read_text())
NODES = ["rabbitmq", "rabbitmq-2", "rabbitmq-3"]
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
INFRASTRUCTURE = {"postgres", "rabbitmq", "minio", "mailpit", "redis", "prometheus", "grafana"}
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
    for service in [*COMPOSE["services"].values(), *CLUSTER["services"].values()]:
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
    try:
        routes = {rule.rule for rule in app.url_map.iter_rules()}
    finally:
        # The service's pool opens in the background on a database this test never made: left open, it
        # goes on trying, and its warnings land in the output of whichever test runs next in this process.
        for extension in app.extensions.values():
            if isinstance(getattr(extension, "db", None), Database):
                extension.db.close()
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


# Not the reset link's lifetime (PASSWORD_RESET_...); the cluster's Erlang cookie is one.
SECRET_NAME = re.compile(r"PASSWORD(?!_RESET)|SECRET|ACCESS_KEY|ROOT_USER|COOKIE")


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
    operator_views = {"rabbitmq", "mailpit", "prometheus", "grafana"}
    assert set(published) - operator_views == {"gateway"}
    assert [name for name, service in CLUSTER["services"].items() if service.get("ports")] == []
    for name in operator_views:
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


# --- a real compose implementation reads the files ------------------------------------------------------


def compose_command() -> tuple[list[str], bool]:
    """Docker's compose plugin where it is installed, else Debian's docker-compose (1.29, installed by
    scripts/ensure-infra.sh); ``config`` needs no Docker engine. Returns the command and whether it knows the
    Compose Spec's top-level ``name`` (docker-compose 1.x predates it)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"], True
    if shutil.which("docker-compose"):
        return ["docker-compose"], False
    pytest.skip("no compose implementation: install Debian's docker-compose (scripts/ensure-infra.sh does, "
                "as root) or Docker's compose plugin")


def _compose_config(tmp_path: Path, env: dict[str, str], overrides: list[str]) -> subprocess.CompletedProcess:
    """``config`` on a copy of deploy/ with ``env`` as its .env (compose reads it for the substitutions and
    hands it to the containers), so the check neither needs nor touches an operator's deploy/.env."""
    command, knows_name = compose_command()
    copy = tmp_path / "deploy"
    if not copy.exists():
        shutil.copytree(ROOT / "deploy", copy, ignore=shutil.ignore_patterns(".env", "broker.env"))
    (copy / ".env").write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    files = ["docker-compose.yml", *overrides]
    argv = [*command, "--env-file", str(copy / ".env")]
    if not knows_name:
        # The one key 1.x does not know, given the way 1.x takes it: as the project name.
        for name in files:
            text = (copy / name).read_text()
            project = re.search(r"^name: (\S+)\n", text, re.MULTILINE)
            if project:
                (copy / name).write_text(text.replace(project.group(0), ""))
                argv += ["--project-name", project.group(1)]
    for name in files:
        argv += ["-f", str(copy / name)]
    return subprocess.run([*argv, "config"], capture_output=True, text=True, timeout=120, cwd=copy)


def _example_env(filled: bool) -> dict[str, str]:
    env = {}
    for example in ("example.env", "example.broker.env"):
        for line in (ROOT / "deploy" / example).read_text().splitlines():
            match = re.match(r"^([A-Z0-9_]+)=(.*)$", line)
            if match:
                key, value = match.groups()
                # Secrets go into URLs: letters and digits only, as docs/operations.md asks.
                env[key] = value or (f"secret{len(env)}" if filled and SECRET_NAME.search(key) else value)
    return env


OVERRIDES = sorted(p.name for p in (ROOT / "deploy").glob("docker-compose.*.yml"))


@pytest.mark.parametrize("overrides", [[], *[[name] for name in OVERRIDES]],
                         ids=["docker-compose.yml", *OVERRIDES])
def test_a_real_compose_implementation_reads_the_files_with_the_examples_filled_in(tmp_path, overrides):
    done = _compose_config(tmp_path, _example_env(filled=True), overrides)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert set(COMPOSE["services"]) <= set(resolved["services"])
    prometheus = resolved["services"]["prometheus"]
    address = prometheus["networks"]["default"]["ipv4_address"]
    for name, service in resolved["services"].items():
        environment = service.get("environment") or {}
        if environment.get("RECERT_AMQP_URL") or name == "gateway":
            # Compose's Prometheus may read every process's /metrics, and nobody else from outside.
            assert f"{address}/32" in environment["RECERT_INTERNAL_NETWORKS"].split(","), name
        if name.endswith("-worker"):
            assert environment["RECERT_WORKER_METRICS_PORT"] == "9100", name
        for volume in service.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            read_only = volume.get("read_only") if isinstance(volume, dict) else volume.endswith(":ro")
            # A file of ours mounted read-only into the container must exist; a writable directory (the
            # backups') is the operator's to make.
            if source.startswith("/") and read_only:
                assert Path(source).exists(), (name, source)
    scraped = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {target.split(":")[0] for job in scraped["scrape_configs"] for config in job["static_configs"]
               for target in config["targets"]}
    assert targets == {name for name, service in resolved["services"].items()
                       if service.get("command") and service["command"][3:4] in (["web"], ["worker"])}


def test_a_real_compose_implementation_refuses_the_files_while_a_secret_is_unset(tmp_path):
    done = _compose_config(tmp_path, _example_env(filled=False), [])
    assert done.returncode != 0
    assert "set it in deploy/" in done.stderr
# --- the broker cluster (docker-compose.cluster.yml, an override of docker-compose.yml; ADR 0032) -----------


def cluster_service(name: str) -> dict:
    """What compose makes of ``name`` with the override: the base's keys, the override's environment and
    dependencies added to the base's (compose merges those mappings key by key)."""
    base, override = COMPOSE["services"].get(name, {}), CLUSTER["services"][name]
    merged = {**base, **override}
    for key in ("environment", "depends_on"):
        merged[key] = {**(base.get(key) or {}), **(override.get(key) or {})}
    merged["volumes"] = [*base.get("volumes", []), *override.get("volumes", [])]
    return merged


def test_the_cluster_variant_adds_two_nodes_and_overrides_nothing_that_is_not_there():
    assert set(CLUSTER["services"]) - set(COMPOSE["services"]) == {"rabbitmq-2", "rabbitmq-3"}
    first_line = (ROOT / "deploy" / "docker-compose.cluster.yml").read_text().splitlines()[2]
    assert "-f deploy/docker-compose.yml -f deploy/docker-compose.cluster.yml" in first_line


def test_the_clusters_nodes_share_a_cookie_and_join_the_first_once_it_is_up():
    conf = (ROOT / "deploy" / "rabbitmq-cluster.conf").read_text()
    assert "cluster_formation.peer_discovery_backend = classic_config" in conf
    seeds = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$", conf, re.M)
    assert seeds == ["rabbitmq"]
    data = set()
    for name in NODES:
        node = cluster_service(name)
        assert node["image"] == COMPOSE["services"]["rabbitmq"]["image"]
        assert node["hostname"] == name  # the node's name, rabbit@<hostname>, which the seed list uses
        cookie = node["environment"]["RABBITMQ_ERLANG_COOKIE"]
        assert re.fullmatch(r"\$\{RABBITMQ_ERLANG_COOKIE:\?[^}]+\}", cookie)
        assert "./rabbitmq-cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro" in node["volumes"]
        own = [v.split(":")[0] for v in node["volumes"] if v.split(":")[1] == "/var/lib/rabbitmq"]
        assert len(own) == 1 and own[0] in COMPOSE["volumes"] | CLUSTER["volumes"], name
        data.add(own[0])
        assert node["healthcheck"]["test"] == COMPOSE["services"]["rabbitmq"]["healthcheck"]["test"]
        if name != "rabbitmq":
            assert node["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    assert len(data) == 3, "each node keeps its own data"
    assert "RABBITMQ_ERLANG_COOKIE" in (ROOT / "deploy" / "example.broker.env").read_text()


def test_every_process_of_a_service_reaches_every_node_as_its_own_user():
    for name in SERVICES:
        for suffix in ("", "-worker", "-migrate"):
            value = cluster_service(f"{name}{suffix}")["environment"]["RECERT_AMQP_URL"]
            urls, filled = value.split(";"), re.sub(r"\$\{[^}]+\}", "secret", value)
            assert [urlsplit(url).hostname for url in filled.split(";")] == NODES, (name, suffix)
            for node, url in zip(NODES, urls, strict=True):
                own = (re.escape(f"amqp://recert-{name}:${{{password_variable(name)}:?") + r"[^}]+"
                       + re.escape(f"}}@{node}:5672/recert"))
                assert re.fullmatch(own, url), (name, suffix, url)
            # What the settings accept: one user and one vhost on every node.
            parse_amqp_urls(filled)
    assert "RECERT_AMQP_URL" not in (CLUSTER["services"].get("gateway") or {}).get("environment", {})


def test_nothing_declares_a_queue_before_every_node_is_up():
    """A quorum queue gets its replicas on the nodes that are in the cluster when it is declared."""
    for name in ["bus-provision", *(f"{s}-migrate" for s in SERVICES)]:
        depends = cluster_service(name)["depends_on"]
        assert {node: depends.get(node) for node in NODES} == {
            node: {"condition": "service_healthy"} for node in NODES}, name
        assert depends["bus-provision" if name != "bus-provision" else "rabbitmq"]
    # The processes wait for every migration (docker-compose.yml), so for every node too.
    assert all(f"{s}-migrate" in COMPOSE["services"][f"{s}-worker"]["depends_on"] for s in SERVICES)


def test_the_cluster_variant_refuses_to_start_without_its_secrets():
    text = (ROOT / "deploy" / "docker-compose.cluster.yml").read_text()
    substitutions = re.findall(r"\$\{([A-Z0-9_]+)(:?[-?])?([^}]*)\}", text)
    assert {name for name, _, _ in substitutions} == {"RABBITMQ_ERLANG_COOKIE"} | {
        password_variable(s) for s in SERVICES}
    assert {op for _, op, _ in substitutions} == {":?"}
