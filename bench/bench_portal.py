"""The jobcoach's dashboard in Chromium: bytes over the wire and the time until the certificate tile shows.

Every service runs as a real process behind the gateway, which serves the built portal (web/dist) as in
production; one certified jobcoach logs in through the portal's screens once, and her browser (with its refresh-token
cookie) makes each measured load. Three ways, alternating in rounds so that a drift
of the machine falls on all:

- ``dashboard_cold``: the logged-in jobcoach's browser, its cache emptied, opens ``/`` in a new tab: index.html, the first screen's
  JavaScript and CSS, the session refresh, the account and the composed ``GET /api/v1/dashboard``; timed from
  navigation start until the tile's certificate number is in the page (a MutationObserver set before any of
  the page's scripts runs records the moment).
- ``dashboard_warm``: the same browser opens ``/`` again: the hashed assets come from the browser's cache.
- ``static_page`` (the baseline): a plain HTML page with the portal's stylesheet, served by the same gateway
  from the same directory, timed until its heading is in the page.

Bytes are what the browser reports as transferred (Resource Timing ``transferSize``: headers and the
compressed body), split into the portal's files and the API's answers.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from playwright.sync_api import sync_playwright  # noqa: E402

from common import drop_databases, percentile, write_result  # noqa: E402
from conftest import _from_local_machine  # noqa: E402
from frontend import Frontend, outbox_tokens  # noqa: E402
from journeys import Office  # noqa: E402
from portal_browser import CHROMIUM, login  # noqa: E402
from processes import System  # noqa: E402

SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]
TILE = '[data-field="certificate_number"]'
STATIC_PAGE = "bench-static.html"

# Set before the page's own scripts: the moment (ms since navigation start) the tile, or the static page's
# heading, is first in the document.
WATCH = """
(() => {
  const seen = () => document.querySelector('%s') || document.querySelector('h1#static-heading');
  const mark = () => { if (!window.__shownAt && seen()) window.__shownAt = performance.now(); };
  new MutationObserver(mark).observe(document, { childList: true, subtree: true });
})();
""" % TILE

MEASURED = """
() => {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const bytes = { portal: 0, api: 0 };
  for (const entry of entries) {
    const path = new URL(entry.name).pathname;
    bytes[path.startsWith('/api/') ? 'api' : 'portal'] += entry.transferSize;
  }
  return { shown_ms: window.__shownAt, bytes, requests: entries.length };
}
"""


def web_root_with_static_page(dist: Path, into: Path) -> Path:
    """A copy of the build with the baseline page beside index.html, using the same stylesheet."""
    root = into / "dist"
    shutil.copytree(dist, root)
    stylesheet = re.search(r'href="(/assets/[^"]+\.css)"', (dist / "index.html").read_text()).group(1)
    (root / STATIC_PAGE).write_text(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Register Jobcoach</title>'
        f'<link rel="stylesheet" href="{stylesheet}"></head><body><main><h1 id="static-heading">'
        "Register Jobcoach</h1><p>Een vaste pagina, als maatstaf.</p></main></body></html>")
    return root


def certified_jobcoach(system: System):
    app = Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))
    person = app.login(app.register(full_name="Janneke Jobcoach"))
    Office(system, app).certify(person, date.today() + timedelta(days=300))
    return person


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 1), "p90": round(percentile(values, 90), 1),
            "min": round(min(values), 1), "max": round(max(values), 1)}


def measure(system: System, person, rounds: int) -> dict:
    samples: dict[str, list[dict]] = {"dashboard_cold": [], "dashboard_warm": [], "static_page": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        # One profile throughout: the refresh token is single use and rotates in its cookie on every load,
        # so a copied profile would replay a spent one (and identity would end the session as stolen).
        jobcoach = browser.new_context(base_url=system.gateway, locale="nl-NL")
        jobcoach.add_init_script(WATCH)
        page = jobcoach.new_page()
        login(page, person)
        page.locator(TILE).wait_for(timeout=30_000)
        cache = jobcoach.new_cdp_session(page)

        def load(context, path: str, wait_for: str) -> dict:
            page = context.new_page()
            page.goto(path)
            page.locator(wait_for).wait_for(timeout=30_000)
            page.wait_for_load_state("networkidle")
            figures = page.evaluate(MEASURED)
            page.close()
            return figures

        for round_ in range(rounds + 1):  # round 0 warms the servers up and is not counted
            cache.send("Network.clearBrowserCache")
            cold = load(jobcoach, "/", TILE)
            warm = load(jobcoach, "/", TILE)
            # A new profile on each baseline load: its bytes include the stylesheet, as cold's do.
            baseline = browser.new_context(base_url=system.gateway, locale="nl-NL")
            baseline.add_init_script(WATCH)
            static = load(baseline, f"/{STATIC_PAGE}", "h1#static-heading")
            baseline.close()
            if round_:
                samples["dashboard_cold"].append(cold)
                samples["dashboard_warm"].append(warm)
                samples["static_page"].append(static)
        jobcoach.close()
        browser.close()

    result = {}
    for way, runs in samples.items():
        result[way] = {
            "until_shown_ms": summary([run["shown_ms"] for run in runs]),
            "transferred_bytes": {part: int(statistics.median(run["bytes"][part] for run in runs))
                                  for part in ("portal", "api")},
            "requests": int(statistics.median(run["requests"] for run in runs)),
        }
    static = result["static_page"]["until_shown_ms"]["median"]
    result["dashboard_cold_vs_static_page"] = round(result["dashboard_cold"]["until_shown_ms"]["median"]
                                                    / static, 2)
    result["dashboard_warm_vs_static_page"] = round(result["dashboard_warm"]["until_shown_ms"]["median"]
                                                    / static, 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", default="bench-results/portal.json")
    args = parser.parse_args()
    dist = ROOT / "web" / "dist"
    if not (dist / "index.html").is_file():
        print("web/dist is missing: run `make web` first", file=sys.stderr)
        return 1
    load_before = os.getloadavg()
    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as scratch:
        web_root = web_root_with_static_page(dist, Path(scratch))
        system = System(infra, SERVICES, Path(scratch), extra_env={
            "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off", "RECERT_GATEWAY_WEB_ROOT": str(web_root)})
        try:
            system.start()
            figures = measure(system, certified_jobcoach(system), args.rounds)
        finally:
            system.stop()
            drop_databases(infra.databases)
    write_result(args.out, "portal", {
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "rounds": args.rounds, "browser": "Chromium (headless, Debian's package)",
        "goal": "the first screen's JavaScript and CSS at most 200 KB compressed (issue 13)",
        **figures,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
