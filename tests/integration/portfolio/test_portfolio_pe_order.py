"""pe-registry's activity and evidence events in any order (ADR 0044, amended 2026-12-07): portfolio's copy,
which pe-registry's hold compares a submission with, keeps the newest state of each activity and never brings
back what was removed, on the real database through the real consumer."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from recert_common.events import new_event


def _event(coach, type_: str, data: dict, at: datetime):
    event = new_event(type_, {"account_id": coach.account_id, **data}, producer="pe-registry",
                      subject=coach.account_id)
    return dataclasses.replace(event, occurred_at=at)


def _activity(coach, type_: str, activity_id, at: datetime, *, title: str = "Training", points: str = "40"):
    return _event(coach, type_, {
        "activity_id": activity_id, "category": "1", "title": title, "completed_on": date(2026, 3, 1),
        "unit": "sbu", "amount": Decimal(points), "points": Decimal(points), "source": "manual",
        "external_id": None}, at)


def _removed(coach, activity_id, at: datetime):
    return _event(coach, "pe.activity.removed", {"activity_id": activity_id, "category": "1",
                                                 "points": Decimal("40")}, at)


def _evidence(coach, type_: str, evidence_id, activity_id, at: datetime):
    extra = {"size": 1234, "content_type": "application/pdf", "filename": "certificaat.pdf"} \
        if type_ == "pe.evidence.attached" else {}
    return _event(coach, type_, {"evidence_id": evidence_id, "activity_id": activity_id,
                                 "sha256": "c" * 64, **extra}, at)


def _deliver(h, *events) -> None:
    for event in events:
        h.publish_raw(event.to_json(), event.type)
        h.wait_handled(event.id)


def _copy(h, coach) -> list[dict]:
    return h.rows("SELECT activity_id, title, points FROM pe_activities WHERE account_id = %s "
                  "ORDER BY activity_id", coach.account_id)


def test_an_update_handled_after_the_removal_brings_no_activity_back(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id, replayed = uuid.uuid4(), uuid.uuid4()
    updated = _activity(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=1), title="Later")
    recorded_late = _activity(coach, "pe.activity.recorded", replayed, t0)
    # The update was retried (to the back of the queue) and handled after the removal; the other activity's
    # recorded event went to the dead letters and was replayed after its removal.
    _deliver(h, _activity(coach, "pe.activity.recorded", activity_id, t0),
             _removed(coach, activity_id, t0 + timedelta(minutes=2)), updated,
             _removed(coach, replayed, t0 + timedelta(minutes=3)), recorded_late)

    assert _copy(h, coach) == []
    assert h.scalar("SELECT count(*) FROM pe_removed_activities WHERE account_id = %s", coach.account_id) == 2


def test_an_older_update_handled_after_a_newer_one_changes_nothing(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id = uuid.uuid4()
    _deliver(h, _activity(coach, "pe.activity.recorded", activity_id, t0, title="Eerst"),
             _activity(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=2), title="Nieuwst",
                       points="50"),
             _activity(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=1), title="Tussen",
                       points="45"),
             _activity(coach, "pe.activity.recorded", activity_id, t0, title="Eerst"))
    assert _copy(h, coach) == [{"activity_id": activity_id, "title": "Nieuwst", "points": Decimal("50")}]
    assert h.scalar("SELECT occurred_at FROM pe_activities WHERE activity_id = %s", activity_id) \
        == t0 + timedelta(minutes=2)

    # The same time applies (the later arrival wins); a newer one does.
    _deliver(h, _activity(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=2),
                          title="Zelfde"))
    assert _copy(h, coach)[0]["title"] == "Zelfde"
    _deliver(h, _activity(coach, "pe.activity.updated", activity_id, t0 + timedelta(minutes=3),
                          title="Laatst"))
    assert _copy(h, coach)[0]["title"] == "Laatst"


def test_a_row_from_before_the_copy_kept_event_times_takes_the_next_event(portfolio):
    h = portfolio
    coach = h.coach()
    activity_id = uuid.uuid4()
    with h.db.transaction() as conn:
        conn.execute("INSERT INTO pe_activities (activity_id, account_id, category, title, completed_on, "
                     "points) VALUES (%s, %s, '1', 'Oud', '2026-03-01', 40)", (activity_id, coach.account_id))
    _deliver(h, _activity(coach, "pe.activity.updated", activity_id, datetime(2020, 1, 1, tzinfo=UTC),
                          title="Bijgewerkt"))
    assert _copy(h, coach)[0]["title"] == "Bijgewerkt"


def test_evidence_attached_after_its_removal_or_its_activitys_stays_gone(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    kept, removed = uuid.uuid4(), uuid.uuid4()
    evidence_id, orphan = uuid.uuid4(), uuid.uuid4()
    _deliver(h, _activity(coach, "pe.activity.recorded", kept, t0),
             _evidence(coach, "pe.evidence.removed", evidence_id, kept, t0 + timedelta(minutes=2)),
             _evidence(coach, "pe.evidence.attached", evidence_id, kept, t0 + timedelta(minutes=1)),
             _activity(coach, "pe.activity.recorded", removed, t0),
             _removed(coach, removed, t0 + timedelta(minutes=2)),
             _evidence(coach, "pe.evidence.attached", orphan, removed, t0 + timedelta(minutes=1)))

    assert h.scalar("SELECT count(*) FROM pe_evidence WHERE account_id = %s", coach.account_id) == 0
    [activity] = _copy(h, coach)
    assert activity["activity_id"] == kept


def test_an_erased_account_leaves_no_tombstones(portfolio):
    h = portfolio
    coach = h.coach()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    activity_id = uuid.uuid4()
    _deliver(h, _activity(coach, "pe.activity.recorded", activity_id, t0),
             _evidence(coach, "pe.evidence.removed", uuid.uuid4(), activity_id, t0),
             _removed(coach, activity_id, t0))
    h.publish("identity.account.erased", {"account_id": coach.account_id, "closed_at": datetime.now(UTC)},
              subject=coach.account_id)
    for table in ("pe_removed_activities", "pe_removed_evidence"):
        assert h.scalar(f"SELECT count(*) FROM {table} WHERE account_id = %s", coach.account_id) == 0, table
