"""What the portal's browser tests share: Debian's Chromium driven by Playwright, axe-core on a screen, a
real SMTP server catching the e-mails, and keyboard-only moves.

Chromium is ``/usr/bin/chromium`` (``scripts/ensure-infra.sh`` installs it): Playwright downloads no browser.
axe-core is the pinned npm package in ``web/node_modules`` (``make web`` installs it).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# WCAG 2.1 A and AA, the level Dutch public portals are held to, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december")


def dutch_date(day: date) -> str:
    """2031-02-02 as the portal shows it: "2 februari 2031"."""
    return f"{day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}"


def missing_build_message() -> str | None:
    if not (WEB_DIST / "index.html").is_file():
        return "the portal is not built: run `make web` (make test does)"
    if not AXE.is_file():
        return "axe-core is not installed: run `make web` (npm ci in web/)"
    if not Path(CHROMIUM).is_file():
        return "Chromium is missing: run `make infra` (apt-get install chromium)"
    return None


def check_screen(page, screen: str, *, axe: bool = True) -> None:
    """axe-core finds no serious or critical violation, and nothing is wider than the window (360 px)."""
    page.wait_for_load_state("networkidle")
    if axe:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}));
            }""", AXE_TAGS)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{screen}: axe-core found {serious}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{screen}: the page is {overflow} px wider than the window"


def tab_to(page, locator, presses: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user moves through the page."""
    target = locator.element_handle()
    for _ in range(presses):
        if page.evaluate("(el) => document.activeElement === el", target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} never got the focus in {presses} presses of Tab")
