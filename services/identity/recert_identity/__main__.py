"""``python -m recert_identity migrate|web|worker|openapi|create-admin|seed-demo|rotate-keys``."""
from __future__ import annotations

import sys
from pathlib import Path

from recert_common.runtime import ServiceSpec, main
from recert_identity import commands, handlers, worker
from recert_identity.app import create_app
from recert_identity.settings import IdentitySettings

SPEC = ServiceSpec(
    name="identity",
    settings_cls=IdentitySettings,
    create_app=create_app,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=handlers.subscriptions,
    schedules=worker.schedules,
    default_port=8001,
    commands={"create-admin": commands.create_admin, "seed-demo": commands.seed_demo,
              "rotate-keys": commands.rotate_keys},
    consumes_revocations=False,  # identity ends the sessions and writes its read model in that transaction
)

if __name__ == "__main__":
    sys.exit(main(SPEC))
