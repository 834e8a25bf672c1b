"""The mentors' screens (ADR 0028) in real Chromium against the shared whole system: what goes wrong on
them is shown, and the PE points read as numbers in the reader's language.

A jobcoach with PE points that are not whole (12.5) invites a mentor through the API (the invitation's
screens are covered in test_mentors.py). The mentor reads her PE points in Dutch ("12,5", not the API's
"12.5"); when her comments do not load, the mentor is told so (not an empty list); when the jobcoach's own
mentorships do not load, /mentoren says so. Both at 360 px, axe-core on each.
"""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, heading, login, new_context
from portal_system import shared_fixtures

from frontend import PASSWORD, Person
from journeys import PDF, TODAY, eventually, ok, record, upload

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

CONSENT = {"drafts": True, "meetings": True, "pe_summary": True}
UNAVAILABLE = "Portfolio is even niet bereikbaar"


def _dutch(value: str) -> str:
    """A decimal as the portal shows it in Dutch: "12.5" -> "12,5", "75" -> "75"."""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def _unavailable(route):
    """A 503 problem+json for GET requests; anything else goes through."""
    if route.request.method != "GET":
        route.continue_()
        return
    route.fulfill(status=503, content_type="application/problem+json", body=json.dumps({
        "type": "about:blank", "title": UNAVAILABLE, "status": 503, "detail": "Probeer het zo nog eens.",
        "request_id": "req-mentors-503"}))


def _phone(browser, system):
    return new_context(browser, system, viewport={"width": 360, "height": 740})


def test_the_mentor_reads_points_in_dutch_and_is_told_when_comments_do_not_load(browser, system, app, office):
    mentor = Person(f"mentor.{uuid.uuid4().hex[:10]}@example.org", PASSWORD)
    mentor.account = ok(app.post("admin/accounts", office.admin, json={
        "email": mentor.email, "full_name": "Mila Meelezer", "password": PASSWORD, "roles": ["mentor"]}), 201)
    app.login(mentor)
    coach = app.login(app.register(full_name="Kim Kommagetal"))
    office.certify(coach, TODAY + timedelta(days=300))
    activity = record(app, coach, 1, "12.5", days_ago=20)
    ok(upload(app, coach, activity["id"], PDF), 201)
    mentorship = eventually(lambda: (r := app.post("portfolio/mentorships", coach, json={
        "mentor_id": mentor.id, "consent": CONSENT})).status_code == 201 and r.json(),
        what="the mentor known to portfolio")
    ok(app.put(f"portfolio/mentors/{mentor.id}", mentor,
               json={"region": "Gelderland", "about": "Oud-jobcoach."}))
    summary = eventually(lambda: (r := app.get(f"pe/accounts/{coach.id}/summary", mentor)).status_code == 200
                         and Decimal(r.json()["counted_total"]) > 0 and r.json(),
                         what="her points to the mentor")
    counted, required = summary["counted_total"], summary["required_total"]
    needed = summary["points_still_needed"]
    assert "." in counted and Decimal(needed) > 0, summary  # not whole: the API's "12.5" differs from Dutch

    page = _phone(browser, system).new_page()
    login(page, mentor)
    heading(page, "Mijn overzicht")
    page.goto(f"/mentor/jobcoach?id={mentorship['id']}")
    heading(page, "Portfolio van Kim Kommagetal")
    expect(page.locator("[data-field=pe-total]")).to_have_text(
        f"{_dutch(counted)} van de {_dutch(required)} punten telt mee.")
    expect(page.locator("[data-field=pe-missing]")).to_have_text(f"Nog nodig: {_dutch(needed)} punten.")
    check_screen(page, "mentor: PE points in Dutch")

    # Her comments do not load: said, with the problem's title, rather than shown as none.
    page.route(f"**/api/v1/portfolio/mentorships/{mentorship['id']}/comments", _unavailable)
    page.reload()
    heading(page, "Portfolio van Kim Kommagetal")
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text(UNAVAILABLE)
    expect(problem).to_contain_text("req-mentors-503")
    expect(page.locator("[data-part=A2]")).to_be_visible()  # the rest still shows
    check_screen(page, "mentor: comments not loaded")
    page.context.close()

    # The jobcoach's own mentorships do not load: /mentoren says so.
    page = _phone(browser, system).new_page()
    login(page, coach)
    heading(page, "Mijn overzicht")
    page.route("**/api/v1/portfolio/mentorships", _unavailable)
    page.get_by_role("navigation").get_by_role("link", name="Mentoren").click()
    heading(page, "Mentoren")
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text(UNAVAILABLE)
    expect(page.locator(f"[data-mentor='{mentor.id}']")).to_be_visible()  # the list of mentors still shows
    check_screen(page, "mentors: her mentorships not loaded")
    page.context.close()
