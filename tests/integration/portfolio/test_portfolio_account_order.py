"""identity's account events in any order (ADR 0005): the account read model keeps the newest state."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

from recert_common.events import new_event


def _account_event(coach, type_: str, number: str, at: datetime):
    data = {"account_id": coach.account_id, "email": f"{coach.account_id.hex[:10]}@example.org",
            "full_name": "Jet Coach", "roles": ["jobcoach"], "membership_kind": "member",
            "membership_number": number, "preferred_language": "nl"}
    if type_ == "identity.account.updated":
        data["changed"] = ["membership_number"]
    event = new_event(type_, data, producer="identity", subject=coach.account_id)
    return dataclasses.replace(event, occurred_at=at)


def _deliver(h, *events) -> None:
    for event in events:
        h.publish_raw(event.to_json(), event.type)
        h.wait_handled(event.id)


def test_an_older_account_update_arriving_after_a_newer_one_changes_nothing(portfolio):
    h = portfolio
    coach = h.coach(register=False)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    first, middle, last = (str(uuid.uuid4().int % 90_000_000 + 10_000_000) for _ in range(3))
    _deliver(h, _account_event(coach, "identity.account.registered", first, t0))
    h.certificate(coach, date(2027, 6, 30))  # a cycle: the account holds a certificate
    # Noloc sent a meeting for the number the jobcoach gave for ten minutes only.
    h.publish("noloc.meeting.attended", {
        "external_id": "noloc-middle", "membership_number": middle, "met_on": date(2026, 10, 1),
        "kind": "intervision", "group_name": "Intervisiegroep Utrecht", "duration_minutes": 120})

    # The later change arrives first; the earlier one (held up in a relay) after it.
    _deliver(h, _account_event(coach, "identity.account.updated", last, t0 + timedelta(minutes=20)),
             _account_event(coach, "identity.account.updated", middle, t0 + timedelta(minutes=10)))

    assert h.rows("SELECT membership_number, occurred_at FROM accounts WHERE account_id = %s",
                  coach.account_id) == [{"membership_number": last,
                                         "occurred_at": t0 + timedelta(minutes=20)}]
    # The number the jobcoach no longer gives claims nothing for them.
    assert h.rows("SELECT account_id, meeting_id FROM noloc_attendance WHERE external_id = 'noloc-middle'") \
        == [{"account_id": None, "meeting_id": None}]

    # The registration, redelivered even later, changes nothing either.
    _deliver(h, _account_event(coach, "identity.account.registered", first, t0))
    assert h.scalar("SELECT membership_number FROM accounts WHERE account_id = %s", coach.account_id) == last
