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


def goal(name: str, goal_: str, figure: float, baseline: float | None, unit: str, *, met: bool) -> dict:
    """One of a benchmark's goals as every result lists them under ``goals`` (``bench/goals.py`` gathers
    them into one table): the figure, its baseline measured in the same run, and their ratio."""
    return {"what": name, "goal": goal_, "figure": figure, "baseline": baseline, "unit": unit,
            "ratio": round(figure / baseline, 2) if baseline else None, "met": met}


def write_result(path: str, name: str, figures: dict) -> None:
    result = {"benchmark": name, "measured_at": datetime.now(UTC).isoformat(), "machine": machine(),
              **figures}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


# --- CPU time of processes, from /proc ------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (a gunicorn arbiter's workers); none when it has gone."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process, all its threads together (0 when it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def backends_cpu(database_urls: list[str]) -> dict[int, float]:
    """CPU seconds so far of each backend serving these databases; two readings give ``cpu_between``."""
    return {pid: process_cpu_seconds(pid) for pid in backend_pids(database_urls)}


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes read in ``after`` spent since ``before`` (all of it for one that is new)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def backend_pids(database_urls: list[str]) -> list[int]:
    """The PostgreSQL backends serving these databases (the services' pools), and no one else's."""
    import psycopg

    from recert_common import db

    names = [db.database_name(url) for url in database_urls]
    with psycopg.connect(database_urls[0]) as conn:
        return [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()", (names,))]
