"""What billing's worker runs besides the outbox relay (``python -m recert_billing worker``; the loop is
``recert_common.runtime.run_worker``): the consumer of ``handlers.subscriptions``, and the yearly register
fee: every RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS it invoices this year's fee to each affiliate with an
active certificate who has none yet, so the fee of a new year goes out on its first day. Safe in two workers
at once: an invoice per account and year is unique."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from recert_billing.service import BillingService
from recert_billing.settings import BillingSettings
from recert_common.db import Database
from recert_common.worker import Schedule


def schedules(settings: BillingSettings, db: Database, *, today: Callable[[], date] | None = None
              ) -> Sequence[Schedule]:
    service = BillingService(db, settings, today=today)
    return (Schedule("register-fees", settings.register_fee_interval_seconds,
                     lambda _db: service.issue_register_fees()),)
