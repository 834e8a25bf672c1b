"""What every benchmark shares: where the infrastructure is, percentiles, and writing the JSON result."""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

POSTGRES_URL = os.environ.get("RECERT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("RECERT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return statistics.quantiles(ordered, n=1000, method="inclusive")[int(q * 10) - 1] if len(ordered) > 1 \
        else ordered[0]


def drop_databases(urls) -> None:
    """Drop the run's databases; one that cannot be dropped is named, without hiding the run's own error."""
    import psycopg

    from recert_common import db

    for url in urls:
        try:
            db.drop_database(url)
        except psycopg.Error as exc:
            print(f"could not drop database {db.database_name(url)}: {exc}", file=sys.stderr)


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}


def write_result(path: str, name: str, figures: dict) -> None:
    result = {"benchmark": name, "measured_at": datetime.now(UTC).isoformat(), "machine": machine(),
              **figures}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {path}")
