"""The jobcoach's portfolio in the portal (issue 13) in real Chromium against the shared whole system
(portal_system.py).

A jobcoach with a certificate whose submission window is open, and PE activities with evidence (set up
through the API: the PE screens are another part of the portal), logs in through the portal and, every step
through its screens at 360 px: writes A1-A4 (a reload in the middle of typing keeps the text; a failed save
says so and is tried again; A4 by keyboard alone), ticks the declarations, adds reflection meetings with
their proof, sees the readiness checklist go green, submits after the confirmation that shows what goes in,
and sees the case's progress with the expected date; then withdraws it again (the reason kept over a
reload) and is back at the checklist once assessment has granted it. axe-core finds no serious or critical
violation on any of these screens.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, dutch_date, heading, login, new_context, tab_to
from portal_system import shared_fixtures

from recert_common.db import Database

from journeys import PDF, TODAY, complete_portfolio, eventually, ok, record, upload

VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
SAVED = re.compile(r"Opgeslagen om \d{2}:\d{2}")

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()


def _write(page, part: str, text: str):
    area = page.get_by_label(f"Tekst van {part}")
    area.fill(text)
    expect(page.locator("[data-field=draft-status]")).to_have_text(SAVED)
    return area


def test_a_jobcoach_writes_her_portfolio_and_submits_it(browser, system, app, office):
    person = app.login(app.register(full_name="Petra Portfolio"))
    office.certify(person, VALID_UNTIL)
    for amount, days_ago in ((45, 30), (30, 60)):
        activity = record(app, person, 1, amount, days_ago=days_ago)
        ok(upload(app, person, activity["id"], PDF + str(amount).encode()), 201)
    required = ok(app.get("portfolio/cycles/current/readiness", person))["required_reflection_meetings"]
    eventually(lambda: ok(app.get("portfolio/cycles/current/readiness", person))["parts"]["B"]["complete"],
               what="her PE counted")

    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")

    # The overview: every A part still to do, each missing item a link; B is complete.
    page.get_by_role("navigation").get_by_role("link", name="Portfolio").click()
    heading(page, "Je portfolio")
    checklist = page.locator(".pf-checklist")
    expect(checklist.locator("[data-part=B]")).to_have_class(re.compile("pf-done"))
    for part in ("A1", "A2", "A3", "A4"):
        expect(checklist.locator(f"[data-part={part}]")).to_have_class(re.compile("pf-todo"))
    check_screen(page, "portfolio overview")

    # A1: typed, saved; more typed and the page reloaded before the save: the text is still there.
    checklist.get_by_role("link", name="Het beroepsgerichte cv (A1) is nog leeg.").click()
    heading(page, "A1 Beroepsgericht cv")
    check_screen(page, "A1 editor")
    area = _write(page, "A1", "Sinds 2019 werk ik als jobcoach bij Werkt B.V.")
    area.press("End")
    area.press_sequentially(" Daarvoor was ik jobcoach bij de gemeente.", delay=5)
    page.reload()
    heading(page, "A1 Beroepsgericht cv")
    full = "Sinds 2019 werk ik als jobcoach bij Werkt B.V. Daarvoor was ik jobcoach bij de gemeente."
    expect(page.get_by_label("Tekst van A1")).to_have_value(full)
    page.get_by_text("We hebben tekst teruggezet die nog niet was opgeslagen.").wait_for()
    expect(page.locator("[data-field=draft-status]")).to_have_text(SAVED)
    eventually(lambda: ok(app.get("portfolio/cycles/current", person))["parts"]["A1"]["text"] == full,
               what="the restored text saved")
    stored = page.evaluate("() => JSON.stringify({...localStorage, ...sessionStorage})")
    assert "token" not in stored.lower() and person.access_token not in stored
    page.get_by_label("Ik verklaar dat ik de afgelopen vier jaar als uitvoerend jobcoach heb gewerkt."
                      ).check()
    page.get_by_label("Ik verklaar dat ik nu als uitvoerend jobcoach werk.").check()
    expect(page.locator("#verklaringen [role=status]")).to_have_text(SAVED)

    # A2: a failed save says so, keeps the text and is tried again by itself.
    page.get_by_role("link", name="Terug naar je portfolio").click()
    heading(page, "Je portfolio")
    page.locator(".pf-checklist").get_by_role("link", name="A2 Terugblik op je ontwikkelplan").click()
    heading(page, "A2 Terugblik op je ontwikkelplan")
    page.route("**/api/v1/portfolio/cycles/current/parts/A2", lambda route: route.abort())
    page.get_by_label("Tekst van A2").fill("Mijn vorige plan heb ik grotendeels uitgevoerd.")
    expect(page.locator("[data-field=draft-status]")).to_have_text(
        re.compile("Niet opgeslagen, we proberen het opnieuw"))
    check_screen(page, "A2 editor, save failed")
    page.unroute("**/api/v1/portfolio/cycles/current/parts/A2")
    expect(page.locator("[data-field=draft-status]")).to_have_text(SAVED)

    # A4 by keyboard alone.
    page.goto("/portfolio/a4")
    heading(page, "A4 Ontwikkelplan")
    tab_to(page, page.get_by_label("Tekst van A4"))
    page.keyboard.type("Ik wil me verdiepen in arbeidsrecht en in coaching op afstand.")
    expect(page.locator("[data-field=draft-status]")).to_have_text(SAVED)

    # The reflection meetings, each with its proof.
    page.goto("/portfolio")
    heading(page, "Je portfolio")
    page.get_by_role("link", name="Naar je reflectiebijeenkomsten").click()
    heading(page, "Reflectiebijeenkomsten")
    check_screen(page, "meetings, none yet")

    # A meeting typed, then the session ends as it is added: after logging in again it is all still there.
    first_on = TODAY - timedelta(days=40)
    page.get_by_label("Datum").fill(first_on.isoformat())
    page.get_by_label("Soort bijeenkomst").select_option("supervision")
    page.get_by_label("Naam van de groep").fill("Intervisiegroep Oost")
    page.get_by_label("Naam van de begeleider").fill("Bert Begeleider")
    page.get_by_label("Duur in minuten").fill("90")
    meetings = page.url

    def expired(route):
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(status=401, content_type="application/problem+json", body=json.dumps({
            "type": "about:blank", "title": "Je sessie is verlopen", "status": 401}))

    context.clear_cookies()  # the refresh token gone too: the session has ended
    page.route("**/api/v1/portfolio/cycles/current/meetings", expired)
    page.get_by_role("button", name="Bijeenkomst toevoegen").click()
    heading(page, "Inloggen")
    page.unroute("**/api/v1/portfolio/cycles/current/meetings")
    login(page, person)
    heading(page, "Mijn overzicht")
    page.goto(meetings)
    heading(page, "Reflectiebijeenkomsten")
    expect(page.get_by_text("We hebben de bijeenkomst teruggezet")).to_be_visible()
    expect(page.get_by_label("Datum")).to_have_value(first_on.isoformat())
    expect(page.get_by_label("Soort bijeenkomst")).to_have_value("supervision")
    expect(page.get_by_label("Naam van de groep")).to_have_value("Intervisiegroep Oost")
    expect(page.get_by_label("Naam van de begeleider")).to_have_value("Bert Begeleider")
    expect(page.get_by_label("Duur in minuten")).to_have_value("90")
    check_screen(page, "meetings, a typed meeting put back")
    page.get_by_label("Naam van de begeleider").fill("")
    page.get_by_label("Duur in minuten").fill("")
    for n in range(required):
        met_on = TODAY - timedelta(days=40 + n)
        page.get_by_label("Datum").fill(met_on.isoformat())
        page.get_by_label("Soort bijeenkomst").select_option("intervision")
        page.get_by_label("Naam van de groep").fill("Intervisiegroep Oost")
        page.get_by_role("button", name="Bijeenkomst toevoegen").click()
        name = f"Intervisie op {dutch_date(met_on)}"
        meeting = page.locator(".pf-meeting").filter(has=page.get_by_role("heading", name=name))
        meeting.wait_for()
        chooser = meeting.get_by_label(f"Bewijs voor {name}")
        # What portfolio takes as proof, as it publishes it: a Word form too, and its size.
        expect(meeting.locator(".hint")).to_have_text(
            "Toegestaan: PDF, PNG, JPEG, platte tekst (.txt), e-mail (.eml) en Word (.docx), hoogstens 20 MB "
            "per bestand.")
        assert ".docx" in chooser.get_attribute("accept")
        chooser.set_input_files(
            {"name": f"presentielijst-{n}.pdf", "mimeType": "application/pdf", "buffer": PDF + bytes([n])})
        meeting.get_by_role("button", name="Bewijs uploaden").click()
        expect(meeting.locator("[data-field=proof]")).to_have_text(f"✓ Bewijs: presentielijst-{n}.pdf")
        # Added: the kept copy is gone, the form empty again.
        kept = "() => Object.keys(localStorage).filter((k) => k.endsWith('.meeting.new'))"
        assert page.evaluate(kept) == []
        expect(page.get_by_label("Naam van de groep")).to_have_value("")
        expect(page.get_by_text("We hebben de bijeenkomst teruggezet")).to_have_count(0)
    check_screen(page, "meetings with proof")

    # A3: the report and the meeting it is about.
    page.goto("/portfolio/a3")
    heading(page, "A3 Reflectieverslag")
    _write(page, "A3", "In de intervisie leerde ik scherper door te vragen.")
    first = f"Intervisie op {dutch_date(TODAY - timedelta(days=40))}"
    page.get_by_label("Over welke reflectiebijeenkomst gaat je verslag?").select_option(label=first)
    expect(page.locator("main [role=status]").last).to_have_text(SAVED)
    check_screen(page, "A3 editor")

    # Everything green; the confirmation shows what goes in; submitted, the progress with the expected date.
    page.goto("/portfolio")
    heading(page, "Je portfolio")
    page.get_by_text("Alles is compleet. Je portfolio is klaar om in te dienen.").wait_for()
    for part in ("A1", "A2", "A3", "A4", "B"):
        expect(page.locator(f".pf-checklist [data-part={part}]")).to_have_class(re.compile("pf-done"))
    check_screen(page, "portfolio overview, ready")
    page.get_by_role("link", name="Bekijken en indienen").click()
    heading(page, "Portfolio indienen")
    summary = page.locator(".pf-summary")
    assert "Daarvoor was ik jobcoach bij de gemeente." in summary.locator("[data-part=A1]").inner_text()
    assert "75 punten" in summary.locator("[data-field=pe]").inner_text()
    assert "presentielijst-0.pdf" in summary.inner_text()
    check_screen(page, "confirmation")
    page.get_by_label("Ik heb alles gecontroleerd en wil mijn portfolio nu indienen.").check()

    # A PE change portfolio has not heard of yet (its copy of one activity made stale: the one thing
    # simulated) refuses the submission (ADR 0044): nothing is submitted, and the portal says why and what
    # to do; once the copy is right again, the same click goes through.
    portfolio = Database(system.database_url("portfolio"), max_size=1, name="test-stale").open(wait=True)
    try:
        with portfolio.transaction() as conn:
            stale = conn.execute("SELECT activity_id, title FROM pe_activities WHERE account_id = %s LIMIT 1",
                                 (person.id,)).fetchone()
            conn.execute("UPDATE pe_activities SET title = 'Zoals het was' WHERE activity_id = %s",
                         (stale["activity_id"],))
        page.get_by_role("button", name="Portfolio indienen").click()
        refusal = page.locator("form .problem[role=alert]")
        expect(refusal).to_contain_text("Je PE-activiteiten zijn net gewijzigd")
        expect(refusal).to_contain_text("Er is niets ingediend")
        heading(page, "Portfolio indienen")
        check_screen(page, "submission refused: PE changed meanwhile")
        assert ok(app.get("portfolio/cycles/current", person))["state"] == "open"
        with portfolio.transaction() as conn:
            conn.execute("UPDATE pe_activities SET title = %s WHERE activity_id = %s",
                         (stale["title"], stale["activity_id"]))
    finally:
        portfolio.close()
    page.get_by_role("button", name="Portfolio indienen").click()
    heading(page, "Je portfolio")
    expected = page.locator("[data-field=expected]")
    expected.wait_for(timeout=30_000)
    case = ok(app.get("cases", person))["items"][0]
    assert dutch_date(date.fromisoformat(case["due_on"])) in expected.inner_text()
    expect(page.locator("[data-step=submitted]")).to_have_class(re.compile("pf-done"))
    expect(page.locator("[data-step=pe_check]")).to_have_attribute("aria-current", "step")
    check_screen(page, "progress")

    # Past the last day to submit, withdrawing ends the chance to submit again: the portal says so first.
    # Portfolio's "today" is made the day after the last one in its answer (the one thing simulated).
    def after_the_last_day(route):
        body = route.fetch().json()
        body["today"] = (date.fromisoformat(body["submit_by"]) + timedelta(days=1)).isoformat()
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/portfolio/cycles/current", after_the_last_day)
    page.reload()
    heading(page, "Je portfolio")
    expect(page.locator("[data-field=withdraw-after-deadline]")).to_have_text(
        f"Let op: je kon indienen tot en met {dutch_date(VALID_UNTIL)}. Trek je je portfolio nu in, dan kun "
        "je het niet opnieuw indienen en vervalt je certificaat.")
    check_screen(page, "progress with the withdrawal form, past the last day")
    page.unroute("**/api/v1/portfolio/cycles/current")

    # Withdrawn again before an assessor (ADR 0041): the reason survives a reload, the box must be ticked,
    # and once assessment has granted it the overview is the checklist again, the invoice credited.
    reason = page.get_by_label("Waarom trek je je portfolio in? (niet verplicht)")
    reason.fill("Ik wil A2 nog aanscherpen.")
    page.reload()
    heading(page, "Je portfolio")
    expect(page.locator("[data-field=withdraw-after-deadline]")).to_have_count(0)  # still in time
    expect(page.get_by_label("Waarom trek je je portfolio in? (niet verplicht)")).to_have_value(
        "Ik wil A2 nog aanscherpen.")
    page.get_by_text("We hebben je reden teruggezet zoals je die had getypt.").wait_for()
    check_screen(page, "progress with the withdrawal form")
    page.get_by_role("button", name="Portfolio intrekken").click()
    page.get_by_text("Vink eerst aan dat je je portfolio wilt intrekken.").wait_for()
    assert ok(app.get("portfolio/cycles/current", person))["state"] == "submitted"
    page.get_by_label("Ik wil mijn ingediende portfolio intrekken.").check()
    page.get_by_role("button", name="Portfolio intrekken").click()
    page.get_by_text("Alles is compleet. Je portfolio is klaar om in te dienen.").wait_for(timeout=30_000)
    expect(page.locator(".pf-checklist [data-part=A2]")).to_have_class(re.compile("pf-done"))
    check_screen(page, "portfolio overview, withdrawn")
    withdrawn = ok(app.get(f"portfolio/submissions/{case['submission_id']}", person))
    assert withdrawn["withdrawn_at"] and withdrawn["withdraw_reason"] == "Ik wil A2 nog aanscherpen."
    eventually(lambda: ok(app.get(f"cases/{case['id']}", person))["state"] == "withdrawn",
               what="the case withdrawn")
    stored = page.evaluate("() => JSON.stringify({...localStorage})")
    assert "aanscherpen" not in stored  # the kept reason went once the request was accepted
    context.close()


def test_a_withdrawal_crossing_an_assignment_is_refused_and_said_so(browser, system, app, office, mailbox):
    """ADR 0041 on the running system. The jobcoach opens her progress while the case waits for an assessor;
    DNV assigns one before she clicks. Portfolio's copy of the case is made to lag, as it does while the
    assignment event travels (the one thing simulated: the assessor is taken out of portfolio's read model),
    so portfolio takes the request; assessment refuses it, the portal says so, and so does an e-mail."""
    person = app.login(app.register(full_name="Wim Weigering"))
    office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    case = office.ready_for_assessor(person)

    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")  # logged in: only now does a new page load keep the session
    page.goto("/portfolio")
    heading(page, "Je portfolio")
    page.get_by_role("heading", name="Portfolio intrekken").wait_for()

    ok(office.assign(case, office.assessors[0]))
    portfolio = Database(system.database_url("portfolio"), max_size=1, name="test-lag").open(wait=True)
    try:
        def assessor_known() -> bool:
            with portfolio.transaction() as conn:
                return conn.execute("SELECT assessor_id FROM cases WHERE case_id = %s",
                                    (case["id"],)).fetchone()["assessor_id"] is not None
        eventually(assessor_known, what="portfolio told of the assignment")
        with portfolio.transaction() as conn:
            conn.execute("UPDATE cases SET assessor_id = NULL WHERE case_id = %s", (case["id"],))
    finally:
        portfolio.close()

    page.get_by_label("Ik wil mijn ingediende portfolio intrekken.").check()
    page.get_by_role("button", name="Portfolio intrekken").click()
    refused = page.locator("[data-field=withdrawal]")
    expect(refused).to_have_text(re.compile("kon niet meer worden ingetrokken"), timeout=30_000)
    check_screen(page, "progress, withdrawal refused")
    cycle = ok(app.get("portfolio/cycles/current", person))
    assert (cycle["state"], cycle["withdrawal"]["state"]) == ("submitted", "refused")
    assert office.case(case["id"])["state"] == "assigned"
    subjects = eventually(lambda: [m["Subject"] for m in mailbox.to(person.email)
                                   if "ingetrokken" in m["Subject"]] or None, what="the e-mail")
    assert subjects == ["Je portfolio kon niet meer worden ingetrokken"]
    context.close()
