"""`make demo` against the whole system: all six services and the gateway as real processes, an SMTP sink
started here, the demo accounts seeded the way `make dev` seeds them, and a folder laid out like `.dev/`.

The story checks itself step by step; these tests check that it runs through, that a second run against the
same system works (new jobcoach, staff with the authenticators the first run linked), that what it reports
is true when looked at independently, and that it stops loudly at the first step that goes wrong.
"""
from __future__ import annotations

import email
import importlib.util
import io
import json
import re
import subprocess
import sys
from email.policy import default as default_policy
from pathlib import Path

import pypdf
import pytest
import requests
from aiosmtpd.controller import Controller

from e2e_fixtures import running_system
from ports import free_port
from processes import System

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SERVICES = ["identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"]
WEBHOOK_SECRET = "demo-test-webhook-secret"
STAFF = ("admin@example.org", "dnv@example.org", "assessor@example.org")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


demo = _load("demo")
demo_story = sys.modules["demo_story"]
smtp_sink = _load("smtp_sink")


@pytest.fixture(scope="module")
def dev_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dev")


@pytest.fixture(scope="module")
def smtp(dev_dir):
    port = free_port()
    controller = Controller(smtp_sink.StoreMessages(dev_dir / "mail"), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, smtp, dev_dir):
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(smtp),
        # Three runs log in twelve times within a minute; the limit itself is the gateway's tests' business.
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
    }) as system:
        seeded = subprocess.run([sys.executable, "-m", "recert_identity", "seed-demo"], env=system.env,
                                capture_output=True, text=True, timeout=60)
        assert seeded.returncode == 0, seeded.stderr
        (dev_dir / "seed.json").write_text(seeded.stdout)
        (dev_dir / "secrets.json").write_text(json.dumps({"billing_webhook_secret": WEBHOOK_SECRET}))
        yield system


def _run(system: System, dev_dir: Path, *, expect: int = 0, **overrides):
    """The story as `make demo` tells it, captured; the services' logs too when it ends unexpectedly."""
    out = io.StringIO()
    result = demo.run_story(system.gateway, dev_dir=dev_dir, out=out, **overrides)
    print(out.getvalue())
    if result.exit_code != expect:
        print(system.logs())
    return result, out.getvalue()


@pytest.fixture(scope="module")
def first_run(system, dev_dir):
    return _run(system, dev_dir)


def _step_numbers(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"^✓ (\d+)/\d+ ", output, flags=re.MULTILINE)]


def test_the_story_runs_through_every_step_and_tells_the_truth(first_run, system, dev_dir):
    result, output = first_run
    assert result.exit_code == 0, output
    total = len(result.step_seconds)
    assert _step_numbers(output) == list(range(1, total + 1))
    assert f"Klaar: het hele verhaal in {result.seconds:.1f} s" in output
    # Issue 10's order: the advice stays with DNV, DNV's postponed decision opens the supplement, the same
    # assessor reassesses after it and DNV decides again; said in Dutch, dates as "15 januari 2027".
    steps = re.findall(r"^✓ \d+/\d+ ([^:]+):", output, flags=re.MULTILINE)
    story = ["Toewijzen", "Advies uitgesteld", "Besluit uitgesteld", "Aanvulling", "Herbeoordeling",
             "Positief besluit", "Verlengd"]
    assert [step for step in steps if step in story] == story
    assert "het advies blijft bij DNV: de jobcoach krijgt nog niets te zien" in output
    assert "(3 maanden na het besluit)" in output
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", output), "an ISO date in a Dutch line"
    assert result.seconds == pytest.approx(sum(s for _, s in result.step_seconds), abs=0.5)

    # What the story reports, looked up independently: the public register and the e-mails.
    facts = result.facts
    old, new = facts["valid_until"], facts["renewed_until"]
    assert (new.year - old.year, new.month, new.day) == (4, old.month, old.day)
    register = requests.get(f"{system.gateway}/api/v1/register/{facts['certificate_number']}", timeout=10)
    assert register.status_code == 200, register.text
    assert register.json() == {"name": facts["jobcoach_name"], "state": "active",
                               "certificate_number": facts["certificate_number"], "valid_until": str(new)}
    subjects = []
    for path in (dev_dir / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        if facts["jobcoach_email"] in str(message["To"]):
            subjects.append(str(message["Subject"]))
    assert subjects and all(f"  {subject}" in output for subject in subjects)
    assert any(new.strftime("%Y") in subject for subject in subjects)  # "verlengd tot en met <date>"

    # The staff's authenticators are kept for the next run, each with the last time step it used.
    kept = json.loads((dev_dir / "demo-staff.json").read_text())
    assert sorted(kept) == sorted(STAFF) and all(kept[e]["secret"] and kept[e]["last_step"] for e in STAFF)
    assert "app gekoppeld bij de eerste login (TOTP-geheimen in demo-staff.json)" in output


def test_a_second_run_by_the_command_line_has_a_new_jobcoach_and_the_staff_use_the_kept_apps(
        first_run, system, dev_dir):
    first, _ = first_run
    run = subprocess.run([sys.executable, str(SCRIPTS / "demo.py"), "--gateway", system.gateway,
                          "--dev-dir", str(dev_dir)], capture_output=True, text=True, timeout=180)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "met de bewaarde app (TOTP-geheimen in demo-staff.json)" in run.stdout
    assert _step_numbers(run.stdout) == list(range(1, len(first.step_seconds) + 1))
    assert first.facts["jobcoach_email"] not in run.stdout
    assert first.facts["certificate_number"] not in run.stdout
    assert re.search(r"^Klaar: het hele verhaal in [\d.]+ s$", run.stdout, flags=re.MULTILINE)


def test_an_unknown_staff_app_is_unlinked_by_the_admin(first_run, system, dev_dir):
    keyring = dev_dir / "demo-staff.json"
    kept = json.loads(keyring.read_text())
    forgotten = kept.pop("assessor@example.org")
    keyring.write_text(json.dumps(kept))

    result, output = _run(system, dev_dir)
    assert result.exit_code == 0, output
    assert "behalve beoordelaar: onbekende app ontkoppeld door de beheerder, nieuwe gekoppeld" in output
    assert json.loads(keyring.read_text())["assessor@example.org"]["secret"] != forgotten["secret"]


def test_without_the_mail_folder_the_new_jobcoach_cannot_confirm_the_address(first_run, system, dev_dir):
    result, output = _run(system, dev_dir, expect=1, mail_dir=dev_dir / "no-such-folder",
                          wait_seconds=1.0)
    assert result.exit_code == 1 and result.failed_step == "Registratie", output
    assert re.search(r"verwacht: de bevestigingsmail aan .* in .*no-such-folder", output), output


def test_the_first_step_that_fails_stops_the_story_with_what_was_expected_and_what_came(first_run, system,
                                                                                       dev_dir):
    result, output = _run(system, dev_dir, expect=1, webhook_secret="not-the-provider's-secret")
    assert result.exit_code == 1 and result.failed_step == "Factuur"
    failed_at = len(result.step_seconds)
    assert _step_numbers(output) == list(range(1, failed_at))
    assert re.search(rf"^✗ {failed_at}/\d+ Factuur$", output, flags=re.MULTILINE), output
    assert re.search(r"verwacht: .*webhook.*HTTP 200", output), output
    assert re.search(r"kreeg: +HTTP 401", output), output
    assert "Klaar" not in output


def test_without_a_running_gateway_it_says_to_start_make_dev(tmp_path):
    (tmp_path / "seed.json").write_text("{}")
    (tmp_path / "secrets.json").write_text(json.dumps({"billing_webhook_secret": "x"}))
    out = io.StringIO()
    result = demo.run_story(f"http://127.0.0.1:{free_port()}", dev_dir=tmp_path, out=out)
    assert result.exit_code == 2 and "make dev" in out.getvalue()
    missing = io.StringIO()
    assert demo.run_story(dev_dir=tmp_path / "empty", out=missing).exit_code == 2
    assert "seed.json ontbreekt" in missing.getvalue()


def test_the_evidence_the_demo_uploads_is_a_well_formed_pdf():
    document = demo_story.small_pdf("Presentielijst intervisie (groep é)")
    reader = pypdf.PdfReader(io.BytesIO(document), strict=True)
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text() == "Presentielijst intervisie (groep é)"
