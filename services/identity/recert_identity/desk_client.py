"""The one question identity asks notifications' service desk (ADR 0029): is this service request the
account's? Asked before DNV's support resets an authenticator app from a request, with the support person's
own access token (notifications checks the role again), through ``recert_common.http``: a synchronous call,
the exception between services, because the reset must be refused at once when the answer is no.
"""
from __future__ import annotations

from uuid import UUID

from recert_common.http import ServiceClient, ServiceResponseError
from recert_identity.domain import DeskRequest


class DeskClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0):
        self.client = ServiceClient(base_url, service="notifications", timeout=timeout)

    def request(self, request_id: UUID, *, token: str) -> DeskRequest | None:
        """The request as support sees it; None when there is none (or support may not see it yet)."""
        try:
            body = self.client.get(f"/v1/desk/queue/{request_id}", token=token)
        except ServiceResponseError as exc:
            if exc.status == 404:
                return None
            raise
        found = body["request"]
        matched = found.get("matched_account_id")
        return DeskRequest(id=UUID(found["id"]), matched_account_id=UUID(matched) if matched else None,
                           state=found["state"])
