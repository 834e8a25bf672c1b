"""The digital certificate in the portal (issue 14, ADR 0030) in real Chromium against the shared whole
system, at 360 px, axe-clean, under the gateway's real Content-Security-Policy.

A jobcoach logs in, opens "Digitaal certificaat" from the menu and downloads the PDF and the JSON file; the
PDF's QR code decodes to the verification page, which (opened by someone else, not logged in) says the
certificate is genuine and valid. Someone else pastes a tampered copy of the JSON and uploads the file of a
revoked one on /verifieren: both are refused with their reason.
"""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import zxingcpp
from portal_browser import browser_fixture, check_screen, heading, login, new_context
from portal_system import shared_fixtures
from pypdf import PdfReader

from journeys import TODAY, ok

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()


def _phone(browser, system):
    return new_context(browser, system, viewport={"width": 360, "height": 740})


def test_the_jobcoach_downloads_and_anyone_verifies(browser, system, app, office, tmp_path):
    person = app.login(app.register(full_name="Pien Portaal"))
    number = office.certify(person, TODAY + timedelta(days=500))
    context = _phone(browser, system)
    page = context.new_page()
    login(page, person)
    page.get_by_role("link", name="Digitaal certificaat").click()
    heading(page, "Je digitale certificaat")
    assert page.locator("[data-field=certificate_number]").inner_text() == number
    check_screen(page, "digital certificate")

    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Download als PDF").click()
    pdf_path = tmp_path / "certificaat.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_download.value.suggested_filename == f"certificaat-{number}.pdf"
    with page.expect_download() as json_download:
        page.get_by_role("button", name="Download als bestand (JSON)").click()
    json_path = tmp_path / "certificaat.json"
    json_download.value.save_as(json_path)
    saved = json.loads(json_path.read_text())
    assert saved["credential"]["credentialSubject"]["licenseNumber"] == number
    page.get_by_role("status").filter(has_text="is gedownload").wait_for()
    context.close()

    (code,) = zxingcpp.read_barcodes(PdfReader(pdf_path).pages[0].images[0].image)
    stranger = _phone(browser, system)
    page = stranger.new_page()
    page.goto(code.text)  # what a phone's camera opens
    heading(page, "Certificaat controleren")
    verdict = page.locator("[data-field=verdict]")
    verdict.get_by_text("Echt en geldig", exact=True).wait_for()
    assert verdict.locator("[data-field=certificate_number]").inner_text() == number
    assert verdict.locator("[data-field=holder]").inner_text() == "Pien Portaal"
    check_screen(page, "verification, valid")

    # A copy with another validity pasted: the signature no longer matches.
    header, payload, signature = saved["jwt"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["validUntil"] = "2099-12-31T23:59:59Z"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    tampered = {**saved, "jwt": f"{header}.{forged}.{signature}"}
    page.goto("/verifieren")
    heading(page, "Certificaat controleren")
    page.get_by_label("Digitaal certificaat").fill(json.dumps(tampered))
    page.get_by_role("button", name="Controleren").click()
    verdict.get_by_text("Niet geldig", exact=True).wait_for()
    assert verdict.locator("[data-field=reason]").inner_text() == "Handtekening klopt niet"
    check_screen(page, "verification, refused")

    # DNV revokes; the JSON file uploaded on the page is refused as revoked.
    certificate_id = ok(app.get("certificates/mine", person))["certificate_id"]
    ok(app.post(f"certificates/{certificate_id}/credential/revoke", office.dnv))
    page.goto("/verifieren")
    heading(page, "Certificaat controleren")
    page.get_by_label("Of kies een bestand").set_input_files(str(json_path))
    page.get_by_role("status").filter(has_text="is ingelezen").wait_for()
    page.get_by_role("button", name="Controleren").click()
    verdict.locator("[data-field=reason]").filter(has_text="Ingetrokken of vervallen").wait_for()
    assert "niet meer in het Register Jobcoach" in verdict.locator("[data-field=message]").inner_text()
    check_screen(page, "verification, revoked")
    stranger.close()
