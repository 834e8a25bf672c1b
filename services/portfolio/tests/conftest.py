"""Builders of portfolio entities for the unit tests (no database)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from recert_portfolio.domain import (
    SOURCE_NOLOC,
    SOURCE_UPLOAD,
    Cycle,
    CycleKind,
    CycleState,
    Meeting,
    Part,
    PeActivity,
    Proof,
    regular_cycle_dates,
)

T0 = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


class Build:
    def cycle(self, *, certified_on=date(2023, 6, 30), expires_on=date(2027, 6, 30), state=CycleState.OPEN,
              kind=CycleKind.REGULAR) -> Cycle:
        dates = regular_cycle_dates(expires_on, valid_from=expires_on, decided_on=certified_on)
        return Cycle(id=uuid.uuid4(), portfolio_id=uuid.uuid4(), account_id=uuid.uuid4(),
                     certificate_id=uuid.uuid4(), kind=kind, state=state, starts_on=dates.starts_on,
                     expires_on=dates.expires_on, window_opens_on=dates.window_opens_on,
                     submit_by=dates.submit_by, submission_id=None, previous_cycle_id=None, opened_at=T0,
                     closed_at=None)

    def proof(self, sha256: str = "a" * 64) -> Proof:
        return Proof(id=uuid.uuid4(), account_id=uuid.uuid4(), object_key="k", sha256=sha256, size=10,
                     content_type="application/pdf", filename="proof.pdf", uploaded_at=T0)

    def meeting(self, cycle: Cycle, met_on: date, *, noloc: bool = False, proof: Proof | None = None,
                kind: str = "intervision") -> Meeting:
        return Meeting(id=uuid.uuid4(), cycle_id=cycle.id, account_id=cycle.account_id, met_on=met_on,
                       kind=kind, group_name="Groep Noord", supervisor_name=None, duration_minutes=120,
                       source=SOURCE_NOLOC if noloc else SOURCE_UPLOAD,
                       external_id=f"noloc-{uuid.uuid4()}" if noloc else None, proof=proof, created_at=T0)

    def activity(self, completed_on: date, points: str, category: str = "1",
                 evidence: tuple[str, ...] = ("e" * 64,), source: str = "manual") -> PeActivity:
        """An activity with one evidence file unless ``evidence=()`` (then it counts only from Noloc)."""
        return PeActivity(activity_id=uuid.uuid4(), category=category, title="Cursus",
                          completed_on=completed_on, points=Decimal(points), evidence_sha256s=evidence,
                          source=source)

    def complete_parts(self, report_meeting: Meeting) -> dict[str, Part]:
        return {
            "A1": Part("A1", "Loopbaan in vogelvlucht; de laatste vier jaar in detail.", declared_at=T0,
                       works_now_declared_at=T0),
            "A2": Part("A2", "Terugblik op het vorige ontwikkelplan."),
            "A3": Part("A3", "Reflectie op een intervisiebijeenkomst.", meeting_id=report_meeting.id),
            "A4": Part("A4", "Wat ik de komende jaren wil leren."),
        }


@pytest.fixture
def build() -> Build:
    return Build()
