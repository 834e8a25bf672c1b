"""The jobcoach objects to DNV's postponed decision on part B after a failed PE check, and DNV upholds it
(ADR 0011, both amendments), across every service and through the gateway only, with the e-mails caught
by a real SMTP server.

Upheld, the postponed decision is annulled with the PE supplement it asked for and the case goes back to
DNV's PE check: portfolio drops the supplement (404, a hand-in or a save is refused 409
``supplement-annulled``), notifications ends the supplement term and tells the jobcoach it no longer
applies. Then the check again: passed, the case goes on as any case (the recertification invoice of the
submission, an assessor, a positive decision, a renewed certificate); failed again, the annulled decision
does not use up the case's one postponement, so DNV postpones on B as after a first failed check and the
jobcoach gets a new supplement and term; when the check of that supplement fails too, DNV can only decide
negative.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from smtp_mailbox import Mailbox, mailbox_fixture

from recert_common.clock import platform_today
from recert_common.rules import add_years, supplement_deadline

from e2e_fixtures import app_fixture, office_fixture, running_system
from frontend import Frontend, Person
from journeys import (
    PDF,
    TODAY,
    WEBHOOK_SECRET,
    Office,
    complete_portfolio,
    eventually,
    file_objection,
    form,
    ok,
    record,
    upload,
)

VALID_UNTIL = TODAY + timedelta(days=60)  # inside the submission window
SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]
FINDING = "Bij de cursus van 45 uur ontbreekt het bewijs van deelname."
UPHELD = "Je bezwaar is gegrond verklaard: DNV toetst je PE opnieuw"

mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_system(infra, tmp_path_factory, SERVICES, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.3",
    }) as system:
        yield system


app = app_fixture()
office = office_fixture()


@dataclass(frozen=True)
class Upheld:
    """A case back at DNV's PE check after the jobcoach's objection was upheld."""

    person: Person
    number: str  # the certificate's
    case: dict
    decision: dict  # the postponed decision, now annulled
    objection: dict
    rejected_activity_id: str  # the activity DNV rejected in the failed check


def mail(mailbox: Mailbox, person: Person, subject_start: str) -> str:
    """The text of the jobcoach's e-mail whose subject starts with ``subject_start``, once it arrived."""
    return eventually(lambda: next((text for subject, text in mailbox.texts(person.email)
                                    if subject.startswith(subject_start)), None), what=subject_start)


def count(mailbox: Mailbox, person: Person, subject_start: str) -> int:
    return sum(subject.startswith(subject_start) for subject, _ in mailbox.texts(person.email))


def refused_decision(app: Frontend, office: Office, case: dict, decision: str) -> str:
    """DNV's ``decision`` refused (422): the reason given for the field ``decision``."""
    refused = app.post(f"cases/{case['id']}/decision", office.dnv, json={"decision": decision})
    assert refused.status_code == 422, refused.text
    [said] = refused.json()["errors"]["decision"]
    return said


def upheld_back_to_the_pe_check(app: Frontend, office: Office, mailbox: Mailbox, name: str) -> Upheld:
    """Submitted; DNV rejects the 45-hour course, fails the check with a finding and postpones on B; the
    jobcoach is told, objects, and DNV upholds the objection."""
    person = app.login(app.register(full_name=name))
    number = office.certify(person, VALID_UNTIL)
    complete_portfolio(app, person)
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    case = office.case_of(person)

    def the_course():
        check = ok(office.app.get(f"cases/{case['id']}/pe-check", office.dnv))
        return next((a for a in check["activities"] if a["known"] and a["amount"] == "45"), None)

    course = eventually(the_course, what="the course in the PE check")
    ok(app.post(f"cases/{case['id']}/pe-check/rejections", office.dnv,
                json={"activity_id": course["activity_id"], "reason": "Het bewijs ontbreekt."}), 201)
    office.pe_check(case, passed=False, findings=(FINDING,))
    decision = office.decide(case, "postponed")
    due_on = supplement_deadline(platform_today())
    assert (decision["round"], decision["supplement_due_on"]) == (0, due_on.isoformat())

    # Portfolio opens the supplement for B, pe-registry extends the PE period to its due date, and the
    # jobcoach reads what is missing.
    supplement = eventually(lambda: (r := app.get("portfolio/cycles/current/supplement", person))
                            .status_code == 200 and r.json(), what="the supplement for B")
    assert (supplement["parts"], supplement["due_on"]) == (["B"], due_on.isoformat())
    eventually(lambda: ok(app.get("pe/summary", person))["period"]["to"] == due_on.isoformat(),
               what="the PE period extended to the supplement's due date")
    postponed = mail(mailbox, person, "Besluit DNV: uitgesteld")
    assert FINDING in postponed and "bezwaar maken bij DNV" in postponed

    objection = file_objection(app, person, case, "Het bewijs van de cursus zat er wel bij.")
    assert objection["decision_id"] == decision["id"]
    mail(mailbox, person, "Je bezwaar is ontvangen")
    upheld = office.decide_objection(case, objection, "upheld", "Het bewijs zat er wel bij.")
    assert upheld["outcome"] == "upheld"
    return Upheld(person, number, case, decision, objection, course["activity_id"])


def assert_back_at_the_pe_check(app: Frontend, office: Office, mailbox: Mailbox, upheld: Upheld) -> None:
    """What each service made of the uphold, within a bounded wait."""
    person, case_id = upheld.person, upheld.case["id"]
    case = office.case(case_id)
    assert (case["state"], case["stage"], case["supplement_due_on"], case["supplement_missed_at"]) == (
        "opened", "pe_check", None, None)

    # Portfolio: the supplement is gone for the jobcoach, and nothing is taken for it any more.
    eventually(lambda: app.get("portfolio/cycles/current/supplement", person).status_code == 404,
               what="the supplement annulled in portfolio")
    for refused in (app.post("portfolio/cycles/current/supplement/submit", person),
                    app.put("portfolio/cycles/current/supplement/parts/A3", person,
                            json={"text": "Toch nog een aanvulling."})):
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"].endswith("/supplement-annulled"), refused.json()
    cycle = ok(app.get("portfolio/cycles/current", person))
    assert (cycle["state"], cycle["supplement"]["state"]) == ("submitted", "annulled"), cycle

    # Notifications: the jobcoach is told the supplement no longer applies and DNV checks the PE again.
    text = mail(mailbox, person, UPHELD)
    assert "geldt daarom niet meer" in text and "niet meer nodig" in text, text
    assert "DNV toetst je PE opnieuw" in text and "Toelichting van DNV: Het bewijs zat er wel bij." in text

    # Her view of the case: the decision annulled by her objection, nothing left to object to, the check
    # next.
    mine = ok(app.get(f"cases/{case_id}", person))
    [annulled] = mine["decisions"]
    assert annulled["id"] == upheld.decision["id"] and annulled["annulled_at"] is not None
    assert annulled["annulled_by_objection_id"] == upheld.objection["id"]
    assert [(s["step"], s["status"]) for s in mine["progress"]] == [
        ("submitted", "done"), ("pe_check", "current"), ("assessment", "upcoming"), ("decision", "upcoming")]
    again = app.post(f"cases/{case_id}/objections", person, json={"reason": "Nog eens."})
    assert again.status_code == 409 and again.json()["reason"] == "no_decision", again.text
    # DNV's check view offers the check again.
    assert ok(app.get(f"cases/{case_id}/pe-check", office.dnv))["completed"] is None


def test_upheld_objection_sends_the_case_back_to_the_pe_check_then_on_to_a_renewed_certificate(
        app, office, mailbox):
    upheld = upheld_back_to_the_pe_check(app, office, mailbox, "Olga Bezwaar")
    person, case = upheld.person, upheld.case
    assert_back_at_the_pe_check(app, office, mailbox, upheld)

    # The check again: DNV withdraws the rejection and passes it; the submission's invoice is paid.
    ok(app.delete(f"cases/{case['id']}/pe-check/rejections/{upheld.rejected_activity_id}", office.dnv))
    office.pe_check(case)
    assert office.case(case["id"])["state"] == "awaiting_payment"
    office.pay(person, "recertification")
    eventually(lambda: office.case(case["id"])["state"] == "ready_for_assignment", what="payment applied")

    assessor = office.assessors[0]
    ok(office.assign(case, assessor))
    ok(office.advise(case, assessor, form("positive")), 201)
    final = office.decide(case, "positive")
    assert (final["round"], final["follows_advice"]) == (1, True)
    renewed_until = add_years(VALID_UNTIL, 4)
    eventually(lambda: office.register(upheld.number)["valid_until"] == renewed_until.isoformat(),
               what="the renewed certificate in the register")
    tile = ok(app.get("certificates/mine", person))
    assert (tile["state"], tile["valid_until"]) == ("active", renewed_until.isoformat())

    # Exactly once: the renewal is the last e-mail, so by then a duplicate of any earlier one is in too.
    mail(mailbox, person, f"Je certificaat is verlengd tot en met {renewed_until.day} ")
    subjects = [subject for subject, _ in mailbox.texts(person.email)]
    for start, times in (("Besluit DNV: uitgesteld", 1), ("Je bezwaar is ontvangen", 1), (UPHELD, 1),
                         ("De PE-toets van je portfolio is afgerond", 2), ("Factuur DNV-", 1),
                         ("Betaling ontvangen voor factuur DNV-", 1),
                         ("Besluit DNV: je certificaat wordt verlengd", 1),
                         ("Je certificaat is verlengd", 1)):
        assert count(mailbox, person, start) == times, (start, subjects)
    assert not any("aanvulling" in subject.lower() and not subject.startswith("Besluit DNV: uitgesteld")
                   for subject in subjects), subjects  # no reminder of the annulled supplement
    inbox = ok(app.get("messages", person, params={"page_size": 100}))["items"]
    assert not any(m["template"] in ("supplement_due_soon", "supplement_submitted") for m in inbox)
    # One invoice, the submission's: no reassessment fee for a supplement never handed in.
    [invoice] = ok(app.get("invoices", person))["items"]
    assert (invoice["kind"], invoice["state"], invoice["submission_id"]) == (
        "recertification", "paid", case["submission_id"])
    assert office.case(case["id"])["supplement_missed_at"] is None


def test_a_check_failing_again_after_the_uphold_gets_a_new_term_for_b_and_then_a_negative_decision(
        app, office, mailbox):
    """The annulled decision does not use up the case's one postponement (commit 261e6ce, ADR 0011 amended):
    a check failing again is postponed on B as a first one, with a new supplement and term; when the check
    of that supplement fails too, only a negative decision is possible."""
    upheld = upheld_back_to_the_pe_check(app, office, mailbox, "Petra Tweemaal")
    person, case = upheld.person, upheld.case
    annulled = eventually(lambda: (s := ok(app.get("portfolio/cycles/current", person))["supplement"])
                          ["state"] == "annulled" and s, what="the supplement annulled in portfolio")

    # The check again fails: DNV postpones on B again, as after a first failed check.
    again = "Het bewijs van de cursus ontbreekt nog steeds."
    office.pe_check(case, passed=False, findings=(again,))
    assert office.case(case["id"])["state"] == "pe_check_failed"
    for decision in ("negative", "positive"):
        assert refused_decision(app, office, case, decision).startswith(
            "Na een niet behaalde PE-toets krijgt de jobcoach eerst een aanvullingstermijn voor B")
    postponed = office.decide(case, "postponed")
    due_on = supplement_deadline(platform_today()).isoformat()
    assert (postponed["round"], postponed["supplement_due_on"]) == (0, due_on)
    assert office.case(case["id"])["state"] == "pe_supplement_due"

    # Portfolio opens a new supplement for B, and the jobcoach is told its assignment.
    supplement = eventually(lambda: (r := app.get("portfolio/cycles/current/supplement", person))
                            .status_code == 200 and r.json(), what="a new supplement for B")
    assert (supplement["state"], supplement["parts"]) == ("open", ["B"])
    assert supplement["id"] != annulled["id"] and supplement["due_on"] == postponed["supplement_due_on"]
    eventually(lambda: count(mailbox, person, "Besluit DNV: uitgesteld") == 2, what="the second postponement")
    assert again in [text for subject, text in mailbox.texts(person.email)
                     if subject.startswith("Besluit DNV: uitgesteld")][-1]

    # She adds PE and hands the supplement in; after the reassessment fee DNV checks the PE once more.
    extra = record(app, person, 1, 12, days_ago=10)
    ok(upload(app, person, extra["id"], PDF + b"extra"), 201)
    eventually(lambda: extra["id"] in ok(app.get("portfolio/cycles/current/readiness", person))["pe"]
               ["activity_ids"], what="the new activity in portfolio's view")
    ok(app.post("portfolio/cycles/current/supplement/submit", person), 201)
    office.pay(person, "reassessment")
    eventually(lambda: office.case(case["id"])["state"] == "opened", what="the PE check of the supplement")

    # It fails too: now only a negative decision is possible.
    office.pe_check(case, passed=False, findings=("Ook met de aanvulling te weinig PE-punten.",))
    for decision in ("postponed", "positive"):
        assert refused_decision(app, office, case, decision).startswith(
            "De PE-toets is opnieuw niet behaald en dit dossier heeft zijn ene uitgestelde besluit al gehad")
    negative = office.decide(case, "negative")
    assert (negative["round"], negative["decision"]) == (0, "negative") and negative["new_portfolio_deadline"]
    assert office.case(case["id"])["state"] == "decided"

    text = mail(mailbox, person, "Besluit DNV: je certificaat wordt niet verlengd")
    assert "bezwaar maken bij DNV" in text
    assert count(mailbox, person, "Besluit DNV: uitgesteld") == 2
    assert count(mailbox, person, UPHELD) == 1
    invoices = ok(app.get("invoices", person))["items"]
    assert sorted(i["kind"] for i in invoices) == ["reassessment", "recertification"], invoices
