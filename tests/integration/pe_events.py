"""pe-registry's activity and evidence events, made as its relay would publish them and dated by the test,
for the tests of the services that keep a copy of the activities (portfolio, assessment)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from recert_common.events import Event, new_event


def pe_event(coach, type_: str, data: dict, at: datetime) -> Event:
    event = new_event(type_, {"account_id": coach.account_id, **data}, producer="pe-registry",
                      subject=coach.account_id)
    return dataclasses.replace(event, occurred_at=at)


def activity_event(coach, type_: str, activity_id, at: datetime, *, title: str = "Training",
                   points: str = "40") -> Event:
    """``pe.activity.recorded`` or ``pe.activity.updated``."""
    return pe_event(coach, type_, {
        "activity_id": activity_id, "category": "1", "title": title, "completed_on": date(2026, 3, 1),
        "unit": "sbu", "amount": Decimal(points), "points": Decimal(points), "source": "manual",
        "external_id": None}, at)


def removed_event(coach, activity_id, at: datetime) -> Event:
    return pe_event(coach, "pe.activity.removed", {"activity_id": activity_id, "category": "1",
                                                   "points": Decimal("40")}, at)


def evidence_event(coach, type_: str, evidence_id, activity_id, at: datetime) -> Event:
    """``pe.evidence.attached`` or ``pe.evidence.removed``."""
    extra = {"size": 1234, "content_type": "application/pdf", "filename": "certificaat.pdf"} \
        if type_ == "pe.evidence.attached" else {}
    return pe_event(coach, type_, {"evidence_id": evidence_id, "activity_id": activity_id,
                                   "sha256": "c" * 64, **extra}, at)


def deliver(harness, *events: Event) -> None:
    """Publish each event and wait until the service under test has handled it, in the order given."""
    for event in events:
        harness.publish_raw(event.to_json(), event.type)
        harness.wait_handled(event.id)
