"""The operators' monitoring (deploy/prometheus, deploy/grafana; ADR 0035), checked by the real tools and
against the metrics the processes really expose:

- promtool checks the Prometheus configuration and the alert rules, and runs the alerts' unit tests
  (deploy/prometheus/alerts.test.yml), in which every alert fires at least once;
- every metric an alert or a dashboard panel names is one a registry of ours exposes: the names are
  collected from a gateway app's registry (its requests and its upstream calls; every service's web process
  has the same request metrics through ``create_base_app``) and from what real worker processes of
  assessment and notifications serve over HTTP, against their migrated databases and the broker;
- the dashboard reads the data source Grafana is provisioned with, from where compose mounts it;
- a web command with several processes shows all their requests in every scrape.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import promql_parser
import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from recert_assessment.__main__ import SPEC as ASSESSMENT
from recert_common.db import migrate_service
from recert_common.metrics import app_registry
from recert_gateway.app import create_app as create_gateway
from recert_gateway.settings import GatewaySettings
from recert_notifications.__main__ import SPEC as NOTIFICATIONS

from ports import free_port
from processes import Process, wait_serving
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Series Prometheus makes itself for every target, not read from a process.
PROMETHEUS_OWN = {"up"}
# The sample names a metric family of each type gives (prometheus_client strips a counter's "_total").
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum",
                                                                            "_created"),
            "summary": ("", "_count", "_sum", "_created"), "info": ("_info",)}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian's prometheus package; scripts/ensure-infra.sh "
                    "installs it where it runs as root)")
    return found


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=PROMETHEUS)


def test_promtool_accepts_the_configuration_and_the_rules_and_every_alert_fires_in_its_unit_tests():
    tool = promtool()
    checked = run(tool, "check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "alerts.yml" in checked.stdout  # the rules were checked with it
    tested = run(tool, "test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {rule["alert"] for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
              for rule in group["rules"] if "alert" in rule}
    cases = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    fired = {case["alertname"] for test in cases for case in test.get("alert_rule_test", [])
             if case.get("exp_alerts")}
    assert alerts - fired == set(), "alerts without a unit test in which they fire"


def test_every_alert_says_where_its_runbook_is_and_the_runbook_is_there():
    operations = (ROOT / "docs" / "operations.md").read_text()
    for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
            assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
            assert f"\n### {rule['alert']}\n({rule['labels']['severity']}) " in operations, rule["alert"]


def _metric_names(node) -> list[str | None]:
    """Every metric a PromQL expression selects (None for a selector without a name)."""
    if isinstance(node, promql_parser.VectorSelector):
        return [node.name]
    found: list[str | None] = []
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if isinstance(child, promql_parser.Expr):
            found += _metric_names(child)
    for argument in getattr(node, "args", None) or []:
        found += _metric_names(argument)
    return found


def _expressions() -> dict[str, str]:
    """Where each expression is -> the expression: every alert rule and every dashboard panel's query."""
    found = {}
    for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]:
        for rule in group["rules"]:
            found[f"alerts.yml {rule.get('alert') or rule.get('record')}"] = rule["expr"]
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                found[f"{path.name} {panel['title']!r} {target['refId']}"] = target["expr"]
    return found


def _exposed(registry) -> set[str]:
    return {family.name + suffix for family in registry.collect() for suffix in SUFFIXES[family.type]}


def _exposed_by(text: str) -> set[str]:
    return {family.name + suffix for family in text_string_to_metric_families(text)
            for suffix in SUFFIXES[family.type]}


def _worker_metrics(base: str) -> str | None:
    try:
        answer = requests.get(f"{base}/metrics", timeout=5)
    except requests.RequestException:
        return None
    # Ready once its consumers declared their queues: their depths are then in every scrape.
    return answer.text if answer.ok and "recert_queue_messages_ready{" in answer.text else None


@pytest.fixture(scope="module")
def exposed(infra, tmp_path_factory) -> set[str]:
    """The sample names our processes expose: a gateway app's registry, and what real worker processes of
    assessment and notifications (``python -m recert_<svc> worker``) serve on RECERT_WORKER_METRICS_PORT,
    on migrated databases, on an exchange of their own (nothing else in the run reaches their queues)."""
    names = _exposed(app_registry(create_gateway(GatewaySettings.from_env("gateway", env={}))))
    workers = []
    try:
        for spec in (ASSESSMENT, NOTIFICATIONS):
            env = {**os.environ, **infra.settings_env(spec.name, tag="metrics"),
                   "RECERT_EXCHANGE": f"{infra.exchange}.metrics",
                   "RECERT_QUEUE_PREFIX": f"{infra.queue_prefix}metrics.",
                   "RECERT_ASSESSMENT_SECRETS_KEY": "A" * 43 + "=", "RECERT_LOG_LEVEL": "WARNING",
                   "RECERT_WORKER_METRICS_PORT": str(free_port())}
            infra.exchanges.add(env["RECERT_EXCHANGE"])
            migrate_service(env[f"RECERT_{spec.name.upper()}_DATABASE_URL"], spec.name, spec.migrations)
            log = tmp_path_factory.mktemp("workers") / f"{spec.name}.log"
            with log.open("w") as out:
                process = subprocess.Popen([sys.executable, "-m", f"recert_{spec.name}", "worker"], env=env,
                                           stdout=out, stderr=subprocess.STDOUT)
            workers.append((process, f"http://127.0.0.1:{env['RECERT_WORKER_METRICS_PORT']}", log))
        for process, base, log in workers:
            text = wait_for(lambda: process.poll() is None and _worker_metrics(base), timeout=60,  # noqa: B023
                            message=f"the worker's metrics ({log.read_text()[-1000:]})")
            assert 'recert_worker_dependency_up{dependency="database"} 1.0' in text
            assert 'recert_worker_dependency_up{dependency="broker"} 1.0' in text
            names |= _exposed_by(text)
    finally:
        for process, _, _ in workers:
            process.terminate()
            process.wait(30)
    return names


def test_every_metric_the_alerts_and_the_dashboard_name_is_one_our_processes_expose(exposed):
    # The registries themselves: a broken collector (database or broker unreachable) would hide names.
    assert {"http_requests_total", "gateway_upstream_requests_total", "recert_outbox_pending_events",
            "recert_queue_messages_ready", "recert_assessment_overdue_cases",
            "recert_notifications_emails_failed"} <= exposed
    expressions = _expressions()
    assert len(expressions) > 20
    unknown = {}
    for where, expression in expressions.items():
        names = _metric_names(promql_parser.parse(expression))
        assert names and None not in names, f"{where}: every selector names its metric"
        missing = set(names) - exposed - PROMETHEUS_OWN
        if missing:
            unknown[where] = sorted(missing)
    assert unknown == {}


def test_the_dashboard_reads_the_provisioned_data_source_from_where_compose_mounts_it():
    assert DASHBOARDS, "deploy/grafana/dashboards holds the dashboard"
    [source] = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())[
        "datasources"]
    assert source["url"] == "http://prometheus:9090"
    [provider] = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "recert.yml").read_text())[
        "providers"]
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())["services"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in compose["grafana"]["volumes"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in compose["grafana"]["volumes"]
    assert "./prometheus:/etc/prometheus:ro" in compose["prometheus"]["volumes"]
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids are unique"
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"] and all(t["datasource"]["uid"] == source["uid"] for t in panel["targets"])


def _healthz_requests(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "http_requests_total" and sample.labels["endpoint"] == "/healthz")


def test_a_web_command_with_several_processes_counts_every_request_in_every_scrape(tmp_path):
    """Compose runs two gunicorn processes per service, and a scrape reaches one of them: each scrape must
    still show every process's requests (multiprocess mode, ``recert_common.metrics``), or rates jump."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "gateway.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "recert_gateway", "web", "--port", str(port), "--workers", "2",
             "--threads", "2"], stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "RECERT_LOG_LEVEL": "WARNING"})
    try:
        wait_serving(Process("gateway", process, tmp_path / "gateway.log"), base)
        before = _healthz_requests(base)
        for _ in range(40):  # each on a connection of its own, so both processes take some
            assert requests.get(f"{base}/healthz", timeout=5, headers={"Connection": "close"}).ok
        assert [_healthz_requests(base) for _ in range(8)] == [before + 40] * 8
    finally:
        process.terminate()
        process.wait(30)
    assert process.returncode == 0, (tmp_path / "gateway.log").read_text()[-2000:]
