"""``python -m recert_assessment migrate|web|worker|openapi|rotate-credential-key``."""
from __future__ import annotations

import sys
from pathlib import Path

from recert_assessment import commands, handlers, worker
from recert_assessment.app import create_app
from recert_assessment.settings import AssessmentSettings
from recert_common.runtime import ServiceSpec, main

SPEC = ServiceSpec(
    name="assessment",
    settings_cls=AssessmentSettings,
    create_app=create_app,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=handlers.subscriptions,
    schedules=worker.schedules,
    metrics=worker.metrics,
    default_port=8004,
    commands={"rotate-credential-key": commands.rotate_credential_key},
)

if __name__ == "__main__":
    sys.exit(main(SPEC))
