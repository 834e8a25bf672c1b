"""``python -m recert_billing migrate|web|worker|openapi``."""
from __future__ import annotations

import sys
from pathlib import Path

from recert_billing import handlers, worker
from recert_billing.app import create_app
from recert_billing.settings import BillingSettings
from recert_common.runtime import ServiceSpec, main

SPEC = ServiceSpec(
    name="billing",
    settings_cls=BillingSettings,
    create_app=create_app,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=handlers.subscriptions,
    schedules=worker.schedules,
    default_port=8006,
)

if __name__ == "__main__":
    sys.exit(main(SPEC))
