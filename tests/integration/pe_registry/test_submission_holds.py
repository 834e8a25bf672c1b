"""The hold portfolio asks for before it seals a submission (ADR 0044), against the real database: held only
when portfolio's copy of the period's activities is what is stored, read-only from then on, made a lock for
good by portfolio's event, let go of when the submission did not commit, and lapsing on its own."""
from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pe_support import assert_problem, pdf_bytes, today
from races import Beside, waiting_for_row_locks
from werkzeug.serving import make_server

from recert_common.http import ServiceUnreachable
from recert_common.rules.periods import DateRange
from recert_pe_registry.store import SqlPeRegistryUnitOfWork
from recert_portfolio.domain import PeActivity, PeChangedWhileSubmitting
from recert_portfolio.pe_holds import PeHolds

from waiting import wait_for

HOLDS = "/v1/internal/submission-holds"


def _seen(pe, coach, *activities: dict) -> list[dict]:
    """Each activity as portfolio's copy has it when its events have all arrived."""
    facts = []
    for activity in activities:
        stored = pe.call("GET", f"/v1/pe/activities/{activity['id']}", coach).get_json()
        facts.append({"id": stored["id"], "category": stored["category"], "title": stored["title"],
                      "completed_on": stored["completed_on"], "points": stored["points"],
                      "evidence_sha256s": [e["sha256"] for e in stored["evidence"]]})
    return facts


def _period() -> dict:
    return {"from": str(today() - timedelta(days=400)), "to": str(today())}


def _hold(pe, coach, seen: list[dict], activity_ids: list[str], submission_id: uuid.UUID | None = None):
    return pe.call("POST", HOLDS, coach, json={
        "submission_id": str(submission_id or uuid.uuid4()), "period": _period(), "seen": seen,
        "activity_ids": activity_ids})


def _locked(pe, coach, activity: dict) -> bool:
    return pe.call("GET", f"/v1/pe/activities/{activity['id']}", coach).get_json()["locked"]


def _holds(pe, coach) -> list[dict]:
    return pe.rows("SELECT activity_id::text, submission_id, held_until FROM submission_locks"
                   " WHERE account_id = %s ORDER BY activity_id", (coach.account_id,))


@pytest.fixture
def coach_with_work(pe):
    coach = pe.jobcoach()
    proven = pe.record(coach, title="Training gespreksvoering", evidence=True)
    unproven = pe.record(coach, title="Intervisie zonder bewijs")
    return coach, proven, unproven


def test_a_hold_makes_the_snapshots_activities_read_only_until_the_event_makes_it_a_lock(pe, coach_with_work):
    coach, proven, unproven = coach_with_work
    submission_id = uuid.uuid4()
    response = _hold(pe, coach, _seen(pe, coach, proven, unproven), [proven["id"]], submission_id)
    assert response.status_code == 201, response.get_json()
    held_until = datetime.fromisoformat(response.get_json()["held_until"])
    assert timedelta(hours=23) < held_until - datetime.now(UTC) <= timedelta(hours=24)

    assert _locked(pe, coach, proven) and not _locked(pe, coach, unproven)
    assert_problem(pe.call("PATCH", f"/v1/pe/activities/{proven['id']}", coach, json={"title": "Later"}), 409)
    assert_problem(pe.upload(coach, proven["id"], pdf_bytes("erbij")), 409)
    free = pe.call("PATCH", f"/v1/pe/activities/{unproven['id']}", coach, json={"title": "Vrij"})
    assert free.status_code == 200

    pe.submitted(coach, [proven["id"]], submission_id=submission_id)
    [lock] = _holds(pe, coach)
    assert lock["submission_id"] == submission_id and lock["held_until"] is None
    # Letting go of a hold leaves a submission's lock alone.
    assert pe.call("DELETE", f"{HOLDS}/{submission_id}", coach).status_code == 204
    assert _locked(pe, coach, proven)


def test_nothing_is_held_when_portfolios_copy_differs(pe, coach_with_work):
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    missing = str(uuid.uuid4())
    cases = {
        "a title changed since": ([{**seen[0], "title": "Oude titel"}, seen[1]], [proven["id"]]),
        "evidence added since": ([{**seen[0], "evidence_sha256s": []}, seen[1]], [proven["id"]]),
        "points changed since": ([{**seen[0], "points": "99"}, seen[1]], [proven["id"]]),
        "an activity portfolio has not heard of yet": ([seen[0]], [proven["id"]]),
        "an activity removed since": ([*seen, {**seen[1], "id": missing}], [proven["id"]]),
    }
    expected = {"a title changed since": [proven["id"]], "evidence added since": [proven["id"]],
                "points changed since": [proven["id"]],
                "an activity portfolio has not heard of yet": [unproven["id"]],
                "an activity removed since": [missing]}
    for name, (facts, hold) in cases.items():
        problem = assert_problem(_hold(pe, coach, facts, hold), 409)
        assert problem["type"].endswith("/pe-changed-since-seen"), name
        assert problem["activity_ids"] == expected[name], name
    assert _holds(pe, coach) == []
    assert not _locked(pe, coach, proven)

    # The same points written otherwise are the same points.
    assert "." not in seen[0]["points"]
    same = [{**seen[0], "points": seen[0]["points"] + ".00"}, seen[1]]
    assert _hold(pe, coach, same, [proven["id"]]).status_code == 201


def test_a_hold_waits_for_an_edit_in_flight_and_then_sees_it(pe, coach_with_work):
    """An edit that has checked the activity writable but not committed yet must not slip in under the
    hold: the hold waits for the activity's row and compares with what the edit wrote."""
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    answers = []
    with pe.service.db.transaction() as editing:  # update_activity's own steps, its commit held back
        editing.execute("SELECT id FROM activities WHERE id = %s FOR UPDATE", (proven["id"],))
        editing.execute("UPDATE activities SET title = 'Tijdens het indienen' WHERE id = %s", (proven["id"],))
        holding = Beside(lambda: answers.append(_hold(pe, coach, seen, [proven["id"]])))
        wait_for(lambda: waiting_for_row_locks(pe.service.db) > 0 or not holding.thread.is_alive(),
                 timeout=10, message="the hold to wait for the edit's row")
    assert holding.finished()
    problem = assert_problem(answers[0], 409)
    assert problem["activity_ids"] == [proven["id"]] and _holds(pe, coach) == []


def test_a_hold_waits_for_evidence_in_flight_and_then_sees_it(pe, coach_with_work):
    """The evidence is in rows of its own: an upload that has the activity's row and has written its file's
    row, not committed yet, must be seen by the hold that waited for it, although the activity row itself
    did not change."""
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    answers = []
    with pe.service.db.transaction() as uploading:  # attach_evidence's own steps, its commit held back
        uploading.execute("SELECT id FROM activities WHERE id = %s FOR UPDATE", (unproven["id"],))
        uploading.execute(
            "INSERT INTO evidence (id, activity_id, account_id, object_key, sha256, size, content_type,"
            " filename, kind) SELECT gen_random_uuid(), id, account_id, 'in-flight', %s, 1,"
            " 'application/pdf', 'x.pdf', 'other' FROM activities WHERE id = %s", ("e" * 64, unproven["id"]))
        holding = Beside(lambda: answers.append(_hold(pe, coach, seen, [proven["id"]])))
        wait_for(lambda: waiting_for_row_locks(pe.service.db) > 0 or not holding.thread.is_alive(),
                 timeout=10, message="the hold to wait for the upload's row")
    assert holding.finished()
    problem = assert_problem(answers[0], 409)
    assert problem["activity_ids"] == [unproven["id"]] and _holds(pe, coach) == []


def test_an_edit_that_waits_for_a_hold_in_flight_is_refused(pe, coach_with_work):
    """The other order: the hold has the activity's row and has written its lock, not committed yet; an edit
    arriving then waits for the row and must find the activity locked, not the state from before its wait."""
    coach, proven, unproven = coach_with_work
    answers = []
    with pe.service.db.transaction() as holding:  # the hold's own steps, its commit held back
        joined = SqlPeRegistryUnitOfWork.joining(holding)
        joined.activities.lock_account(coach.account_id)
        joined.activities.facts_in_period(coach.account_id, today() - timedelta(days=400), today())
        joined.activities.hold_for_submission(submission_id=uuid.uuid4(), account_id=coach.account_id,
                                              activity_ids=[proven["id"]], seconds=3600)
        editing = Beside(lambda: answers.append(
            pe.call("PATCH", f"/v1/pe/activities/{proven['id']}", coach, json={"title": "Erdoorheen"})))
        wait_for(lambda: waiting_for_row_locks(pe.service.db) > 0 or not editing.thread.is_alive(),
                 timeout=10, message="the edit to wait for the hold's row")
    assert editing.finished()
    assert_problem(answers[0], 409)
    assert pe.call("GET", f"/v1/pe/activities/{proven['id']}", coach).get_json()["title"] == proven["title"]


def test_a_released_hold_frees_the_activities_and_a_lapsed_one_frees_them_too(pe, coach_with_work):
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    first = uuid.uuid4()
    assert _hold(pe, coach, seen, [proven["id"]], first).status_code == 201
    assert pe.call("DELETE", f"{HOLDS}/{first}", coach).status_code == 204
    assert not _locked(pe, coach, proven) and _holds(pe, coach) == []

    second = uuid.uuid4()
    assert _hold(pe, coach, seen, [proven["id"], unproven["id"]], second).status_code == 201
    assert _locked(pe, coach, unproven)
    with pe.service.db.transaction() as conn:  # a day later: portfolio's event never came
        conn.execute("UPDATE submission_locks SET held_until = now() - interval '1 second'"
                     " WHERE submission_id = %s", (second,))
    assert not _locked(pe, coach, proven) and not _locked(pe, coach, unproven)
    assert pe.call("PATCH", f"/v1/pe/activities/{proven['id']}", coach,
                   json={"title": "Na"}).status_code == 200


def _withdrawn(pe, coach, submission_id: uuid.UUID) -> None:
    pe.publish_and_wait("portfolio.withdrawn", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
        "account_id": coach.account_id, "reason": None}, subject=coach.account_id)


def test_a_submitted_event_replayed_after_the_withdrawal_locks_nothing(pe, coach_with_work):
    """portfolio.submitted failed in pe-registry and was dead-lettered; assessment granted the withdrawal and
    portfolio.withdrawn was handled (the hold went with it); then an operator replays the dead letter. It
    must lock nothing: no withdrawal comes again to release the locks."""
    coach, proven, unproven = coach_with_work
    submission_id = uuid.uuid4()
    seen = _seen(pe, coach, proven, unproven)
    assert _hold(pe, coach, seen, [proven["id"], unproven["id"]], submission_id).status_code == 201
    _withdrawn(pe, coach, submission_id)
    assert _holds(pe, coach) == []

    pe.submitted(coach, [proven["id"], unproven["id"]], submission_id=submission_id)  # the replayed event
    assert _holds(pe, coach) == []
    assert not _locked(pe, coach, proven) and not _locked(pe, coach, unproven)
    assert pe.call("PATCH", f"/v1/pe/activities/{proven['id']}", coach,
                   json={"title": "Na intrekken"}).status_code == 200
    assert pe.upload(coach, unproven["id"], pdf_bytes("na intrekken")).status_code == 201
    # The next submission locks them as always.
    again = pe.submitted(coach, [proven["id"]])
    assert [(h["activity_id"], h["submission_id"]) for h in _holds(pe, coach)] == [(proven["id"], again)]


def test_a_supplement_locking_under_a_withdrawn_submission_locks_nothing(pe, coach_with_work):
    """A supplement event from before supplement_submission_id locks under the case's own submission
    (ADR 0043); that submission withdrawn, such an event handled late locks nothing either."""
    coach, proven, _ = coach_with_work
    submission_id = uuid.uuid4()
    _withdrawn(pe, coach, submission_id)
    pe.publish_and_wait("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": uuid.uuid4(), "portfolio_id": uuid.uuid4(),
        "submission_id": submission_id, "account_id": coach.account_id, "parts": ["B"],
        "submitted_at": datetime.now(UTC), "snapshot_hash": "d" * 64, "pe_activity_ids": [proven["id"]],
        "pe_points_counted": "3"}, subject=coach.account_id)
    assert _holds(pe, coach) == [] and not _locked(pe, coach, proven)


def test_a_withdrawn_submission_is_forgotten_with_the_account(pe, coach_with_work):
    coach, _, _ = coach_with_work
    _withdrawn(pe, coach, uuid.uuid4())
    count = "SELECT count(*) FROM withdrawn_submissions WHERE account_id = %s"
    assert pe.scalar(count, (coach.account_id,)) == 1
    pe.publish_and_wait("identity.account.erased", {
        "account_id": coach.account_id, "closed_at": datetime.now(UTC)}, subject=coach.account_id)
    assert pe.scalar(count, (coach.account_id,)) == 0


def test_asking_again_for_another_submission_replaces_the_uncommitted_hold(pe, coach_with_work):
    """Portfolio asks again only when the submission the first hold was for did not commit (it failed after
    the hold and could not let go of it): the older hold must not keep an activity the new one leaves out."""
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    assert _hold(pe, coach, seen, [proven["id"], unproven["id"]]).status_code == 201
    again = uuid.uuid4()
    assert _hold(pe, coach, seen, [proven["id"]], again).status_code == 201
    assert [(h["activity_id"], h["submission_id"]) for h in _holds(pe, coach)] == [(proven["id"], again)]
    assert not _locked(pe, coach, unproven)


def test_only_the_jobcoach_holds_and_only_their_own_activities(pe, coach_with_work):
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    body = {"submission_id": str(uuid.uuid4()), "period": _period(), "seen": seen,
            "activity_ids": [proven["id"]]}
    assert_problem(pe.call("POST", HOLDS, None, json=body), 401)
    for role in ("assessor", "dnv_officer", "noloc_admin"):
        assert_problem(pe.call("POST", HOLDS, pe.person(role), json=body), 403)
    # Another jobcoach naming this one's activities holds nothing: they are not among theirs.
    other = pe.jobcoach()
    problem = assert_problem(pe.call("POST", HOLDS, other, json=body), 409)
    assert sorted(problem["activity_ids"]) == sorted([proven["id"], unproven["id"]])
    assert _holds(pe, coach) == [] and _holds(pe, other) == []
    # Nor can they let go of this one's hold.
    assert _hold(pe, coach, seen, [proven["id"]], uuid.UUID(body["submission_id"])).status_code == 201
    assert pe.call("DELETE", f"{HOLDS}/{body['submission_id']}", other).status_code == 204
    assert _locked(pe, coach, proven)
    assert_problem(pe.call("DELETE", f"{HOLDS}/{body['submission_id']}", pe.person("dnv_officer")), 403)


def test_a_malformed_hold_is_refused(pe, coach_with_work):
    coach, proven, unproven = coach_with_work
    seen = _seen(pe, coach, proven, unproven)
    backwards = {"from": str(today()), "to": str(today() - timedelta(days=1))}
    for body in (
        {"submission_id": str(uuid.uuid4()), "period": backwards, "seen": seen, "activity_ids": []},
        {"submission_id": str(uuid.uuid4()), "period": _period(), "seen": seen, "activity_ids": [],
         "extra": 1},
        {"submission_id": str(uuid.uuid4()), "period": _period(),
         "seen": [{**seen[0], "evidence_sha256s": ["not a digest"]}], "activity_ids": []},
    ):
        assert_problem(pe.call("POST", HOLDS, coach, json=body), 422)
    # Holding what was not compared.
    problem = assert_problem(_hold(pe, coach, seen, [str(uuid.uuid4())]), 422)
    assert "activity_ids" in problem["errors"]
    assert _holds(pe, coach) == []


# --- portfolio's client against pe-registry over HTTP ------------------------------------------------------


@pytest.fixture(scope="module")
def pe_url(pe):
    server = make_server("127.0.0.1", 0, pe.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _portfolios_copy(facts: list[dict]) -> list[PeActivity]:
    """Portfolio's read model of the same activities (its category is text, as the events carry it)."""
    return [PeActivity(activity_id=uuid.UUID(f["id"]), category=str(f["category"]), title=f["title"],
                       completed_on=date.fromisoformat(f["completed_on"]), points=Decimal(f["points"]),
                       evidence_sha256s=tuple(f["evidence_sha256s"])) for f in facts]


def test_portfolios_client_is_held_let_go_refused_and_told_when_pe_registry_is_away(pe, pe_url,
                                                                                    coach_with_work):
    coach, proven, unproven = coach_with_work
    copy = _portfolios_copy(_seen(pe, coach, proven, unproven))
    # An activity before the period is left out by the client, as pe-registry leaves it out too.
    outside = PeActivity(activity_id=uuid.uuid4(), category="1", title="Oud", completed_on=date(2001, 1, 1),
                         points=Decimal(1))
    period = DateRange(today() - timedelta(days=400), today())
    holds, submission_id = PeHolds(pe_url), uuid.uuid4()

    holds.hold(submission_id, period, [*copy, outside], [copy[0].activity_id], token=coach.token)
    assert _locked(pe, coach, proven) and not _locked(pe, coach, unproven)
    holds.release(submission_id, token=coach.token)
    assert not _locked(pe, coach, proven)

    stale = [dataclasses.replace(copy[0], title="Zoals het was"), copy[1]]
    with pytest.raises(PeChangedWhileSubmitting) as refused:
        holds.hold(uuid.uuid4(), period, stale, [copy[0].activity_id], token=coach.token)
    assert refused.value.activity_ids == [copy[0].activity_id]
    assert _holds(pe, coach) == []

    away = PeHolds("http://127.0.0.1:9", timeout=2)
    with pytest.raises(ServiceUnreachable):
        away.hold(uuid.uuid4(), period, copy, [copy[0].activity_id], token=coach.token)
    away.release(uuid.uuid4(), token=coach.token)  # logged, not raised: the hold lapses by itself
