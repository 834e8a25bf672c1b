"""The jobcoach's PE registration in the portal (issue 13, web/src/screens/pe) in real Chromium against the
real system: identity and pe-registry as processes behind the gateway serving the built portal.

The jobcoach is set up through the API (registered, e-mail verified, authenticator enrolled: other screens'
work, tested in test_portal.py); she logs in through the portal's login screen and every PE step goes through
the PE screens: two activities recorded with the points shown live as she types (and a refusal shown next to
its field), evidence uploaded once with the file chooser and once by drag-and-drop (with a progress bar), one
activity changed, one removed, the summary per category with its chart, table and "nog N punten" sentences.
axe-core finds no serious or critical violation on any PE screen; the flow runs at 360 px; a second jobcoach
records an activity with its evidence by keyboard alone, under the real Content-Security-Policy.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from portal_browser import (
    browser_fixture,
    check_screen,
    heading,
    missing_build_message,
    new_context,
    tab_to,
)

from e2e_fixtures import running_system
from frontend import Frontend, Person, outbox_tokens
from journeys import TODAY

SERVICES = ["identity", "pe-registry"]
NOT_RUNNING = {f"RECERT_{name}_URL": "http://127.0.0.1:9"
               for name in ("PORTFOLIO", "BILLING", "ASSESSMENT", "NOTIFICATIONS")}
# A PDF the pe-registry recognises (%PDF- at byte 0), big enough for the upload to report progress.
PDF = b"%PDF-1.4\n" + b"% filler\n" * 150_000 + b"%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory):
    problem = missing_build_message()
    assert problem is None, problem
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off", **NOT_RUNNING,
    }) as system:
        yield system


@pytest.fixture(scope="module")
def app(system) -> Frontend:
    return Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))


def _jobcoach(app: Frontend, name: str) -> Person:
    """Registered, verified and enrolled through the API (the login screens are test_portal.py's)."""
    return app.login(app.register(full_name=name))


browser = browser_fixture()


def _login(page, person: Person) -> None:
    page.goto("/inloggen")
    heading(page, "Inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(person.password)
    page.get_by_role("button", name="Volgende").click()
    page.get_by_role("textbox", name="Code").fill(person.fresh_code())
    page.get_by_role("button", name="Inloggen").click()
    heading(page, "Mijn overzicht")


def _live(page) -> str:
    return page.locator("[data-field=live-points]").inner_text()


def _activity(page, title: str):
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=title))


def test_a_jobcoach_records_changes_and_removes_pe_with_evidence_and_sees_her_summary(browser, system, app):
    person = _jobcoach(app, "Petra Punten")
    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()
    _login(page, person)

    # The menu leads to her activities: none yet.
    page.get_by_role("navigation").get_by_role("link", name="PE-punten").click()
    heading(page, "Je PE-activiteiten")
    page.get_by_text("Je hebt in deze periode nog geen activiteiten vastgelegd.").wait_for()
    check_screen(page, "PE list, empty")

    # The first activity: the points follow what she types (hours, then ECTS), a refusal of the API is shown
    # next to its field, then it is saved with the points the API settled.
    page.get_by_role("link", name="Activiteit toevoegen").click()
    heading(page, "PE-activiteit toevoegen")
    check_screen(page, "PE add")
    page.get_by_label("Naam van de activiteit").fill("Training motiverende gespreksvoering")
    page.get_by_label("Aanbieder").fill("Noloc Academie")
    # A reload loses nothing she typed (the draft, kept in this tab).
    page.reload()
    heading(page, "PE-activiteit toevoegen")
    page.get_by_text("We hebben teruggezet wat je eerder typte").wait_for()
    assert page.get_by_label("Naam van de activiteit").input_value() == "Training motiverende gespreksvoering"
    assert page.get_by_label("Aanbieder").input_value() == "Noloc Academie"
    page.get_by_label("Datum waarop je de activiteit afrondde").fill((TODAY - timedelta(days=20)).isoformat())
    page.get_by_label("Categorie").select_option("1")
    amount = page.get_by_label("Omvang")
    amount.fill("8")
    assert _live(page) == "Dit levert 8 PE-punten op."
    page.get_by_label("Eenheid").select_option("ects")
    assert _live(page) == "Dit levert 224 PE-punten op."
    amount.fill("25")
    assert _live(page) == "Meer dan 20 ECTS-studiepunten voor één activiteit kan niet."
    page.get_by_role("button", name="Activiteit opslaan").click()
    page.get_by_role("alert").wait_for()
    assert amount.get_attribute("aria-invalid") == "true"
    error = page.locator("#pe-amount-error")
    assert "20" in error.inner_text(), error.inner_text()
    check_screen(page, "PE add refused")
    amount.fill("0,75")
    assert _live(page) == "Dit levert 21 PE-punten op."
    page.get_by_role("button", name="Activiteit opslaan").click()
    heading(page, "PE-activiteit wijzigen")
    page.get_by_role("status").filter(has_text="levert 21 PE-punten op").wait_for()
    evidence = page.get_by_role("region", name="Bewijs")
    evidence.get_by_text("Bewijs ontbreekt").wait_for()
    # What may be uploaded, as pe-registry publishes it (GET /pe/evidence-rules), before any upload.
    assert evidence.get_by_text("Toegestaan:").inner_text() == (
        "Toegestaan: PDF, PNG, JPEG, platte tekst (.txt), e-mail (.eml) en Word (.docx), hoogstens 20 MB per "
        "bestand.")
    assert ".docx" in page.get_by_label("Kies een bestand").get_attribute("accept")
    check_screen(page, "PE change with evidence missing")

    # Evidence with the file chooser (the camera's input takes images only): a progress bar, then the file.
    page.evaluate("""() => { window.sawProgress = false; new MutationObserver(() => {
        if (document.querySelector('progress')) window.sawProgress = true; })
        .observe(document.body, {childList: true, subtree: true}); }""")
    assert page.locator("input[type=file][capture]").get_attribute("accept") == "image/*"
    page.get_by_label("Kies een bestand").set_input_files(
        files=[{"name": "certificaat.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    evidence.get_by_text("certificaat.pdf is toegevoegd.").wait_for()
    assert page.evaluate("() => window.sawProgress")
    evidence.get_by_role("list", name="Toegevoegd bewijs").get_by_text("certificaat.pdf").wait_for()
    assert evidence.get_by_text("Bewijs ontbreekt").count() == 0
    check_screen(page, "PE evidence added")
    with page.expect_download() as download:
        evidence.get_by_role("button", name="certificaat.pdf downloaden").click()
    assert download.value.suggested_filename == "certificaat.pdf"
    with open(download.value.path(), "rb") as stored:
        assert stored.read() == PDF
    # A file the API refuses: its problem shown, nothing added.
    page.get_by_label("Kies een bestand").set_input_files(
        files=[{"name": "programma.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90" * 64}])
    refusal = evidence.get_by_role("alert")
    refusal.wait_for()
    assert len(refusal.locator("p").all_inner_texts()) >= 1
    check_screen(page, "PE evidence refused")
    assert evidence.get_by_role("list", name="Toegevoegd bewijs").get_by_role("listitem").count() == 1

    # The second activity, its evidence dropped onto the drop zone.
    page.get_by_role("link", name="Terug naar je activiteiten").click()
    heading(page, "Je PE-activiteiten")
    page.get_by_role("link", name="Activiteit toevoegen").click()
    heading(page, "PE-activiteit toevoegen")
    page.get_by_label("Naam van de activiteit").fill("Workshop geven op het Noloc-congres")
    page.get_by_label("Aanbieder").fill("Noloc")
    page.get_by_label("Datum waarop je de activiteit afrondde").fill((TODAY - timedelta(days=5)).isoformat())
    page.get_by_label("Categorie").select_option("2")
    page.get_by_label("Omvang").fill("25")
    page.get_by_label("Eenheid").select_option("points")
    assert _live(page) == "Dit levert 25 PE-punten op."
    page.get_by_role("button", name="Activiteit opslaan").click()
    heading(page, "PE-activiteit wijzigen")
    page.locator("[data-dropzone]").evaluate("""(zone, bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], "foto-workshop.png", {type: "image/png"}));
        const how = {dataTransfer: transfer, bubbles: true, cancelable: true};
        zone.dispatchEvent(new DragEvent("dragover", how));
        zone.dispatchEvent(new DragEvent("drop", how));
    }""", list(PNG))
    page.get_by_text("foto-workshop.png is toegevoegd.").wait_for()

    # Both in the list with their points and evidence.
    page.get_by_role("link", name="Terug naar je activiteiten").click()
    heading(page, "Je PE-activiteiten")
    first = _activity(page, "Training motiverende gespreksvoering")
    second = _activity(page, "Workshop geven op het Noloc-congres")
    assert first.locator("[data-field=points]").inner_text() == "21 PE-punten"
    assert second.locator("[data-field=points]").inner_text() == "25 PE-punten"
    assert first.locator("[data-field=evidence]").inner_text() == "Bewijs: 1 bestand"
    check_screen(page, "PE list with two activities")

    # Changing the first: its form comes back filled in, the new amount's points live, then the API's.
    first.get_by_role("link", name="Wijzigen").click()
    heading(page, "PE-activiteit wijzigen")
    amount = page.get_by_label("Omvang")
    assert amount.input_value() == "0,75"
    page.get_by_label("Eenheid").select_option("sbu")
    amount.fill("12,5")
    assert _live(page) == "Dit levert 12,5 PE-punten op."
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    page.get_by_role("status").filter(has_text="Deze activiteit levert 12,5 PE-punten op.").wait_for()
    assert page.get_by_label("Omvang").input_value() == "12,5"

    # Removing the second, after a confirmation.
    page.get_by_role("link", name="Terug naar je activiteiten").click()
    _activity(page, "Workshop geven op het Noloc-congres").get_by_role("link", name="Wijzigen").click()
    heading(page, "PE-activiteit wijzigen")
    page.get_by_role("button", name="Deze activiteit verwijderen").click()
    check_screen(page, "PE remove confirmation")
    page.get_by_role("button", name="Ja, verwijderen").click()
    heading(page, "Je PE-activiteiten")
    page.get_by_role("status").filter(has_text="is verwijderd").wait_for()
    _activity(page, "Training motiverende gespreksvoering").wait_for()
    assert _activity(page, "Workshop geven op het Noloc-congres").count() == 0

    # The summary: the chart (an image with a name), the table, the API's sentences.
    page.get_by_role("link", name="Overzicht per categorie").click()
    heading(page, "Je PE-punten per categorie")
    page.get_by_role("img", name="PE-punten per categorie").wait_for()
    row = page.locator("tr[data-category='1']")
    assert row.get_by_role("rowheader").inner_text().startswith("1. Bij- en nascholing")
    assert row.get_by_role("cell").all_inner_texts()[:4] == ["12,5", "0", "0", "30"]
    missing = page.locator("[data-field=missing]").inner_text()
    assert "Nog 17,5 punten in categorie 1 nodig." in missing, missing
    assert "Nog 62,5 punten in totaal nodig" in missing, missing
    assert page.locator("svg .pe-chart-min line").count() >= 1
    assert page.locator("svg .pe-chart-max line").count() == 5
    check_screen(page, "PE summary")
    context.close()


def test_pe_registration_by_keyboard_alone_under_the_real_csp(browser, system, app):
    person = _jobcoach(app, "Kees Toetsenbord")
    context = new_context(browser, system, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # A listener from the start has Chromium intercept file choosers before the key press that opens one:
    # expect_file_chooser() alone turns interception on while the press is already under way.
    page.on("filechooser", lambda chooser: None)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    _login(page, person)

    tab_to(page, page.get_by_role("navigation").get_by_role("link", name="PE-punten"))
    page.keyboard.press("Enter")
    heading(page, "Je PE-activiteiten")
    tab_to(page, page.get_by_role("link", name="Activiteit toevoegen"))
    page.keyboard.press("Enter")
    heading(page, "PE-activiteit toevoegen")
    tab_to(page, page.get_by_label("Naam van de activiteit"))
    page.keyboard.type("Boek over loopbaanbegeleiding")
    page.keyboard.press("Tab")
    page.keyboard.type("Uitgeverij Voorbeeld")
    page.keyboard.press("Tab")
    day = TODAY - timedelta(days=3)
    # Chromium's date field orders its parts by the browser's own language (dd-mm-jjjj or mm/dd/yyyy).
    field = page.get_by_label("Datum waarop je de activiteit afrondde")
    for typed in (f"{day.day:02d}{day.month:02d}{day.year}", f"{day.month:02d}{day.day:02d}{day.year}"):
        page.keyboard.type(typed)
        if field.input_value() == day.isoformat():
            break
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
    assert field.input_value() == day.isoformat()
    tab_to(page, page.get_by_label("Categorie"))
    for _ in range(5):  # category 6: self-study
        page.keyboard.press("ArrowDown")
    assert page.get_by_label("Categorie").input_value() == "6"
    tab_to(page, page.get_by_label("Omvang"))
    page.keyboard.type("6")
    assert _live(page) == "Dit levert 6 PE-punten op."
    tab_to(page, page.get_by_role("button", name="Activiteit opslaan"))
    page.keyboard.press("Enter")
    heading(page, "PE-activiteit wijzigen")

    # The evidence: the file chooser opened from the keyboard.
    tab_to(page, page.get_by_label("Kies een bestand"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        files=[{"name": "samenvatting.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_text("samenvatting.pdf is toegevoegd.").wait_for()

    # Back to the list and on to the summary.
    tab_to(page, page.get_by_role("link", name="Terug naar je activiteiten"), presses=60)
    page.keyboard.press("Enter")
    heading(page, "Je PE-activiteiten")
    item = _activity(page, "Boek over loopbaanbegeleiding")
    assert item.locator("[data-field=evidence]").inner_text() == "Bewijs: 1 bestand"
    tab_to(page, page.get_by_role("link", name="Overzicht per categorie"))
    page.keyboard.press("Enter")
    heading(page, "Je PE-punten per categorie")
    assert "Nog 30 punten in categorie 1 nodig." in page.locator("[data-field=missing]").inner_text()
    assert not refused, refused
    context.close()
