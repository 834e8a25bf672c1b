"""The AVG's access log in portfolio: a DNV officer's or the assigned assessor's read of a jobcoach's cycle,
meeting, proof or submitted snapshot is a row (who, as what, what, when) written before anything is served;
the jobcoach reads their own log at GET /v1/portfolio/access-log."""
from __future__ import annotations

from datetime import date

from portfolio_support import PDF

from service_harness import problem

CURRENT = "/v1/portfolio/cycles/current"
LOG = "/v1/portfolio/access-log"


def test_reads_of_the_snapshot_and_proof_by_others_are_logged_for_the_jobcoach(portfolio):
    portfolio.clock.day = date(2027, 5, 1)
    coach = portfolio.coach()
    cycle = portfolio.certificate(coach, date(2027, 6, 30))
    meeting = portfolio.post(f"{CURRENT}/meetings", coach.token, json={
        "met_on": "2026-11-12", "kind": "quality_circle", "group_name": "Kwaliteitskring Zuid"}).get_json()
    assert portfolio.post(f"/v1/portfolio/meetings/{meeting['id']}/proof?filename=kring.pdf", coach.token,
                          data=PDF).status_code == 201
    for day in (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)):
        portfolio.noloc_meeting(coach, day)
    declarations = {"executive_jobcoach_declared": True, "currently_executive_jobcoach_declared": True}
    for part, text in (("A1", "cv"), ("A2", "terugblik"), ("A4", "plan")):
        portfolio.put(f"{CURRENT}/parts/{part}", coach.token,
                      json={"text": text, **(declarations if part == "A1" else {})})
    portfolio.put(f"{CURRENT}/parts/A3", coach.token, json={"text": "r", "meeting_id": meeting["id"]})
    portfolio.pe_activity(coach, date(2026, 2, 2), "75", "1")
    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    assessor, assessor_token = portfolio.staff("assessor")
    officer, officer_token = portfolio.staff("dnv_officer")
    portfolio.assign(coach, portfolio.case_opened(coach, submission), assessor)

    # The owner's own reads are not in the log, nor is a refused read.
    assert portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", coach.token).status_code == 200
    _, stranger = portfolio.staff("assessor")
    problem(portfolio.get(f"/v1/portfolio/submissions/{submission['id']}", stranger), 404)
    assert portfolio.get(LOG, coach.token).get_json()["total"] == 0

    sub = f"/v1/portfolio/submissions/{submission['id']}"
    assert portfolio.get(sub, assessor_token).status_code == 200
    assert portfolio.get(f"{sub}/meetings/{meeting['id']}/proof", assessor_token).data == PDF
    assert portfolio.get(f"/v1/portfolio/cycles/{cycle['id']}", officer_token).status_code == 200
    assert portfolio.get(f"/v1/portfolio/meetings/{meeting['id']}/proof", officer_token).data == PDF

    body = portfolio.get(f"{LOG}?page_size=10", coach.token).get_json()
    assert body["total"] == 4
    seen = [(i["reader_id"], i["reader_role"], i["kind"], i["label"]) for i in body["items"]]
    assert seen == [
        (str(officer), "dnv_officer", "proof", "kring.pdf"),
        (str(officer), "dnv_officer", "cycle", None),
        (str(assessor), "assessor", "submitted_proof", "kring.pdf"),
        (str(assessor), "assessor", "submission", None),
    ]
    assert body["items"][3]["object_id"] == submission["id"]
    assert body["items"][1]["object_id"] == cycle["id"]

    # Nobody else reads this log: another jobcoach has their own (empty), staff have none.
    assert portfolio.get(LOG, portfolio.coach().token).get_json()["total"] == 0
    problem(portfolio.get(LOG, assessor_token), 403)
    problem(portfolio.get(LOG, officer_token), 403)
    problem(portfolio.get(LOG), 401)
