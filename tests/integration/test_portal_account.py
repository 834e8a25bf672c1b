"""The portal's account screens (issue 13, "Everyone" and "Noloc admin") in real Chromium against the real
system: forgotten password, the new password from the e-mailed link, changing it while logged in, the
language kept on the account, and Noloc's administrator keeping the staff accounts.

Set-up that belongs to other screens goes through the API (a jobcoach registered and enrolled, Noloc's
administrator created with the command and enrolled); every step on this module's screens goes through the
UI, with the e-mail caught by a real SMTP server. axe-core on every screen, 360 px wide, and the reset flow
by keyboard alone under the real Content-Security-Policy.
"""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from portal_browser import (
    browser_fixture,
    check_screen,
    create_admin,
    heading,
    new_context,
    tab_to,
)
from portal_system import running_portal
from smtp_mailbox import Mailbox, mailbox_fixture

from frontend import PASSWORD, Frontend, Person, outbox_tokens, unique_email, unique_member_number
from journeys import eventually, ok

SERVICES = ["identity", "notifications"]
NOT_RUNNING = {f"RECERT_{name}_URL": "http://127.0.0.1:9"
               for name in ("ASSESSMENT", "PE_REGISTRY", "PORTFOLIO", "BILLING")}
RESET_PATH = "/nieuw-wachtwoord"  # notifications' password_reset_link template
GUESSABLE = "wachtwoord1234"
PHONE = {"width": 360, "height": 740}


mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_portal(infra, tmp_path_factory, SERVICES, mailbox, NOT_RUNNING) as system:
        yield system


@pytest.fixture(scope="module")
def api(system) -> Frontend:
    return Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))


@pytest.fixture(scope="module")
def admin(system, api) -> Person:
    """Noloc's administrator, created with identity's command and enrolled through the API."""
    return create_admin(system, api)


browser = browser_fixture()


def _jobcoach(api: Frontend, name: str) -> Person:
    """A registered, verified jobcoach with an authenticator app (the foundation's screens, via the API)."""
    return api.login(api.register(unique_email(name.split()[0].lower()), full_name=name))


def _reset_link(mailbox: Mailbox, address: str) -> str:
    return eventually(lambda: mailbox.link(address, RESET_PATH), what="the password reset e-mail")


def _login(page, person: Person, password: str) -> None:
    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Code uit je authenticator-app")
    page.get_by_role("textbox", name="Code").fill(person.fresh_code())
    page.get_by_role("button", name="Inloggen").click()


def _refused_next_to(page, field) -> None:
    """The API's refusal shown: the alert, and the field's own message next to it."""
    page.get_by_role("alert").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{(field.get_attribute('aria-describedby') or '').split()[-1]}")
    assert "field-error" in (error.get_attribute("class") or "") and error.inner_text().strip()


def test_a_jobcoach_resets_her_password_changes_it_and_keeps_her_language(browser, system, mailbox, api,
                                                                          admin):
    coach = _jobcoach(api, "Wies Wachtwoord")
    context = new_context(browser, system, viewport=PHONE)
    page = context.new_page()

    # Forgotten: from the login screen to the request, then the mailbox.
    page.goto("/inloggen")
    heading(page, "Inloggen")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    heading(page, "Wachtwoord vergeten")
    check_screen(page, "forgotten password")
    page.get_by_label("E-mailadres").fill(coach.email)
    page.get_by_role("button", name="Stuur me een link").click()
    heading(page, "Kijk in je mailbox")
    check_screen(page, "reset requested")

    # The link from the e-mail: a guessable password is refused next to its field, a good one is saved.
    page.goto(_reset_link(mailbox, coach.email))
    heading(page, "Kies een nieuw wachtwoord")
    check_screen(page, "new password")
    field = page.get_by_label("Nieuw wachtwoord")
    field.fill(GUESSABLE)
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    _refused_next_to(page, field)
    check_screen(page, "new password refused")
    reset_password = "fietsen langs de grachten in maart"
    field.fill(reset_password)
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    heading(page, "Je nieuwe wachtwoord is opgeslagen")
    check_screen(page, "new password saved")
    page.get_by_role("main").get_by_role("link", name="Inloggen").click()
    _login(page, coach, reset_password)
    heading(page, "Mijn overzicht")

    # My account: the language is kept on the account (what e-mails follow too).
    page.get_by_role("navigation").get_by_role("link", name="Mijn account").click()
    heading(page, "Mijn account")
    check_screen(page, "my account")
    page.get_by_role("radio", name="English").check()
    heading(page, "My account")
    page.get_by_text("Saved: you'll see the portal").wait_for()
    check_screen(page, "my account in English")
    assert eventually(lambda: ok(api.get(f"admin/accounts/{coach.id}", admin))["preferred_language"] == "en",
                      what="English kept on the account")
    page.get_by_role("radio", name="Nederlands").check()
    heading(page, "Mijn account")
    assert eventually(lambda: ok(api.get(f"admin/accounts/{coach.id}", admin))["preferred_language"] == "nl",
                      what="Dutch kept on the account")

    # Changing the password while logged in: a wrong current one is refused next to its field.
    page.get_by_role("link", name="Wachtwoord wijzigen").click()
    heading(page, "Wachtwoord wijzigen")
    check_screen(page, "change password")
    current = page.get_by_label("Huidig wachtwoord")
    current.fill("niet mijn wachtwoord")
    page.get_by_label("Nieuw wachtwoord").fill("een ander lang wachtwoord in mei")
    page.get_by_role("button", name="Wachtwoord wijzigen").click()
    _refused_next_to(page, current)
    check_screen(page, "change password refused")
    current.fill(reset_password)
    page.get_by_label("Nieuw wachtwoord").fill("een ander lang wachtwoord in mei")
    page.get_by_role("button", name="Wachtwoord wijzigen").click()
    page.get_by_role("status").filter(has_text="Je wachtwoord is gewijzigd").wait_for()
    check_screen(page, "password changed")
    assert api.login_step1(coach, "een ander lang wachtwoord in mei").status_code == 200
    assert api.login_step1(coach, reset_password).status_code == 401
    context.close()


def test_the_reset_flow_by_keyboard_alone_under_the_real_csp(browser, system, mailbox, api):
    coach = _jobcoach(api, "Toon Toetsenbord")
    context = new_context(browser, system, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto("/inloggen")
    heading(page, "Inloggen")
    tab_to(page, page.get_by_role("link", name="Wachtwoord vergeten?"))
    page.keyboard.press("Enter")
    heading(page, "Wachtwoord vergeten")
    tab_to(page, page.get_by_label("E-mailadres"))
    page.keyboard.type(coach.email)
    page.keyboard.press("Enter")
    heading(page, "Kijk in je mailbox")

    page.goto(_reset_link(mailbox, coach.email))
    heading(page, "Kies een nieuw wachtwoord")
    tab_to(page, page.get_by_label("Nieuw wachtwoord"))
    page.keyboard.type(GUESSABLE)
    page.keyboard.press("Enter")
    # The refusal takes the focus (read out); the field is the next stop after it.
    page.get_by_role("alert").wait_for()
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "alert"
    tab_to(page, page.get_by_label("Nieuw wachtwoord"), presses=5)
    page.keyboard.press("Control+A")
    new_password = "toetsen tikken zonder muis vandaag"
    page.keyboard.type(new_password)
    page.keyboard.press("Enter")
    heading(page, "Je nieuwe wachtwoord is opgeslagen")
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Inloggen"))
    page.keyboard.press("Enter")

    heading(page, "Inloggen")
    tab_to(page, page.get_by_label("E-mailadres"))
    page.keyboard.type(coach.email)
    page.keyboard.press("Tab")
    page.keyboard.type(new_password)
    page.keyboard.press("Enter")
    heading(page, "Code uit je authenticator-app")
    tab_to(page, page.get_by_role("textbox", name="Code"))
    page.keyboard.type(coach.fresh_code())
    page.keyboard.press("Enter")
    heading(page, "Mijn overzicht")
    assert not refused, refused
    context.close()


def test_noloc_admin_creates_an_assessor_disables_an_account_and_resets_a_2fa(browser, system, api, admin):
    # Two staff members to act on, made through the API and enrolled.
    leaving = Person(unique_email("vertrekt"), PASSWORD)
    ok(api.post("admin/accounts", admin, json={"email": leaving.email, "full_name": "Vera Vertrek",
                                               "password": PASSWORD, "roles": ["dnv_officer"]}), 201)
    phone_lost = Person(unique_email("telefoon"), PASSWORD)
    ok(api.post("admin/accounts", admin, json={"email": phone_lost.email, "full_name": "Tim Telefoon",
                                               "password": PASSWORD, "roles": ["assessor"]}), 201)
    api.login(phone_lost)

    context = new_context(browser, system, viewport=PHONE)
    page = context.new_page()
    page.goto("/inloggen")
    _login(page, admin, PASSWORD)
    heading(page, "Mijn overzicht")
    # Her start screen: what Noloc's admin can do here, each a link.
    todo = page.get_by_role("main").get_by_role("listitem")
    assert todo.all_inner_texts() == ["Certificaten importeren", "Mislukte e-mails", "Medewerkers",
                                      "Mijn account"]
    check_screen(page, "Noloc's start")
    page.get_by_role("navigation").get_by_role("link", name="Medewerkers").click()
    heading(page, "Medewerkers en accounts")
    page.locator(f"[data-account='{phone_lost.email}']").wait_for()
    check_screen(page, "staff accounts")

    # A new assessor: a guessable password refused next to its field, then created.
    assessor = Person(unique_email("assessor"), "beoordelen doe ik met zorg")
    new = page.get_by_role("region", name="Nieuw medewerkersaccount")
    new.get_by_label("Volledige naam").fill("Anna Assessor")
    new.get_by_label("E-mailadres").fill(assessor.email)
    page.reload()  # a draft survives a reload (its password is never kept)
    heading(page, "Medewerkers en accounts")
    assert new.get_by_label("E-mailadres").input_value() == assessor.email
    password = new.get_by_label("Eerste wachtwoord")
    password.fill(GUESSABLE)
    new.get_by_role("radio", name="Beoordelaar").check()
    new.get_by_role("button", name="Account aanmaken").click()
    _refused_next_to(page, password)
    check_screen(page, "new staff refused")
    password.fill(assessor.password)
    new.get_by_role("button", name="Account aanmaken").click()
    page.get_by_role("status").filter(has_text="Het account van Anna Assessor is aangemaakt.").wait_for()
    card = page.locator(f"[data-account='{assessor.email}']")
    card.wait_for()
    assert "Beoordelaar" in card.inner_text()
    check_screen(page, "staff created")

    # Disabling an account, with a reason for the log.
    disable = page.locator(f"[data-account='{leaving.email}']").get_by_role("button", name="Uitschakelen")
    disable.click()
    _confirm = page.get_by_role("region", name="Vera Vertrek uitschakelen?")
    _confirm.get_by_role("button", name="Annuleren").click()  # asked once more: cancel returns to the card
    eventually(lambda: disable.evaluate("(el) => document.activeElement === el"), what="the focus back")
    disable.click()
    _confirm.wait_for()
    # The focus moves to the question once it shows (an effect after the render).
    eventually(lambda: page.evaluate("() => document.activeElement.textContent")
               == "Vera Vertrek uitschakelen?", what="the focus on the question")
    check_screen(page, "confirm disable")
    _confirm.get_by_label("Reden (voor het logboek)").fill("Uit dienst")
    _confirm.get_by_role("button", name="Ja, doorgaan").click()
    page.get_by_role("status").filter(has_text="Vera Vertrek is uitgeschakeld.").wait_for()
    state = page.locator(f"[data-account='{leaving.email}'] [data-field=state]")
    eventually(lambda: "Uitgeschakeld" in state.inner_text(), what="the card showing it disabled")
    assert api.login_step1(leaving).status_code == 401

    # Resetting an authenticator app: the next login enrols a new one.
    page.locator(f"[data-account='{phone_lost.email}']").get_by_role("button", name="2FA resetten").click()
    _confirm = page.get_by_role("region", name="Authenticator-app van Tim Telefoon resetten?")
    _confirm.wait_for()
    check_screen(page, "confirm 2FA reset")
    _confirm.get_by_role("button", name="Ja, doorgaan").click()
    page.get_by_role("status").filter(has_text="De authenticator-app van Tim Telefoon is gereset.").wait_for()
    check_screen(page, "2FA reset")
    assert ok(api.login_step1(phone_lost))["kind"] == "enrol"
    context.close()

    # The new assessor logs in and links an app on the foundation's screens.
    context = new_context(browser, system, viewport=PHONE)
    page = context.new_page()
    page.goto("/inloggen")
    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(assessor.email)
    page.get_by_label("Wachtwoord").fill(assessor.password)
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Koppel een authenticator-app")
    assessor.secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_role("textbox", name="Code").fill(assessor.fresh_code())
    page.get_by_role("button", name="Koppelen en inloggen").click()
    heading(page, "Je herstelcodes")
    context.close()


def test_the_recovery_codes_stay_when_the_account_does_not_load_after_linking(browser, system, api):
    """At the first login the app is linked and the codes come once; when the account then does not load (a
    moment of trouble), the codes are shown anyway, with the problem and a way to try again."""
    person = api.register(unique_email("eerste"), full_name="Eva Eerste")  # verified, no app linked yet
    context = new_context(browser, system, viewport=PHONE)
    page = context.new_page()
    page.goto("/inloggen")
    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(person.password)
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Koppel een authenticator-app")
    person.secret = page.locator("[data-secret]").inner_text().replace(" ", "")

    refused = []

    def unavailable(route):
        if route.request.method != "GET":
            route.continue_()
            return
        refused.append(route.request.url)
        # Each refusal its own request id, so that the test can tell the retry's problem from the first one.
        route.fulfill(status=503, content_type="application/problem+json", body=json.dumps({
            "type": "about:blank", "title": "De dienst is even niet beschikbaar", "status": 503,
            "detail": "Probeer het zo nog eens.", "request_id": f"req-test-503-{len(refused)}"}))

    page.route("**/api/v1/accounts/me", unavailable)
    page.get_by_role("textbox", name="Code").fill(person.fresh_code())
    page.get_by_role("button", name="Koppelen en inloggen").click()
    heading(page, "Je herstelcodes")
    problem = page.get_by_role("alert")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("De dienst is even niet beschikbaar")
    expect(problem).to_contain_text("req-test-503-1")
    codes = page.locator("ol.codes li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden als tekstbestand").click()
    stored = open(download.value.path(), encoding="utf-8").read()
    assert all(code in stored for code in codes) and person.email in stored
    check_screen(page, "recovery codes, account not loaded")

    # Still down: the new problem; then up again: the codes' own screen, with the same codes.
    page.get_by_role("button", name="Opnieuw proberen").click()
    # The retry's own answer, not the first problem still on screen: only then is no request in flight.
    expect(problem).to_contain_text("req-test-503-2")
    expect(problem).to_contain_text("De dienst is even niet beschikbaar")
    page.unroute("**/api/v1/accounts/me")
    page.get_by_role("button", name="Opnieuw proberen").click()
    page.get_by_label("Ik heb mijn herstelcodes bewaard").wait_for()
    heading(page, "Je herstelcodes")
    assert page.locator("ol.codes li").all_inner_texts() == codes
    page.get_by_label("Ik heb mijn herstelcodes bewaard").check()
    page.get_by_role("button", name="Verder naar mijn overzicht").click()
    heading(page, "Mijn overzicht")
    context.close()


def test_after_registering_the_new_screen_has_the_focus(browser, system):
    """Sent from the page as first loaded (no navigation before it): "check your mailbox" is a new screen, its
    heading focused (not the page's body) so that a screen reader reads it."""
    context = new_context(browser, system, viewport=PHONE)
    page = context.new_page()
    page.goto("/registreren")
    heading(page, "Registreren")
    page.get_by_label("Volledige naam").fill("Rik Registreert")
    page.get_by_label("E-mailadres").fill(unique_email("rik"))
    page.get_by_label("Kies een wachtwoord").fill(PASSWORD)
    page.get_by_label("Lidmaatschapsnummer").fill(unique_member_number())
    page.get_by_role("button", name="Account aanmaken").click()
    expect(heading(page, "Kijk in je mailbox")).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("Open de link in de e-mail")
    check_screen(page, "registration received")
    context.close()
