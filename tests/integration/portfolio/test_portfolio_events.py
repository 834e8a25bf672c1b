"""Events in: certificates open and close cycles, Noloc meetings become A3 proof once, PE feeds readiness."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

from recert_common.events import new_event

from service_harness import wait_for


def test_a_registered_certificate_opens_a_cycle_once(portfolio):
    coach = portfolio.coach()
    certificate_id = uuid.uuid4()
    cycle = portfolio.certificate(coach, date(2027, 6, 30), certificate_id=certificate_id)

    assert cycle["state"] == "open" and cycle["kind"] == "regular"
    assert cycle["certificate_id"] == str(certificate_id)
    # Taken over without a decision here: the PE period starts on the certificate's first day (ADR 0012).
    assert (cycle["starts_on"], cycle["expires_on"]) == ("2023-06-30", "2027-06-30")
    assert (cycle["window_opens_on"], cycle["submit_by"]) == ("2027-03-30", "2027-06-30")
    assert cycle["required_reflection_meetings"] == 4
    assert set(cycle["parts"]) == {"A1", "A2", "A3", "A4"} and cycle["meetings"] == []
    opened = portfolio.outbox("portfolio.cycle.opened", subject=coach.account_id)
    assert [e["data"] for e in opened] == [{
        "cycle_id": cycle["id"], "account_id": str(coach.account_id), "certificate_id": str(certificate_id),
        "kind": "regular", "expires_on": "2027-06-30", "window_opens_on": "2027-03-30",
        "submit_by": "2027-06-30", "pe_period_starts_on": "2023-06-30"}]

    # Sent again (a new envelope for the same certificate): nothing new.
    portfolio.certificate(coach, date(2027, 6, 30), certificate_id=certificate_id)
    assert portfolio.scalar("SELECT count(*) FROM cycles WHERE account_id = %s", coach.account_id) == 1
    assert len(portfolio.outbox("portfolio.cycle.opened", subject=coach.account_id)) == 1


def test_a_noloc_meeting_sent_twice_is_one_meeting(portfolio):
    coach = portfolio.coach()
    portfolio.certificate(coach, date(2027, 6, 30))
    first = portfolio.noloc_meeting(coach, date(2026, 10, 1), external_id="plan-4711")
    # The same fact in a new envelope, and the very same envelope redelivered.
    portfolio.noloc_meeting(coach, date(2026, 10, 1), external_id="plan-4711")
    portfolio.publish_raw(first.to_json(), "noloc.meeting.attended")
    marker = portfolio.noloc_meeting(coach, date(2026, 10, 2), external_id="plan-4712")
    portfolio.wait_handled(marker.id)

    meetings = portfolio.current(coach)["meetings"]
    assert [(m["external_id"], m["source"], m["proven"], m["proof"]) for m in meetings] == [
        ("plan-4711", "noloc", True, None), ("plan-4712", "noloc", True, None)]
    assert portfolio.scalar("SELECT count(*) FROM noloc_attendance WHERE external_id = 'plan-4711'") == 1


def test_a_noloc_meeting_of_an_unknown_member_is_parked_until_the_account_registers(portfolio):
    coach = portfolio.coach(register=False)
    portfolio.noloc_meeting(coach, date(2026, 9, 15), external_id=f"plan-{coach.membership_number}")
    parked = portfolio.rows("SELECT account_id, meeting_id FROM noloc_attendance "
                            "WHERE membership_number = %s", coach.membership_number)
    assert parked == [{"account_id": None, "meeting_id": None}]

    portfolio.register_account(coach)
    # Known now, but still no cycle: the fact waits for one.
    assert portfolio.scalar("SELECT count(*) FROM meetings WHERE account_id = %s", coach.account_id) == 0
    cycle = portfolio.certificate(coach, date(2027, 6, 30))
    assert [(m["met_on"], m["source"]) for m in cycle["meetings"]] == [("2026-09-15", "noloc")]


def test_noloc_meetings_go_to_the_certificate_holder_not_to_whoever_gives_the_number(portfolio):
    """Issue 11: a stranger who registered with a member's number (and verified their own address) used to
    receive the member's meetings from Noloc's planning tool."""
    holder = portfolio.coach(register=False)
    stranger = portfolio.coach(register=False)
    stranger.membership_number = holder.membership_number
    portfolio.register_account(stranger)
    portfolio.noloc_meeting(holder, date(2026, 9, 15), external_id=f"plan-{uuid.uuid4()}")
    assert portfolio.rows("SELECT account_id FROM noloc_attendance WHERE membership_number = %s",
                          holder.membership_number) == [{"account_id": None}]

    portfolio.register_account(holder)  # giving the number proves nothing
    assert portfolio.scalar("SELECT count(*) FROM noloc_attendance WHERE account_id IS NOT NULL "
                            "AND membership_number = %s", holder.membership_number) == 0
    cycle = portfolio.certificate(holder, date(2027, 6, 30))  # assessment linked the certificate to them
    assert [(m["met_on"], m["source"]) for m in cycle["meetings"]] == [("2026-09-15", "noloc")]
    portfolio.noloc_meeting(holder, date(2026, 9, 22))
    assert len(portfolio.current(holder)["meetings"]) == 2
    assert portfolio.scalar("SELECT count(*) FROM meetings WHERE account_id = %s", stranger.account_id) == 0


def test_a_noloc_meeting_for_a_known_member_without_a_cycle_waits_for_the_cycle(portfolio):
    coach = portfolio.coach()
    portfolio.noloc_meeting(coach, date(2026, 1, 20))
    cycle = portfolio.certificate(coach, date(2027, 6, 30))
    assert [m["met_on"] for m in cycle["meetings"]] == ["2026-01-20"]


def test_a_renewal_closes_the_cycle_and_opens_the_next_from_the_day_after_the_decision(portfolio):
    coach = portfolio.coach()
    certificate_id = uuid.uuid4()
    first = portfolio.certificate(coach, date(2027, 6, 30), certificate_id=certificate_id)
    decision_id, case_id = uuid.uuid4(), uuid.uuid4()
    decision = new_event("certification.decision.made", {
        "decision_id": decision_id, "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": certificate_id, "decision": "positive", "follows_advice": True,
        "objection_deadline": date(2027, 7, 15)}, producer="assessment", subject=coach.account_id)
    # Decided on 20 May 2027 (the envelope's instant, in Amsterdam).
    decision = dataclasses.replace(decision, occurred_at=datetime(2027, 5, 20, 8, 0, tzinfo=UTC))
    portfolio.publish_raw(decision.to_json(), "certification.decision.made")
    portfolio.wait_handled(decision.id)
    portfolio.publish("certification.certificate.renewed", {
        "certificate_id": certificate_id, "certificate_number": "RJ-1", "account_id": coach.account_id,
        "valid_from": date(2027, 6, 30), "valid_until": date(2031, 6, 30), "decision_id": decision_id,
        "previous_valid_until": date(2027, 6, 30)}, subject=coach.account_id)

    nxt = portfolio.current(coach)
    assert nxt["id"] != first["id"] and nxt["state"] == "open"
    assert (nxt["starts_on"], nxt["expires_on"], nxt["window_opens_on"]) == (
        "2027-05-21", "2031-06-30", "2031-03-30")
    assert nxt["required_reflection_meetings"] == 4
    old = portfolio.rows("SELECT state, closed_at FROM cycles WHERE id = %s", first["id"])[0]
    assert old["state"] == "closed" and old["closed_at"] is not None


def test_a_lapse_without_recertification_closes_the_open_cycle(portfolio):
    coach = portfolio.coach()
    certificate_id = uuid.uuid4()
    portfolio.certificate(coach, date(2026, 6, 30), certificate_id=certificate_id)
    portfolio.publish("certification.certificate.lapsed", {
        "certificate_id": certificate_id, "certificate_number": "RJ-2", "account_id": coach.account_id,
        "lapsed_on": date(2026, 7, 1), "reason": "not_recertified", "new_portfolio_deadline": None},
        subject=coach.account_id)
    assert portfolio.get("/v1/portfolio/cycles/current", coach.token).status_code == 404
    listed = portfolio.get("/v1/portfolio/cycles", coach.token).get_json()
    assert [c["state"] for c in listed["items"]] == ["closed"]


def test_pe_events_keep_the_read_model_of_activities_and_evidence(portfolio):
    coach = portfolio.coach()
    portfolio.certificate(coach, date(2027, 6, 30))
    kept = portfolio.pe_activity(coach, date(2026, 5, 1), "20", "1", evidence=False)
    gone = portfolio.pe_activity(coach, date(2026, 5, 2), "15", "6", evidence=False)
    portfolio.pe_evidence(coach, kept, "d" * 64)
    dropped = portfolio.pe_evidence(coach, kept, "e" * 64)
    portfolio.publish("pe.evidence.removed", {"evidence_id": dropped, "activity_id": kept,
                                              "account_id": coach.account_id, "sha256": "e" * 64},
                      subject=coach.account_id)
    portfolio.publish("pe.activity.updated", {
        "activity_id": kept, "account_id": coach.account_id, "category": "1", "title": "Bijgewerkt",
        "completed_on": date(2026, 5, 3), "unit": "sbu", "amount": "25", "points": "25", "source": "manual"},
        subject=coach.account_id)
    portfolio.publish("pe.activity.removed", {"activity_id": gone, "account_id": coach.account_id,
                                              "category": "6", "points": "15"}, subject=coach.account_id)

    readiness = portfolio.get("/v1/portfolio/cycles/current/readiness", coach.token).get_json()
    assert readiness["pe"]["activity_ids"] == [str(kept)]
    assert readiness["pe"]["counted_total"] == "25"
    assert [m["message"] for m in readiness["parts"]["B"]["missing"]] == [
        "Nog 5 punten in categorie 1 nodig.",
        "Nog 50 punten in totaal nodig, waarvan minstens 5 in categorie 1."]
    evidence = portfolio.rows("SELECT sha256 FROM pe_evidence WHERE activity_id = %s", kept)
    assert evidence == [{"sha256": "d" * 64}]


def test_a_postponed_decision_about_a_case_not_yet_known_is_retried_until_the_case_arrives(portfolio):
    coach = portfolio.coach()
    portfolio.clock.day = date(2027, 5, 1)
    cycle = portfolio.certificate(coach, date(2027, 6, 30))
    portfolio.fill_portfolio(coach, cycle, meetings_on=[date(2026, 1, d) for d in (5, 6, 7, 8)],
                             pe_on=date(2026, 2, 1))
    submission = portfolio.post("/v1/portfolio/cycles/current/submit", coach.token).get_json()
    case_id = uuid.uuid4()
    decision = portfolio.publish("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": cycle["certificate_id"], "decision": "postponed", "follows_advice": True,
        "objection_deadline": date(2027, 6, 12), "supplement_due_on": date(2027, 8, 1),
        "supplements": [{"part": "A2", "assignment": "Werk de terugblik uit."}]},
        subject=coach.account_id, wait=False)
    portfolio.publish("assessment.case.opened", {
        "case_id": case_id, "account_id": coach.account_id, "portfolio_id": submission["portfolio_id"],
        "submission_id": submission["id"], "due_on": date(2027, 7, 1)}, subject=coach.account_id)
    portfolio.wait_handled(decision.id)
    wait_for(lambda: portfolio.current(coach)["state"] == "supplement_open", message="supplement open")
    supplement = portfolio.current(coach)["supplement"]
    assert (supplement["parts"], supplement["due_on"], supplement["case_id"]) == (["A2"], "2027-08-01",
                                                                                  str(case_id))
