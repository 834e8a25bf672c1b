"""One second chance only (ADR 0009, amended 2026-12-07): the negative decision on the whole new portfolio
after a negative decision opens no third portfolio. On the real PostgreSQL (its decisions check) and through
the API: the decision, its event, the lapse and the jobcoach's tile carry no new-portfolio deadline."""
from __future__ import annotations

from datetime import date

from assessment_support import form

EXPIRES = date(2027, 6, 30)


def test_the_negative_decision_on_the_new_portfolio_promises_no_third(assessment):
    assessment.clock.day = date(2027, 4, 20)
    coach, first_assessor, second_assessor = (assessment.person(), assessment.person("assessor"),
                                              assessment.person("assessor"))
    certificate = assessment.certificate(coach, EXPIRES)
    case = assessment.assessed(coach, certificate, first_assessor, form("negative", failing=("A1",)))
    assessment.clock.day = date(2027, 5, 15)
    first = assessment.ok(assessment.decide(case, "negative"), 201)
    assert first["new_portfolio_deadline"] == "2027-08-15"

    assessment.clock.day = date(2027, 5, 20)
    second = assessment.ready_for_assessor(coach, certificate, after_negative=True)
    assert second["is_new_portfolio_after_negative"] is True
    assessment.ok(assessment.assign(second, second_assessor))
    assessment.ok(assessment.advise(second, second_assessor, form("negative", failing=("A3",))), 201)
    assessment.clock.day = date(2027, 6, 10)
    last = assessment.ok(assessment.decide(second, "negative"), 201)
    assert last["new_portfolio_deadline"] is None
    made = assessment.outbox("certification.decision.made", subject=coach.account_id)
    assert [m["data"]["new_portfolio_deadline"] for m in made] == ["2027-08-15", None]
    assert assessment.scalar("SELECT new_portfolio_deadline FROM decisions WHERE id = %s", last["id"]) is None

    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert tile["submission_window"] is None and tile["window_open"] is False

    assessment.clock.day = date(2027, 7, 1)
    assessment.run_schedule()
    [lapsed] = assessment.outbox("certification.certificate.lapsed", subject=coach.account_id)
    assert (lapsed["data"]["reason"], lapsed["data"]["new_portfolio_deadline"]) == ("negative_decision", None)
    tile = assessment.ok(assessment.get("/v1/certificates/mine", coach.token))
    assert (tile["state"], tile["submission_window"], tile["window_open"]) == ("lapsed", None, False)
