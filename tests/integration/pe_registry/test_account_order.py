"""identity's account events in any order (ADR 0005): the account read model keeps the newest state, and an
older update arriving late applies no parked Noloc completion."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from pe_support import today

from recert_common.events import new_event


def _number() -> str:
    return str(uuid.uuid4().int % 90_000_000 + 10_000_000)


def _account_event(coach, type_: str, number: str, at: datetime):
    data = {"account_id": coach.account_id, "email": f"{coach.account_id.hex[:10]}@example.org",
            "full_name": "Jan Jansen", "roles": ["jobcoach"], "membership_kind": "member",
            "membership_number": number, "preferred_language": "nl"}
    if type_ == "identity.account.updated":
        data["changed"] = ["membership_number"]
    return dataclasses.replace(new_event(type_, data, producer="identity", subject=coach.account_id),
                               occurred_at=at)


def test_an_older_account_update_arriving_after_a_newer_one_changes_nothing(pe):
    coach = pe.jobcoach()  # holds a certificate
    t0 = datetime.now(UTC) - timedelta(hours=1)
    first, middle, last = _number(), _number(), _number()
    # Noloc sent a completion for the number the jobcoach gave for ten minutes only.
    pe.publish_and_wait("noloc.academy.activity.completed", {
        "external_id": f"academy-{uuid.uuid4().hex[:10]}", "membership_number": middle,
        "title": "Webinar: werken met de Wet verbetering poortwachter", "provider": "Noloc Academie",
        "completed_on": today() - timedelta(days=7), "amount": "1.5", "unit": "sbu", "points": None})

    for event in (_account_event(coach, "identity.account.registered", first, t0),
                  # The later change arrives first; the earlier one (held up in a relay) after it.
                  _account_event(coach, "identity.account.updated", last, t0 + timedelta(minutes=20)),
                  _account_event(coach, "identity.account.updated", middle, t0 + timedelta(minutes=10))):
        pe.publish_and_wait(event.type, {}, event=event)

    assert pe.rows("SELECT membership_number, changed_at FROM accounts WHERE account_id = %s",
                   (coach.account_id,)) == [{"membership_number": last,
                                             "changed_at": t0 + timedelta(minutes=20)}]
    # The number the jobcoach no longer gives brings them nothing: the completion stays parked.
    assert pe.call("GET", "/v1/pe/activities", coach).get_json()["items"] == []
    assert pe.scalar("SELECT count(*) FROM pending_noloc_activities WHERE membership_number = %s",
                     (middle,)) == 1
