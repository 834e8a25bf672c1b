"""Laat je bewijs lezen (issue 14, ADR 0027) in real Chromium against the worker's shared whole system: a
jobcoach on a 360 px phone opens it from her PE list, uploads a certificate of the generated corpus, sees the
screen turn from "being read" to the proposal once pe-registry's worker has read it, finds the form filled
in with what the certificate says, changes the title (which survives a reload), chooses the category and
confirms: the activity is recorded with the certificate as its evidence. A confirmation e-mail she uploads
next she throws away: nothing is recorded. axe-core and the 360 px check on every screen."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import reading_corpus
from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, heading, login, new_context
from portal_system import shared_fixtures

from journeys import TODAY, certified_coach, ok

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

CERTIFICATE = reading_corpus.document(reading_corpus.DEFAULT_SEED, 0)  # Dutch, a text PDF
MAIL = reading_corpus.document(reading_corpus.DEFAULT_SEED, 12)  # Dutch, an HTML e-mail


def _choose(page, document):
    page.get_by_label("Kies je document").set_input_files(
        files=[{"name": document.filename, "mimeType": document.content_type, "buffer": document.data}])
    page.get_by_role("button", name="Laat lezen").click()


def test_a_jobcoach_has_her_certificate_read_checks_the_proposal_and_confirms(browser, system, app):
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")
    page.get_by_role("navigation").get_by_role("link", name="PE-punten").click()
    heading(page, "Je PE-activiteiten")
    page.get_by_role("link", name="Laat je bewijs lezen").click()
    heading(page, "Laat je bewijs lezen")
    page.get_by_text("Er staan geen documenten klaar.").wait_for()
    # What may be sent, as pe-registry publishes it: no Word.
    accept = page.get_by_label("Kies je document").get_attribute("accept")
    assert ".pdf" in accept and ".eml" in accept and ".docx" not in accept
    check_screen(page, "reading: start")

    _choose(page, CERTIFICATE)
    heading(page, "Voorstel uit je document")
    status = page.locator("p[role=status][data-state]")
    expect(status).to_have_attribute("data-state", "proposed", timeout=60_000)
    expect(status).to_contain_text(f"We hebben {CERTIFICATE.filename} gelezen")
    truth = CERTIFICATE.truth
    title = page.get_by_label("Naam van de activiteit")
    expect(title).to_have_value(truth.title)
    expect(page.get_by_label("Aanbieder")).to_have_value(truth.provider)
    expect(page.get_by_label("Datum waarop je de activiteit afrondde")).to_have_value(
        truth.completed_on.isoformat())
    expect(page.get_by_label("Eenheid")).to_have_value(truth.unit)
    assert Decimal(page.get_by_label("Omvang").input_value().replace(",", ".")) == truth.amount
    check_screen(page, "reading: proposal")

    # She corrects the title; a reload keeps what she typed (the draft on this device).
    title.fill("Training gespreksvoering, dag 2")
    page.reload()
    heading(page, "Voorstel uit je document")
    page.get_by_text("We hebben teruggezet wat je eerder typte").wait_for()
    expect(title).to_have_value("Training gespreksvoering, dag 2")
    # Without a category the API refuses, next to the field; then she chooses one and confirms.
    page.get_by_role("button", name="Bevestigen en vastleggen").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_label("Categorie").get_attribute("aria-invalid") == "true"
    check_screen(page, "reading: refused")
    page.get_by_label("Categorie").select_option("1")
    page.get_by_role("button", name="Bevestigen en vastleggen").click()
    heading(page, "PE-activiteit wijzigen")
    page.get_by_role("status").filter(has_text="vastgelegd met je document als bewijs").wait_for()
    page.get_by_text(CERTIFICATE.filename).first.wait_for()

    [activity] = ok(app.get("pe/activities", person))["items"]
    assert activity["title"] == "Training gespreksvoering, dag 2"
    assert activity["completed_on"] == truth.completed_on.isoformat()
    assert [e["sha256"] for e in activity["evidence"]] != []

    # An e-mail she does not want after all: thrown away, nothing recorded, the list is empty again.
    page.goto("/pe/lezen")
    heading(page, "Laat je bewijs lezen")
    _choose(page, MAIL)
    heading(page, "Voorstel uit je document")
    expect(page.locator("p[role=status][data-state]")).to_have_attribute("data-state", "proposed",
                                                                         timeout=60_000)
    # Back in her list the e-mail waits with its proposal; from there she opens it again.
    page.get_by_role("link", name="Terug naar je documenten").click()
    heading(page, "Laat je bewijs lezen")
    page.get_by_text("Voorstel klaar").wait_for()
    check_screen(page, "reading: list")
    page.get_by_role("link", name=f"Voorstel bekijken: {MAIL.filename}").click()
    heading(page, "Voorstel uit je document")
    expect(page.get_by_label("Naam van de activiteit")).to_have_value(MAIL.truth.title)
    page.get_by_role("button", name="Weggooien").click()
    heading(page, "Laat je bewijs lezen")
    page.get_by_role("status").filter(has_text=f"{MAIL.filename} is weggegooid").wait_for()
    page.get_by_text("Er staan geen documenten klaar.").wait_for()
    check_screen(page, "reading: after dismissal")
    assert ok(app.get("pe/activities", person))["total"] == 1
    context.close()
