"""``python -m recert_portfolio migrate|web|worker|openapi``."""
from __future__ import annotations

import sys
from pathlib import Path

from recert_common.runtime import ServiceSpec, main
from recert_portfolio import handlers, worker
from recert_portfolio.app import create_app
from recert_portfolio.settings import PortfolioSettings

SPEC = ServiceSpec(
    name="portfolio",
    settings_cls=PortfolioSettings,
    create_app=create_app,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=handlers.subscriptions,
    schedules=worker.schedules,
    default_port=8002,
    buckets=lambda settings: {"proof": settings.proof_bucket},
    object_keys={"proof": "SELECT object_key FROM proofs"},
)

if __name__ == "__main__":
    sys.exit(main(SPEC))
