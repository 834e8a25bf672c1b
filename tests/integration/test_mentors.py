"""Mentors (issue 14, ADR 0028) through the gateway, on the worker's shared whole system.

A Noloc admin makes two mentor accounts (one of them an assessor too); a mentor edits the profile the list
shows; a member jobcoach finds them in the list (with the fee paid to the mentor, nothing invoiced) where an
external affiliate gets a clear 403; the jobcoach invites one with explicit consent (refused without). The
mentor then reads the drafts, the meetings and the PE summary and nothing else, changes nothing (every
PUT/POST/DELETE on the jobcoach's things refused), and comments per part, which the jobcoach reads per part.
The mentor who is also an assessor is excluded as the jobcoach's assessor automatically: the assessors list
says why and assigning is refused with a clear title. Once the jobcoach ends the access the mentor gets 404
in portfolio at once and in pe-registry as soon as the event arrives; the past mentor stays excluded.

In the portal at 360 px (axe-core finds no serious or critical violation on any of these screens): the
jobcoach finds a mentor in /mentoren, is refused without consent to each item, invites; the mentor opens her
jobcoach from the start screen, reads the drafts and PE points read-only, writes a comment that a reload
keeps, posts it, and edits the profile; the jobcoach reads the comment in the editor of the part and ends the
access after a confirmation, after which the mentor's screen finds nothing.
"""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from portal_browser import browser_fixture, check_screen, heading, login, new_context
from portal_system import shared_fixtures

from frontend import PASSWORD, Frontend, Person, unique_email
from journeys import TODAY, Office, complete_portfolio, eventually, ok

system, app, office, mailbox = shared_fixtures()
CONSENT = {"drafts": True, "meetings": True, "pe_summary": True}


def make_mentor(app: Frontend, office: Office, name: str, *roles: str) -> Person:
    person = Person(unique_email("mentor"), PASSWORD)
    person.account = ok(app.post("admin/accounts", office.admin, json={
        "email": person.email, "full_name": name, "password": PASSWORD, "roles": ["mentor", *roles]}), 201)
    return app.login(person)


def listed(app: Frontend, coach: Person, mentor: Person) -> dict | None:
    items = ok(app.get("portfolio/mentors", coach))["items"]
    return next((m for m in items if m["account_id"] == mentor.id), None)


@pytest.fixture(scope="module")
def people(app, office):
    mentor = make_mentor(app, office, "Mees Mentor", "assessor")
    other = make_mentor(app, office, "Noor Meekijker")
    coach = app.login(app.register(full_name="Jet Mentee"))
    office.certify(coach, TODAY + timedelta(days=40))
    return {"mentor": mentor, "other": other, "coach": coach}


def test_the_list_is_for_members_says_the_fee_and_shows_the_profile_a_mentor_edits(app, office, people):
    mentor, coach = people["mentor"], people["coach"]
    profile = ok(app.put(f"portfolio/mentors/{mentor.id}", mentor,
                         json={"region": "Utrecht", "about": "Twintig jaar jobcoach, vooral in de zorg."}))
    assert profile["full_name"] == "Mees Mentor"
    refused = app.put(f"portfolio/mentors/{mentor.id}", people["other"], json={"region": "X", "about": "Y"})
    assert refused.status_code == 404  # another mentor's profile
    eventually(lambda: listed(app, coach, mentor), what="the mentor in the list")
    body = ok(app.get("portfolio/mentors", coach))
    assert listed(app, coach, mentor) == {
        "account_id": mentor.id, "full_name": "Mees Mentor", "region": "Utrecht",
        "about": "Twintig jaar jobcoach, vooral in de zorg."}
    assert body["fee"]["amount"] == "75.00" and body["fee"]["invoiced_by_platform"] is False
    assert "rechtstreeks aan de mentor" in body["fee"]["note"]

    number = f"EXT-{uuid.uuid4().int % 900_000 + 100_000}"
    affiliate = app.login(app.register(number=number, full_name="Eef Extern"))
    # (a list: a refused requests.Response is falsy)
    [answer] = eventually(lambda: (r := app.get("portfolio/mentors", affiliate)).status_code == 403 and [r],
                          what="the affiliate known to portfolio")
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["title"] == "Mentoren zijn er voor leden van Noloc"
    invite = app.post("portfolio/mentorships", affiliate, json={"mentor_id": mentor.id, "consent": CONSENT})
    assert invite.status_code == 403


def test_consent_read_only_access_comments_exclusion_and_the_end(app, office, people):
    mentor, coach = people["mentor"], people["coach"]
    complete_portfolio(app, coach)
    without = app.post("portfolio/mentorships", coach,
                       json={"mentor_id": mentor.id, "consent": {**CONSENT, "pe_summary": False}})
    assert without.status_code == 422 and "consent" in without.json()["errors"]
    invited = app.post("portfolio/mentorships", coach, json={"mentor_id": mentor.id, "consent": CONSENT})
    mentorship = ok(invited, 201)
    assert mentorship["shared"] == ["drafts", "meetings", "pe_summary"] and mentorship["active"]
    assert app.post("portfolio/mentorships", coach,
                    json={"mentor_id": mentor.id, "consent": CONSENT}).status_code == 409
    mid = mentorship["id"]

    # The mentor reads what was shared.
    (mine,) = ok(app.get("portfolio/mentorships", mentor))
    assert (mine["id"], mine["jobcoach_name"]) == (mid, "Jet Mentee")
    read = ok(app.get(f"portfolio/mentorships/{mid}/portfolio", mentor))
    assert [p["part"] for p in read["parts"]] == ["A1", "A2", "A3", "A4"]
    assert read["parts"][1]["text"] == "Terugblik." and read["meetings"]
    assert read["cycle"]["account_id"] == coach.id
    summary = eventually(lambda: (r := app.get(f"pe/accounts/{coach.id}/summary", mentor)).status_code == 200
                         and r.json(), what="pe-registry knows the mentorship")
    assert summary["account_id"] == coach.id
    # ... and nothing else, and changes nothing.
    cycle_id, meeting_id = read["cycle"]["id"], read["meetings"][0]["id"]
    assert app.get(f"pe/accounts/{coach.id}/activities", mentor).status_code == 404
    assert app.get(f"portfolio/cycles/{cycle_id}", mentor).status_code == 403
    assert app.get(f"portfolio/meetings/{meeting_id}/proof", mentor).status_code == 403
    for method, path, body in (
            ("PUT", "portfolio/cycles/current/parts/A2", {"text": "Door de mentor."}),
            ("POST", "portfolio/cycles/current/meetings",
             {"met_on": str(TODAY - timedelta(days=3)), "kind": "intervision", "group_name": "Zuid"}),
            ("DELETE", f"portfolio/meetings/{meeting_id}", None),
            ("POST", "portfolio/cycles/current/submit", None),
            ("POST", f"portfolio/mentorships/{mid}/end", None),
            ("POST", "pe/activities", {"title": "X", "provider": "Y", "category": 1, "amount": "1",
                                       "unit": "sbu", "completed_on": str(TODAY)})):
        answer = app.call(method, path, mentor, json=body)
        assert answer.status_code == 403, (method, path, answer.status_code)
    assert ok(app.get("portfolio/cycles/current", coach))["parts"]["A2"]["text"] == "Terugblik."

    # Comments per part: the mentor writes, the jobcoach reads them per part.
    refused = app.post(f"portfolio/mentorships/{mid}/comments", mentor, json={"part": "B", "text": "Hm."})
    assert refused.status_code == 422
    ok(app.post(f"portfolio/mentorships/{mid}/comments", mentor,
                json={"part": "A2", "text": "Noem bij elk doel wat je er concreet voor deed."}), 201)
    ok(app.post(f"portfolio/mentorships/{mid}/comments", mentor, json={"part": "A4", "text": "Mooi plan."}),
       201)
    assert app.post(f"portfolio/mentorships/{mid}/comments", people["other"],
                    json={"part": "A2", "text": "Ik ook."}).status_code == 404
    (on_a2,) = ok(app.get("portfolio/mentor-comments", coach, params={"part": "A2"}))
    assert (on_a2["mentor_name"], on_a2["text"]) == ("Mees Mentor",
                                                    "Noem bij elk doel wat je er concreet voor deed.")
    assert len(ok(app.get("portfolio/mentor-comments", coach))) == 2

    # The automatic exclusion: the mentor, an assessor too, cannot be the jobcoach's assessor.
    ok(app.post("portfolio/cycles/current/submit", coach), 201)
    case = office.ready_for_assessor(coach)
    options = {o["assessor_id"]: o for o in ok(app.get(f"cases/{case['id']}/assessors", office.dnv))}
    assert (options[mentor.id]["eligible"], options[mentor.id]["conflict"]) == (False, "mentor")
    assert options[mentor.id]["reason"] == "Mentor van deze jobcoach."
    english = app.get(f"cases/{case['id']}/assessors", office.dnv, headers={"Accept-Language": "en"}).json()
    assert {o["assessor_id"]: o["reason"] for o in english}[mentor.id] == "Mentor of this jobcoach."
    refused = office.assign(case, mentor)
    assert refused.status_code == 409
    assert refused.json()["title"] == "Deze beoordelaar mag dit portfolio niet beoordelen"
    assert refused.json()["conflict"] == "mentor"
    assert mentor.id in office.case(case["id"])["mentor_ids"]

    # The end: 404 for the mentor at once in portfolio, and in pe-registry once the event is there.
    ended = ok(app.post(f"portfolio/mentorships/{mid}/end", coach))
    assert ended["active"] is False and ended["ended_at"]
    start = time.monotonic()
    for path in (f"portfolio/mentorships/{mid}/portfolio", f"portfolio/mentorships/{mid}/comments"):
        assert app.get(path, mentor).status_code == 404, path
    assert app.post(f"portfolio/mentorships/{mid}/comments", mentor,
                    json={"part": "A1", "text": "Nog één ding."}).status_code == 404
    assert ok(app.get("portfolio/mentorships", mentor)) == []
    eventually(lambda: app.get(f"pe/accounts/{coach.id}/summary", mentor).status_code == 404, timeout=10,
               what="pe-registry ends the mentor's access")
    print(f"pe-registry refused the ended mentor after {time.monotonic() - start:.2f} s")
    assert app.post(f"portfolio/mentorships/{mid}/end", coach).status_code == 409
    # The jobcoach keeps the comments; the past mentor stays excluded.
    assert len(ok(app.get(f"portfolio/mentorships/{mid}/comments", coach))) == 2
    (past,) = ok(app.get("portfolio/mentorships", coach))
    assert past["active"] is False
    eventually(lambda: any(o["assessor_id"] == mentor.id and o["conflict"] == "mentor"
                           for o in ok(app.get(f"cases/{case['id']}/assessors", office.dnv))),
               what="the past mentor still excluded")
    assert office.assign(case, mentor).status_code == 409


# --- the portal (web/src/screens/mentors), at 360 px, axe-clean ----------------------------------------

browser = browser_fixture()


def _phone(browser, system):
    return new_context(browser, system, viewport={"width": 360, "height": 740})


def test_closing_her_account_ends_the_mentors_reading_in_both_services(app, office, people):
    """A jobcoach who closed her account cannot log in to end a mentorship, and her data stays 30 days
    before erasure: the closing ends it, in portfolio and then in pe-registry."""
    coach = app.login(app.register(full_name="Sterre Stopt"))
    office.certify(coach, TODAY + timedelta(days=60))
    mentor = people["other"]
    mid = ok(app.post("portfolio/mentorships", coach, json={"mentor_id": mentor.id, "consent": CONSENT}),
             201)["id"]
    eventually(lambda: app.get(f"pe/accounts/{coach.id}/summary", mentor).status_code == 200,
               what="pe-registry lets the mentor read")
    assert app.get(f"portfolio/mentorships/{mid}/portfolio", mentor).status_code == 200

    assert app.post("accounts/me/close", coach, json={"password": PASSWORD}).status_code == 204
    eventually(lambda: app.get(f"portfolio/mentorships/{mid}/portfolio", mentor).status_code == 404,
               what="portfolio ends the mentorship")
    eventually(lambda: app.get(f"pe/accounts/{coach.id}/summary", mentor).status_code == 404,
               what="pe-registry hears it ended")
    assert all(m["id"] != mid for m in ok(app.get("portfolio/mentorships", mentor)))


def test_the_jobcoach_and_the_mentor_in_the_portal(browser, system, app, office):
    mentor = make_mentor(app, office, "Lotte Leesmee")
    coach = app.login(app.register(full_name="Bo Begeleid"))
    office.certify(coach, TODAY + timedelta(days=300))
    ok(app.put("portfolio/cycles/current/parts/A2", coach,
               json={"text": "Mijn terugblik op het vorige plan."}))
    ok(app.put(f"portfolio/mentors/{mentor.id}", mentor, json={"region": "Drenthe", "about": "Oud-docent."}))
    eventually(lambda: listed(app, coach, mentor), what="the mentor in the list")

    # The jobcoach finds the mentor, sees the fee, and invites with consent (refused without it).
    her = _phone(browser, system).new_page()
    login(her, coach)
    heading(her, "Mijn overzicht")
    her.get_by_role("navigation").get_by_role("link", name="Mentoren").click()
    heading(her, "Mentoren")
    expect(her.locator("[data-field=fee]")).to_contain_text("rechtstreeks aan de mentor")
    card = her.locator(f"[data-mentor='{mentor.id}']")
    expect(card).to_contain_text("Drenthe")
    card.get_by_role("button", name="Vraag Lotte Leesmee als mentor").click()
    card.get_by_label("De concepten van A1 tot en met A4").check()
    card.get_by_role("button", name="Toestemming geven en mentor vragen").click()
    expect(card.locator(".field-error")).to_contain_text("Geef toestemming voor elk onderdeel")
    check_screen(her, "mentors: consent refused")
    card.get_by_label("Mijn reflectiebijeenkomsten").check()
    card.get_by_label("Mijn overzicht van PE-punten").check()
    card.get_by_role("button", name="Toestemming geven en mentor vragen").click()
    expect(her.locator("main [role=status]").last).to_have_text("Lotte Leesmee kijkt nu met je mee.")
    expect(her.locator("[data-mentorship]")).to_contain_text("Kijkt mee sinds")
    check_screen(her, "mentors: her mentors")

    # The mentor: her jobcoaches from the start screen, the portfolio read-only, a comment kept on reload.
    his = _phone(browser, system).new_page()
    login(his, mentor)
    heading(his, "Mijn overzicht")
    his.get_by_role("main").get_by_role("link", name="Mijn jobcoaches").click()
    heading(his, "Mijn jobcoaches")
    check_screen(his, "mentor: jobcoaches")
    his.get_by_role("link", name="Portfolio van Bo Begeleid lezen").click()
    heading(his, "Portfolio van Bo Begeleid")
    a2 = his.locator("[data-part=A2]")
    expect(a2).to_contain_text("Mijn terugblik op het vorige plan.")
    expect(his.locator("[data-field=pe-total]")).to_contain_text("van de 75 punten")
    expect(a2.get_by_role("textbox")).to_have_count(1)  # no editor of the part: only the comment
    a2.get_by_role("textbox", name="Je reactie op A2").fill("Welk doel uit je vorige plan is gehaald?")
    his.reload()
    heading(his, "Portfolio van Bo Begeleid")
    a2 = his.locator("[data-part=A2]")
    kept = a2.get_by_role("textbox", name="Je reactie op A2")
    expect(kept).to_have_value("Welk doel uit je vorige plan is gehaald?")
    check_screen(his, "mentor: read-only portfolio")
    a2.get_by_role("button", name="Reactie plaatsen").click()
    expect(a2.get_by_role("status")).to_have_text("Je reactie is geplaatst.")
    expect(a2.locator(".mentors-comment-list")).to_contain_text("Welk doel uit je vorige plan is gehaald?")
    expect(a2.get_by_role("textbox", name="Je reactie op A2")).to_have_value("")

    # The mentor edits the profile.
    his.get_by_role("navigation").get_by_role("link", name="Mijn mentorprofiel").click()
    heading(his, "Mijn mentorprofiel")
    his.get_by_label("Regio").fill("Drenthe en Groningen")
    his.get_by_role("button", name="Profiel opslaan").click()
    expect(his.locator("main [role=status]")).to_have_text("Je profiel is opgeslagen.")
    check_screen(his, "mentor: profile")
    assert listed(app, coach, mentor)["region"] == "Drenthe en Groningen"

    # The jobcoach reads the comment in her editor of A2.
    her.goto("/portfolio/a2")
    heading(her, "A2 Terugblik op je ontwikkelplan")
    comments = her.get_by_role("region", name="Reacties van je mentor")
    expect(comments).to_contain_text("Welk doel uit je vorige plan is gehaald?")
    expect(comments).to_contain_text("Lotte Leesmee")
    check_screen(her, "portfolio editor with comments")

    # She ends the access, after a confirmation; the mentor's screen then finds nothing.
    her.get_by_role("navigation").get_by_role("link", name="Mentoren").click()
    heading(her, "Mentoren")
    mine = her.locator("[data-mentorship]")
    mine.get_by_role("button", name="Meekijken van Lotte Leesmee stoppen").click()
    expect(mine).to_contain_text("kan je portfolio, bijeenkomsten en PE-punten dan meteen niet meer lezen")
    check_screen(her, "mentors: confirm the end")
    mine.get_by_role("button", name="Ja, stoppen").click()
    expect(her.locator("main [role=status]").last).to_have_text("Lotte Leesmee kijkt niet meer mee.")
    expect(mine).to_contain_text("Gestopt op")
    his.go_back()  # to her portfolio, opened again: gone
    expect(his.get_by_role("alert")).to_contain_text("niet gevonden")
    expect(his.locator("[data-part]")).to_have_count(0)
    check_screen(his, "mentor: ended")
    her.context.close()
    his.context.close()
