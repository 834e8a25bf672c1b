"""`make screenshots`: a PNG of each of the portal's main screens, for the README (docs/screenshots/).

Every service runs as a process behind the gateway serving the built portal, as in the browser tests; the
data is made through the public API as the browser tests make it (a certified jobcoach with PE, a written
portfolio, a case with its assessor), then each screen is opened in headless Chromium as the person who
uses it and photographed at 1280 x 900 (the dashboard also at a phone's 390 x 844): the jobcoach's
dashboard, PE summary and portfolio editor, the assessor's form and DNV's overview.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "bench"))

from playwright.sync_api import sync_playwright  # noqa: E402
from portal_browser import CHROMIUM, heading, login  # noqa: E402

from common import drop_databases  # noqa: E402
from conftest import _from_local_machine  # noqa: E402
from frontend import Frontend, outbox_tokens  # noqa: E402
from journeys import (  # noqa: E402
    PDF,
    TODAY,
    WEBHOOK_SECRET,
    Office,
    complete_portfolio,
    eventually,
    ok,
    record,
    upload,
)
from processes import System  # noqa: E402

SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def prepare(system: System) -> dict:
    """The people and the case the screens show."""
    app = Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))
    office = Office(system, app)
    writer = app.login(app.register(full_name="Janneke de Vries"))
    office.certify(writer, TODAY + timedelta(days=200))
    for category, amount, days_ago in ((1, 24, 90), (2, 12, 200), (3, 8, 320)):
        activity = record(app, writer, category, amount, days_ago=days_ago)
        ok(upload(app, writer, activity["id"], PDF + bytes([category])), 201)
    ok(app.put("portfolio/cycles/current/parts/A2", writer, json={
        "text": "In de afgelopen vier jaar begeleidde ik veertig werknemers terug naar werk. Wat ik leerde: "
                "het eerste gesprek bepaalt veel, en een werkgever die meedenkt maakt het verschil."}))

    submitter = app.login(app.register(full_name="Pieter Bakker"))
    office.certify(submitter, TODAY + timedelta(days=60))
    complete_portfolio(app, submitter)
    ok(app.post("portfolio/cycles/current/submit", submitter), 201)
    case = office.ready_for_assessor(submitter)
    assessor = office.assessors[0]
    ok(office.assign(case, assessor))
    eventually(lambda: app.get(f"portfolio/submissions/{case['submission_id']}", assessor).status_code == 200,
               what="the snapshot open to the assessor")
    return {"writer": writer, "assessor": assessor, "dnv": office.dnv, "case": case,
            "submitter_name": submitter.account["full_name"]}


def photograph(browser, system: System, people: dict, out: Path) -> list[Path]:
    written = []

    def shoot(person, path: str, title: str, name: str, viewport=DESKTOP) -> None:
        context = browser.new_context(base_url=system.gateway, locale="nl-NL", viewport=viewport)
        context.set_default_timeout(15_000)
        page = context.new_page()
        login(page, person)
        page.wait_for_url(lambda url: "/inloggen" not in url)
        page.goto(path)
        heading(page, title)
        page.wait_for_load_state("networkidle")
        target = out / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        written.append(target)
        context.close()

    writer = people["writer"]
    shoot(writer, "/", "Mijn overzicht", "jobcoach-dashboard")
    shoot(writer, "/", "Mijn overzicht", "jobcoach-dashboard-phone", viewport=PHONE)
    shoot(writer, "/pe/overzicht", "Je PE-punten per categorie", "pe-summary")
    shoot(writer, "/portfolio/a2", "A2 Terugblik op je ontwikkelplan", "portfolio-editor")
    case, name = people["case"], people["submitter_name"]
    shoot(people["assessor"], f"/beoordelingen/formulier?id={case['id']}", f"Beoordeling van {name}",
          "assessor-form")
    shoot(people["dnv"], "/dnv", "DNV-overzicht", "dnv-overview")
    return written


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as logs:
        system = System(infra, SERVICES, Path(logs), extra_env={
            "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off", "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET})
        try:
            system.start()
            people = prepare(system)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                written = photograph(browser, system, people, out)
                browser.close()
        except Exception:
            print(system.logs())
            raise
        finally:
            system.stop()
            drop_databases(infra.databases)
    for path in written:
        print(f"{path}\t{path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
