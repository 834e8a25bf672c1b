"""The wegwijzer's nudge (issue 14, ADR 0026): one e-mail and one inbox message per milestone per cycle."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from recert_notifications.domain import Channel


def _behind(person, cycle_id, milestone: str) -> dict:
    return {"account_id": person.account_id, "cycle_id": cycle_id, "milestone": milestone,
            "milestone_date": date(2027, 3, 30), "case_state": "building", "deadline": date(2027, 6, 30),
            "estimate_hours": 75, "estimate_weeks": 41, "pe_points_needed": Decimal("75"),
            "pe_points_per_month": Decimal("9"), "meetings_required": 4, "meetings_proven": 0}


def test_a_milestone_behind_is_messaged_once_on_each_channel_however_often_it_comes(world):
    jet = world.person("Jet Achter")
    cycle_id = uuid.uuid4()
    event = world.handle("portfolio.milestone.behind", _behind(jet, cycle_id, "pe_points"))
    world.handle(event)  # redelivered
    world.again(event)  # the same fact in a new envelope
    assert world.templates(jet, Channel.EMAIL).count("milestone_behind") == 1
    assert world.templates(jet, Channel.IN_APP).count("milestone_behind") == 1
    email = next(m for m in world.messages(jet, Channel.EMAIL) if m.template == "milestone_behind")
    assert email.subject == "Je wegwijzer: je loopt achter met 75 PE-punten, waarvan 30 in categorie 1"
    # Another milestone, or the same one in a next cycle, is a new fact.
    world.handle("portfolio.milestone.behind", _behind(jet, cycle_id, "reflection_meetings"))
    world.handle("portfolio.milestone.behind", _behind(jet, uuid.uuid4(), "pe_points"))
    assert world.templates(jet, Channel.EMAIL).count("milestone_behind") == 3
