"""pe-registry's activity and evidence events in any order (ADR 0044, amended 2026-12-07): portfolio's copy,
which pe-registry's hold compares a submission with, keeps the newest state of each activity and never brings
back what was removed, on the real database through the real consumer."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pe_events import activity_event, deliver, evidence_event, removed_event


def _copy(h, coach) -> list[dict]:
    return h.rows("SELECT activity_id, title, points FROM pe_activities WHERE account_id = %s "
                  "ORDER BY activity_id", coach.account_id)


def test_an_update_handled_after_the_removal_brings_no_activity_back(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id, replayed = uuid.uuid4(), uuid.uuid4()
    updated = activity_event(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=1),
                             title="Later")
    recorded_late = activity_event(coach, "pe.activity.recorded", replayed, t0)
    # The update was retried (to the back of the queue) and handled after the removal; the other activity's
    # recorded event went to the dead letters and was replayed after its removal.
    deliver(h, activity_event(coach, "pe.activity.recorded", activity_id, t0),
             removed_event(coach, activity_id, t0 + timedelta(minutes=2)), updated,
             removed_event(coach, replayed, t0 + timedelta(minutes=3)), recorded_late)

    assert _copy(h, coach) == []
    assert h.scalar("SELECT count(*) FROM pe_removed_activities WHERE account_id = %s", coach.account_id) == 2


def test_an_older_update_handled_after_a_newer_one_changes_nothing(portfolio):
    h = portfolio
    coach = h.coach()
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

    # The same time applies (the later arrival wins); a newer one does.
    deliver(h, activity_event(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=2),
                              title="Zelfde"))
    assert _copy(h, coach)[0]["title"] == "Zelfde"
    deliver(h, activity_event(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=3),
                              title="Laatst"))
    assert _copy(h, coach)[0]["title"] == "Laatst"


def test_a_row_from_before_the_copy_kept_event_times_takes_the_next_event(portfolio):
    h = portfolio
    coach = h.coach()
    activity_id = uuid.uuid4()
    with h.db.transaction() as conn:
        conn.execute("INSERT INTO pe_activities (activity_id, account_id, category, title, completed_on, "
                     "points) VALUES (%s, %s, '1', 'Oud', '2026-03-01', 40)", (activity_id, coach.account_id))
    deliver(h, activity_event(coach, "pe.activity.updated", activity_id, datetime(2020, 1, 1, tzinfo=UTC),
                              title="Bijgewerkt"))
    assert _copy(h, coach)[0]["title"] == "Bijgewerkt"


def test_evidence_attached_after_its_removal_or_its_activitys_stays_gone(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    kept, removed = uuid.uuid4(), uuid.uuid4()
    evidence_id, orphan = uuid.uuid4(), uuid.uuid4()
    deliver(h, activity_event(coach, "pe.activity.recorded", kept, t0),
             evidence_event(coach, "pe.evidence.removed", evidence_id, kept, t0 + timedelta(minutes=2)),
             evidence_event(coach, "pe.evidence.attached", evidence_id, kept, t0 + timedelta(minutes=1)),
             activity_event(coach, "pe.activity.recorded", removed, t0),
             removed_event(coach, removed, t0 + timedelta(minutes=2)),
             evidence_event(coach, "pe.evidence.attached", orphan, removed, t0 + timedelta(minutes=1)))

    assert h.scalar("SELECT count(*) FROM pe_evidence WHERE account_id = %s", coach.account_id) == 0
    [activity] = _copy(h, coach)
    assert activity["activity_id"] == kept


def test_an_erased_account_leaves_no_tombstones(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id = uuid.uuid4()
    deliver(h, activity_event(coach, "pe.activity.recorded", activity_id, t0),
             evidence_event(coach, "pe.evidence.removed", uuid.uuid4(), activity_id, t0),
             removed_event(coach, activity_id, t0))
    h.publish("identity.account.erased", {"account_id": coach.account_id, "closed_at": datetime.now(UTC)},
              subject=coach.account_id)
    for table in ("pe_removed_activities", "pe_removed_evidence"):
        assert h.scalar(f"SELECT count(*) FROM {table} WHERE account_id = %s", coach.account_id) == 0, table
