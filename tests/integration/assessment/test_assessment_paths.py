"""The three paths of a case from submission to certificate, with the public register checked at every step:
positive (renewed from the old expiry date for 4 years), postponed then positive after a supplement, and
negative then lapse at expiry followed by reactivation through a new portfolio within 3 months."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from assessment_support import form
from pypdf import PdfReader

from service_harness import problem

EXPIRES = date(2027, 6, 30)
EVERY_STEP_EVENT = ("assessment.case.opened", "assessment.pe_check.completed", "assessment.assessor.assigned",
                    "assessment.advice.given", "certification.decision.made")


def listed(assessment, certificate: dict) -> dict:
    """The register's answer for the certificate, by number and by (part of) the holder's name."""
    entry = assessment.register_entry(certificate["number"])
    assert set(entry) == {"name", "certificate_number", "valid_until", "state"}  # and nothing more
    by_name = [e for e in assessment.register(certificate["name"].split()[1])
               if e["certificate_number"] == certificate["number"]]
    assert by_name == [entry]
    return entry


def register_says(assessment, certificate: dict, state: str, valid_until: date) -> None:
    if state == "lapsed":  # a lapsed certificate has left the register: answered as an unknown number
        problem(assessment.get(f"/v1/register/{certificate['number']}"), 404, "not-found")
        assert [e for e in assessment.register(certificate["name"].split()[1])
                if e["certificate_number"] == certificate["number"]] == []
        return
    assert listed(assessment, certificate) == {"name": certificate["name"], "state": state,
                                                "certificate_number": certificate["number"],
                                                "valid_until": valid_until.isoformat()}


def test_positive_path_renews_for_four_years_from_the_old_expiry_date(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    assert (certificate["valid_from"], certificate["account_id"]) == ("2023-06-30", str(coach.account_id))
    register_says(assessment, certificate, "active", EXPIRES)

    case = assessment.submit(coach, certificate, submitted_on=date(2027, 4, 15))
    assert (case["state"], case["due_on"], case["stage"]) == ("opened", "2027-06-10", "pe_check")
    register_says(assessment, certificate, "active", EXPIRES)

    check = assessment.ok(assessment.get(f"/v1/cases/{case['id']}/pe-check", assessment.officer.token))
    assert (check["rules_met"], check["counted_total"], check["required_total"]) == (True, "75", "75")
    assert all(a["known"] and a["counted"] and len(a["evidence"]) == 1 for a in check["activities"])
    done = assessment.pe_check(case)
    assert done["completed"]["passed"] is True and done["state"] == "awaiting_payment"
    assessment.pay(coach, submission_id=case["submission_id"])
    assert assessment.case(case["id"])["state"] == "ready_for_assignment"

    assigned = assessment.ok(assessment.assign(case, assessor))
    assert (assigned["state"], assigned["assessor_id"]) == ("assigned", str(assessor.account_id))
    given = assessment.ok(assessment.advise(case, assessor, form("positive")), 201)
    assert (given["advice"], given["round"], given["parts"]["B"]["verdict"]) == ("positive", 1, "meets")
    # The jobcoach reads the form only once DNV decided on it.
    problem(assessment.get(f"/v1/cases/{case['id']}/form.pdf", coach.token), 404)
    assert assessment.case(case["id"], coach.token)["advices"] == []
    register_says(assessment, certificate, "active", EXPIRES)

    assessment.clock.day = date(2027, 5, 20)  # decided before expiry
    decision = assessment.ok(assessment.decide(case, "positive"), 201)
    assert (decision["follows_advice"], decision["objection_deadline"]) == (True, "2027-07-01")
    [renewed] = assessment.outbox("certification.certificate.renewed", subject=coach.account_id)
    assert renewed["data"] == {
        "certificate_id": certificate["id"], "certificate_number": certificate["number"],
        "account_id": str(coach.account_id), "valid_from": "2027-06-30", "valid_until": "2031-06-30",
        "decision_id": decision["id"], "previous_valid_until": "2027-06-30"}
    register_says(assessment, certificate, "active", date(2031, 6, 30))
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert (tile["valid_from"], tile["valid_until"], tile["state"], tile["window_open"]) == (
        "2027-06-30", "2031-06-30", "active", False)

    pdf = assessment.get(f"/v1/cases/{case['id']}/form.pdf", coach.token)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"] == (
        f"attachment; filename=beoordelingsformulier-{case['id']}-1.pdf")
    assert pdf.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Advies Positief" in " ".join(text.split()) and "Het cv is helder en volledig." in text

    assessment.clock.day = date(2027, 7, 1)  # the old expiry date has passed
    assessment.run_schedule()
    register_says(assessment, certificate, "active", date(2031, 6, 30))
    events = assessment.events(coach.account_id)
    assert all(events.count(t) == 1 for t in EVERY_STEP_EVENT), events
    assert "certification.certificate.lapsed" not in events
    actions = [e["action"] for e in assessment.ok(assessment.get(f"/v1/cases/{case['id']}/audit",
                                                                  assessment.officer.token))]
    assert actions == ["case_opened", "pe_check_completed", "invoice_paid", "ready_for_assignment",
                       "assessor_assigned", "advice_given", "decision_made", "certificate_renewed"]


def test_postponed_then_positive_after_the_supplement(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    postponed = form("postponed", failing=("A3",), supplements=("A3",))
    case = assessment.assessed(coach, certificate, assessor, postponed)
    # The advice starts no term: it is internal to DNV until DNV decides.
    assert case["state"] == "advised" and case["supplement_due_on"] is None
    [advice] = assessment.outbox("assessment.advice.given", subject=coach.account_id)
    assert advice["data"]["supplements"] == [{"part": "A3", "assignment": "Werk A3 opnieuw uit."}]
    assert "supplement_due_on" not in advice["data"] and advice["data"]["is_reassessment"] is False

    # DNV decides five days later: the 3 months run from the decision date.
    assessment.clock.day = date(2027, 4, 25)
    decision = assessment.ok(assessment.decide(case, "postponed"), 201)
    assert decision["supplement_due_on"] == "2027-07-25" and decision["new_portfolio_deadline"] is None
    [made] = assessment.outbox("certification.decision.made", subject=coach.account_id)
    assert made["data"]["supplements"] == [{"part": "A3", "assignment": "Werk A3 opnieuw uit."}]
    assert made["data"]["supplement_due_on"] == "2027-07-25"
    case = assessment.case(case["id"])
    assert (case["state"], case["due_on"], case["stage"]) == ("supplement_due", "2027-07-25", "supplement")
    assert case["supplement_due_on"] == "2027-07-25"
    register_says(assessment, certificate, "active", EXPIRES)

    # The expiry date passes while the supplement is due: the running case keeps the jobcoach registered.
    assessment.clock.day = date(2027, 7, 2)
    assessment.run_schedule()
    register_says(assessment, certificate, "active", EXPIRES)

    assessment.supplement(coach, case, date(2027, 7, 2), ["A3"])
    case = assessment.case(case["id"])
    assert (case["state"], case["due_on"]) == ("supplement_received", "2027-08-27")  # 8 weeks again
    assessment.pay(coach, submission_id=case["submission_id"], kind="reassessment", case_id=case["id"])
    assert assessment.case(case["id"])["state"] == "reassessing"

    # The same assessor reassesses: positive or negative only.
    body = problem(assessment.advise(case, assessor, form("postponed", failing=("A3",), supplements=("A3",))),
                   422, "validation-failed")
    assert body["errors"] == {"advice": ["Na een aanvulling is het advies positief of negatief."]}
    second = assessment.ok(assessment.advise(case, assessor, form("positive")), 201)
    assert second["round"] == 2
    assert assessment.outbox("assessment.advice.given", subject=coach.account_id)[-1]["data"][
        "is_reassessment"] is True
    register_says(assessment, certificate, "active", EXPIRES)

    assessment.clock.day = date(2027, 8, 10)  # decided after the expiry date
    final = assessment.ok(assessment.decide(case, "positive"), 201)
    assert final["round"] == 2 and final["follows_advice"] is True
    [renewed] = assessment.outbox("certification.certificate.renewed", subject=coach.account_id)
    assert (renewed["data"]["valid_from"], renewed["data"]["valid_until"]) == ("2027-06-30", "2031-06-30")
    register_says(assessment, certificate, "active", date(2031, 6, 30))
    decisions = assessment.outbox("certification.decision.made", subject=coach.account_id)
    assert [d["data"]["decision"] for d in decisions] == ["postponed", "positive"]
    # Both forms stay downloadable, each round its own.
    first_pdf = assessment.get(f"/v1/cases/{case['id']}/form.pdf?round=1", coach.token)
    assert first_pdf.status_code == 200 and b"%PDF-" in first_pdf.data[:8]
    pages = PdfReader(io.BytesIO(first_pdf.data)).pages
    first_text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "Advies Uitgesteld" in first_text and "Werk A3 opnieuw uit." in first_text


def test_a_supplement_before_dnv_decided_is_not_taken(assessment):
    """Portfolio opens a supplement only on DNV's postponed decision; one that came earlier anyway (an
    old event) moves nothing."""
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    postponed = form("postponed", failing=("B",), supplements=("B",))
    case = assessment.assessed(coach, certificate, assessor, postponed)
    assessment.supplement(coach, case, date(2027, 4, 28), ["B"])
    case = assessment.case(case["id"])
    assert case["state"] == "advised" and case["supplement"] is None


def test_dnv_deviating_from_a_postponed_advice_starts_no_supplement(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.assessed(coach, certificate, assessor, form("postponed", failing=("A1",),
                                                                   supplements=("A1",)))
    assessment.clock.day = date(2027, 4, 27)
    decision = assessment.ok(assessment.decide(case, "negative", "Het cv ontbreekt grotendeels."), 201)
    assert decision["supplement_due_on"] is None and decision["follows_advice"] is False
    [made] = assessment.outbox("certification.decision.made", subject=coach.account_id)
    assert made["data"]["supplements"] == [] and made["data"]["supplement_due_on"] is None
    case = assessment.case(case["id"])
    assert (case["state"], case["supplement_due_on"]) == ("decided", None)


def test_a_failed_pe_check_goes_to_a_decision_on_b_then_the_check_again(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.submit(coach, certificate)
    assessment.pay(coach, submission_id=case["submission_id"])  # paid early: still no assessor
    check = assessment.pe_check(case, passed=False, findings=[{"text": "Bewijs van de cursus ontbreekt."}])
    assert check["completed"]["passed"] is False and check["state"] == "pe_check_failed"
    case = assessment.case(case["id"])
    assert (case["state"], case["stage"]) == ("pe_check_failed", "decision")
    body = problem(assessment.assign(case, assessment.person("assessor")), 409, "step-out-of-order")
    assert body["state"] == "pe_check_failed"
    # DNV's first decision is the supplement term for B; positive and negative are refused.
    for refused in ("positive", "negative"):
        problem(assessment.decide(case, refused, "Eerst aanvullen."), 422, "validation-failed")

    assessment.clock.day = date(2027, 4, 23)
    decision = assessment.ok(assessment.decide(case, "postponed"), 201)
    assert (decision["round"], decision["supplement_due_on"]) == (0, "2027-07-23")
    [made] = assessment.outbox("certification.decision.made", subject=coach.account_id)
    [assignment] = made["data"]["supplements"]
    assert assignment["part"] == "B" and "Bewijs van de cursus ontbreekt." in assignment["assignment"]
    case = assessment.case(case["id"])
    assert (case["state"], case["supplement_due_on"]) == ("pe_supplement_due", "2027-07-23")

    # The supplement brings a new activity; after the reassessment fee the PE check is done again on it.
    extra = assessment.pe_activity(coach, "10")
    activities = [*case["pe_activity_ids"], str(extra)]
    assessment.publish("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case["id"], "portfolio_id": case["portfolio_id"],
        "submission_id": case["submission_id"], "account_id": coach.account_id, "parts": ["B"],
        "submitted_at": datetime(2027, 5, 1, 10, tzinfo=UTC), "snapshot_hash": "c" * 64,
        "pe_activity_ids": activities, "pe_points_counted": Decimal("85")}, subject=coach.account_id)
    assert assessment.case(case["id"])["state"] == "pe_supplement_received"
    assessment.pay(coach, submission_id=case["submission_id"], kind="reassessment", case_id=case["id"])
    case = assessment.case(case["id"])
    assert (case["state"], case["stage"]) == ("opened", "pe_check")
    proposal = assessment.ok(assessment.get(f"/v1/cases/{case['id']}/pe-check", assessment.officer.token))
    assert str(extra) in {a["activity_id"] for a in proposal["activities"]}

    # The check of the supplement fails too: DNV decides negative (no second supplement).
    assessment.pe_check(case, passed=False, findings=[{"text": "Nog steeds te weinig punten."}])
    problem(assessment.decide(case, "postponed"), 422, "validation-failed")
    final = assessment.ok(assessment.decide(case, "negative"), 201)
    assert final["new_portfolio_deadline"] is not None


def test_a_pe_supplement_that_never_comes_ends_in_a_negative_decision_after_its_due_date(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach = assessment.person()
    case = assessment.submit(coach, assessment.certificate(coach, EXPIRES))
    assessment.pe_check(case, passed=False, findings=[{"text": "Te weinig punten in categorie 1."}])
    assert assessment.ok(assessment.decide(case, "postponed"), 201)["supplement_due_on"] == "2027-07-20"
    assessment.clock.day = date(2027, 7, 20)  # the last day of the term
    body = problem(assessment.decide(case, "negative", "Geen aanvulling."), 422, "validation-failed")
    assert list(body["errors"]) == ["decision"]
    assessment.clock.day = date(2027, 7, 21)
    problem(assessment.decide(case, "positive", "Toch goed."), 422, "validation-failed")
    # A supplement handed in on the last day may still be on its way until portfolio says none came.
    body = problem(assessment.decide(case, "negative", "Geen aanvulling."), 422, "validation-failed")
    assert body["errors"]["decision"][0].startswith("Het portfolio heeft nog niet bevestigd")
    assessment.supplement_missed(coach, assessment.case(case["id"]))
    final = assessment.ok(assessment.decide(case, "negative", "De aanvulling is niet ingediend."), 201)
    assert final["new_portfolio_deadline"] == "2027-10-21"
    assert assessment.case(case["id"])["state"] == "decided"


def test_an_assessor_cannot_mark_b_meets_against_a_failed_pe_check(assessment):
    """A case whose PE check failed while it was already on its way to an assessor (before ADR 0011 a
    failed check went on to payment and assignment) keeps its failed check: B never meets against it."""
    assessment.clock.day = date(2027, 4, 20)
    coach, assessor = assessment.person(), assessment.person("assessor")
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.submit(coach, certificate)
    assessment.pe_check(case, passed=False, findings=[{"text": "Categorie 1 heeft te weinig punten."}])
    assessment.pay(coach, submission_id=case["submission_id"])
    # Where today's rules stop such a case, one from before them stands ready for an assessor.
    with assessment.db.transaction() as conn:
        conn.execute("UPDATE cases SET state = 'ready_for_assignment' WHERE id = %s", (case["id"],))
    assessment.ok(assessment.assign(case, assessor))
    body = problem(assessment.advise(case, assessor, form("positive")), 422, "validation-failed")
    assert body["errors"] == {"parts.B": ["DNV heeft de PE-toets niet goedgekeurd: onderdeel B kan dan niet "
                                          "voldoen."]}
    assert assessment.case(case["id"])["state"] == "assigned"
    assessment.ok(assessment.advise(case, assessor, form("negative", failing=("B",))), 201)


def test_negative_then_lapse_at_expiry_then_reactivation_by_a_new_portfolio(assessment):
    assessment.clock.day = date(2027, 4, 1)
    coach, first_assessor, second_assessor = (assessment.person(), assessment.person("assessor"),
                                              assessment.person("assessor"))
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.assessed(coach, certificate, first_assessor, form("negative", failing=("A1", "A3")))
    register_says(assessment, certificate, "active", EXPIRES)

    assessment.clock.day = date(2027, 5, 15)
    decision = assessment.ok(assessment.decide(case, "negative"), 201)
    assert decision["new_portfolio_deadline"] == "2027-08-15"
    assert decision["objection_deadline"] == "2027-06-26"
    register_says(assessment, certificate, "active", EXPIRES)  # until the expiry date
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert tile["submission_window"] == {"opens_on": "2027-05-15", "closes_on": "2027-08-15"}

    assessment.clock.day = EXPIRES
    assessment.run_schedule()
    register_says(assessment, certificate, "active", EXPIRES)  # valid up to and including the expiry date

    assessment.clock.day = date(2027, 7, 1)
    assessment.run_schedule()
    assessment.run_schedule()
    register_says(assessment, certificate, "lapsed", EXPIRES)
    [lapsed] = assessment.outbox("certification.certificate.lapsed", subject=coach.account_id)
    assert lapsed["data"] == {
        "certificate_id": certificate["id"], "certificate_number": certificate["number"],
        "account_id": str(coach.account_id), "lapsed_on": "2027-07-01", "reason": "negative_decision",
        "new_portfolio_deadline": "2027-08-15"}

    # A whole new portfolio within 3 months: a new case, which the first assessor may not assess.
    assessment.clock.day = date(2027, 7, 20)
    second = assessment.ready_for_assessor(coach, certificate, after_negative=True)
    assert second["id"] != case["id"] and second["is_new_portfolio_after_negative"] is True
    register_says(assessment, certificate, "lapsed", EXPIRES)
    body = problem(assessment.assign(second, first_assessor), 409, "assessor-conflict")
    assert body["conflict"] == "previous_assessor"
    assessment.ok(assessment.assign(second, second_assessor))
    assessment.ok(assessment.advise(second, second_assessor, form("positive")), 201)
    register_says(assessment, certificate, "lapsed", EXPIRES)

    assessment.clock.day = date(2027, 8, 30)
    positive = assessment.ok(assessment.decide(second, "positive"), 201)
    [reactivated] = assessment.outbox("certification.certificate.reactivated", subject=coach.account_id)
    assert reactivated["data"] == {
        "certificate_id": certificate["id"], "certificate_number": certificate["number"],
        "account_id": str(coach.account_id), "valid_from": "2027-06-30", "valid_until": "2031-06-30",
        "decision_id": positive["id"]}
    assert assessment.outbox("certification.certificate.renewed", subject=coach.account_id) == []
    register_says(assessment, certificate, "active", date(2031, 6, 30))
    assessment.run_schedule()
    register_says(assessment, certificate, "active", date(2031, 6, 30))


def test_a_certificate_without_a_portfolio_lapses_on_portfolios_word_the_day_after_expiry(assessment):
    assessment.clock.day = date(2027, 6, 1)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    assessment.clock.day = date(2027, 7, 1)
    assessment.run_schedule()  # a portfolio submitted on the last day may still be on its way (ADR 0042)
    register_says(assessment, certificate, "active", EXPIRES)
    assessment.deadline_missed(coach, certificate)
    register_says(assessment, certificate, "lapsed", EXPIRES)
    assert assessment.scalar("SELECT lapsed_on FROM certificates WHERE id = %s", certificate["id"]) == \
        date(2027, 7, 1)
    [lapsed] = assessment.outbox("certification.certificate.lapsed", subject=coach.account_id)
    assert (lapsed["data"]["reason"], lapsed["data"]["new_portfolio_deadline"]) == ("not_recertified", None)
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert (tile["state"], tile["days_left"], tile["window_open"], tile["submission_window"]) == (
        "lapsed", 0, False, None)


def test_a_portfolio_submitted_on_the_last_day_and_heard_after_the_timers_pass_is_judged(assessment):
    """The race of ADR 0042: the submission's event reaches assessment after its first pass past expiry
    (portfolio's relay or assessment's worker was down at midnight)."""
    assessment.clock.day = date(2027, 6, 1)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    assessment.clock.day = date(2027, 7, 1)
    assessment.run_schedule()
    case = assessment.submit(coach, certificate, submitted_on=EXPIRES)
    assert case["state"] == "opened"
    assessment.clock.day = date(2027, 8, 1)
    assessment.run_schedule()
    register_says(assessment, certificate, "active", EXPIRES)
    assert assessment.outbox("certification.certificate.lapsed", subject=coach.account_id) == []


def test_a_certificate_lapses_a_week_after_expiry_when_portfolio_stays_silent(assessment):
    assessment.clock.day = date(2027, 6, 1)
    coach = assessment.person()
    certificate = assessment.certificate(coach, EXPIRES)
    assessment.clock.day = date(2027, 7, 7)
    assessment.run_schedule()
    register_says(assessment, certificate, "active", EXPIRES)
    assessment.clock.day = date(2027, 7, 8)
    assessment.run_schedule()
    register_says(assessment, certificate, "lapsed", EXPIRES)
    [lapsed] = assessment.outbox("certification.certificate.lapsed", subject=coach.account_id)
    assert (lapsed["data"]["reason"], lapsed["data"]["lapsed_on"]) == ("not_recertified", "2027-07-08")
