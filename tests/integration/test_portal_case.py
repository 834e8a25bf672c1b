"""The jobcoach's screens after submitting (issue 13) in real Chromium against the shared whole system.

A jobcoach whose portfolio DNV postponed (set up through the API: certified, complete portfolio, submitted,
PE checked, paid, assessed, decided) logs in through the portal and sees her application's progress with
the date of each step, reads her messages (the menu's unread badge drops), downloads the assessment form
and her paid invoice as PDFs, and, in supplement mode, sees the assignment and the deadline, opens the A3
editor from there, revises A3 and submits the supplement after its confirmation. A second jobcoach, decided
negative, objects in the browser: her text survives a reload, a refusal shows next to the field, and the
objection shows with its state afterwards. A third, decided positive, sees her certificate's renewed
validity. axe-core and the 360 px check on every screen.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, dutch_date, heading, login, new_context
from portal_system import shared_fixtures

from recert_common.clock import platform_today
from recert_common.rules import add_years

from journeys import TODAY, complete_portfolio, eventually, form, ok

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
SAVED = re.compile(r"Opgeslagen om \d{2}:\d{2}")


def _decided(app, office, full_name: str, decision: str, assessor):
    """A jobcoach whose submitted portfolio DNV decided on (postponed: A3 reopened), through the API."""
    person = app.login(app.register(full_name=full_name))
    office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    case = office.ready_for_assessor(person)
    ok(office.assign(case, assessor))
    ok(office.advise(case, assessor, form(decision, failing=() if decision == "positive" else ("A3",))), 201)
    reason = "De reflectie blijft aan de oppervlakte." if decision == "negative" else None
    office.decide(case, decision, reason=reason)
    # The decision's message has reached her inbox: what the screens start from has settled.
    eventually(lambda: any(m.get("trigger_event_type") == "certification.decision.made"
                           for m in ok(app.get("messages", person))["items"]), what="the decision's message")
    return person, ok(app.get(f"cases/{case['id']}", person))


def _her_application(context, person):
    """She logs in on her phone and opens her application from the menu; its page."""
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")
    page.get_by_role("navigation").get_by_role("link", name="Mijn aanvraag").click()
    heading(page, "Je aanvraag")
    return page


def _unread(app, person) -> int:
    return ok(app.get("messages/unread-count", person))["unread"]


def _menu_messages(page, count: int):
    name = f"Berichten, {count} ongelezen" if count else "Berichten"
    return page.get_by_role("navigation").get_by_role("link", name=name, exact=True)


def _pdf(page, button) -> bytes:
    with page.expect_download() as caught:
        button.click()
    download = caught.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    with open(download.path(), "rb") as file:
        return file.read()


def test_progress_inbox_pdfs_and_the_supplement_after_a_postponed_decision(browser, system, app, office):
    person, case = _decided(app, office, "Carla Casus", "postponed", office.assessors[0])
    decision = case["decisions"][-1]
    due_on = date.fromisoformat(decision["supplement_due_on"])
    submitted_on = date.fromisoformat(case["progress"][0]["done_on"])

    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")

    # The inbox: the badge's accessible name says how many are unread; opening one makes it drop.
    before = _unread(app, person)
    assert before >= 2
    _menu_messages(page, before).click()
    heading(page, "Je berichten")
    expect(page.locator(".case-messages > li[data-unread=true]")).to_have_count(before)
    expect(page.locator("[data-field=unread]")).to_have_text(f"{before} ongelezen")
    check_screen(page, "inbox")
    first = page.locator(".case-messages > li[data-unread=true]").first
    message_id = first.get_attribute("data-message")
    subject = ok(app.get(f"messages/{message_id}", person))["subject"]
    first.get_by_role("link").click()
    heading(page, subject)
    expect(_menu_messages(page, before - 1)).to_be_visible()
    assert ok(app.get(f"messages/{message_id}", person))["read"] is True
    assert _unread(app, person) == before - 1
    check_screen(page, "one message")
    page.get_by_role("link", name="Terug naar je berichten").click()
    heading(page, "Je berichten")
    expect(page.locator(f"[data-message='{message_id}']")).to_have_attribute("data-unread", "false")
    page.get_by_role("button", name="Alles gelezen").click()
    page.get_by_text("Alle berichten zijn gelezen.").wait_for()
    expect(_menu_messages(page, 0)).to_be_visible()
    assert _unread(app, person) == 0

    # The application: every step with its day; the supplement is where she is now, with its deadline.
    page.get_by_role("navigation").get_by_role("link", name="Mijn aanvraag").click()
    heading(page, "Je aanvraag")
    steps = page.locator(".case-steps")
    expect(steps.locator("[data-step=submitted-1]")).to_contain_text(
        f"Klaar, op {dutch_date(submitted_on)}")
    pe_checked = date.fromisoformat(case["progress"][1]["done_on"])
    expect(steps.locator("[data-step=pe_check-1]")).to_contain_text(f"Klaar, op {dutch_date(pe_checked)}")
    assessed = date.fromisoformat(case["progress"][2]["done_on"])
    expect(steps.locator("[data-step=assessment-1]")).to_contain_text(
        f"Klaar, op {dutch_date(assessed)}")
    expect(steps.locator("[data-step=decision-1]")).to_contain_text(
        f"Klaar, op {dutch_date(date.fromisoformat(decision['decided_on']))}")
    current = steps.locator("[data-step=supplement-2]")
    expect(current).to_have_attribute("aria-current", "step")
    expect(current).to_contain_text(f"Hier zijn we nu, inleveren uiterlijk {dutch_date(due_on)}")
    expect(steps.locator("[data-step=decision-2]")).to_contain_text("Nog niet begonnen")
    expect(page.locator("[data-field=supplement-notice]")).to_contain_text(
        f"Lever je aanvulling in uiterlijk op {dutch_date(due_on)}.")
    expect(page.locator("[data-decision=postponed] h3")).to_have_text(
        "Uitgesteld: je mag je portfolio aanvullen")
    check_screen(page, "application, postponed")

    # The assessment form of the decision, as a real PDF.
    form_pdf = _pdf(page, page.get_by_role("button", name="Beoordelingsformulier downloaden (pdf)"))
    assert form_pdf.startswith(b"%PDF")
    page.get_by_text("Het beoordelingsformulier is gedownload.").wait_for()

    # The invoices: the paid recertification fee, its PDF.
    page.get_by_role("navigation").get_by_role("link", name="Facturen").click()
    heading(page, "Je facturen")
    paid = next(i for i in ok(app.get("invoices", person))["items"] if i["kind"] == "recertification")
    item = page.locator(f"[data-invoice='{paid['number']}']")
    expect(item.locator("h2")).to_have_text("Hercertificering")
    expect(item.locator("[data-field=state]")).to_have_text("Betaald")
    expect(item.locator("[data-field=amount]")).to_have_text("€\u00a0242,00")
    expect(item).to_contain_text(dutch_date(date.fromisoformat(paid["issued_on"])))
    check_screen(page, "invoices")
    pdf = _pdf(page, item.get_by_role("button", name=f"Factuur {paid['number']} downloaden (pdf)"))
    assert pdf.startswith(b"%PDF")

    # Supplement mode: the assignment per part and the deadline; A3's editor from there.
    page.get_by_role("navigation").get_by_role("link", name="Mijn aanvraag").click()
    heading(page, "Je aanvraag")
    page.get_by_role("link", name="Naar je aanvulling").click()
    heading(page, "Je aanvulling")
    expect(page.locator("[data-field=deadline]")).to_contain_text(
        f"Inleveren uiterlijk op {dutch_date(due_on)}")
    a3 = page.locator("[data-part=A3]")
    expect(a3.locator("[data-field=assignment]")).to_have_text("Werk A3 opnieuw uit.")
    expect(a3.locator("[data-field=revised]")).to_have_text("! Nog niet aangepast")
    expect(page.locator(".case-parts > li")).to_have_count(1)
    check_screen(page, "supplement")
    a3.get_by_role("link", name="A3 aanpassen").click()
    heading(page, "A3 Reflectieverslag")
    revised = "In de intervisie leerde ik scherper door te vragen, en ik laat zien wat ik daarna anders deed."
    page.get_by_label("Tekst van A3").fill(revised)
    expect(page.locator("[data-field=draft-status]")).to_have_text(SAVED)
    check_screen(page, "A3 editor, supplement")

    # Back through the portfolio's progress (the hand-over link), confirmed and submitted.
    page.get_by_role("link", name="Terug naar je portfolio").click()
    heading(page, "Je portfolio")
    page.get_by_role("link", name="Naar je aanvulling").click()
    heading(page, "Je aanvulling")
    expect(page.locator("[data-part=A3] [data-field=revised]")).to_have_text("✓ Aangepast")
    page.get_by_role("button", name="Ja, aanvulling indienen").click()
    page.get_by_text("Vink eerst aan dat je dit wilt indienen.").wait_for()
    assert ok(app.get("portfolio/cycles/current/supplement", person))["submitted_at"] is None
    page.get_by_label("Ik heb mijn aanvulling gecontroleerd en wil hem indienen.").check()
    page.get_by_role("button", name="Ja, aanvulling indienen").click()
    expect(page.locator("[data-field=submitted]")).to_contain_text(
        f"Je aanvulling is ingediend op {dutch_date(platform_today())}")
    check_screen(page, "supplement submitted")
    supplement = ok(app.get("portfolio/cycles/current/supplement", person))
    assert supplement["submitted_at"] and supplement["revised_parts"] == ["A3"]
    assert ok(app.get("portfolio/cycles/current", person))["parts"]["A3"]["text"] == revised
    eventually(lambda: office.case(case["id"])["state"] == "supplement_received", what="assessment told")

    # Her application now waits for the supplement's assessment.
    page.get_by_role("navigation").get_by_role("link", name="Mijn aanvraag").click()
    heading(page, "Je aanvraag")
    expect(page.locator("[data-step=supplement-2]")).to_contain_text(
        f"Klaar, op {dutch_date(platform_today())}")
    reassessment = page.locator("[data-step=reassessment-2]")
    expect(reassessment).to_have_attribute("aria-current", "step")
    result_due = date.fromisoformat(office.case(case["id"])["due_on"])
    assert result_due == platform_today() + timedelta(weeks=8)
    expect(reassessment).to_contain_text(f"Hier zijn we nu, verwacht uiterlijk {dutch_date(result_due)}")
    expect(page.locator("[data-step=decision-2]")).to_contain_text(
        f"verwacht uiterlijk {dutch_date(result_due)}")
    check_screen(page, "application, supplement submitted")
    context.close()


def test_an_objection_against_a_negative_decision(browser, system, app, office):
    person, case = _decided(app, office, "Olga Object", "negative", office.assessors[1])
    decision = case["decisions"][-1]
    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = _her_application(context, person)
    item = page.locator("[data-decision=negative]")
    expect(item.locator("h3")).to_have_text("Negatief: je bent niet gehercertificeerd")
    expect(item.locator("[data-field=decided-on]")).to_have_text(
        f"Besluit van {dutch_date(date.fromisoformat(decision['decided_on']))}")
    expect(item.locator("[data-field=reason]")).to_have_text("De reflectie blijft aan de oppervlakte.")
    expect(item).to_contain_text(
        f"Je kunt bezwaar maken tot en met {dutch_date(date.fromisoformat(decision['objection_deadline']))}")
    # After a negative (or postponed) decision she is pointed to the mentors (issue 14, ADR 0028).
    pointer = item.locator("[data-field=mentors]").get_by_role("link", name="Naar de mentoren")
    expect(pointer).to_have_attribute("href", "/mentoren")
    check_screen(page, "application, negative")

    # An empty reason: the API's refusal next to the field.
    page.get_by_label("Ik wil dit bezwaar indienen. Daarna kan ik het niet meer aanpassen.").check()
    page.get_by_role("button", name="Bezwaar indienen").click()
    field = page.locator(".field").filter(has=page.get_by_label("Waarom maak je bezwaar?"))
    expect(field.locator(".field-error")).not_to_be_empty()
    expect(page.get_by_label("Waarom maak je bezwaar?")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".problem[role=alert]")).to_be_visible()
    check_screen(page, "objection refused")

    # Typed, the page reloaded: the text is still there.
    reason = "Mijn reflectieverslag gaat wel degelijk in op mijn handelen; zie de tweede alinea."
    page.get_by_label("Waarom maak je bezwaar?").fill(reason)
    page.reload()
    heading(page, "Je aanvraag")
    expect(page.get_by_label("Waarom maak je bezwaar?")).to_have_value(reason)
    page.get_by_text("We hebben je tekst teruggezet die je nog niet had ingediend.").wait_for()
    page.get_by_label("Ik wil dit bezwaar indienen. Daarna kan ik het niet meer aanpassen.").check()
    page.get_by_role("button", name="Bezwaar indienen").click()
    state = page.locator("[data-field=objection]")
    expect(state.locator("[data-field=objection-state]")).to_have_text(
        "DNV behandelt je bezwaar. Je hoort het zodra er een besluit over is.")
    expect(state).to_contain_text(reason)
    expect(state).to_contain_text(f"Ingediend op {dutch_date(platform_today())}.")
    expect(page.get_by_label("Waarom maak je bezwaar?")).to_have_count(0)
    check_screen(page, "objection filed")
    (objection,) = ok(app.get(f"cases/{case['id']}", person))["objections"]
    assert objection["reason"] == reason and objection["decision_id"] == decision["id"]
    assert objection["outcome"] is None
    assert "objection" not in page.evaluate("() => Object.keys(localStorage).join(' ')")
    context.close()


def test_a_positive_decision_shows_the_renewed_validity(browser, system, app, office):
    person, case = _decided(app, office, "Petra Positief", "positive", office.assessors[0])
    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = _her_application(context, person)
    item = page.locator("[data-decision=positive]")
    expect(item.locator("h3")).to_have_text("Positief: je bent gehercertificeerd")
    expect(item.locator("[data-field=valid-until]")).to_have_text(
        f"Je certificaat is nu geldig tot en met {dutch_date(add_years(VALID_UNTIL, 4))}.")
    expect(page.locator(".case-step.case-done")).to_have_count(4)
    expect(page.get_by_label("Waarom maak je bezwaar?")).to_have_count(0)
    expect(page.locator("[data-field=mentors]")).to_have_count(0)  # no pointer to the mentors
    check_screen(page, "application, positive")
    assert ok(app.get("certificates/mine", person))["valid_until"] == add_years(VALID_UNTIL, 4).isoformat()
    context.close()
