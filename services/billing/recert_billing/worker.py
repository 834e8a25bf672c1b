"""What billing's worker runs besides the outbox relay (``python -m recert_billing worker``; the loop is
``recert_common.runtime.run_worker``): the consumer of ``handlers.subscriptions``, and the register fee per
certificate year: every RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS it invoices each affiliate with an active
certificate the certificate years that have started and have no invoice yet, so a new certificate year's fee
goes out on its first day. Safe in two workers at once: an invoice per account and certificate year is
unique."""
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
