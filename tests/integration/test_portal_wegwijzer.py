"""The jobcoach's wegwijzer screen (issue 14, web/src/screens/wegwijzer) in real Chromium at 360 px against
the shared whole system.

A jobcoach whose certificate expires in seven months (certified through DNV's office) opens the wegwijzer from
the menu: her next step links to where it is done, the milestones show their date, state and estimate, the PE
pace says how many points a month it takes; she copies her calendar link (which a calendar app can read) and
renews it after the confirmation that says the old link stops working, which it then does. axe-core and the
360 px check on each state of the screen.
"""
from __future__ import annotations

import requests
from portal_browser import browser_fixture, check_screen, dutch_date, heading, login, new_context
from portal_system import shared_fixtures

from recert_common.rules import add_months

from journeys import TODAY

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()


def _feed_status(system, url: str) -> int:
    return requests.get(url.replace("http://localhost", system.gateway), timeout=30).status_code


def test_a_late_jobcoach_reads_her_wegwijzer_and_renews_her_calendar_link(browser, system, app, office):
    person = app.login(app.register(full_name="Wies Wegwijzer"))
    expires = add_months(TODAY, 7)
    office.certify(person, expires)
    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")

    page.get_by_role("navigation").get_by_role("link", name="Wegwijzer").click()
    heading(page, "Je wegwijzer")
    page.locator("[data-field=case-state]").filter(has_text=dutch_date(expires)).wait_for()
    next_step = page.locator("[data-field=next-step]").inner_text()
    assert next_step == "Verzamel PE-punten en leg ze vast met bewijs."
    assert page.get_by_role("link", name="Ga naar de plek waar je dit doet").get_attribute("href") == "/pe"

    opens = add_months(expires, -3)
    pe = page.locator("[data-milestone=pe_points]")
    assert pe.get_attribute("data-state") == "behind"
    assert "Je loopt achter" in pe.inner_text() and f"Datum: {dutch_date(opens)}" in pe.inner_text()
    assert "Nog ongeveer 75 uur werk" in pe.inner_text()
    meetings = page.locator("[data-milestone=reflection_meetings]")
    assert "(0 van 4)" in meetings.inner_text() and meetings.get_attribute("data-state") == "behind"
    assert page.locator("[data-milestone=portfolio_parts]").get_attribute("data-state") == "on_track"
    assert "Op schema" in page.locator("[data-milestone=window_opens]").inner_text()
    pace = page.locator("[data-field=pace]").inner_text()
    assert "Je hebt nog 75 PE-punten nodig, waarvan 30 in categorie 1." in pace
    assert f"Tot {dutch_date(opens)} is dat ongeveer" in pace and "punten per maand" in pace
    check_screen(page, "wegwijzer")

    # The calendar link: copied, and readable by a calendar app without logging in.
    link = page.get_by_label("Je agenda-link")
    first = link.input_value()
    assert "/api/v1/portfolio/calendar?token=" in first
    page.get_by_role("button", name="Kopieer de link").click()
    page.get_by_role("status").filter(has_text="De link is gekopieerd.").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == first
    assert _feed_status(system, first) == 200

    # Renewing asks first, saying the old link stops working; cancelling keeps it.
    page.get_by_role("button", name="Maak een nieuwe link").click()
    question = page.get_by_role("alertdialog")
    assert "Je oude link werkt daarna meteen niet meer" in question.inner_text()
    check_screen(page, "wegwijzer, renew asked")
    question.get_by_role("button", name="Annuleren").click()
    assert link.input_value() == first
    page.get_by_role("button", name="Maak een nieuwe link").click()
    page.get_by_role("button", name="Ja, maak een nieuwe link").click()
    page.get_by_role("status").filter(has_text="De oude link werkt niet meer.").wait_for()
    renewed = link.input_value()
    assert renewed != first and "/api/v1/portfolio/calendar?token=" in renewed
    assert _feed_status(system, first) == 404 and _feed_status(system, renewed) == 200
    check_screen(page, "wegwijzer, link renewed")
    context.close()
