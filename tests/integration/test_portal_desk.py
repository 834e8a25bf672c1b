"""The service desk's screens in the portal (issue 14, ADR 0029) in real Chromium against the shared whole
system, at 360 px, axe-clean, under the gateway's real Content-Security-Policy.

A person who cannot log in finds the help button on the start page, asks a question with their e-mail
address and confirms it by the link in the e-mail; DNV's support finds it in the queue and answers; the
person opens the link in the answer's e-mail and replies; support closes it. A logged-in jobcoach asks a
question with an attachment (the typed text survives a reload) and support, after checking identity,
unlinks her authenticator app from the request (the confirmation tick is required first).
"""
from __future__ import annotations

import uuid

from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, heading, new_context
from portal_system import shared_fixtures

from frontend import unique_email
from journeys import eventually, ok

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

PHONE = {"viewport": {"width": 360, "height": 780}}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def login(page, person) -> None:
    """Log in through the screens with one of the person's recovery codes (they were logged in by the API a
    moment ago: a second authenticator code would have to wait for the next 30-second step)."""
    page.goto("/inloggen")
    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(person.password)
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Code uit je authenticator-app")
    page.get_by_role("textbox", name="Code").fill(person.recovery_codes.pop())
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Uitloggen").wait_for()


def _mail_link(mailbox, address: str, path: str) -> str:
    return eventually(lambda: mailbox.link(address, path), what=f"a link to {path} e-mailed to {address}")


def test_a_logged_out_question_confirmed_answered_replied_and_closed_in_the_portal(browser, system, office,
                                                                                   mailbox):
    helper = office.staff("dnv_support", "Sanne Helpdesk")
    address = unique_email("zonder")
    subject = f"Telefoon kwijt {uuid.uuid4().hex[:6]}"

    person = new_context(browser, system, **PHONE)
    page = person.new_page()
    page.goto("/")
    page.get_by_role("link", name="Hulp", exact=True).click()
    heading(page, "Hulp van de helpdesk")
    check_screen(page, "help, logged out")
    page.get_by_role("link", name="Vraag stellen zonder in te loggen").click()
    heading(page, "Vraag stellen zonder in te loggen")
    page.get_by_label("Je e-mailadres").fill(address)
    page.get_by_label("Je naam").fill("Rosa Zonder Login")
    page.get_by_label("Onderwerp").fill(subject)
    page.get_by_label("Je vraag").fill("Ik heb een nieuwe telefoon en kan niet meer inloggen.")
    check_screen(page, "ask without logging in")
    page.get_by_role("button", name="Vraag versturen").click()
    # The screen after sending is a new screen: its heading has the focus (not the page's body).
    expect(heading(page, "Kijk in je mailbox")).to_be_focused()

    page.goto(_mail_link(mailbox, address, "/hulp/bevestigen"))
    heading(page, "Je vraag bevestigen")
    check_screen(page, "confirm")
    page.get_by_role("button", name="Ja, bevestig mijn vraag").click()
    # Also on the page the e-mail's link opened (no navigation before it).
    expect(heading(page, "Je vraag is bevestigd")).to_be_focused()

    staff = new_context(browser, system, **PHONE)
    desk = staff.new_page()
    login(desk, helper)
    desk.locator("#main").get_by_role("link", name="Hulpvragen").click()  # support's start menu
    heading(desk, "Hulpvragen")
    check_screen(desk, "queue")
    desk.get_by_role("link", name=subject).click()
    heading(desk, f"Hulpvraag: {subject}")
    expect(desk.locator("[data-field=account]")).to_have_text("geen account met dit bevestigde e-mailadres")
    check_screen(desk, "support's request")
    desk.get_by_label("Je antwoord").fill("Bel ons op het bekende nummer, dan helpen we je.")
    desk.get_by_role("button", name="Antwoord versturen").click()
    expect(desk.get_by_role("status").filter(has_text="Je antwoord is verstuurd.")).to_be_visible()
    expect(desk.locator("[data-field=state]")).to_have_text("Beantwoord")

    page.goto(_mail_link(mailbox, address, "/hulp/gesprek"))
    heading(page, f"Je vraag: {subject}")
    expect(page.get_by_text("Bel ons op het bekende nummer, dan helpen we je.")).to_be_visible()
    check_screen(page, "the thread by the e-mailed link")
    page.get_by_label("Je reactie").fill("Ik bel morgenochtend.")
    page.get_by_role("button", name="Reactie versturen").click()
    expect(page.get_by_role("status").filter(has_text="Je reactie is verstuurd.")).to_be_visible()
    expect(page.locator("[data-field=state]")).to_have_text("Open")

    desk.reload()
    heading(desk, f"Hulpvraag: {subject}")
    expect(desk.get_by_text("Ik bel morgenochtend.")).to_be_visible()
    desk.get_by_label("Status van de vraag").select_option("closed")
    desk.get_by_role("button", name="Status opslaan").click()
    expect(desk.locator("[data-field=state]")).to_have_text("Gesloten")
    page.reload()
    expect(page.get_by_text("Deze vraag is gesloten.")).to_be_visible()
    person.close()
    staff.close()


def test_a_jobcoach_asks_with_an_attachment_and_support_unlinks_her_app_after_checking(browser, system, app,
                                                                                        office):
    helper = office.staff("dnv_support", "Sam Support")
    coach = app.login(app.register(full_name="Jet Jobcoach"))
    subject = f"Nieuwe telefoon {uuid.uuid4().hex[:6]}"

    context = new_context(browser, system, **PHONE)
    page = context.new_page()
    login(page, coach)
    heading(page, "Mijn overzicht")
    page.get_by_role("link", name="Hulp", exact=True).click()
    heading(page, "Hulp van de helpdesk")
    page.get_by_role("link", name="Stel een vraag").click()
    heading(page, "Stel een vraag")
    page.get_by_label("Onderwerp").fill(subject)
    question = "Mijn oude telefoon is stuk; hierbij mijn lidmaatschapsbewijs."
    page.get_by_label("Je vraag").fill(question)
    page.reload()  # the typed question is kept
    heading(page, "Stel een vraag")
    expect(page.get_by_label("Je vraag")).to_have_value(question)
    page.get_by_label("Bijlage (niet verplicht)").set_input_files(
        {"name": "lidmaatschap.pdf", "mimeType": "application/pdf", "buffer": PDF})
    check_screen(page, "new request")
    page.get_by_role("button", name="Vraag versturen").click()
    heading(page, f"Je vraag: {subject}")
    expect(page.get_by_role("button", name="lidmaatschap.pdf downloaden")).to_be_visible()
    check_screen(page, "my request")

    staff = new_context(browser, system, **PHONE)
    desk = staff.new_page()
    login(desk, helper)
    request_id = eventually(lambda: next((item["id"] for item in ok(app.get("desk/queue", helper, params={
        "page_size": 100}))["items"] if item["subject"] == subject), None), what="the request in the queue")
    desk.goto(f"/ondersteuning/verzoek?id={request_id}")
    heading(desk, f"Hulpvraag: {subject}")
    expect(desk.locator("[data-field=account]")).to_contain_text(coach.id)
    desk.get_by_label("Hoe heb je de identiteit gecontroleerd?").fill("Teruggebeld; lidnummer klopt.")
    desk.get_by_role("button", name="App loskoppelen").click()
    expect(desk.get_by_text("Vink eerst aan dat je de identiteit hebt gecontroleerd.")).to_be_visible()
    assert ok(app.get("accounts/me", coach))["totp_enrolled"] is True  # nothing happened yet
    desk.get_by_label("Ik heb de identiteit gecontroleerd").check()
    desk.get_by_role("button", name="App loskoppelen").click()
    done = desk.get_by_role("status").filter(has_text="De authenticator-app is losgekoppeld.")
    expect(done).to_be_visible()
    expect(desk.locator("[data-kind=note]")).to_contain_text("Teruggebeld; lidnummer klopt.", timeout=15_000)
    check_screen(desk, "support's request after the reset")
    assert app.login_step1(coach).json()["kind"] == "enrol"
    context.close()
    staff.close()
