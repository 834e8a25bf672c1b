"""``python -m recert_pe_registry migrate|web|worker|openapi``."""
from __future__ import annotations

import sys
from pathlib import Path

from recert_common.runtime import ServiceSpec, main
from recert_pe_registry import handlers, worker
from recert_pe_registry.app import create_app
from recert_pe_registry.settings import PeRegistrySettings

SPEC = ServiceSpec(
    name="pe-registry",
    settings_cls=PeRegistrySettings,
    create_app=create_app,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=handlers.subscriptions,
    schedules=worker.schedules,
    default_port=8003,
    buckets=lambda settings: {"evidence": settings.evidence_bucket},
    object_keys={"evidence": "SELECT object_key FROM evidence UNION SELECT object_key FROM readings"},
)

if __name__ == "__main__":
    sys.exit(main(SPEC))
