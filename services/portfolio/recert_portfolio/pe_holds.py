"""The one question portfolio asks pe-registry (ADR 0044), with the jobcoach's own token, through
``recert_common.http``: a synchronous call, the exception between services, because the activities a snapshot
names must be read-only in pe-registry before the snapshot is sealed. Events alone leave a window in which
the jobcoach could change or delete an activity, or its evidence, that DNV is then asked to assess.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from uuid import UUID

from recert_common.http import ServiceCallError, ServiceClient, ServiceResponseError
from recert_common.rules.periods import DateRange
from recert_common.submission_holds import CHANGED_SLUG, SubmissionHoldSchema
from recert_portfolio.domain import PeActivity, PeChangedWhileSubmitting

_log = logging.getLogger(__name__)

HOLDS = "/v1/internal/submission-holds"


def hold_body(submission_id: UUID, period: DateRange, activities: Iterable[PeActivity],
              activity_ids: Iterable[UUID]) -> dict:
    """Portfolio's copy of every activity completed in ``period``, and the snapshot's ``activity_ids``."""
    seen = [{"id": a.activity_id, "category": int(a.category), "title": a.title,
             "completed_on": a.completed_on, "points": a.points,
             "evidence_sha256s": sorted(a.evidence_sha256s)}
            for a in activities if a.completed_on in period]
    return SubmissionHoldSchema().dump({"submission_id": submission_id,
                                        "period": {"first": period.first, "last": period.last},
                                        "seen": seen, "activity_ids": list(activity_ids)})


class PeHolds:
    def __init__(self, base_url: str, *, timeout: float = 5.0):
        self.client = ServiceClient(base_url, service="pe-registry", timeout=timeout)

    def hold(self, submission_id: UUID, period: DateRange, activities: Sequence[PeActivity],
             activity_ids: Sequence[UUID], *, token: str) -> None:
        """Held, or ``PeChangedWhileSubmitting``; any other failure is a ``ServiceCallError`` (a 502, 503 or
        504 answer)."""
        try:
            self.client.post(HOLDS, json=hold_body(submission_id, period, activities, activity_ids),
                             token=token)
        except ServiceResponseError as exc:
            if exc.status == 409 and str((exc.problem or {}).get("type", "")).endswith(f"/{CHANGED_SLUG}"):
                raise PeChangedWhileSubmitting(
                    activity_ids=[UUID(i) for i in exc.problem.get("activity_ids", [])]) from None
            raise

    def release(self, submission_id: UUID, *, token: str) -> None:
        """Let go of the hold of a submission that did not commit. Should pe-registry not answer, the hold
        lapses by itself (``RECERT_PE_REGISTRY_SUBMISSION_HOLD_SECONDS``), or goes with the next one."""
        try:
            self.client.delete(f"{HOLDS}/{submission_id}", token=token)
        except ServiceCallError:
            _log.warning("could not let go of a submission hold", extra={"submission_id": str(submission_id)},
                         exc_info=True)
