"""The assessor's screens in the portal (issue 13) in real Chromium against the shared whole system.

A certified jobcoach's complete portfolio (one PE activity with a photo as evidence) is submitted, checked,
paid and assigned through the API. The assessor logs in through the portal at 360 px and, through its screens:
finds the case on her work list (her start screen) with the jobcoach's name, what to do and the due date;
opens the case and reads the parts, a reflection meeting and the PE activities with their points; views the
photo inline (fetched with her token into a Blob, under the portal's real Content-Security-Policy) and saves a
meeting's PDF proof as a file; fills the assessment form partly by keyboard (a reload in the middle keeps what
she typed); is refused a postponed advice without an assignment, next to the assignments; sends the postponed
advice; downloads the form as a real PDF. The API then holds that advice. After DNV's postponed decision and
the jobcoach's supplement, the case comes back to her: the second round shows the first form read-only and
takes a positive advice. axe-core finds no serious or critical violation on the work list, the case and the
form.

A case that had its one supplement before the assessment (DNV postponed on part B after a failed PE check, the
PE supplement passed the check): the form offers only a positive or a negative advice, and says why.
"""
from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, dutch_date, heading, login, new_context, tab_to
from portal_system import shared_fixtures

from recert_common.clock import platform_today

from journeys import TODAY, complete_portfolio, eventually, ok, record, upload

system, app, office, mailbox = shared_fixtures()
browser = browser_fixture()

VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
A1_FINDINGS = "Helder cv met de laatste vier jaar in detail."
ASSIGNMENT = "Schrijf de reflectie opnieuw, met wat je anders gaat doen."


def _png(width: int = 3, height: int = 2) -> bytes:
    """A small real PNG (red pixels): PE evidence a browser can draw."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _assigned_case(app, office, assessor):
    person = app.login(app.register(full_name="Fleur Assessorproef"))
    office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    photo = record(app, person, 1, 4, days_ago=20)
    ok(upload(app, person, photo["id"], _png(), filename="foto-certificaat.png", content_type="image/png"),
       201)
    eventually(lambda: photo["id"] in ok(app.get("portfolio/cycles/current/readiness",
                                                 person))["pe"]["activity_ids"],
               what="the photographed activity in the portfolio")
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    case = office.ready_for_assessor(person)
    ok(office.assign(case, assessor))
    # Portfolio and pe-registry hear of the assignment by event: wait until both open to the assessor.
    eventually(lambda: app.get(f"portfolio/submissions/{case['submission_id']}", assessor).status_code == 200,
               what="the snapshot open to the assessor")
    evidence = next(e for a in ok(app.get(f"cases/{case['id']}/pe-check", assessor))["activities"]
                    if a["activity_id"] == photo["id"] for e in a["evidence"])
    eventually(lambda: app.get(f"pe/evidence/{evidence['evidence_id']}/content", assessor).status_code == 200,
               what="the evidence open to the assessor")
    return person, office.case(case["id"])


def test_an_assessor_reads_a_case_and_gives_a_postponed_then_a_positive_advice(browser, system, app, office,
                                                                              tmp_path: Path):
    assessor = office.assessors[0]
    person, case = _assigned_case(app, office, assessor)
    name = person.account["full_name"]

    context = new_context(browser, system, viewport={"width": 360, "height": 740})  # the real CSP
    page = context.new_page()
    login(page, assessor)

    # The start screen is the work list; the case is on it with the jobcoach's name, the task, the due date.
    heading(page, "Je beoordelingen")
    expect(page.get_by_role("navigation").get_by_role("link", name="Beoordelingen")).to_be_visible()
    row = page.locator(f"[data-case='{case['id']}']")
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Portfolio beoordelen en advies geven")
    expect(row.locator("[data-field=due]")).to_have_text(dutch_date(platform_today() + timedelta(weeks=8)))
    check_screen(page, "assessor work list")

    # The case: the parts as written, a reflection meeting, the PE activities with their points.
    row.get_by_role("link", name=name).click()
    heading(page, f"Dossier van {name}")
    expect(page.locator("[data-part=A1] [data-field=text]")).to_have_text(
        "Mijn loopbaan; de laatste vier jaar in detail.")
    expect(page.locator("[data-part=A4] [data-field=text]")).to_have_text(
        "Ontwikkelplan voor de komende jaren.")
    expect(page.locator("[data-meeting]").first).to_contain_text("Intervisie op")
    expect(page.locator("[data-meeting]").first).to_contain_text("Oost")
    expect(page.locator("[data-activity]")).to_have_count(3)
    expect(page.locator("[data-field=pe-total]")).to_have_text("79 van de vereiste 75 PE-punten tellen mee.")
    expect(page.locator("[data-activity]").filter(has_text="45 PE-punten")).to_have_count(1)

    # The photo, fetched with the token into a Blob, drawn inline under the real CSP.
    page.get_by_role("button", name="Toon foto-certificaat.png").click()
    image = page.get_by_role("img", name="Bewijsstuk foto-certificaat.png")
    expect(image).to_be_visible()
    assert image.get_attribute("src").startswith("blob:")
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 3", arg=image.element_handle())
    check_screen(page, "assessor case")
    # A meeting's proof, a PDF: saved as a file, never opened in a frame of the portal.
    with page.expect_download() as proof:
        page.get_by_role("button", name="Download verslag-0.pdf").click()
    assert proof.value.suggested_filename == "verslag-0.pdf"
    proof.value.save_as(tmp_path / "verslag-0.pdf")
    assert (tmp_path / "verslag-0.pdf").read_bytes().startswith(b"%PDF")
    expect(page.locator("iframe, object, embed")).to_have_count(0)

    # The form: A1 by keyboard alone, the rest typed; a reload in the middle keeps everything.
    page.get_by_role("link", name="Vul het beoordelingsformulier in").click()
    heading(page, f"Beoordeling van {name}")
    check_screen(page, "assessment form")
    a1 = page.locator("fieldset[data-part=A1]")
    tab_to(page, a1.get_by_role("radio", name="Voldoet", exact=True))
    page.keyboard.press("Space")
    expect(a1.get_by_role("radio", name="Voldoet", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Bevindingen bij A1")).to_be_focused()
    page.keyboard.type(A1_FINDINGS, delay=5)
    a3 = page.locator("fieldset[data-part=A3]")
    a3.get_by_role("radio", name="Voldoet niet").check()
    page.get_by_label("Bevindingen bij A3").fill("De reflectie blijft aan de oppervlakte.")
    page.locator("fieldset[data-part=B]").get_by_role("radio", name="Voldoet", exact=True).check()
    page.get_by_label("Bevindingen bij B").fill("Ruim voldoende PE in categorie 1.")
    page.get_by_label("Feedback op A4").fill("Maak je plan concreter.")
    expect(page.locator("[data-field=draft-status]")).to_have_text(re.compile(r"Bewaard in deze browser om"))
    page.reload()
    heading(page, f"Beoordeling van {name}")
    page.get_by_text("We hebben je eerdere invoer op dit formulier teruggezet.").wait_for()
    expect(page.get_by_label("Bevindingen bij A1")).to_have_value(A1_FINDINGS)
    expect(a3.get_by_role("radio", name="Voldoet niet")).to_be_checked()
    page.get_by_label("Ontwikkeladvies").fill("Verdiep je in intervisiemethoden.")

    # Postponed without an assignment: refused, and the refusal stands next to the assignments.
    page.get_by_role("radio", name="uitgesteld").check()
    page.get_by_role("button", name="Formulier versturen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#field-supplements .field-error")).to_have_text(
        "Geef een aanvullende opdracht voor elk onderdeel dat niet voldoet.")
    assert office.case(case["id"])["advices"] == []
    page.get_by_label("Opdracht voor A3").fill(ASSIGNMENT)
    check_screen(page, "assessment form with a refusal")
    page.get_by_role("button", name="Formulier versturen").click()

    # Sent: read-only, with the PDF; the API holds the advice; the browser's copy is gone.
    given = page.locator("[data-round='1']")
    expect(given.locator("[data-field=advice]")).to_contain_text("Advies uitgesteld, verstuurd op")
    expect(given.locator("[data-assignment=A3]")).to_contain_text("Schrijf de reflectie opnieuw")
    expect(page.get_by_role("button", name="Formulier versturen")).to_have_count(0)
    expect(page.get_by_role("heading", name="Beoordelingsformulier ronde 1")).to_be_focused()
    with page.expect_download() as download:
        given.get_by_role("button", name="Download het formulier van ronde 1 (PDF)").click()
    pdf = tmp_path / "formulier.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename.endswith(".pdf")
    sent = ok(app.get(f"cases/{case['id']}/form", office.dnv))
    assert sent["advice"] == "postponed" and sent["round"] == 1
    assert sent["parts"]["A1"] == {"verdict": "meets", "findings": A1_FINDINGS}
    assert sent["parts"]["A3"]["verdict"] == "does_not_meet"
    assert sent["supplements"] == [{"part": "A3", "assignment": ASSIGNMENT}]
    assert sent["feedback"]["A4"] == "Maak je plan concreter."
    assert "recert.draft.assessment" not in page.evaluate("() => Object.keys(localStorage).join(' ')")

    # DNV follows; the jobcoach supplements A3 and pays; the case comes back to the same assessor.
    office.decide(case, "postponed")
    eventually(lambda: app.get("portfolio/cycles/current/supplement", person).status_code == 200,
               what="the supplement opened")
    ok(app.put("portfolio/cycles/current/supplement/parts/A3", person,
               json={"text": "Een verdiepte reflectie op de intervisie."}))
    ok(app.post("portfolio/cycles/current/supplement/submit", person), 201)
    office.pay(person, "reassessment")
    eventually(lambda: office.case(case["id"])["state"] == "reassessing", what="back with the assessor")
    # The supplement's own snapshot (the case names the original submission), open to the assessor.
    eventually(lambda: any(s["kind"] == "supplement" for s in ok(app.get(
        "portfolio/submissions", assessor, params={"cycle_id": case["cycle_id"]}))["items"]),
        what="the supplement's snapshot open to the assessor")

    page.get_by_role("navigation").get_by_role("link", name="Beoordelingen").click()
    heading(page, "Je beoordelingen")
    row = page.locator(f"[data-case='{case['id']}']")
    expect(row).to_contain_text("Aanvulling beoordelen (tweede ronde)")
    row.get_by_role("link", name=name).click()
    heading(page, f"Dossier van {name}")
    expect(page.locator("[data-part=A3] [data-field=text]")).to_have_text(
        "Een verdiepte reflectie op de intervisie.")
    expect(page.locator("[data-part=A3]")).to_contain_text("(aangevuld)")
    page.get_by_role("link", name="Beoordeel de aanvulling").click()
    heading(page, f"Beoordeling van {name}")
    expect(page.get_by_role("heading", name="Je beoordeling van de aanvulling")).to_be_visible()
    expect(page.get_by_role("radio", name="uitgesteld")).to_have_count(0)  # round 2: positive or negative
    expect(page.get_by_text("Toon het formulier van ronde 1")).to_be_visible()
    for part, findings in (("A1", "Voldoet nog steeds."), ("A3", "Nu een verdiepte reflectie."),
                           ("B", "Voldoende PE.")):
        page.locator(f"fieldset[data-part={part}]").get_by_role("radio", name="Voldoet", exact=True).check()
        page.get_by_label(f"Bevindingen bij {part}").fill(findings)
    page.get_by_label("Ontwikkeladvies").fill("Blijf reflecteren in intervisie.")
    page.get_by_role("radio", name="positief").check()
    check_screen(page, "assessment form, second round")
    page.get_by_role("button", name="Formulier versturen").click()
    expect(page.locator("[data-round='2'] [data-field=advice]")).to_contain_text(
        "Advies positief, verstuurd op")
    latest = ok(app.get(f"cases/{case['id']}/form", office.dnv))
    assert (latest["round"], latest["advice"]) == (2, "positive")
    assert [a["advice"] for a in office.case(case["id"])["advices"]] == ["postponed", "positive"]
    context.close()


def test_after_the_pe_supplement_the_assessor_advises_positive_or_negative_only(browser, system, app, office):
    """ADR 0011: one supplement per case. DNV's round-0 postponed decision on B after a failed PE check stands
    (the PE supplement handed in and passed), so the API refuses a postponed advice: the form does not offer
    it and says why, as in the second round."""
    assessor = office.assessors[1]
    person = app.login(app.register(full_name="Pieter Peaanvulling"))
    office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    case = office.case_of(person)
    office.pe_check(case, passed=False, findings=("Er ontbreken punten in categorie 1.",))
    eventually(lambda: office.case(case["id"])["state"] == "pe_check_failed", what="the case stopped")
    assert office.decide(case, "postponed")["round"] == 0
    eventually(lambda: app.get("portfolio/cycles/current/supplement", person).status_code == 200,
               what="the PE supplement opened")
    ok(app.post("portfolio/cycles/current/supplement/submit", person), 201)
    office.pay(person, "reassessment")
    eventually(lambda: office.case(case["id"])["state"] == "opened", what="the supplement at the PE check")
    case = office.ready_for_assessor(person)  # the check passed, the recertification fee paid
    ok(office.assign(case, assessor))
    name = person.account["full_name"]

    context = new_context(browser, system, viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, assessor)
    heading(page, "Je beoordelingen")
    page.goto(f"/beoordelingen/formulier?id={case['id']}")
    heading(page, f"Beoordeling van {name}")
    expect(page.get_by_role("heading", name="Je beoordeling", exact=True)).to_be_visible()
    advice = page.locator("#field-advice")
    expect(advice.get_by_role("radio")).to_have_count(2)
    expect(advice.get_by_role("radio", name="positief")).to_be_visible()
    expect(advice.get_by_role("radio", name="negatief")).to_be_visible()
    expect(advice.get_by_role("radio", name="uitgesteld")).to_have_count(0)
    expect(advice.locator(".hint")).to_have_text(
        "DNV heeft in dit dossier al een keer uitgesteld voor een aanvulling, en een dossier krijgt maar één "
        "aanvulling. Je advies is daarom positief of negatief.")
    expect(advice.get_by_role("radio", name="negatief")).to_have_attribute("aria-describedby", "advice-hint")
    check_screen(page, "assessment form after the PE supplement")
    context.close()
