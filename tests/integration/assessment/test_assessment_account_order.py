"""identity's account events in any order (ADR 0005): the account read model keeps the newest state, and an
older update arriving late links no imported certificate."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

from assessment_support import HEADER

from recert_common.events import new_event


def _number() -> str:
    return str(uuid.uuid4().int % 90_000_000 + 10_000_000)


def _account_event(person, type_: str, *, name: str, number: str, email: str, at: datetime):
    data = {"account_id": person.account_id, "email": email, "full_name": name, "roles": ["jobcoach"],
            "membership_kind": "member", "membership_number": number, "preferred_language": "nl"}
    if type_ == "identity.account.updated":
        data["changed"] = ["full_name", "membership_number", "email"]
    return dataclasses.replace(new_event(type_, data, producer="identity", subject=person.account_id),
                               occurred_at=at)


def _deliver(h, *events) -> None:
    for event in events:
        h.publish_raw(event.to_json(), event.type)
        h.wait_handled(event.id)


def test_an_older_account_update_arriving_after_a_newer_one_changes_nothing(assessment):
    h = assessment
    h.clock.day = date(2026, 11, 1)
    coach = h.person(register=False, name="Jet Eerst")
    t0 = datetime.now(UTC) - timedelta(hours=1)
    middle_number, last_number = _number(), _number()
    middle_email = f"tussendoor.{coach.email}"
    # Noloc's record of a holder with the number and address the account gave for ten minutes only.
    certificate_number = f"RJ-{uuid.uuid4().hex[:8].upper()}"
    loaded = h.ok(h.import_csv(f"{HEADER}{middle_number},{certificate_number},2028-01-31,{middle_email},"
                               "Jet Tussendoor\n"))
    assert loaded["awaiting_account"] == 1

    _deliver(h,
             _account_event(coach, "identity.account.registered", name="Jet Eerst",
                            number=coach.membership_number, email=coach.email, at=t0),
             # The later change arrives first; the earlier one (held up in a relay) after it.
             _account_event(coach, "identity.account.updated", name="Jet Laatst", number=last_number,
                            email=coach.email, at=t0 + timedelta(minutes=20)),
             _account_event(coach, "identity.account.updated", name="Jet Tussendoor", number=middle_number,
                            email=middle_email, at=t0 + timedelta(minutes=10)))

    assert h.rows("SELECT full_name, membership_number, email, occurred_at FROM accounts "
                  "WHERE account_id = %s", coach.account_id) == [{
                      "full_name": "Jet Laatst", "membership_number": last_number, "email": coach.email,
                      "occurred_at": t0 + timedelta(minutes=20)}]
    # The number and address the account no longer gives link it to no certificate.
    assert h.scalar("SELECT account_id FROM certificates WHERE number = %s",
                    certificate_number) is None
    assert h.outbox("certification.certificate.registered", subject=coach.account_id) == []
