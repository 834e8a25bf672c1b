"""What the portal's browser tests share: Debian's Chromium driven by Playwright, axe-core on a screen, a
real SMTP server catching the e-mails, and keyboard-only moves.

Chromium is ``/usr/bin/chromium`` (``scripts/ensure-infra.sh`` installs it): Playwright downloads no browser.
axe-core is the pinned npm package in ``web/node_modules`` (``make web`` installs it).
"""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
VERIFY_PATH = "/e-mailadres-bevestigen"  # the portal's path in identity's verification e-mail
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
    """axe-core finds no serious or critical violation, and nothing is wider than the window (360 px).

    axe-core goes in through the DevTools protocol (``evaluate``), which no page policy governs, rather than
    as a <script> tag that the portal's Content-Security-Policy would refuse: the screens are checked under
    their real policy."""
    page.wait_for_load_state("networkidle")
    if axe:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text() + "\n;undefined")
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
    # Also an element that sticks out of the window or spills over its box, as a long word on a phone does.
    # A wide data table inside a scrolling region is allowed (WCAG 1.4.10's exception for data tables).
    wide = page.evaluate("""() => [...document.querySelectorAll("body *")]
        .filter((el) => {
            for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
                if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return false;
            }
            return el.getBoundingClientRect().right > window.innerWidth + 0.5
                || el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible";
        })
        .slice(0, 5).map((el) => el.tagName + "." + el.className + ": " + (el.textContent || "").slice(0, 40))
    """)
    assert not wide, f"{screen}: wider than the window: {wide}"


def tab_to(page, locator, presses: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user moves through the page."""
    target = locator.element_handle()
    for _ in range(presses):
        if page.evaluate("(el) => document.activeElement === el", target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} never got the focus in {presses} presses of Tab")


def browser_fixture():
    """A module-scoped ``browser``: Chromium, closed before the module's system stops (its open connections
    would hold the gateway's workers)."""

    @pytest.fixture(scope="module")
    def browser(system):
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM)
            yield chromium
            chromium.close()

    return browser


def new_context(browser, system, **options):
    """A fresh browser profile on the system's gateway, in Dutch, with a 10 s patience per step."""
    options.setdefault("accept_downloads", True)
    context = browser.new_context(base_url=system.gateway, locale="nl-NL", **options)
    context.set_default_timeout(10_000)
    return context


def heading(page, text: str):
    """The screen's h1 ``text``, once it shows."""
    found = page.get_by_role("heading", level=1, name=text)
    found.wait_for()
    return found


def login(page, person, password: str | None = None) -> None:
    """Log in through the screens: e-mail and password, then a fresh code from the person's authenticator."""
    page.goto("/inloggen")
    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(password or person.password)
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Code uit je authenticator-app")
    page.get_by_role("textbox", name="Code").fill(person.fresh_code())
    page.get_by_role("button", name="Inloggen").click()


def create_admin(system, api, name: str = "Ada Beheer"):
    """Noloc's administrator, made with identity's command (as an operator does) and logged in by the API."""
    from frontend import PASSWORD, Person, unique_email

    person = Person(unique_email("beheer"), PASSWORD)
    result = subprocess.run(
        [sys.executable, "-m", "recert_identity", "create-admin", person.email, name, "--password-stdin"],
        input=PASSWORD, env=system.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return api.login(person)
