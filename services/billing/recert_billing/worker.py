"""What billing's worker runs on a timer besides the outbox relay and the consumer (``python -m
recert_billing worker``; the loop is ``recert_common.runtime.run_worker``): the register fee per certificate
year. Every RECERT_BILLING_REGISTER_FEE_INTERVAL_SECONDS it invoices each affiliate with an active certificate
the certificate years that have started and have no invoice yet, so a new certificate year's fee goes out on
its first day. Safe in two workers at once: an invoice per account and certificate year is unique."""
from __future__ import annotations

from collections.abc import Sequence

from recert_billing.service import build_service
from recert_billing.settings import BillingSettings
from recert_common.db import Database
from recert_common.worker import Schedule


def schedules(settings: BillingSettings, db: Database) -> Sequence[Schedule]:
    service = build_service(settings, db)
    return (Schedule("billing.register-fees", settings.register_fee_interval_seconds,
                     lambda _db: service.issue_register_fees()),)
