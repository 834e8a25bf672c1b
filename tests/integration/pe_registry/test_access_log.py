"""The AVG's access log in the PE registry: every read of a jobcoach's activities and evidence by someone
else (the assigned assessor, a DNV officer) is a row with who, as what, what and when, written in the reading
transaction; the jobcoach reads their own log at GET /v1/pe/access-log, and nobody else's."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pe_support import assert_problem


def test_reads_by_an_assessor_and_dnv_are_logged_and_the_jobcoach_sees_them(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach)
    evidence = pe.upload(coach, activity["id"], b"Bevestiging van deelname\n",
                         filename="deelname.txt").get_json()
    assessor, officer = pe.person("assessor"), pe.person("dnv_officer")
    pe.submit_and_assign(coach, assessor, [activity["id"]])  # the assessor reads the snapshot's activities
    before = datetime.now(UTC)

    # The owner's own reads are not logged; a refused read (a stranger) is not a read.
    assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", coach).status_code == 200
    stranger = pe.person("assessor")
    assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", stranger).status_code == 404
    assert pe.call("GET", "/v1/pe/access-log", coach).get_json()["total"] == 0

    assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", assessor).status_code == 200
    assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}", officer).status_code == 200
    assert pe.call("GET", f"/v1/pe/activities/{activity['id']}", assessor).status_code == 200
    assert pe.call("GET", f"/v1/pe/accounts/{coach.account_id}/activities", officer).status_code == 200

    log = pe.call("GET", "/v1/pe/access-log?page_size=10", coach)
    assert log.status_code == 200
    body = log.get_json()
    assert body["total"] == 4
    seen = [(item["reader_id"], item["reader_role"], item["kind"], item["object_id"], item["label"])
            for item in body["items"]]
    # latest first
    assert seen == [
        (str(officer.account_id), "dnv_officer", "activities", str(coach.account_id), None),
        (str(assessor.account_id), "assessor", "activity", activity["id"], activity["title"]),
        (str(officer.account_id), "dnv_officer", "evidence", evidence["id"], "deelname.txt"),
        (str(assessor.account_id), "assessor", "evidence_content", evidence["id"], "deelname.txt"),
    ]
    for item in body["items"]:
        read_at = datetime.fromisoformat(item["read_at"].replace("Z", "+00:00"))
        assert before - timedelta(seconds=5) <= read_at <= datetime.now(UTC)

    # Another jobcoach's log is their own: empty, and it shows nothing of this one's.
    assert pe.call("GET", "/v1/pe/access-log", pe.jobcoach()).get_json()["total"] == 0
    for staff in (assessor, officer):
        assert_problem(pe.call("GET", "/v1/pe/access-log", staff), 403)
    assert_problem(pe.call("GET", "/v1/pe/access-log", None), 401)


def test_a_read_that_cannot_be_logged_is_not_served(pe):
    coach = pe.jobcoach()
    activity = pe.record(coach)
    evidence = pe.upload(coach, activity["id"], b"Bevestiging\n", filename="b.txt").get_json()
    officer = pe.person("dnv_officer")
    with pe.service.db.transaction() as conn:
        conn.execute("ALTER TABLE access_log RENAME TO access_log_away")
    try:
        response = pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", officer)
        assert response.status_code >= 500
        assert response.get_data() != b"Bevestiging\n"
    finally:
        with pe.service.db.transaction() as conn:
            conn.execute("ALTER TABLE access_log_away RENAME TO access_log")
