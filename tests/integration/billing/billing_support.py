"""What billing's integration tests share on top of service_harness: jobcoaches and other services' events,
the signed webhook, and the function the concurrency test runs in other processes."""
from __future__ import annotations

import dataclasses
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from recert_billing import signature
from recert_common.clock import PLATFORM_ZONE
from recert_common.events import Event, new_event
from recert_common.rules import add_years

from service_harness import ServiceHarness

WEBHOOK_SECRET = "whsec-test-9f8e7d6c5b4a"
PRODUCERS = {"identity": "identity", "portfolio": "portfolio", "certification": "assessment"}


@dataclass
class Coach:
    account_id: uuid.UUID
    token: str
    kind: str | None  # "member", "affiliate", or None (staff)
    number: str | None
    name: str


class Harness(ServiceHarness):
    producers = PRODUCERS

    # --- tokens and HTTP ---------------------------------------------------------------------------------

    def staff(self, *roles: str) -> tuple[uuid.UUID, str]:
        account_id = uuid.uuid4()
        return account_id, self.token(account_id, *roles)

    def webhook(self, payload: dict | bytes, *, secret: str = WEBHOOK_SECRET, header: str | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json",
                   signature.HEADER: header if header is not None else signature.sign(secret, body)}
        return self.http.post("/v1/payments/webhook", data=body, headers=headers)

    @staticmethod
    def payment(invoice: dict, *, event_id: str | None = None, amount: str | None = None,
                type_: str = "payment.succeeded", **extra) -> dict:
        return {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": type_,
                "invoice_number": invoice["number"], "amount": amount or invoice["gross"]["amount"],
                "currency": "EUR", "paid_at": datetime.now(UTC).isoformat(), **extra}

    # --- events ------------------------------------------------------------------------------------------

    _last_occurred_at = datetime.min.replace(tzinfo=UTC)

    def reset_event_order(self) -> None:
        """A new test: its events happen from its own days on, not after the events of the tests before."""
        self._last_occurred_at = datetime.min.replace(tzinfo=UTC)

    def publish(self, type_: str, data: dict, *, subject=None, wait: bool = True,
                at: datetime | None = None) -> Event:
        """As the producing service would, the event happening ``at`` or else on the harness's day (at this
        moment's time of day in Amsterdam, after the event before): billing counts a register fee from the
        day a certificate event happened, so an event of the real day would not fit a test's day."""
        event = new_event(type_, data, producer=self.producers[type_.split(".")[0]], subject=subject)
        if at is None:
            at = datetime.combine(self.clock(), datetime.now(PLATFORM_ZONE).timetz()).astimezone(UTC)
            at = self._last_occurred_at = max(at, self._last_occurred_at + timedelta(milliseconds=1))
        event = dataclasses.replace(event, occurred_at=at)
        self.publish_raw(event.to_json(), type_)
        if wait:
            self.wait_handled(event.id)
        return event

    def coach(self, kind: str = "member", *, register: bool = True) -> Coach:
        account_id = uuid.uuid4()
        digits = uuid.uuid4().int
        number = (f"EXT-{digits % 1_000_000:06d}" if kind == "affiliate"
                  else str(digits % 90_000_000 + 10_000_000))
        coach = Coach(account_id, self.token(account_id, "jobcoach"), kind, number,
                      f"Jet {'Extern' if kind == 'affiliate' else 'Lid'} {str(account_id)[:4]}")
        if register:
            self.account_event(coach)
        return coach

    def account_event(self, coach: Coach, type_: str = "identity.account.registered", *,
                      at: datetime | None = None, **changes):
        data = {"account_id": coach.account_id, "email": f"{coach.account_id.hex[:10]}@example.org",
                "full_name": coach.name, "roles": ["jobcoach"], "membership_kind": coach.kind,
                "membership_number": coach.number, "preferred_language": "nl", **changes}
        if type_ == "identity.account.updated":
            data.setdefault("changed", ["membership_kind", "membership_number"])
        return self.publish(type_, data, subject=coach.account_id, at=at)

    def certificate(self, coach: Coach, type_: str = "registered", *, certificate_id=None,
                    at: datetime | None = None, **extra):
        certificate_id = certificate_id or uuid.uuid4()
        valid_from = extra.pop("valid_from", self.clock())
        data = {"certificate_id": certificate_id, "certificate_number": f"RJ-{str(certificate_id)[:8]}",
                "account_id": coach.account_id}
        if type_ == "lapsed":
            data.update({"lapsed_on": self.clock(), "reason": "not_recertified",
                         "new_portfolio_deadline": None})
        else:
            data.update({"valid_from": valid_from,
                         "valid_until": extra.pop("valid_until", add_years(valid_from, 4))})
        if type_ in ("renewed", "reactivated"):
            data["decision_id"] = uuid.uuid4()
        if type_ == "renewed":
            data["previous_valid_until"] = valid_from
        data.update(extra)
        self.publish(f"certification.certificate.{type_}", data, subject=coach.account_id, at=at)
        return certificate_id

    def submitted(self, coach: Coach, *, submission_id=None, wait: bool = True):
        submission_id = submission_id or uuid.uuid4()
        event = self.publish("portfolio.submitted", {
            "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
            "account_id": coach.account_id, "certificate_id": uuid.uuid4(),
            "certificate_expires_on": add_years(self.clock(), 1), "submitted_at": datetime.now(UTC),
            "snapshot_hash": "a" * 64, "pe_activity_ids": [], "pe_points_counted": "75",
            "reflection_meetings": 4, "is_new_portfolio_after_negative": False},
            subject=coach.account_id, wait=wait)
        return submission_id, event

    def supplement(self, coach: Coach, submission_id: uuid.UUID, *, supplement_id=None):
        supplement_id, case_id = supplement_id or uuid.uuid4(), uuid.uuid4()
        event = self.publish("portfolio.supplement.submitted", {
            "supplement_id": supplement_id, "case_id": case_id, "portfolio_id": uuid.uuid4(),
            "submission_id": submission_id, "account_id": coach.account_id, "parts": ["A3"],
            "submitted_at": datetime.now(UTC), "snapshot_hash": "b" * 64}, subject=coach.account_id)
        return supplement_id, case_id, event

    def withdrawn(self, coach: Coach, submission_id: uuid.UUID):
        return self.publish("portfolio.withdrawn", {
            "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission_id,
            "account_id": coach.account_id, "reason": "Toch nog niet klaar"}, subject=coach.account_id)

    # --- looking inside ----------------------------------------------------------------------------------

    def invoices(self, account_id: uuid.UUID) -> list[dict]:
        return self.rows("SELECT * FROM invoices WHERE account_id = %s ORDER BY issued_at, number",
                         account_id)

    def kinds(self, account_id: uuid.UUID) -> list[tuple[str, int | None]]:
        return [(r["kind"], r["period_year"]) for r in self.invoices(account_id)]

    def periods(self, account_id: uuid.UUID) -> list[tuple[date, date]]:
        """The certificate years of the account's register-fee invoices, in the order they were issued."""
        return [(r["period_start"], r["period_end"]) for r in self.invoices(account_id)
                if r["kind"] == "register_fee"]

    def invoice_body(self, coach: Coach, invoice_id) -> dict:
        response = self.get(f"/v1/invoices/{invoice_id}", coach.token)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def state(self) -> dict[str, Any]:
        """Everything a refused webhook call must leave as it was."""
        return {
            "invoices": self.rows("SELECT id, state, paid_at, cancelled_at FROM invoices ORDER BY id"),
            "notifications": self.scalar("SELECT count(*) FROM payment_notifications"),
            "outbox": self.scalar("SELECT count(*) FROM outbox"),
        }


# --- run in other processes by the concurrency test ----------------------------------------------------


def issue_in_process(url: str, year: int, count: int, ready, go, results) -> None:
    """Issue ``count`` invoices of ``year`` (see ``issue_many``) once ``go`` is set; put their numbers on
    ``results``."""
    from recert_common.db import Database

    db = Database(url, min_size=1, max_size=1).open(wait=True)
    try:
        ready.release()
        go.wait(60)
        results.put(issue_many(db, year, count, seed=uuid.uuid4().int))
    finally:
        db.close()


class RolledBack(Exception):
    pass


def issue_many(db, year: int, count: int, *, seed: int) -> list[str]:
    """``count`` invoices one thread or process issues, each in its own transaction as a consumer would,
    with about one attempt in seven rolled back after it got its number."""
    from recert_billing.domain import CertificateYear, InvoiceKind, draft_invoice
    from recert_billing.service import issue_invoice
    from recert_billing.store import SqlBillingUnitOfWork

    rng = random.Random(seed)
    committed: list[str] = []
    index = 0
    while len(committed) < count:
        index += 1
        kind = InvoiceKind.RECERTIFICATION if index % 2 else InvoiceKind.REGISTER_FEE
        issued_on = date(year, 1 + index % 12, 1)
        period = CertificateYear(issued_on, add_years(issued_on, 1) - timedelta(days=1)) \
            if kind == InvoiceKind.REGISTER_FEE else None
        draft = draft_invoice(kind, account_id=uuid.uuid4(), issued_on=issued_on, submission_id=uuid.uuid4(),
                              period=period)
        try:
            with db.transaction() as conn:
                invoice = issue_invoice(SqlBillingUnitOfWork.joining(conn), draft, now=datetime.now(UTC))
                if rng.random() < 1 / 7:
                    raise RolledBack()  # e.g. a handler failing after issuing: the number must come back
                committed.append(invoice.number)
        except RolledBack:
            pass
    return committed
