"""The whole recertification story through the portal (issue 13's "must show"), in real Chromium against the
shared whole system: every step a person takes is taken on a screen.

A jobcoach registers on her phone (360 px), confirms her address by the e-mailed link, enrols her
authenticator with the key the enrolment screen shows, and keeps her recovery codes; Noloc's administrator
loads her certificate by CSV; she records her PE with evidence, writes A1-A4 with the declarations and the
reflection meetings with their proof, and submits. DNV's officer passes the PE check and assigns an assessor;
the assessor advises "postponed" with an assignment for A3; DNV decides so; the jobcoach supplements A3; the
assessor advises positive; DNV decides positive; the jobcoach sees her certificate renewed by four years from
the old expiry date, and anyone finds it in the public register.

The test itself only computes authenticator codes (from the key on the screen), reads the e-mailed link and
pays through the webhook, as the payment provider would. It reads the API only to check what the screens
did, never to act.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.sync_api import expect
from portal_browser import (
    VERIFY_PATH,
    browser_fixture,
    check_screen,
    dutch_date,
    heading,
    login,
    new_context,
)
from portal_system import shared_fixtures

from recert_common.clock import platform_today

from frontend import Person, unique_email, unique_member_number
from journeys import PDF, TODAY, eventually, ok

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

NAME = "Sanne Verhaal"
PASSWORD = "een verhaal van begin tot eind"
VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
PHONE = {"width": 360, "height": 740}
SAVED = re.compile(r"^Opgeslagen")
ASSIGNMENT = "Laat zien wat je na de intervisie anders deed."


def _register_and_enrol(page, mailbox, person: Person, number: str) -> None:
    page.goto("/")
    heading(page, "Welkom bij Register Jobcoach")
    page.get_by_role("link", name="Registreren").first.click()
    heading(page, "Registreren")
    page.get_by_label("Volledige naam").fill(NAME)
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Kies een wachtwoord").fill(PASSWORD)
    page.get_by_label("Lidmaatschapsnummer").fill(number)
    page.get_by_role("button", name="Account aanmaken").click()
    heading(page, "Kijk in je mailbox")

    link = eventually(lambda: mailbox.link(person.email, VERIFY_PATH), what="the verification e-mail")
    page.goto(link)
    heading(page, "E-mailadres bevestigen")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Bevestigen").click()
    heading(page, "Je e-mailadres is bevestigd")
    page.get_by_role("main").get_by_role("link", name="Inloggen").click()

    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Volgende").click()
    heading(page, "Koppel een authenticator-app")
    person.secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_role("textbox", name="Code").fill(person.fresh_code())
    page.get_by_role("button", name="Koppelen en inloggen").click()
    heading(page, "Je herstelcodes")
    page.get_by_label("Ik heb mijn herstelcodes bewaard").check()
    page.get_by_role("button", name="Verder naar mijn overzicht").click()
    heading(page, "Mijn overzicht")
    page.get_by_text("Er is nog geen certificaat aan je account gekoppeld.").wait_for()


def _import_certificate(browser, system, office, line: str) -> None:
    context = new_context(browser, system)
    page = context.new_page()
    login(page, office.admin)
    page.get_by_role("navigation").get_by_role("link", name="Certificaten importeren").click()
    heading(page, "Certificaten importeren")
    page.get_by_label("Regels van het bestand").fill(
        f"noloc_number,certificate_number,valid_until,email,name\n{line}\n")
    page.get_by_role("button", name="Importeren").click()
    expect(page.locator("[data-field=import-result]")).to_contain_text("Nieuw: 1")
    context.close()


def _until_shown(page, path: str, locator, what: str) -> None:
    """Events take a moment: open ``path`` again until ``locator`` shows, as a person would reload."""
    def shown():
        page.goto(path)
        try:
            locator.wait_for(timeout=1_500)
            return True
        except Exception:  # noqa: BLE001 - not there yet: load the page again
            return False
    eventually(shown, what=what, interval=0.5)


def _record_pe(page, title: str, hours: int, days_ago: int) -> None:
    page.get_by_role("navigation").get_by_role("link", name="PE-punten").click()
    heading(page, "Je PE-activiteiten")
    page.get_by_role("link", name="Activiteit toevoegen").click()
    heading(page, "PE-activiteit toevoegen")
    page.get_by_label("Naam van de activiteit").fill(title)
    page.get_by_label("Aanbieder").fill("Opleider B.V.")
    completed_on = TODAY - timedelta(days=days_ago)
    page.get_by_label("Datum waarop je de activiteit afrondde").fill(completed_on.isoformat())
    page.get_by_label("Categorie").select_option("1")
    page.get_by_label("Omvang").fill(str(hours))
    page.get_by_role("button", name="Activiteit opslaan").click()
    heading(page, "PE-activiteit wijzigen")
    page.get_by_label("Kies een bestand").set_input_files(
        files=[{"name": f"bewijs-{hours}.pdf", "mimeType": "application/pdf",
                "buffer": PDF + bytes([hours])}])
    page.get_by_role("region", name="Bewijs").get_by_text(f"bewijs-{hours}.pdf is toegevoegd.").wait_for()


def _write(page, part: str, text: str) -> None:
    page.goto(f"/portfolio/{part.lower()}")
    area = page.get_by_label(f"Tekst van {part}")
    area.wait_for()
    area.fill(text)
    expect(page.locator("[data-field=draft-status]")).to_have_text(SAVED)


def _write_portfolio_and_submit(page, meetings: int) -> None:
    _write(page, "A1", "Sinds 2018 begeleid ik werknemers bij re-integratie; hieronder de laatste jaren.")
    page.get_by_label("Ik verklaar dat ik de afgelopen vier jaar als uitvoerend jobcoach heb gewerkt."
                      ).check()
    page.get_by_label("Ik verklaar dat ik nu als uitvoerend jobcoach werk.").check()
    expect(page.locator("#verklaringen [role=status]")).to_have_text(SAVED)
    _write(page, "A2", "Mijn vorige ontwikkelplan heb ik grotendeels uitgevoerd.")
    _write(page, "A4", "De komende jaren verdiep ik me in arbeidsrecht.")

    page.goto("/portfolio/bijeenkomsten")
    heading(page, "Reflectiebijeenkomsten")
    for n in range(meetings):
        met_on = TODAY - timedelta(days=40 + n)
        page.get_by_label("Datum").fill(met_on.isoformat())
        page.get_by_label("Soort bijeenkomst").select_option("intervision")
        page.get_by_label("Naam van de groep").fill("Intervisiegroep Noord")
        page.get_by_role("button", name="Bijeenkomst toevoegen").click()
        name = f"Intervisie op {dutch_date(met_on)}"
        meeting = page.locator(".pf-meeting").filter(has=page.get_by_role("heading", name=name))
        meeting.get_by_label(f"Bewijs voor {name}").set_input_files(
            {"name": f"presentielijst-{n}.pdf", "mimeType": "application/pdf", "buffer": PDF + bytes([n])})
        meeting.get_by_role("button", name="Bewijs uploaden").click()
        expect(meeting.locator("[data-field=proof]")).to_have_text(f"✓ Bewijs: presentielijst-{n}.pdf")

    _write(page, "A3", "In de intervisie leerde ik door te vragen.")
    first = f"Intervisie op {dutch_date(TODAY - timedelta(days=40))}"
    page.get_by_label("Over welke reflectiebijeenkomst gaat je verslag?").select_option(label=first)
    expect(page.locator("main [role=status]").last).to_have_text(SAVED)

    page.goto("/portfolio")
    heading(page, "Je portfolio")
    page.get_by_text("Alles is compleet. Je portfolio is klaar om in te dienen.").wait_for()
    page.get_by_role("link", name="Bekijken en indienen").click()
    heading(page, "Portfolio indienen")
    page.get_by_label("Ik heb alles gecontroleerd en wil mijn portfolio nu indienen.").check()
    page.get_by_role("button", name="Portfolio indienen").click()
    heading(page, "Je portfolio")
    page.locator("[data-field=expected]").wait_for(timeout=30_000)


def _dnv_case(page, person: Person, state: str) -> None:
    """DNV's officer opens the jobcoach's case from the list of cases in ``state`` (the list's filter)."""
    case_link = page.locator("[data-list=cases]").get_by_role("link", name=NAME)
    _until_shown(page, f"/dnv/zaken?jobcoach={person.id}&status={state}", case_link,
                 f"the case listed as {state}")
    case_link.click()
    heading(page, f"Zaak van {NAME}")


def _dnv_decides(page, option: re.Pattern) -> None:
    page.get_by_role("link", name="Het besluit nemen").click()
    heading(page, f"Besluit voor {NAME}")
    page.get_by_label(option).check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("Je besluit is vastgelegd.")


def _assessor_advises(page, case_id: str, task: str, link: str, verdicts: dict[str, str], advice: str,
                      assignment: str | None = None) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Beoordelingen").click()
    heading(page, "Je beoordelingen")
    row = page.locator(f"[data-case='{case_id}']")
    expect(row).to_contain_text(task)
    row.get_by_role("link", name=NAME).click()
    heading(page, f"Dossier van {NAME}")
    page.get_by_role("link", name=link).click()
    heading(page, f"Beoordeling van {NAME}")
    for part, verdict in verdicts.items():
        page.locator(f"fieldset[data-part={part}]").get_by_role("radio", name=verdict, exact=True).check()
        page.get_by_label(f"Bevindingen bij {part}").fill(f"Bevindingen bij {part}: {verdict.lower()}.")
    page.get_by_label("Ontwikkeladvies").fill("Blijf intervisie gebruiken om te reflecteren.")
    page.get_by_role("radio", name=advice).check()
    if assignment:
        page.get_by_label("Opdracht voor A3").fill(assignment)
    page.get_by_role("button", name="Formulier versturen").click()
    expect(page.locator("[data-field=advice]").last).to_contain_text(f"Advies {advice}, verstuurd op")


def test_the_whole_story_through_the_portal(browser, system, app, office, mailbox):
    person = Person(unique_email("verhaal"), PASSWORD)
    number = unique_member_number()
    certificate = f"RJ-{uuid.uuid4().hex[:8].upper()}"
    jobcoach = new_context(browser, system, viewport=PHONE)
    coach = jobcoach.new_page()

    # She registers and enrols; Noloc loads her certificate; her tile shows it.
    _register_and_enrol(coach, mailbox, person, number)
    _import_certificate(browser, system, office,
                        f"{number},{certificate},{VALID_UNTIL.isoformat()},{person.email},{NAME}")
    tile = coach.get_by_role("region", name="Je certificaat")
    _until_shown(coach, "/", tile.get_by_text(certificate), "her certificate on the tile")
    expect(tile.locator("[data-field=valid_until]")).to_have_text(dutch_date(VALID_UNTIL))
    app.login(person)  # the test's own session, only to read what the screens did
    person.account = ok(app.get("accounts/me", person))
    eventually(lambda: ok(app.get("pe/summary", person))["period"]["source"] == "certificate",
               what="her PE period from the certificate")
    eventually(lambda: app.get("portfolio/cycles/current", person).status_code == 200, what="her cycle")

    # PE with evidence, the portfolio, submitted.
    _record_pe(coach, "Leergang re-integratie", 45, 30)
    _record_pe(coach, "Training gespreksvoering", 30, 60)
    meetings = ok(app.get("portfolio/cycles/current/readiness", person))["required_reflection_meetings"]
    _write_portfolio_and_submit(coach, meetings)
    check_screen(coach, "story: submitted")

    # DNV: the PE check, then (once paid) an assessor.
    dnv = new_context(browser, system).new_page()
    login(dnv, office.dnv)
    heading(dnv, "DNV-overzicht")
    _dnv_case(dnv, person, "opened")
    case_id = dnv.url.split("id=")[1].split("&")[0]
    dnv.get_by_role("link", name="De PE-toets doen").click()
    heading(dnv, f"PE-toets voor {NAME}")
    expect(dnv.locator("[data-field=rules]")).to_contain_text("De regels zijn gehaald")
    dnv.get_by_label("Behaald", exact=True).check()
    dnv.get_by_role("button", name="PE-toets afronden").click()
    expect(dnv.locator("[data-field=result]")).to_contain_text("Behaald op")
    office.pay(person, "recertification")
    assessor = office.assessors[0]
    _dnv_case(dnv, person, "ready_for_assignment")
    dnv.get_by_role("link", name="Een beoordelaar toewijzen").click()
    heading(dnv, f"Beoordelaar voor {NAME}")
    dnv.locator(f"[data-assessor='{assessor.id}']").get_by_role("radio").check()
    dnv.get_by_role("button", name="Beoordelaar toewijzen").click()
    expect(dnv.locator(".notice.done")).to_contain_text("is de beoordelaar van deze zaak.")

    # The assessor: postponed, with an assignment for A3.
    eventually(lambda: app.get(f"portfolio/submissions/{office.case(case_id)['submission_id']}",
                               assessor).status_code == 200, what="the snapshot open to the assessor")
    reviewer = new_context(browser, system).new_page()
    login(reviewer, assessor)
    heading(reviewer, "Je beoordelingen")
    _assessor_advises(reviewer, case_id, "Portfolio beoordelen en advies geven",
                      "Vul het beoordelingsformulier in",
                      {"A1": "Voldoet", "A3": "Voldoet niet", "B": "Voldoet"}, "uitgesteld",
                      assignment=ASSIGNMENT)

    # DNV decides as advised: postponed.
    _dnv_case(dnv, person, "advised")
    _dnv_decides(dnv, re.compile(r"^Uitgesteld"))

    # The jobcoach: the assignment and the deadline, A3 revised, the supplement submitted.
    _until_shown(coach, "/aanvraag", coach.locator("[data-field=supplement-notice]"), "the supplement notice")
    coach.get_by_role("link", name="Naar je aanvulling").click()
    heading(coach, "Je aanvulling")
    a3 = coach.locator("[data-part=A3]")
    expect(a3.locator("[data-field=assignment]")).to_have_text(ASSIGNMENT)
    a3.get_by_role("link", name="A3 aanpassen").click()
    heading(coach, "A3 Reflectieverslag")
    revised = "Na de intervisie vraag ik in elk eerste gesprek door naar wat de werkgever nodig heeft."
    coach.get_by_label("Tekst van A3").fill(revised)
    expect(coach.locator("[data-field=draft-status]")).to_have_text(SAVED)
    coach.goto("/aanvraag/aanvulling")
    heading(coach, "Je aanvulling")
    coach.get_by_label("Ik heb mijn aanvulling gecontroleerd en wil hem indienen.").check()
    coach.get_by_role("button", name="Ja, aanvulling indienen").click()
    expect(coach.locator("[data-field=submitted]")).to_contain_text(
        f"Je aanvulling is ingediend op {dutch_date(platform_today())}")
    office.pay(person, "reassessment")

    # The assessor's second round: positive. DNV decides positive.
    eventually(lambda: office.case(case_id)["state"] == "reassessing", what="the case back with the assessor")
    eventually(lambda: any(s["kind"] == "supplement" for s in ok(app.get(
        "portfolio/submissions", assessor, params={"cycle_id": office.case(case_id)["cycle_id"]}))["items"]),
        what="the supplement's snapshot open to the assessor")
    _assessor_advises(reviewer, case_id, "Aanvulling beoordelen (tweede ronde)", "Beoordeel de aanvulling",
                      {"A1": "Voldoet", "A3": "Voldoet", "B": "Voldoet"}, "positief")
    _dnv_case(dnv, person, "reassessed")
    _dnv_decides(dnv, re.compile(r"^Positief: het certificaat wordt verlengd"))

    # Her certificate, renewed for four years from the old expiry date; the public register shows it.
    renewed = VALID_UNTIL.replace(year=VALID_UNTIL.year + 4)
    _until_shown(coach, "/", tile.locator("[data-field=valid_until]", has_text=dutch_date(renewed)),
                 "the renewed certificate on her tile")
    check_screen(coach, "story: renewed")
    visitor = new_context(browser, system).new_page()
    visitor.goto(f"/register?q={certificate}")
    row = visitor.get_by_role("row").filter(has_text=certificate)
    row.wait_for()
    assert NAME in row.inner_text() and dutch_date(renewed) in row.inner_text()

    decisions = ok(app.get(f"cases/{case_id}", person))["decisions"]
    assert [d["decision"] for d in decisions] == ["postponed", "positive"]
    for page in (dnv, reviewer, visitor):
        page.context.close()
    jobcoach.close()
