"""The portal (web/, issue 13) in real Chromium against the real system: every service as a process, the
gateway serving the built portal, a real SMTP server catching the e-mails.

Every step a jobcoach takes goes through the portal's screens: registering, opening the e-mailed link,
logging in, linking the authenticator app with a code computed from the key shown on screen, storing the
recovery codes, reloading (still logged in: the refresh cookie), the tile, the language, logging out, the
public register. The test itself only computes TOTP codes and, as Noloc's administrator, loads the
certificate through the API (its screen is not built yet). On every screen axe-core finds no serious or
critical violation; the jobcoach's flow runs at 360 px wide; registration and login also by keyboard alone,
with the real Content-Security-Policy in force.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from portal_browser import (
    VERIFY_PATH,
    browser_fixture,
    check_screen,
    create_admin,
    dutch_date,
    heading,
    new_context,
    tab_to,
)
from portal_system import running_portal
from smtp_mailbox import Mailbox, mailbox_fixture

from recert_common.clock import platform_today

from frontend import Frontend, Person, totp_code, unique_email, unique_member_number
from journeys import eventually, ok

# What this slice's screens use. The dashboard's other parts come from services this module does not start:
# the gateway finds nobody at their address, and the overview must show those parts as missing.
SERVICES = ["identity", "assessment", "notifications"]
NOT_RUNNING = {f"RECERT_{name}_URL": "http://127.0.0.1:9" for name in ("PE_REGISTRY", "PORTFOLIO", "BILLING")}
CSV_HEADER = "noloc_number,certificate_number,valid_until,email,name\n"


mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_portal(infra, tmp_path_factory, SERVICES, mailbox, NOT_RUNNING) as system:
        yield system


@pytest.fixture(scope="module")
def api(system) -> Frontend:
    return Frontend(system.gateway)


@pytest.fixture(scope="module")
def admin(system, api) -> Person:
    """Noloc's administrator, who loads the certificates (through the API: that screen comes later)."""
    return create_admin(system, api)


browser = browser_fixture()


def _verification_link(mailbox: Mailbox, address: str) -> str:
    return eventually(lambda: mailbox.link(address, VERIFY_PATH), what="the verification e-mail")


def _secret_on_screen(page) -> str:
    return page.locator("[data-secret]").inner_text().replace(" ", "")


def test_a_jobcoach_registers_enrols_sees_her_tile_and_is_in_the_register(browser, system, mailbox, api,
                                                                           admin):
    person = {"name": "Fenna Fictief", "email": unique_email("fenna"), "number": unique_member_number(),
              "password": "lange zinnen zijn sterke wachtwoorden"}
    # The jobcoach's phone: 360 px wide, under the portal's real CSP.
    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()

    # The welcome screen, then registration.
    page.goto("/")
    heading(page, "Welkom bij Register Jobcoach")
    check_screen(page, "welcome")
    page.get_by_role("link", name="Registreren").first.click()
    heading(page, "Registreren")
    check_screen(page, "registration")
    page.get_by_label("Volledige naam").fill(person["name"])
    page.get_by_label("E-mailadres").fill(person["email"])
    page.get_by_label("Kies een wachtwoord").fill("te kort")
    page.get_by_label("Lidmaatschapsnummer").fill(person["number"])
    page.get_by_role("button", name="Account aanmaken").click()
    # The API's refusal: its title, and the field's message next to the field.
    password = page.get_by_label("Kies een wachtwoord")
    page.get_by_role("alert").wait_for()
    assert password.get_attribute("aria-invalid") == "true"
    described = password.get_attribute("aria-describedby") or ""
    error = page.locator(f"#{described.split()[-1]}")
    assert "field-error" in (error.get_attribute("class") or "") and error.inner_text().strip()
    check_screen(page, "registration refused")
    password.fill(person["password"])
    page.get_by_role("button", name="Account aanmaken").click()
    heading(page, "Kijk in je mailbox")
    check_screen(page, "registration received")

    # The link from the e-mail, opened in the browser.
    page.goto(_verification_link(mailbox, person["email"]))
    heading(page, "E-mailadres bevestigen")
    check_screen(page, "verify e-mail")
    page.get_by_label("Wachtwoord").fill(person["password"])
    page.get_by_role("button", name="Bevestigen").click()
    heading(page, "Je e-mailadres is bevestigd")
    page.get_by_role("main").get_by_role("link", name="Inloggen").click()

    # Login: step 1, then linking the authenticator app with the key shown on screen.
    heading(page, "Inloggen")
    check_screen(page, "login")
    page.get_by_label("E-mailadres").fill(person["email"])
    page.get_by_label("Wachtwoord").fill(person["password"])
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Koppel een authenticator-app")
    qr = page.get_by_role("img", name="QR-code om Register Jobcoach aan je authenticator-app toe te voegen")
    qr.wait_for()
    assert qr.evaluate("(el) => el.tagName.toLowerCase()") == "svg"
    check_screen(page, "enrolment")
    secret = _secret_on_screen(page)
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_role("textbox", name="Code").fill(totp_code(secret))
    page.get_by_role("button", name="Koppelen en inloggen").click()

    # The recovery codes, shown once: downloaded, then confirmed stored.
    heading(page, "Je herstelcodes")
    check_screen(page, "recovery codes")
    codes = page.locator("ol.codes li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als tekstbestand").click()
    stored = open(download.value.path(), encoding="utf-8").read()
    assert all(code in stored for code in codes) and person["email"] in stored
    page.get_by_label("Ik heb mijn herstelcodes bewaard").check()
    page.get_by_role("button", name="Verder naar mijn overzicht").click()

    # Her overview: no certificate yet, and the parts whose services are down named as missing. A reload
    # keeps her logged in (the refresh cookie).
    heading(page, "Mijn overzicht")
    page.get_by_text("Er is nog geen certificaat aan je account gekoppeld.").wait_for()
    missing = page.get_by_role("status").filter(has_text="Niet alles kon worden geladen")
    parts = set(missing.get_by_role("listitem").all_inner_texts())
    assert {"je PE-punten", "je portfolio", "je facturen"} <= parts, parts
    check_screen(page, "overview without certificate")
    page.reload()
    heading(page, "Mijn overzicht")
    assert "access_token" not in page.evaluate("() => JSON.stringify({...localStorage, ...sessionStorage})")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["recert_refresh"]["httpOnly"] and cookies["recert_refresh"]["sameSite"] == "Strict"

    # Noloc loads her certificate; her tile shows it.
    certificate, valid_until = f"RJ-{uuid.uuid4().hex[:8].upper()}", platform_today() + timedelta(days=400)
    line = f"{person['number']},{certificate},{valid_until.isoformat()},{person['email']},{person['name']}"
    ok(api.post("certificates/import", admin, data=f"{CSV_HEADER}{line}\n".encode(),
                headers={"Content-Type": "text/csv"}))
    eventually(lambda: ok(api.get("certificates", admin, params={"number": certificate}))["items"][0]
               ["account_id"], what="the certificate linked to her account")
    page.reload()
    tile = page.get_by_role("region", name="Je certificaat")
    tile.get_by_text(certificate).wait_for()
    assert tile.locator("[data-field=valid_until]").inner_text() == dutch_date(valid_until)
    assert tile.locator("[data-field=days_left]").inner_text() == "400 dagen"
    opens = tile.locator("[data-field=window]").inner_text()
    assert opens.startswith("Je kunt je portfolio indienen vanaf ") and dutch_date(valid_until) in opens
    check_screen(page, "overview with the tile")

    # English, kept with her account across a reload; then Dutch again.
    page.get_by_role("button", name="Switch to English").click()
    heading(page, "My overview")
    tile = page.get_by_role("region", name="Your certificate")
    assert tile.locator("[data-field=days_left]").inner_text() == "400 days"
    page.reload()
    heading(page, "My overview")
    check_screen(page, "overview in English")
    page.get_by_role("button", name="Schakel naar Nederlands").click()
    heading(page, "Mijn overzicht")

    # Logging out ends the session: a reload does not bring it back.
    page.get_by_role("button", name="Uitloggen").click()
    heading(page, "Je bent uitgelogd")
    check_screen(page, "logged out")
    page.goto("/")
    heading(page, "Welkom bij Register Jobcoach")
    assert "recert_refresh" not in {c["name"] for c in context.cookies()}

    # The public register, without login: a query too short is refused next to its field; hers is found.
    page.get_by_role("navigation").get_by_role("link", name="Register raadplegen").click()
    heading(page, "Openbaar register")
    check_screen(page, "register lookup")
    query = page.get_by_label("Naam of certificaatnummer")
    query.fill("RJ")
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("alert").wait_for()
    assert query.get_attribute("aria-invalid") == "true"
    query.fill(certificate)
    page.get_by_role("button", name="Zoeken").click()
    row = page.get_by_role("row").filter(has_text=certificate)
    row.wait_for()
    assert person["name"] in row.inner_text() and dutch_date(valid_until) in row.inner_text()
    check_screen(page, "register lookup result")
    # The address of the result is a link that can be shared.
    page.goto(f"/register?q={certificate}")
    page.get_by_role("row").filter(has_text=certificate).wait_for()
    context.close()


def test_registration_and_login_by_keyboard_alone_under_the_real_csp(browser, system, mailbox):
    context = new_context(browser, system, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    email, password = unique_email("toetsenbord"), "alleen met het toetsenbord"
    api_calls: list[str] = []
    page.on("request", lambda request: api_calls.append(request.url) if "/api/" in request.url else None)

    page.goto("/registreren")
    heading(page, "Registreren")
    # A browser that never logged in asks for no session refresh (it could only fail).
    page.wait_for_load_state("networkidle")
    assert not [url for url in api_calls if url.endswith("/auth/refresh")], api_calls
    # The skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Naar de inhoud"
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Volledige naam"))
    page.keyboard.type("Kees Toetsenbord")
    page.keyboard.press("Tab")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    tab_to(page, page.get_by_label("Lidmaatschapsnummer"))
    page.keyboard.type(unique_member_number())
    page.keyboard.press("Enter")
    heading(page, "Kijk in je mailbox")

    page.goto(_verification_link(mailbox, email))
    heading(page, "E-mailadres bevestigen")
    tab_to(page, page.get_by_label("Wachtwoord"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    heading(page, "Je e-mailadres is bevestigd")
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Inloggen"))
    page.keyboard.press("Enter")

    heading(page, "Inloggen")
    tab_to(page, page.get_by_label("E-mailadres"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type("niet mijn wachtwoord")
    page.keyboard.press("Enter")
    # The refusal takes the focus, so it is read out; its title and detail are shown.
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "alert"
    assert len(alert.locator("p").all_inner_texts()) >= 2
    tab_to(page, page.get_by_label("Wachtwoord"))
    page.keyboard.press("Control+A")
    page.keyboard.type(password)
    page.keyboard.press("Enter")

    heading(page, "Koppel een authenticator-app")
    secret = _secret_on_screen(page)
    tab_to(page, page.get_by_role("textbox", name="Code"))
    page.keyboard.type(totp_code(secret))
    page.keyboard.press("Enter")

    heading(page, "Je herstelcodes")
    tab_to(page, page.get_by_label("Ik heb mijn herstelcodes bewaard"))
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    heading(page, "Mijn overzicht")
    assert not refused, refused
    context.close()
