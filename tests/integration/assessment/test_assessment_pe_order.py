"""pe-registry's activity and evidence events in any order (ADR 0044, amended 2026-12-07): assessment's copy,
which DNV's PE check weighs, keeps the newest state of each activity and never brings back what was removed,
on the real database through the real consumer."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pe_events import activity_event, deliver, evidence_event, removed_event


def _copy(h, coach) -> list[dict]:
    return h.rows("SELECT activity_id, title, points FROM pe_activities WHERE account_id = %s "
                  "ORDER BY activity_id", coach.account_id)


def test_an_update_handled_after_the_removal_brings_no_activity_back(assessment):
    h = assessment
    coach = h.person()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id, replayed = uuid.uuid4(), uuid.uuid4()
    deliver(h, activity_event(coach, "pe.activity.recorded", activity_id, t0),
             removed_event(coach, activity_id, t0 + timedelta(minutes=2)),
             activity_event(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=1),
                            title="Later"),
             removed_event(coach, replayed, t0 + timedelta(minutes=3)),
             activity_event(coach, "pe.activity.recorded", replayed, t0))
    assert _copy(h, coach) == []
    assert h.scalar("SELECT count(*) FROM pe_removed_activities WHERE account_id = %s", coach.account_id) == 2


def test_an_older_update_handled_after_a_newer_one_changes_nothing(assessment):
    h = assessment
    coach = h.person()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id = uuid.uuid4()
    deliver(h, activity_event(coach, "pe.activity.recorded", activity_id, t0, title="Eerst"),
             activity_event(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=2),
                            title="Nieuwst", points="50"),
             activity_event(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=1),
                            title="Tussen", points="45"),
             activity_event(coach, "pe.activity.recorded", activity_id, t0, title="Eerst"))
    assert _copy(h, coach) == [{"activity_id": activity_id, "title": "Nieuwst", "points": Decimal("50")}]
    assert h.scalar("SELECT occurred_at FROM pe_activities WHERE activity_id = %s", activity_id) \
        == t0 + timedelta(minutes=2)


def test_removed_evidence_is_not_brought_back_by_a_late_attachment(assessment):
    h = assessment
    coach = h.person()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    kept, gone = uuid.uuid4(), uuid.uuid4()
    evidence_of_kept, evidence_of_gone = uuid.uuid4(), uuid.uuid4()
    deliver(h, activity_event(coach, "pe.activity.recorded", kept, t0),
             activity_event(coach, "pe.activity.recorded", gone, t0),
             evidence_event(coach, "pe.evidence.removed", evidence_of_kept, kept, t0 + timedelta(minutes=2)),
             evidence_event(coach, "pe.evidence.attached", evidence_of_kept, kept, t0 + timedelta(minutes=1)),
             removed_event(coach, gone, t0 + timedelta(minutes=3)),
             evidence_event(coach, "pe.evidence.attached", evidence_of_gone, gone, t0 + timedelta(minutes=1)))
    assert h.scalar("SELECT count(*) FROM pe_evidence WHERE account_id = %s", coach.account_id) == 0
    assert [r["activity_id"] for r in _copy(h, coach)] == [kept]
    # DNV's PE check weighs the copy: the kept activity has no evidence, the removed one is unknown.
    certificate = h.certificate(coach, date(2027, 6, 30))
    case = h.submit(coach, certificate, activities=[kept, gone])
    proposal = h.ok(h.get(f"/v1/cases/{case['id']}/pe-check", h.officer.token))
    checked = {a["activity_id"]: a for a in proposal["activities"]}
    assert (checked[str(kept)]["known"], checked[str(kept)]["evidence"]) == (True, [])
    assert (checked[str(gone)]["known"], proposal["unknown_activity_ids"]) == (False, [str(gone)])
