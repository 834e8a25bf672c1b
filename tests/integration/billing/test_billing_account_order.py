"""identity's account events in any order (ADR 0005): the account read model (the invoices' recipient) keeps
the newest state."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from recert_common.events import new_event


def _account_event(coach, type_: str, at: datetime, **changes):
    data = {"account_id": coach.account_id, "email": f"{coach.account_id.hex[:10]}@example.org",
            "full_name": coach.name, "roles": ["jobcoach"], "membership_kind": coach.kind,
            "membership_number": coach.number, "preferred_language": "nl", **changes}
    if type_ == "identity.account.updated":
        data["changed"] = sorted(changes)
    return dataclasses.replace(new_event(type_, data, producer="identity", subject=coach.account_id),
                               occurred_at=at)


def _deliver(h, *events) -> None:
    for event in events:
        h.publish_raw(event.to_json(), event.type)
        h.wait_handled(event.id)


def test_an_older_account_update_arriving_after_a_newer_one_changes_nothing(billing):
    h = billing
    coach = h.coach(register=False)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    _deliver(h,
             _account_event(coach, "identity.account.registered", t0),
             # The later change arrives first; the earlier one (held up in a relay) after it.
             _account_event(coach, "identity.account.updated", t0 + timedelta(minutes=20),
                            full_name="Jet Laatst", preferred_language="en"),
             _account_event(coach, "identity.account.updated", t0 + timedelta(minutes=10),
                            full_name="Jet Tussendoor"))

    assert h.rows("SELECT full_name, preferred_language, membership_number, occurred_at FROM accounts "
                  "WHERE account_id = %s", coach.account_id) == [{
                      "full_name": "Jet Laatst", "preferred_language": "en",
                      "membership_number": coach.number, "occurred_at": t0 + timedelta(minutes=20)}]

    # The registration, redelivered even later, changes nothing either.
    _deliver(h, _account_event(coach, "identity.account.registered", t0))
    assert h.scalar("SELECT full_name FROM accounts WHERE account_id = %s", coach.account_id) == "Jet Laatst"
