"""The three paths from a submitted portfolio to DNV's decision, across every service and through the
gateway, with the public register checked at each step and the e-mails people receive caught by a real
SMTP server: positive; postponed (DNV's decision, days after the advice, opens the supplement), supplement,
then positive; DNV deviating from a postponed advice; a failed PE check that stops the case for a supplement
term on B; negative, lapse at expiry, then reactivation through a new portfolio within 3 months.

Only the day of the assessment service moves (its decisions date the supplement's term, its worker lapses
the certificate once the expiry date has passed): it is restarted with ``RECERT_ASSESSMENT_TODAY`` set, as
an operator's clock would move.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from smtp_mailbox import Mailbox, mailbox_fixture

from recert_common.clock import platform_today
from recert_common.i18n import format_date
from recert_common.rules import add_years, supplement_deadline

from e2e_fixtures import app_fixture, office_fixture, running_system
from frontend import Frontend, Person, unique_member_number
from journeys import PDF, TODAY, WEBHOOK_SECRET, Office, complete_portfolio, eventually, form, ok, upload

VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]


mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.3",
        "RECERT_ASSESSMENT_SCHEDULE_SECONDS": "1",
    }) as system:
        yield system


app = app_fixture()
office = office_fixture()


def submitted(app: Frontend, office: Office, mailbox: Mailbox | None = None) -> tuple[Person, str]:
    """A certified jobcoach whose complete portfolio is in; returns the person and the certificate number.

    With ``mailbox``, the expiry reminder is awaited before the portfolio goes in: the scheduler sends no
    reminder while a case runs, so otherwise whether it comes depends on which is quicker.
    """
    person = app.login(app.register(full_name="Janneke Jobcoach"))
    number = office.certify(person, VALID_UNTIL)
    assert office.register(number) == {"name": "Janneke Jobcoach", "certificate_number": number,
                                       "valid_until": VALID_UNTIL.isoformat(), "state": "active"}
    if mailbox is not None:
        eventually(lambda: any(m["Subject"].startswith("Je certificaat verloopt over 60 dagen")
                               for m in mailbox.to(person.email)), what="the expiry reminder")
    complete_portfolio(app, person)
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    return person, number


def assessment_on(system, day) -> None:
    """Restart assessment's web and worker on ``day`` (None: the real day)."""
    for process in [p for p in system.processes if p.name.startswith("assessment-")]:
        process.stop()
    if day is None:
        system.env.pop("RECERT_ASSESSMENT_TODAY", None)
    else:
        system.env["RECERT_ASSESSMENT_TODAY"] = day.isoformat()
    web = system.start_web("assessment")
    system.wait_healthy("assessment", web)
    system.wait_for_line(system.start_worker("assessment"), '"worker started"')


def subjects_to(mailbox: Mailbox, person: Person) -> list[str]:
    return [m["Subject"] for m in mailbox.to(person.email)]


def text_of(mailbox: Mailbox, person: Person, subject_start: str) -> str:
    mail = eventually(lambda: next((m for m in mailbox.to(person.email)
                                    if m["Subject"].startswith(subject_start)), None), what=subject_start)
    return mail.get_body(("plain",)).get_content()


def register_says(office: Office, number: str, state: str, valid_until) -> None:
    if state == "lapsed":  # a lapsed certificate has left the public register: 404 as an unknown number
        eventually(lambda: office.app.get(f"register/{number}").status_code == 404, what="register: gone")
        return
    entry = eventually(lambda: (e := office.register(number))["state"] == state
                       and e["valid_until"] == valid_until.isoformat() and e, what=f"register: {state}")
    assert set(entry) == {"name", "certificate_number", "valid_until", "state"}


def test_positive_path_renews_from_the_old_expiry_and_tells_everyone_once(app, office, mailbox):
    person, number = submitted(app, office, mailbox)
    case = office.ready_for_assessor(person)
    assert case["due_on"] == (platform_today() + timedelta(weeks=8)).isoformat()
    register_says(office, number, "active", VALID_UNTIL)
    assessor = office.assessors[0]
    ok(office.assign(case, assessor))
    # The assessor sees this case and, through it, the snapshot.
    assert [c["id"] for c in ok(app.get("cases", assessor))["items"]] == [case["id"]]
    # Portfolio hears of the assignment by event, so the snapshot opens to the assessor a moment later.
    eventually(lambda: app.get(f"portfolio/submissions/{case['submission_id']}", assessor).status_code == 200,
               what="the snapshot open to the assessor")
    ok(office.advise(case, assessor, form("positive")), 201)
    register_says(office, number, "active", VALID_UNTIL)
    office.decide(case, "positive")

    renewed_until = add_years(VALID_UNTIL, 4)
    register_says(office, number, "active", renewed_until)
    tile = ok(app.get("certificates/mine", person))
    assert (tile["valid_from"], tile["valid_until"]) == (VALID_UNTIL.isoformat(), renewed_until.isoformat())

    # The e-mails: each step that matters, to the right person, in Dutch, once each.
    expected = ["Bevestig je e-mailadres voor Register Jobcoach", "Welkom bij Register Jobcoach",
                "Authenticator-app gekoppeld aan je account",
                "Je certificaat verloopt over 60 dagen", "Je portfolio is ingediend", "Factuur DNV-",
                "De PE-toets van je portfolio is afgerond", "Betaling ontvangen voor factuur DNV-",
                "Besluit DNV: je certificaat wordt verlengd",
                f"Je certificaat is verlengd tot en met {renewed_until.day} "]
    mails = eventually(lambda: len(mailbox.to(person.email)) >= len(expected) and mailbox.to(person.email),
                       what="the jobcoach's e-mails")
    time.sleep(2)  # room for a duplicate to arrive, so that the count below would see it
    mails = mailbox.to(person.email)
    subjects = [m["Subject"] for m in mails]
    assert len(subjects) == len(expected), subjects
    for start in expected:
        assert sum(subject.startswith(start) for subject in subjects) == 1, (start, subjects)
    bodies = " ".join(m.get_body(("plain",)).get_content() for m in mails)
    assert "de uitslag volgt in de regel binnen 6 tot 8 weken" in bodies
    assert "je kunt nu je portfolio indienen" in bodies.lower()
    assessor_mail = eventually(lambda: [m["Subject"] for m in mailbox.to(assessor.email)
                                        if m["Subject"].startswith("Nieuwe beoordeling voor jou")])
    dnv_mail = eventually(lambda: [m["Subject"] for m in mailbox.to(office.dnv.email)
                                   if m["Subject"].startswith("Nieuwe beoordelingszaak")])
    assert "Janneke Jobcoach" in assessor_mail[0] and "Janneke Jobcoach" in dnv_mail[0]
    # The advice went to DNV, not to the jobcoach (ADR 0011).
    eventually(lambda: any(m["Subject"].startswith("Advies over Janneke Jobcoach")
                           for m in mailbox.to(office.dnv.email)), what="DNV told of the advice")
    assert not any("advies" in subject.lower() for subject in subjects)
    unread = ok(app.get("messages/unread-count", person))["unread"]
    assert unread == len(mails) - 1  # the link to confirm the address goes by e-mail only


def test_the_expiry_reminder_says_the_days_really_left_not_its_bucket(app, office, mailbox):
    """Issue 10: 62 days before the expiry date the reminder of the 3-month moment says "over 62 dagen"
    (not "over 3 maanden"), by e-mail and in the inbox the portal reads through the gateway. The services
    count days in Europe/Amsterdam, so the test does too."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    valid_until = today + timedelta(days=62)
    person = app.login(app.register(full_name="Rens Herinnering"))
    office.certify(person, valid_until)

    text = text_of(mailbox, person, "Je certificaat verloopt")
    [subject] = [s for s in subjects_to(mailbox, person) if s.startswith("Je certificaat verloopt")]
    assert subject == "Je certificaat verloopt over 62 dagen"
    assert f"geldig tot en met {format_date(valid_until)}, dus nog 62 dagen." in text
    assert "maanden" not in text

    def reminder_in_the_inbox():
        items = ok(app.get("messages", person, params={"page_size": 100}))["items"]
        return next((m for m in items if m["template"] == "certificate_expiring"), None)

    message = eventually(reminder_in_the_inbox, what="the reminder in the inbox")
    assert message["subject"] == "Je certificaat verloopt over 62 dagen"
    assert "dus nog 62 dagen" in message["body_text"] and "maanden" not in message["body_text"]


def test_postponed_then_positive_after_the_supplement(app, office, mailbox, system):
    person, number = submitted(app, office)
    case = office.ready_for_assessor(person)
    assessor = office.assessors[0]
    ok(office.assign(case, assessor))
    ok(office.advise(case, assessor, form("postponed", failing=("A3",))), 201)

    # The advice is DNV's: its officer hears of it; the jobcoach hears nothing and nothing reopens.
    eventually(lambda: any(m["Subject"].startswith("Advies over Janneke Jobcoach")
                           for m in mailbox.to(office.dnv.email)), what="DNV told of the advice")
    time.sleep(2)  # room for a message to the jobcoach to arrive, so that the checks below would see it
    assert app.get("portfolio/cycles/current/supplement", person).status_code == 404
    assert not any("advies" in s.lower() or "aanvulling" in s.lower() for s in subjects_to(mailbox, person))
    inbox = ok(app.get("messages", person))["items"]
    assert not any("advies" in m["subject"].lower() for m in inbox), [m["subject"] for m in inbox]
    assert ok(app.get(f"cases/{case['id']}", person))["advices"] == []

    # DNV decides a week after the advice: the 3 months run from the decision date.
    decided_on = platform_today() + timedelta(days=7)
    assessment_on(system, decided_on)
    try:
        decision = office.decide(case, "postponed")
        due_on = supplement_deadline(decided_on)
        assert decision["decided_on"] == decided_on.isoformat()
        regular = supplement_deadline(platform_today()).isoformat()
        assert decision["supplement_due_on"] == due_on.isoformat() != regular

        # Portfolio reopens A3 only, until that date; the jobcoach is told the assignment and the date.
        supplement = eventually(lambda: (r := app.get("portfolio/cycles/current/supplement", person))
                                .status_code == 200 and r.json(), what="the supplement opened")
        assert supplement["parts"] == ["A3"] and supplement["due_on"] == due_on.isoformat()
        text = text_of(mailbox, person, "Besluit DNV: uitgesteld")
        assert "A3 (reflectie op beroepsmatig handelen): Werk A3 opnieuw uit." in text
        assert f"tot en met {format_date(due_on)}" in text
        assert "aanvulling nodig" not in text
        assert "bezwaar maken bij DNV" in text and "mentor" in text
        refused = app.put("portfolio/cycles/current/parts/A1", person, json={"text": "Iets anders."})
        assert refused.status_code == 409
        ok(app.put("portfolio/cycles/current/supplement/parts/A3", person,
                   json={"text": "Een verdiepte reflectie op de intervisie."}))
        handed_in = ok(app.post("portfolio/cycles/current/supplement/submit", person), 201)

        office.pay(person, "reassessment")
        eventually(lambda: office.case(case["id"])["state"] == "reassessing", what="back with the assessor")
        assert office.case(case["id"])["assessor_id"] == assessor.id  # the same assessor
        # The case names the supplement's own snapshot next to the original submission it is about.
        answered = office.case(case["id"])["supplement"]
        assert answered["submission_id"] == case["submission_id"] != handed_in["id"]
        assert answered["supplement_submission_id"] == handed_in["id"]
        # A second postponement is not possible.
        again = office.advise(case, assessor, form("postponed", failing=("A3",)))
        assert again.status_code == 422
        ok(office.advise(case, assessor, form("positive")), 201)
        office.decide(case, "positive")
        register_says(office, number, "active", add_years(VALID_UNTIL, 4))
        positive = text_of(mailbox, person, "Besluit DNV: je certificaat wordt verlengd")
        assert "bezwaar" not in positive and "mentor" not in positive
    finally:
        assessment_on(system, None)


def test_dnv_deviating_from_a_postponed_advice_reopens_nothing(app, office, mailbox):
    person, number = submitted(app, office)
    case = office.ready_for_assessor(person)
    assessor = office.assessors[0]
    ok(office.assign(case, assessor))
    ok(office.advise(case, assessor, form("postponed", failing=("A1",))), 201)
    decision = office.decide(case, "positive", reason="Het cv is voor DNV voldoende.")
    assert decision["follows_advice"] is False and decision["supplement_due_on"] is None
    register_says(office, number, "active", add_years(VALID_UNTIL, 4))
    # Portfolio has heard of the decision (the renewed certificate opened the next cycle): nothing reopened.
    eventually(lambda: ok(app.get("portfolio/cycles/current", person))["state"] == "open",
               what="the next cycle")
    assert app.get("portfolio/cycles/current/supplement", person).status_code == 404
    # The jobcoach was never asked for a supplement: she heard the decision only.
    decided = text_of(mailbox, person, "Besluit DNV: je certificaat wordt verlengd")
    assert "aanvulling" not in decided and "Toelichting van DNV: Het cv is voor DNV voldoende." in decided
    assert not any("aanvulling" in subject.lower() or "advies" in subject.lower()
                   for subject in subjects_to(mailbox, person)), subjects_to(mailbox, person)


def test_a_failed_pe_check_stops_the_case_for_a_supplement_term_on_b(app, office, mailbox):
    person, _ = submitted(app, office)
    case = office.case_of(person)
    finding = "Bij de cursus van 45 uur ontbreekt het bewijs van deelname."
    ok(app.post(f"cases/{case['id']}/pe-check", office.dnv,
                json={"passed": False, "findings": [{"text": finding}]}))
    office.pay(person, "recertification")
    time.sleep(1)  # room for the payment to move the case, which it must not
    case = office.case(case["id"])
    assert (case["state"], case["stage"]) == ("pe_check_failed", "decision")  # no payment step, no assessor
    assert office.assign(case, office.assessors[0]).status_code == 409
    told = text_of(mailbox, person, "De PE-toets van je portfolio is afgerond")
    assert finding in told and "nog niet naar een beoordelaar" in told

    decision = office.decide(case, "postponed")
    assert decision["supplement_due_on"] == supplement_deadline(platform_today()).isoformat()
    supplement = eventually(lambda: (r := app.get("portfolio/cycles/current/supplement", person))
                            .status_code == 200 and r.json(), what="part B reopened")
    assert supplement["parts"] == ["B"]
    text = text_of(mailbox, person, "Besluit DNV: uitgesteld")
    assert "B (permanente educatie)" in text and finding in text

    # The jobcoach adds PE and hands in the supplement; after the reassessment fee DNV checks the PE again.
    def counted_activities():
        return ok(app.get("portfolio/cycles/current/readiness", person))["pe"]["activity_ids"]

    extra = ok(app.post("pe/activities", person, json={
        "title": "Cursus gespreksvoering", "provider": "Opleider B.V.", "category": 1,
        "completed_on": str(TODAY - timedelta(days=10)), "amount": "12", "unit": "sbu"}), 201)
    ok(upload(app, person, extra["id"], PDF + b"extra"), 201)
    # Portfolio hears of the activity and its evidence by events: the supplement lists what it has heard.
    eventually(lambda: extra["id"] in counted_activities(), what="the new activity with its evidence in "
               "portfolio's view")
    ok(app.post("portfolio/cycles/current/supplement/submit", person), 201)
    office.pay(person, "reassessment")
    eventually(lambda: office.case(case["id"])["state"] == "opened", what="the PE check again")
    check = ok(app.get(f"cases/{case['id']}/pe-check", office.dnv))
    assert extra["id"] in {a["activity_id"] for a in check["activities"]}
    office.pe_check(case)
    # The recertification fee was paid already: now, and only now, the case goes to an assessor.
    eventually(lambda: office.case(case["id"])["state"] == "ready_for_assignment", what="to an assessor")


def test_an_assessor_is_denied_a_case_that_is_not_theirs(app, office):
    person, _ = submitted(app, office)
    case = office.ready_for_assessor(person)
    mine, other = office.assessors
    ok(office.assign(case, mine))
    assert app.get(f"cases/{case['id']}", other).status_code == 404
    assert office.advise(case, other, form("positive")).status_code == 404
    assert app.get(f"portfolio/submissions/{case['submission_id']}", other).status_code == 404
    assert app.get(f"cases/{case['id']}", mine).status_code == 200
    # And a jobcoach calling a staff endpoint.
    assert app.post(f"cases/{case['id']}/decision", person, json={"decision": "positive"}).status_code == 403


def test_negative_then_lapse_at_expiry_then_reactivation_by_a_new_portfolio(app, office, system):
    person, number = submitted(app, office)
    case = office.ready_for_assessor(person)
    first, second = office.assessors
    ok(office.assign(case, first))
    ok(office.advise(case, first, form("negative", failing=("A1", "A3"))), 201)
    decision = office.decide(case, "negative")
    assert decision["new_portfolio_deadline"]
    register_says(office, number, "active", VALID_UNTIL)  # valid up to its expiry date

    # The day after the expiry date: the worker lapses the certificate.
    assessment_on(system, VALID_UNTIL + timedelta(days=1))
    register_says(office, number, "lapsed", VALID_UNTIL)

    # A whole new portfolio within 3 months: a new case, which the first assessor may not assess.
    def new_cycle():
        cycle = ok(app.get("portfolio/cycles/current", person))
        return cycle if cycle["kind"] == "after_negative" else None

    cycle = eventually(new_cycle, what="the cycle for a new portfolio")
    assert cycle["state"] == "open"
    missing = ok(app.get("portfolio/cycles/current/readiness", person))
    assert missing["ready"], missing  # texts and meetings were carried over; PE still counts
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    new_case = office.ready_for_assessor(person, count=2)
    assert new_case["id"] != case["id"] and new_case["is_new_portfolio_after_negative"] is True
    conflict = office.assign(new_case, first)
    assert conflict.status_code == 409 and conflict.json()["conflict"] == "previous_assessor"
    ok(office.assign(new_case, second))
    ok(office.advise(new_case, second, form("positive")), 201)
    register_says(office, number, "lapsed", VALID_UNTIL)
    office.decide(new_case, "positive")
    register_says(office, number, "active", add_years(VALID_UNTIL, 4))


def test_a_portfolio_submitted_in_time_but_heard_after_expiry_is_judged_not_lapsed(app, office, system):
    """ADR 0042: the submission's event waits in portfolio's outbox (its worker is down) while assessment's
    timer runs on the day after the expiry date. The certificate waits for portfolio's word, which does not
    come for a submitted cycle; the case opens once the worker is back, and the jobcoach stays registered."""
    assessment_on(system, None)
    person = app.login(app.register(full_name="Laura Laatkomer"))
    number = office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    # A certificate without an account lapses on the timer's own pass: the sign that the pass ran.
    unlinked = f"RJ-{uuid.uuid4().hex[:8].upper()}"
    csv = (f"noloc_number,certificate_number,valid_until,email,name\n{unique_member_number()},{unlinked},"
           f"{VALID_UNTIL.isoformat()},niemand@example.org,Nora Niemand\n")
    ok(app.post("certificates/import", office.admin, data=csv.encode(), headers={"Content-Type": "text/csv"}))
    register_says(office, unlinked, "active", VALID_UNTIL)

    [worker] = [p for p in system.processes if p.name == "portfolio-worker" and p.popen.poll() is None]
    worker.stop()
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    assessment_on(system, VALID_UNTIL + timedelta(days=1))
    register_says(office, unlinked, "lapsed", VALID_UNTIL)
    register_says(office, number, "active", VALID_UNTIL)

    system.wait_for_line(system.start_worker("portfolio"), '"worker started"')
    case = office.case_of(person)
    assert case["state"] == "opened" and case["is_new_portfolio_after_negative"] is False
    register_says(office, number, "active", VALID_UNTIL)
    mine = ok(app.get("certificates/mine", person))
    assert (mine["certificate_number"], mine["state"]) == (number, "active")
