"""The DNV officer's screens in the portal (issue 13) in real Chromium against the shared whole system.

Each test sets up its own jobcoach through the API: certified, her complete portfolio submitted (with a
photo as the evidence of one activity). DNV's officer, logged in through the portal once, at 360 px:

- sees the overview (and a part that does not arrive said as missing), finds the case by its state, opens
  it (jobcoach, state, due date, audit trail), does the PE check (the photo shown inline, a PDF downloaded
  with the access token, one activity rejected with a reason and the rules' result following, the
  rejection undone) and passes it; once the test has paid as the payment provider would, sees the assessor
  who is also the jobcoach's mentor (she invited them, ADR 0028) excluded with the reason, assigns another;
  once the
  assessor advised positive through the API, downloads the assessment form and decides (departing from
  the advice without a reason is refused next to the field); then loads a certificate CSV whose wrong line
  is shown by its line number, and the corrected file;
- decides postponed as advised by keyboard alone and sees the supplement's deadline; finds the jobcoach's
  objection unfounded;
- cannot pass a PE check that misses the rules, fails it with findings, and postpones on part B;
- after such a postponement (set up through the API), upholds the jobcoach's objection (filed in the
  portal) once told what that does there: the decision and its PE supplement lapse (the jobcoach's
  application, supplement, portfolio and wegwijzer say so on her phone; her hand-in from a tab still open
  is refused, and that tab then shows the supplement annulled), and the case is back at the PE check,
  which the officer does again: passed, on to payment;
- after such an uphold (through the API), the check failing again, a new postponement on B and its
  supplement handed in and paid: the check of that supplement is not said to be back at the PE check;
- after such an uphold, the jobcoach's portfolio withdrawn and submitted again (through the API): her
  overview of the new submission does not show the annulled supplement of the withdrawn one;
- after a PE supplement, fails the check again and sees anything but a negative decision refused next to
  the choices; the jobcoach's objection against that negative decision, and her objection against the
  postponement still open from before the supplement (replaced by the negative decision), are each offered
  only as unfounded, with why (the platform cannot uphold them), and rejected.

Noloc's administrator sends a failed e-mail again (the failed e-mails are Noloc's). The API shows each
effect. The page keeps the gateway's Content-Security-Policy (no bypass): axe-core comes in through DevTools,
which the policy does not govern, so the inline photo proves that `img-src blob:` is allowed.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from portal_browser import (
    browser_fixture,
    check_screen,
    dutch_date,
    heading,
    login,
    new_context,
    tab_to,
)
from portal_system import shared_fixtures
from smtp_mailbox import REFUSED_PREFIX

from recert_common.clock import platform_today

from frontend import PASSWORD, Person, unique_member_number
from journeys import TODAY, complete_portfolio, eventually, file_objection, form, ok, record, upload

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
NAME = "Dora Dossier"
ACTIVITY = "Activiteit categorie 1"


def _points(value: str) -> str:
    """A decimal as the portal shows it in Dutch: 75.00 -> "75", 7.50 -> "7,5"."""
    number = Decimal(value).normalize()
    text = format(number, "f")
    return text.replace(".", ",")


def _mentor_of(app, office, person) -> Person:
    """An assessor who is also a mentor, whom the jobcoach invited with consent: never her assessor."""
    mentor = Person(f"mentor.{uuid.uuid4().hex[:10]}@example.org", PASSWORD)
    mentor.account = ok(app.post("admin/accounts", office.admin, json={
        "email": mentor.email, "full_name": "Mees Meekijker", "password": PASSWORD,
        "roles": ["assessor", "mentor"]}), 201)
    consent = {"drafts": True, "meetings": True, "pe_summary": True}
    eventually(lambda: app.post("portfolio/mentorships", person, json={
        "mentor_id": mentor.id, "consent": consent}).status_code == 201, what="the mentor known to portfolio")
    eventually(lambda: mentor.id in office.case(office.case_of(person)["id"])["mentor_ids"],
               what="the mentorship known to assessment")
    return mentor


def _submitted(app, office, name: str = NAME):
    """A certified jobcoach whose complete portfolio is in, with a photo among the evidence; returns her and
    her case."""
    person = app.login(app.register(full_name=name))
    office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    photo = record(app, person, 1, 5, days_ago=20)
    ok(upload(app, person, photo["id"], PNG, filename="foto.png", content_type="image/png"), 201)
    eventually(lambda: photo["id"] in ok(app.get("portfolio/cycles/current/readiness", person))["pe"][
        "activity_ids"], what="the photo's activity in the portfolio")
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    return person, office.case_of(person)


def _phone(browser, system):
    """A browser profile at 360 px under the gateway's real CSP."""
    return new_context(browser, system, viewport={"width": 360, "height": 740})


def _pe_supplement_handed_in_and_paid(app, office, person, case_id) -> None:
    """The jobcoach adds an activity with its evidence, hands in the supplement for B and pays the
    reassessment fee: the case is back at DNV's PE check, on the supplement's activities."""
    extra = record(app, person, 1, 12, days_ago=10)
    ok(upload(app, person, extra["id"], b"%PDF-1.4 extra"), 201)
    eventually(lambda: extra["id"] in ok(app.get("portfolio/cycles/current/readiness", person))["pe"][
        "activity_ids"], what="the new activity in the portfolio")
    ok(app.post("portfolio/cycles/current/supplement/submit", person), 201)
    office.pay(person, "reassessment")
    eventually(lambda: office.case(case_id)["state"] == "opened", what="the supplement at the PE check")


def _logged_in_on_phone(browser, system, person):
    """``person`` logged in on a phone, on her overview: the browser profile and the page."""
    context = _phone(browser, system)
    page = context.new_page()
    login(page, person)
    heading(page, "Mijn overzicht")
    return context, page


@pytest.fixture(scope="module")
def officer(browser, system, office):
    """DNV's officer, logged in through the portal once for the module's tests."""
    context = _phone(browser, system)
    page = context.new_page()
    login(page, office.dnv)
    heading(page, "DNV-overzicht")  # a DNV officer starts on the overview
    yield page
    context.close()


def test_dnv_checks_assigns_and_decides_and_imports(officer, app, office):
    person, case = _submitted(app, office)
    assessor = office.assessors[1]
    mentor = _mentor_of(app, office, person)
    case_id = case["id"]
    page = officer
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Zaken")).to_be_visible()
    expect(nav.get_by_role("link", name="Certificaten importeren")).to_be_visible()
    expect(nav.get_by_role("link", name="Mislukte e-mails")).to_be_visible()  # seen by DNV, resent by Noloc

    # The overview: the three parts; the count of cases waiting for the PE check includes hers.
    nav.get_by_role("link", name="DNV-overzicht").click()
    heading(page, "DNV-overzicht")
    waiting = ok(app.get("overview", office.dnv))["pe_checks_waiting"]["total"]
    assert waiting >= 1
    expect(page.locator("[data-state=opened] strong")).to_have_text(re.compile(r"\d+"))
    page.get_by_role("heading", name="Te laat of bijna te laat").wait_for()
    check_screen(page, "DNV overview")

    # A part that does not arrive is said as missing; the rest still shows.
    def without_overdue(route):
        body = route.fetch().json()
        body.update(overdue=None, missing=["overdue"], partial=True)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/overview", without_overdue)
    page.get_by_role("link", name="Zaken", exact=True).click()
    heading(page, "Zaken")
    page.get_by_role("navigation").get_by_role("link", name="DNV-overzicht").click()
    heading(page, "DNV-overzicht")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Niet alles kon worden geladen")
    expect(alert).to_contain_text("Te laat of bijna te laat")
    expect(page.locator("#dnv-overdue + p")).to_have_text("Dit deel is nu niet beschikbaar.")
    expect(page.locator("[data-state=opened]")).to_be_visible()
    check_screen(page, "DNV overview, a part missing")
    page.unroute("**/api/v1/overview")

    # The cases, her own (the system is shared), filtered by state through the screen.
    page.goto(f"/dnv/zaken?jobcoach={person.id}")
    heading(page, "Zaken")
    page.get_by_label("Toon zaken met status").select_option(label="Ingediend, PE-toets nog te doen")
    expect(page).to_have_url(re.compile(r"status=opened"))
    rows = page.locator("[data-list=cases] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case", case_id)
    expect(rows.first.get_by_role("link")).to_have_text(NAME)  # the jobcoach's name in the list
    check_screen(page, "cases by state")
    page.get_by_label("Toon zaken met status").select_option(label="Besluit genomen")
    expect(page.get_by_text("Geen zaken.")).to_be_visible()
    page.get_by_label("Toon zaken met status").select_option(label="Ingediend, PE-toets nog te doen")
    rows.first.get_by_role("link").click()

    # The case: jobcoach, state, due date, audit trail.
    heading(page, f"Zaak van {NAME}")
    expect(page.locator("[data-field=jobcoach]")).to_have_text(NAME)
    expect(page.locator("[data-field=state]")).to_have_text("Ingediend, PE-toets nog te doen")
    expect(page.locator("[data-field=due]")).to_have_text(dutch_date(date.fromisoformat(case["due_on"])))
    expect(page.locator(".dnv-audit li").first).to_contain_text("Zaak geopend (systeem)")
    check_screen(page, "case")

    # The PE check: evidence, a rejection with the rules following, undone, passed.
    page.get_by_role("link", name="De PE-toets doen").click()
    heading(page, f"PE-toets voor {NAME}")
    rules = page.locator("[data-field=rules]")
    expect(rules).to_contain_text("De regels zijn gehaald")
    before = ok(app.get(f"cases/{case_id}/pe-check", office.dnv))
    expect(rules).to_contain_text(f"er tellen {_points(before['counted_total'])} punten")
    by_amount = {Decimal(a["amount"]): a["activity_id"] for a in before["activities"]}
    photo_card = page.locator(f"[data-activity='{by_amount[Decimal(5)]}']")
    photo_card.get_by_role("button", name="Toon bewijs foto.png").click()
    image = photo_card.get_by_role("img", name="foto.png")
    expect(image).to_be_visible()
    assert image.evaluate("(img) => img.complete && img.naturalWidth") == 1  # loaded under the CSP
    assert image.get_attribute("src").startswith("blob:")
    pdf_card = page.locator(f"[data-activity='{by_amount[Decimal(30)]}']")
    with page.expect_download() as download:
        pdf_card.get_by_role("button", name=re.compile("Download bewijs certificaat.pdf")).click()
    assert download.value.suggested_filename == "certificaat.pdf"
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")

    pdf_card.get_by_role("button", name=f"Keur {ACTIVITY} af").click()
    pdf_card.get_by_label(f"Waarom keur je {ACTIVITY} af?").fill("Het bewijs hoort bij een andere cursus.")
    pdf_card.get_by_role("button", name="Afkeuren", exact=True).click()
    expect(pdf_card.locator("[data-field=rejection]")).to_have_text(
        "Afgekeurd: Het bewijs hoort bij een andere cursus.")
    expect(pdf_card.locator("[data-field=counted]")).to_have_text("nee")
    rejected = ok(app.get(f"cases/{case_id}/pe-check", office.dnv))
    assert Decimal(rejected["counted_total"]) < Decimal(before["counted_total"])
    expect(rules).to_contain_text(f"er tellen {_points(rejected['counted_total'])} punten")
    expect(page.locator(".dnv-status")).to_contain_text("is afgekeurd")
    check_screen(page, "PE check, one activity rejected")
    pdf_card.get_by_role("button", name=f"Afkeuring van {ACTIVITY} intrekken").click()
    expect(pdf_card.locator("[data-field=counted]")).to_have_text("ja")
    expect(pdf_card.get_by_role("button", name=f"Keur {ACTIVITY} af")).to_be_focused()
    expect(rules).to_contain_text(f"er tellen {_points(before['counted_total'])} punten")
    page.get_by_label("Behaald", exact=True).check()
    page.get_by_role("button", name="PE-toets afronden").click()
    expect(page.locator("[data-field=result]")).to_contain_text("Behaald op")
    check_screen(page, "PE check, completed")
    done = ok(app.get(f"cases/{case_id}/pe-check", office.dnv))
    assert done["completed"]["passed"] is True
    assert all(a["rejection"] is None for a in done["activities"])
    actions = [e["action"] for e in ok(app.get(f"cases/{case_id}/audit", office.dnv))]
    assert actions.count("pe_activity_rejected") == 1 and "pe_activity_rejection_withdrawn" in actions

    # The payment provider reports the recertification fee paid.
    office.pay(person, "recertification")
    eventually(lambda: office.case(case_id)["state"] == "ready_for_assignment", what="payment applied")

    # Assigning: the mentor is excluded with the reason; the other assessor is assigned.
    page.get_by_role("link", name="Terug naar de zaak").click()
    heading(page, f"Zaak van {NAME}")
    expect(page.locator("[data-field=state]")).to_have_text("Klaar voor een beoordelaar")
    page.get_by_role("link", name="Een beoordelaar toewijzen").click()
    heading(page, f"Beoordelaar voor {NAME}")
    assert mentor.id in office.case(case_id)["mentor_ids"]
    excluded = page.locator(f"[data-assessor='{mentor.id}']")
    expect(excluded.get_by_role("radio")).to_be_disabled()
    expect(excluded.locator("[data-field=excluded]")).to_have_text("Kan niet: Mentor van deze jobcoach.")
    check_screen(page, "assign an assessor")
    page.locator(f"[data-assessor='{assessor.id}']").get_by_role("radio").check()
    page.get_by_role("button", name="Beoordelaar toewijzen").click()
    assessor_name = assessor.account["full_name"]
    expect(page.locator(".notice.done")).to_contain_text(f"{assessor_name} is de beoordelaar van deze zaak.")
    assert office.case(case_id)["assessor_id"] == assessor.id
    expect(page.locator("[data-field=assessor]")).to_have_text(assessor_name)

    # The assessor advises positive (their screens are another part of the portal).
    eventually(lambda: app.get(f"portfolio/submissions/{case['submission_id']}", assessor).status_code == 200,
               what="the snapshot open to the assessor")
    ok(office.advise(office.case(case_id), assessor, form("positive")), 201)

    # The decision: departing without a reason is refused next to the field; following the advice is taken.
    page.get_by_role("link", name="Terug naar de zaak").click()
    heading(page, f"Zaak van {NAME}")
    expect(page.locator("[data-advice='1']")).to_contain_text("advies positief")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download het beoordelingsformulier van ronde 1 (PDF)").click()
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")
    page.get_by_role("link", name="Het besluit nemen").click()
    heading(page, f"Besluit voor {NAME}")
    expect(page.locator("[data-field=advice]")).to_have_text("De beoordelaar adviseert: positief.")
    # Nothing chosen: nothing is sent (no positive decision by default); the choice is asked for next to the
    # group of decisions, and the problem has the focus.
    page.get_by_role("button", name="Besluit vastleggen").click()
    problem = page.locator("form .problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("Je hebt nog niets gekozen")
    expect(page.locator("#field-decision-error")).to_have_text(
        "Kies je besluit: positief, uitgesteld of negatief.")
    for radio in page.locator("#field-decision").get_by_role("radio").all():
        expect(radio).to_have_attribute("aria-invalid", "true")
        expect(radio).to_have_attribute("aria-describedby", "field-decision-error")
    check_screen(page, "decision, nothing chosen")
    assert office.case(case_id)["decisions"] == []
    page.get_by_label("Negatief: het certificaat vervalt op de vervaldatum").check()
    reason = page.get_by_label("Waarom wijk je af van het advies?")
    expect(reason).to_be_visible()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.locator("#field-reason-error")).to_be_visible()
    expect(reason).to_have_attribute("aria-invalid", "true")
    check_screen(page, "decision, departing without a reason")
    assert office.case(case_id)["decisions"] == []
    page.get_by_label(re.compile(r"^Positief: het certificaat wordt verlengd")).check()
    expect(reason).to_have_count(0)
    # The API names the reason although the choice follows the advice (an advice that came in meanwhile):
    # the reason's field comes back with the error next to it, never hidden.
    said = "Geef een reden: je besluit wijkt af van het nieuwe advies."

    def reason_asked(route):
        route.fulfill(status=422, content_type="application/problem+json", body=json.dumps({
            "type": "about:blank", "title": "Het advies is intussen gewijzigd", "status": 422,
            "errors": {"reason": [said]}}))

    page.route(f"**/api/v1/cases/{case_id}/decision", reason_asked)
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.locator("form .problem")).to_contain_text("Het advies is intussen gewijzigd")
    expect(page.locator("#field-reason-error")).to_have_text(said)
    expect(reason).to_have_attribute("aria-invalid", "true")
    page.unroute(f"**/api/v1/cases/{case_id}/decision")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("Je besluit is vastgelegd.")
    expect(page.get_by_role("status")).to_contain_text("Volgt het advies.")
    check_screen(page, "decision recorded")
    decided = office.case(case_id)
    assert decided["state"] == "decided"
    assert [(d["decision"], d["follows_advice"]) for d in decided["decisions"]] == [("positive", True)]

    # The certificate CSV: a wrong line is shown by its number, nothing loads; corrected, it loads.
    number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
    members = [str(uuid.uuid4().int % 90_000_000 + 10_000_000) for _ in range(2)]
    good = f"{members[0]},{number},{VALID_UNTIL.isoformat()},gerda-{number.lower()}@example.org,Gerda Goed"
    bad = f"{members[1]},RJ-X{number[3:]},31-31-2031,bert-{number.lower()}@example.org,Bert Fout"
    header = "noloc_number,certificate_number,valid_until,email,name"
    page.get_by_role("navigation").get_by_role("link", name="Certificaten importeren").click()
    heading(page, "Certificaten importeren")
    check_screen(page, "certificate import")
    page.get_by_label("CSV-bestand").set_input_files(
        {"name": "houders.csv", "mimeType": "text/csv", "buffer": f"{header}\n{good}\n{bad}\n".encode()})
    csv_area = page.get_by_label("Regels van het bestand")
    expect(csv_area).to_have_value(f"{header}\n{good}\n{bad}\n")
    page.get_by_role("button", name="Importeren").click()
    wrong = page.locator("[data-list=line-errors] tbody tr")
    expect(wrong).to_have_count(1)
    expect(wrong.first).to_have_attribute("data-line", "3")
    expect(wrong.first.locator("th")).to_have_text("3")
    expect(wrong.first).to_contain_text("valid_until")
    check_screen(page, "certificate import, a wrong line")
    listed = ok(app.get("certificates", office.dnv, params={"number": number}))
    assert listed["items"] == []  # all or nothing
    csv_area.fill(f"{header}\n{good}\n")
    page.get_by_role("button", name="Importeren").click()
    expect(page.locator("[data-field=import-result]")).to_contain_text("Nieuw: 1")
    expect(wrong).to_have_count(0)
    loaded = ok(app.get("certificates", office.dnv, params={"number": number}))["items"]
    assert [c["number"] for c in loaded] == [number]


def test_dnv_postpones_as_advised_and_rejects_the_objection(officer, app, office):
    person, _ = _submitted(app, office, name="Olga Oponent")
    case = office.ready_for_assessor(person)
    case_id, assessor = case["id"], office.assessors[1]
    ok(office.assign(case, assessor))
    eventually(lambda: app.get(f"portfolio/submissions/{case['submission_id']}", assessor).status_code == 200,
               what="the snapshot open to the assessor")
    ok(office.advise(case, assessor, form("postponed", failing=("A3",))), 201)

    page = officer
    page.goto(f"/dnv/zaken?jobcoach={person.id}")
    heading(page, "Zaken")
    page.get_by_label("Toon zaken met status").select_option(label="Advies gegeven")
    page.locator("[data-list=cases]").get_by_role("link", name="Olga Oponent").click()
    heading(page, "Zaak van Olga Oponent")
    expect(page.locator("[data-advice='1']")).to_contain_text("advies uitgesteld")
    expect(page.locator("[data-advice='1']")).to_contain_text("A3: Werk A3 opnieuw uit.")
    page.get_by_role("link", name="Het besluit nemen").click()
    heading(page, "Besluit voor Olga Oponent")
    expect(page.locator("[data-field=advice]")).to_have_text("De beoordelaar adviseert: uitgesteld.")
    # By keyboard alone: into the group of decisions, the arrow to "Uitgesteld", Tab to the button, Enter.
    tab_to(page, page.get_by_label(re.compile(r"^Positief: het certificaat wordt verlengd")))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label(re.compile(r"^Uitgesteld: de jobcoach vult het portfolio aan"))).to_be_checked()
    expect(page.get_by_text("De jobcoach krijgt drie maanden")).to_be_visible()
    expect(page.get_by_label("Waarom wijk je af van het advies?")).to_have_count(0)  # as advised
    check_screen(page, "decision, postponed chosen")
    tab_to(page, page.get_by_role("button", name="Besluit vastleggen"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Je besluit is vastgelegd.")
    decision = office.case(case_id)["decisions"][-1]
    assert (decision["decision"], decision["follows_advice"]) == ("postponed", True)
    due = dutch_date(date.fromisoformat(decision["supplement_due_on"]))
    expect(page.locator("[data-field=supplement-due]")).to_have_text(
        f"De aanvulling moet uiterlijk {due} binnen zijn.")

    # Portfolio's word that no supplement came (ADR 0042) shows beside the due date on the case.
    office.system.publish("portfolio.supplement.missed", {
        "supplement_id": str(uuid.uuid4()), "case_id": case_id, "cycle_id": case["cycle_id"],
        "submission_id": case["submission_id"], "account_id": person.id,
        "due_on": date.fromisoformat(decision["supplement_due_on"])}, subject=person.id, producer="portfolio")
    eventually(lambda: office.case(case_id)["supplement_missed_at"], what="the supplement reported missing")

    # The jobcoach objects; the officer finds the objection unfounded.
    ok(app.post(f"cases/{case_id}/objections", person, json={"reason": "Mijn A3 was volledig."}), 201)
    page.get_by_role("link", name="Terug naar de zaak").click()
    heading(page, "Zaak van Olga Oponent")
    expect(page.locator("[data-field=supplement-due-on]")).to_contain_text(
        re.compile(rf"^{re.escape(due)} · Niet ingeleverd \(gemeld op \d+ \w+ \d{{4}} (om )?\d\d:\d\d\)$"))
    objections = page.locator("section[aria-labelledby=dnv-objections]")
    expect(objections).to_contain_text("Mijn A3 was volledig.")
    check_screen(page, "case with an objection")
    # Nothing chosen: nothing is sent (no "rejected" by default); the choice is asked for next to it.
    objections.get_by_role("button", name="Oordeel over het bezwaar vastleggen").click()
    expect(objections.locator(".problem")).to_be_focused()
    expect(objections.locator("fieldset .field-error")).to_have_text(
        "Kies of het bezwaar gegrond of ongegrond is.")
    expect(objections.get_by_label("Gegrond: de zaak gaat terug voor een nieuw besluit")).to_have_attribute(
        "aria-invalid", "true")
    check_screen(page, "objection, nothing chosen")
    assert office.case(case_id)["objections"][0]["outcome"] is None
    objections.get_by_label("Ongegrond: het besluit blijft staan").check()
    objections.get_by_label("Toelichting bij je oordeel").fill("De opdracht voor A3 blijft nodig.")
    objections.get_by_role("button", name="Oordeel over het bezwaar vastleggen").click()
    expect(objections).to_contain_text("Ongegrond verklaard. De opdracht voor A3 blijft nodig.")
    (objection,) = office.case(case_id)["objections"]
    assert objection["outcome"] == "rejected"
    assert objection["outcome_reason"] == "De opdracht voor A3 blijft nodig."


def test_dnv_fails_the_pe_check_with_findings_and_postpones_on_b(officer, app, office):
    person, case = _submitted(app, office, name="Frida Fout")
    case_id = case["id"]
    activities = ok(app.get(f"cases/{case_id}/pe-check", office.dnv))["activities"]
    biggest = next(a["activity_id"] for a in activities if Decimal(a["amount"]) == 45)

    page = officer
    page.goto(f"/dnv/zaak/pe-toets?id={case_id}")
    heading(page, "PE-toets voor Frida Fout")
    card = page.locator(f"[data-activity='{biggest}']")
    # By keyboard alone; after each step the focus is where the next one is.
    tab_to(page, card.get_by_role("button", name=f"Keur {ACTIVITY} af"))
    page.keyboard.press("Enter")
    expect(card.get_by_label(f"Waarom keur je {ACTIVITY} af?")).to_be_focused()
    page.keyboard.type("Geen bewijs van deelname.")
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Afkeuren", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[data-field=rules]")).to_contain_text("De regels zijn niet gehaald")
    expect(card.get_by_role("button", name=f"Afkeuring van {ACTIVITY} intrekken")).to_be_focused()
    # Nothing chosen: nothing is sent (no failed check by default); the choice is asked for next to it.
    page.get_by_role("button", name="PE-toets afronden").click()
    expect(page.locator("form .problem")).to_be_focused()
    expect(page.locator("#field-pe-error")).to_have_text("Kies of de PE-toets behaald of niet behaald is.")
    expect(page.get_by_label("Niet behaald", exact=True)).to_have_attribute("aria-invalid", "true")
    check_screen(page, "PE check, nothing chosen")
    assert not ok(app.get(f"cases/{case_id}/pe-check", office.dnv)).get("completed")
    # Passing against the rules is refused, and the API's reason is shown.
    page.get_by_label("Behaald", exact=True).check()
    page.get_by_role("button", name="PE-toets afronden").click()
    expect(page.get_by_role("alert")).to_contain_text("De PE-punten voldoen niet aan de regels")
    check_screen(page, "PE check, passing refused")
    page.get_by_label("Niet behaald", exact=True).check()
    page.get_by_label(re.compile(r"^Bevindingen")).fill(
        "Er ontbreken punten in categorie 1.\nLever bewijs van deelname aan.")
    page.get_by_role("button", name="PE-toets afronden").click()
    expect(page.locator("[data-field=result]")).to_contain_text("Niet behaald op")
    completed = ok(app.get(f"cases/{case_id}/pe-check", office.dnv))["completed"]
    assert completed["passed"] is False
    # The rejected activity's reason comes with the findings typed, one per line.
    assert [f["text"] for f in completed["findings"]] == [
        "Geen bewijs van deelname.", "Er ontbreken punten in categorie 1.", "Lever bewijs van deelname aan."]
    eventually(lambda: office.case(case_id)["state"] == "pe_check_failed", what="the case stopped")

    # The decision on part B: postponed, with the supplement's deadline.
    page.get_by_role("link", name="Terug naar de zaak").click()
    heading(page, "Zaak van Frida Fout")
    expect(page.locator("[data-field=state]")).to_have_text("PE-toets niet behaald")
    page.get_by_role("link", name="Het besluit nemen").click()
    heading(page, "Besluit voor Frida Fout")
    expect(page.locator("[data-field=advice]")).to_have_text(
        "Er is geen advies: het besluit gaat over de PE-toets.")
    page.get_by_label(re.compile(r"^Uitgesteld")).check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.locator(".notice.done")).to_contain_text("Je besluit is vastgelegd.")
    decision = office.case(case_id)["decisions"][-1]
    assert decision["decision"] == "postponed"
    due = dutch_date(date.fromisoformat(decision["supplement_due_on"]))
    expect(page.locator("[data-field=supplement-due]")).to_have_text(
        f"De aanvulling moet uiterlijk {due} binnen zijn.")


def _postponed_on_a_failed_pe_check(app, office, name: str):
    """A jobcoach whose submitted portfolio failed DNV's PE check (the biggest activity rejected) and whose
    case DNV postponed on part B, through the API (the screens for that are the test above): her, the case,
    the rejected activity's id, and the open supplement once portfolio has it."""
    person, case = _submitted(app, office, name=name)
    case_id = case["id"]
    activities = ok(app.get(f"cases/{case_id}/pe-check", office.dnv))["activities"]
    rejected = next(a["activity_id"] for a in activities if Decimal(a["amount"]) == 45)
    ok(app.post(f"cases/{case_id}/pe-check/rejections", office.dnv, json={
        "activity_id": rejected, "reason": "Geen bewijs van deelname."}), 201)
    ok(app.post(f"cases/{case_id}/pe-check", office.dnv, json={
        "passed": False, "findings": [{"text": "Er ontbreken punten in categorie 1."}]}))
    eventually(lambda: office.case(case_id)["state"] == "pe_check_failed", what="the case stopped")
    decision = office.decide(case, "postponed")
    assert (decision["round"], decision["decision"]) == (0, "postponed")
    supplement = eventually(lambda: (lambda r: r.status_code == 200 and r.json())(
        app.get("portfolio/cycles/current/supplement", person)), what="the PE supplement opened")
    assert supplement["parts"] == ["B"] and supplement["state"] == "open"
    return person, case, rejected, decision


def test_an_objection_upheld_against_the_postponement_on_b_sends_the_case_back_to_the_pe_check(
        browser, system, officer, app, office):
    """ADR 0011 amended: the jobcoach objects to the postponement after a failed PE check; DNV, told first
    what upholding does there, upholds it; the decision and its PE supplement lapse (her screens say so, a
    hand-in of the supplement still open in another tab is refused), and DNV checks the PE again in the
    portal: passed, the case goes on to the payment."""
    name = "Bram Bezwaar"
    person, case, rejected, decision = _postponed_on_a_failed_pe_check(app, office, name)
    case_id = case["id"]
    decided_on = dutch_date(date.fromisoformat(decision["decided_on"]))

    # The jobcoach, on her phone, objects to the postponement in the portal.
    context, coach = _logged_in_on_phone(browser, system, person)
    coach.get_by_role("navigation").get_by_role("link", name="Mijn aanvraag").click()
    heading(coach, "Je aanvraag")
    expect(coach.locator("[data-decision=postponed] h3")).to_have_text(
        "Uitgesteld: je mag je portfolio aanvullen")
    expect(coach.locator("[data-field=supplement-notice]")).to_be_visible()
    reason = "Het bewijs van mijn cursus zat er wel bij: zie het certificaat bij de tweede activiteit."
    coach.get_by_label("Waarom maak je bezwaar?").fill(reason)
    coach.get_by_label("Ik wil dit bezwaar indienen. Daarna kan ik het niet meer aanpassen.").check()
    coach.get_by_role("button", name="Bezwaar indienen").click()
    expect(coach.locator("[data-field=objection-state]")).to_have_text(
        "DNV behandelt je bezwaar. Je hoort het zodra er een besluit over is.")
    # Her supplement, open in another tab while DNV handles the objection.
    tab = context.new_page()
    tab.goto("/aanvraag/aanvulling")
    heading(tab, "Je aanvulling")
    expect(tab.locator("[data-part=B] [data-field=assignment]")).to_contain_text(
        "Er ontbreken punten in categorie 1.")

    # DNV's officer reads what upholding does here before choosing it, and upholds.
    page = officer
    page.goto(f"/dnv/zaak?id={case_id}")
    heading(page, f"Zaak van {name}")
    expect(page.locator("[data-field=state]")).to_have_text("Aanvulling PE gevraagd")
    objections = page.locator("section[aria-labelledby=dnv-objections]")
    expect(objections).to_contain_text(reason)
    effect = objections.locator("[data-field=uphold-effect]")
    expect(effect).to_contain_text(
        "Verklaar je het gegrond, dan vervallen dat besluit en de aanvulling van de PE")
    expect(effect).to_contain_text("gaat de zaak terug naar de PE-toets")
    check_screen(page, "objection against the postponement on B")
    objections.get_by_label(
        "Gegrond: het uitstel en de aanvulling vervallen, de zaak gaat terug naar de PE-toets").check()
    objections.get_by_label("Toelichting bij je oordeel").fill("Het bewijs zat er wel bij.")
    objections.get_by_role("button", name="Oordeel over het bezwaar vastleggen").click()
    upheld_on = dutch_date(platform_today())  # the day of the uphold, in the platform's calendar
    expect(objections.locator("[data-field=objection-outcome]")).to_have_text(
        "Gegrond verklaard: het besluit tot uitstel en de aanvulling van de PE zijn vervallen, en de zaak "
        "ging terug naar de PE-toets. Het bewijs zat er wel bij.")
    expect(page.locator("[data-field=state]")).to_have_text("Ingediend, PE-toets nog te doen")
    annulled = page.locator("[data-decision=postponed][data-annulled=true]")
    expect(annulled.locator("[data-field=annulled]")).to_have_text(
        f"Vervallen op {upheld_on}: het bezwaar ertegen is gegrond verklaard. De aanvulling die het "
        "vroeg, is ook vervallen.")
    expect(annulled.locator("[data-field=supplement-due]")).to_have_count(0)
    expect(page.locator("[data-field=supplement-due-on]")).to_have_count(0)
    audit = page.locator(".dnv-audit li")
    expect(audit.last).to_contain_text(
        "Terug naar de PE-toets: het besluit tot uitstel en de aanvulling zijn vervallen (Medewerker DNV)")
    # Every action of the trail in words: no code such as case_resumed_at_pe_check shows.
    assert not [text for text in audit.all_inner_texts() if re.search(r"\b[a-z]+(?:_[a-z]+)+\b", text)]
    check_screen(page, "case back at the PE check")
    resumed = office.case(case_id)
    assert resumed["state"] == "opened" and resumed["decisions"][0]["annulled_at"]
    (objection,) = resumed["objections"]
    assert objection["outcome"] == "upheld" and resumed["decisions"][0]["annulled_by_objection_id"] == \
        objection["id"]

    # Her supplement is annulled: the hand-in from the other tab is refused, the screen says why and, without
    # a reload, shows the supplement annulled in place of the stale form.
    eventually(lambda: ok(app.get("portfolio/cycles/current", person))["supplement"]["state"] == "annulled",
               what="portfolio annulled the supplement")
    tab.get_by_label("Ik heb mijn aanvulling gecontroleerd en wil hem indienen.").check()
    tab.get_by_role("button", name="Ja, aanvulling indienen").click()
    refusal = tab.locator(".problem[role=alert]")
    expect(refusal).to_be_focused()
    expect(refusal).to_contain_text("Deze aanvulling is vervallen")
    annulled_supplement = tab.locator("[data-field=annulled]")
    expect(annulled_supplement).to_contain_text(f"Deze aanvulling is vervallen op {upheld_on}.")
    expect(annulled_supplement).to_contain_text("je hoeft niets meer in te leveren")
    expect(tab.get_by_role("button", name="Ja, aanvulling indienen")).to_have_count(0)
    expect(tab.locator("[data-field=assignment]")).to_have_count(0)
    expect(refusal).to_be_focused()  # still said, where the focus went
    check_screen(tab, "supplement refused, annulled")
    # Loaded afresh it is the same, without the refusal.
    tab.reload()
    heading(tab, "Je aanvulling")
    expect(annulled_supplement).to_contain_text(f"Deze aanvulling is vervallen op {upheld_on}.")
    expect(tab.get_by_text("Er is geen aanvulling gevraagd.")).to_have_count(0)
    expect(tab.locator(".problem")).to_have_count(0)
    tab.close()

    # Her application: the decision annulled by her upheld objection, no supplement asked, the PE check next.
    coach.reload()
    heading(coach, "Je aanvraag")
    item = coach.locator("[data-decision=postponed][data-annulled=true]")
    expect(item.locator("h3")).to_have_text(f"Vervallen: het besluit tot uitstel van {decided_on}")
    expect(item.locator("[data-field=annulled]")).to_have_text(
        f"Dit besluit geldt niet meer sinds {upheld_on}: DNV heeft je bezwaar ertegen gegrond "
        "verklaard.")
    expect(item.locator("[data-field=objection-state]")).to_have_text(
        "Gegrond: het uitstel en de aanvulling van je PE vervallen. DNV toetst je PE opnieuw, op het "
        "portfolio dat je al hebt ingediend. Daarna gaat je aanvraag verder.")
    expect(coach.get_by_text("DNV neemt een nieuw besluit")).to_have_count(0)
    expect(coach.locator("[data-field=supplement-notice]")).to_have_count(0)
    expect(coach.get_by_text("Je aanvulling moet uiterlijk")).to_have_count(0)
    expect(coach.get_by_label("Waarom maak je bezwaar?")).to_have_count(0)
    expect(coach.locator("[data-field=mentors]")).to_have_count(0)
    expect(coach.locator("[data-step=pe_check-1]")).to_have_attribute("aria-current", "step")
    expect(coach.locator("[data-step^=supplement]")).to_have_count(0)
    check_screen(coach, "application, postponement annulled")
    coach.get_by_role("navigation").get_by_role("link", name="Portfolio").click()
    heading(coach, "Je portfolio")
    expect(coach.locator("[data-field=supplement-annulled]")).to_have_text(
        f"Je aanvulling is vervallen op {upheld_on}: DNV heeft je bezwaar tegen het besluit tot "
        "uitstel gegrond verklaard. Je hoeft die aanvulling niet meer in te leveren.")
    expect(coach.get_by_role("link", name="Naar je aanvulling")).to_have_count(0)
    check_screen(coach, "portfolio, supplement annulled")
    coach.get_by_role("navigation").get_by_role("link", name="Wegwijzer").click()
    heading(coach, "Je wegwijzer")
    expect(coach.locator("[data-field=case-state]")).to_have_text(
        "Je portfolio is ingediend. DNV is nu aan zet; je hoeft niets te doen.")
    expect(coach.locator("[data-milestone^=supplement]")).to_have_count(0)

    # DNV checks the PE again in the portal: the earlier rejection withdrawn, passed; on to the payment.
    page.get_by_role("link", name="De PE-toets doen").click()
    heading(page, f"PE-toets voor {name}")
    expect(page.locator("[data-field=resumed]")).to_contain_text("Deze zaak is terug bij de PE-toets")
    rules = page.locator("[data-field=rules]")
    expect(rules).to_contain_text("De regels zijn niet gehaald")
    expect(page.locator("[data-field=result]")).to_have_count(0)  # the failed check is not shown as done
    card = page.locator(f"[data-activity='{rejected}']")
    expect(card.locator("[data-field=rejection]")).to_have_text("Afgekeurd: Geen bewijs van deelname.")
    check_screen(page, "PE check again")
    card.get_by_role("button", name=f"Afkeuring van {ACTIVITY} intrekken").click()
    expect(rules).to_contain_text("De regels zijn gehaald")
    page.get_by_label("Behaald", exact=True).check()
    page.get_by_role("button", name="PE-toets afronden").click()
    expect(page.locator("[data-field=result]")).to_contain_text("Behaald op")
    eventually(lambda: office.case(case_id)["state"] == "awaiting_payment", what="the case on to the payment")
    page.get_by_role("link", name="Terug naar de zaak").click()
    heading(page, f"Zaak van {name}")
    expect(page.locator("[data-field=state]")).to_have_text("Wacht op betaling")
    expect(page.get_by_role("link", name="De PE-toets bekijken")).to_be_visible()
    coach.get_by_role("navigation").get_by_role("link", name="Mijn aanvraag").click()
    heading(coach, "Je aanvraag")
    expect(coach.locator("[data-step=pe_check-1]")).to_contain_text(
        f"Klaar, op {dutch_date(platform_today())}")
    expect(coach.locator(".notice").filter(has_text="We wachten nog op de betaling van je factuur.")) \
        .to_be_visible()
    context.close()


def _upheld(app, office, name: str):
    """A jobcoach whose objection against the postponement on B after a failed PE check DNV upheld, through
    the API (the screens for that are the test above): her, the case (back at the PE check), the annulled
    decision, and her cycle once portfolio annulled the supplement."""
    person, case, _, decision = _postponed_on_a_failed_pe_check(app, office, name)
    objection = file_objection(app, person, case, "Het bewijs van de cursus zat er wel bij.")
    office.decide_objection(case, objection, "upheld", "Het bewijs zat er wel bij.")
    assert office.case(case["id"])["state"] == "opened"
    cycle = eventually(lambda: (c := ok(app.get("portfolio/cycles/current", person)))["supplement"]["state"]
                       == "annulled" and c, what="portfolio annulled the supplement")
    assert cycle["state"] == "submitted"
    return person, case, decision, cycle


def test_the_check_of_a_new_pe_supplement_after_an_uphold_is_not_said_to_be_back_at_the_pe_check(
        officer, app, office):
    """After the uphold the check fails again, DNV postpones on B again (the annulled decision does not
    count) and the jobcoach hands in the new supplement, its fee paid (all through the API): the PE check of
    that supplement is not the check an objection sent back, so the screen says nothing of it, although the
    case still has its annulled decision (commit 05c4803)."""
    name = "Rutger Rondje"
    person, case, annulled, cycle = _upheld(app, office, name)
    case_id = case["id"]
    office.pe_check(case, passed=False, findings=("Het bewijs van de cursus ontbreekt nog steeds.",))
    postponed = office.decide(case, "postponed")
    assert (postponed["round"], postponed["decision"]) == (0, "postponed")
    eventually(lambda: (r := app.get("portfolio/cycles/current/supplement", person)).status_code == 200
               and r.json()["id"] != cycle["supplement"]["id"], what="a new supplement for B")
    _pe_supplement_handed_in_and_paid(app, office, person, case_id)
    first, latest = office.case(case_id)["decisions"]
    assert (first["id"], latest["id"]) == (annulled["id"], postponed["id"])
    assert first["annulled_at"] and not latest["annulled_at"]

    page = officer
    page.goto(f"/dnv/zaak/pe-toets?id={case_id}")
    heading(page, f"PE-toets voor {name}")
    expect(page.get_by_role("button", name="PE-toets afronden")).to_be_visible()
    expect(page.locator("[data-field=result]")).to_have_count(0)
    expect(page.locator("[data-field=resumed]")).to_have_count(0)


def test_a_portfolio_withdrawn_after_the_uphold_and_submitted_again_has_no_annulled_supplement(
        browser, system, app, office):
    """After the uphold (the case back at the PE check) the jobcoach withdraws her portfolio, assessment
    grants it, and she submits it again (through the API): her cycle's latest supplement is still the
    annulled one, of the withdrawn submission, so her portfolio's overview of the new submission says
    nothing of it (commit 05c4803)."""
    person, case, _, cycle = _upheld(app, office, "Wies Weerom")
    ok(app.post("portfolio/cycles/current/withdraw", person, json={"reason": "Ik dien opnieuw in."}), 202)
    eventually(lambda: ok(app.get("portfolio/cycles/current", person))["state"] == "open",
               what="the withdrawal granted")
    assert office.case(case["id"])["state"] == "withdrawn"
    submission = ok(app.post("portfolio/cycles/current/submit", person), 201)
    again = office.case_of(person, count=2)
    assert again["submission_id"] == submission["id"] != case["submission_id"]
    current = ok(app.get("portfolio/cycles/current", person))
    assert (current["state"], current["submission_id"]) == ("submitted", submission["id"])
    assert (current["supplement"]["id"], current["supplement"]["state"], current["supplement"][
        "submission_id"]) == (cycle["supplement"]["id"], "annulled", case["submission_id"])

    context, coach = _logged_in_on_phone(browser, system, person)
    coach.get_by_role("navigation").get_by_role("link", name="Portfolio").click()
    heading(coach, "Je portfolio")
    expect(coach.locator("[data-field=expected]")).to_contain_text(
        dutch_date(date.fromisoformat(again["due_on"])))
    expect(coach.locator("[data-step=pe_check]")).to_have_attribute("aria-current", "step")
    expect(coach.locator("[data-field=supplement-annulled]")).to_have_count(0)
    context.close()


def test_after_the_pe_supplement_fails_the_check_only_a_negative_decision_is_taken(officer, app, office):
    """The jobcoach objects to the postponement on B and, the objection still open, hands in the PE supplement
    (and its fee is paid, all through the API); DNV checks the PE again in the portal (no earlier check
    shown as done, nothing said of an objection sending the case back) and fails it; then anything but a
    negative decision is refused (``failed_pe_check_negative_only``, 422 on ``decision``) as the other
    refusals are: the problem focused, the API's message next to the choices. Negative is taken. Neither
    her objection against the postponement (replaced since) nor her objection against the negative decision
    can be upheld: each says why before the choice and offers only "ongegrond"."""
    name = "Nina Negatief"
    person, case, _, _ = _postponed_on_a_failed_pe_check(app, office, name)
    case_id = case["id"]
    against_postponed = file_objection(app, person, case, "Het bewijs van de cursus zat er wel bij.")
    _pe_supplement_handed_in_and_paid(app, office, person, case_id)

    page = officer
    page.goto(f"/dnv/zaak?id={case_id}")
    heading(page, f"Zaak van {name}")
    page.get_by_role("link", name="De PE-toets doen").click()
    heading(page, f"PE-toets voor {name}")
    expect(page.get_by_role("button", name="PE-toets afronden")).to_be_visible()
    expect(page.locator("[data-field=result]")).to_have_count(0)
    expect(page.locator("[data-field=resumed]")).to_have_count(0)  # no objection brought it back here
    page.get_by_label("Niet behaald", exact=True).check()
    page.get_by_label(re.compile(r"^Bevindingen")).fill("Ook met de aanvulling te weinig punten.")
    page.get_by_role("button", name="PE-toets afronden").click()
    expect(page.locator("[data-field=result]")).to_contain_text("Niet behaald op")
    eventually(lambda: office.case(case_id)["state"] == "pe_check_failed", what="the case stopped again")

    page.get_by_role("link", name="Terug naar de zaak").click()
    heading(page, f"Zaak van {name}")
    page.get_by_role("link", name="Het besluit nemen").click()
    heading(page, f"Besluit voor {name}")
    page.get_by_label(re.compile(r"^Uitgesteld")).check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    problem = page.locator("form .problem")
    expect(problem).to_be_focused()
    said = page.locator("#field-decision-error")
    expect(said).to_contain_text(
        "De PE-toets is opnieuw niet behaald en dit dossier heeft zijn ene uitgestelde besluit al gehad")
    expect(page.get_by_label(re.compile(r"^Negatief"))).to_have_attribute("aria-invalid", "true")
    check_screen(page, "decision refused: negative only")
    assert len(office.case(case_id)["decisions"]) == 1
    page.get_by_label(re.compile(r"^Negatief")).check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.locator(".notice.done")).to_contain_text("Je besluit is vastgelegd.")
    final = office.case(case_id)["decisions"][-1]
    assert (final["round"], final["decision"]) == (0, "negative")

    # Her objection against the postponement, open all along, cannot be upheld any more (409
    # decision_replaced: the negative decision replaced the postponement), nor can her objection against the
    # negative decision (409 decided_on_pe_check). Each form says why before the choice and offers only
    # "ongegrond"; both are rejected.
    refused = app.post(f"cases/{case_id}/objections/{against_postponed['id']}/outcome", office.dnv,
                       json={"outcome": "upheld", "reason": "Terecht."})
    assert (refused.status_code, refused.json()["reason"]) == (409, "decision_replaced")
    file_objection(app, person, case, "De aanvulling had wel genoeg punten.")
    page.goto(f"/dnv/zaak?id={case_id}")
    heading(page, f"Zaak van {name}")
    objections = page.locator("section[aria-labelledby=dnv-objections]")
    expect(objections.locator("[data-field=uphold-effect]")).to_have_count(0)
    expect(objections.get_by_label(re.compile(r"^Gegrond"))).to_have_count(0)
    replaced = objections.locator("li").filter(has_text="Het bewijs van de cursus zat er wel bij.")
    replaced_said = replaced.locator("[data-field=uphold-refused]")
    expect(replaced_said).to_have_text(
        "Dit bezwaar gaat over een besluit dat een later besluit in deze zaak heeft vervangen. Gegrond "
        "verklaren kan op het platform daarom niet meer: dan zou een zaak weer opengaan waarover intussen "
        "opnieuw is besloten. Je kunt het bezwaar ongegrond verklaren, met een toelichting.")
    expect(replaced.get_by_role("radio")).to_have_count(1)
    negative = objections.locator("li").filter(has_text="De aanvulling had wel genoeg punten.")
    negative_said = negative.locator("[data-field=uphold-refused]")
    expect(negative_said).to_contain_text(
        "Dit bezwaar gaat over een negatief besluit dat alleen op de PE-toets rust. Gegrond verklaren kan op "
        "het platform niet")
    expect(negative_said).to_contain_text("een heel nieuw portfolio")
    expect(negative_said).to_contain_text("het certificaat kan zijn vervallen")
    expect(negative_said).to_contain_text(
        "Je kunt het bezwaar ongegrond verklaren, met een toelichting. Of je laat het hier open en handelt "
        "het buiten het platform af.")
    expect(negative.get_by_role("radio")).to_have_count(1)
    check_screen(page, "objections against a replaced decision and a negative decision on the PE check")
    for item, said, explanation in (
            (replaced, replaced_said, "Het besluit is intussen vervangen door een negatief besluit."),
            (negative, negative_said, "Ook met de aanvulling te weinig punten.")):
        rejected = item.get_by_label("Ongegrond: het besluit blijft staan")
        expect(rejected).to_have_attribute("aria-describedby", said.get_attribute("id"))
        rejected.check()
        item.get_by_label("Toelichting bij je oordeel").fill(explanation)
        item.get_by_role("button", name="Oordeel over het bezwaar vastleggen").click()
        expect(item.locator("[data-field=objection-outcome]")).to_have_text(
            f"Ongegrond verklaard. {explanation}")
    assert [o["outcome"] for o in office.case(case_id)["objections"]] == ["rejected", "rejected"]


def test_noloc_sees_the_failed_emails_and_sends_one_again(browser, system, app, office, officer):
    """Noloc's admin sends a failed e-mail again; DNV's officer sees it, without sending (Noloc runs the
    e-mail)."""
    address = f"{REFUSED_PREFIX}{uuid.uuid4().hex[:10]}@example.org"
    registered = app.post("accounts", json={"email": address, "full_name": "Wim Weg", "password": PASSWORD,
                                            "membership_number": unique_member_number()})
    assert registered.status_code == 202, registered.text

    def failed():
        items = ok(app.get("messages/failed", office.admin, params={"page_size": 50}))["items"]
        return next((m for m in items if m["email_address"] == address), None)

    first = eventually(failed, what="the verification e-mail failed")
    context, page = _logged_in_on_phone(browser, system, office.admin)
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Certificaten importeren")).to_be_visible()
    expect(nav.get_by_role("link", name="DNV-overzicht")).to_have_count(0)
    nav.get_by_role("link", name="Mislukte e-mails").click()
    heading(page, "Mislukte e-mails")
    item = page.locator(f"[data-message='{first['id']}']")
    expect(item).to_contain_text(address)
    check_screen(page, "failed e-mails")
    item.get_by_role("button", name=f"Opnieuw versturen naar {address}").click()
    expect(page.get_by_role("status")).to_have_text(f"De e-mail aan {address} wordt opnieuw verstuurd.")
    # Sent again (and refused again by the same server): a new series of tries.
    eventually(lambda: (failed() or first)["failed_at"] != first["failed_at"], what="the e-mail tried again")
    context.close()

    officer.get_by_role("navigation").get_by_role("link", name="Mislukte e-mails").click()
    heading(officer, "Mislukte e-mails")
    expect(officer.locator(f"[data-message='{first['id']}']")).to_contain_text(address)
    expect(officer.get_by_text("Noloc kan ze opnieuw laten versturen zodra het adres klopt.")).to_be_visible()
    expect(officer.get_by_role("button", name=re.compile("^Opnieuw versturen"))).to_have_count(0)
    check_screen(officer, "failed e-mails, DNV")
    assert app.post(f"messages/{first['id']}/retry", office.dnv).status_code == 403
