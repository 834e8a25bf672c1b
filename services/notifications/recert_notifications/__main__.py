"""``python -m recert_notifications migrate|web|worker|openapi``."""
from __future__ import annotations

import sys
from pathlib import Path

from recert_common.runtime import ServiceSpec, main
from recert_notifications import handlers, worker
from recert_notifications.app import create_app
from recert_notifications.settings import NotificationsSettings

SPEC = ServiceSpec(
    name="notifications",
    settings_cls=NotificationsSettings,
    create_app=create_app,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=handlers.subscriptions,
    schedules=worker.schedules,
    metrics=worker.metrics,
    default_port=8005,
    buckets=lambda settings: {"desk": settings.desk_bucket},
    object_keys={"desk": "SELECT object_key FROM service_request_attachments"},
)

if __name__ == "__main__":
    sys.exit(main(SPEC))
