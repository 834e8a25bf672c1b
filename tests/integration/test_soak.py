"""The soak under faults (soak.py): 90 seconds of jobcoaches walking the whole story while processes are
killed, the broker cut, PostgreSQL restarted and the mail server refusing; then nothing lost, doubled or
stuck. ``make soak`` runs the same for ``SOAK_MINUTES`` and writes the report to bench-results/soak.json.

RECERT_SOAK_SECONDS, RECERT_SOAK_COACHES, RECERT_SOAK_SEED and RECERT_SOAK_REPORT (a JSON file) set the
length, the number of jobcoaches walking at once, the random seed and where the report goes.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import soak

SECONDS = float(os.environ.get("RECERT_SOAK_SECONDS", "90"))
COACHES = int(os.environ.get("RECERT_SOAK_COACHES", "4"))
SEED = int(os.environ["RECERT_SOAK_SEED"]) if os.environ.get("RECERT_SOAK_SEED") else None


# Startup, the soak itself, the stories under way finishing and the checks.
@pytest.mark.timeout(int(SECONDS) + 900)
def test_stories_under_faults_lose_double_and_strand_nothing(infra, tmp_path):
    report = soak.run(infra, tmp_path, SECONDS, COACHES, SEED)
    text = json.dumps(report, indent=2, default=str)
    if os.environ.get("RECERT_SOAK_REPORT"):
        Path(os.environ["RECERT_SOAK_REPORT"]).parent.mkdir(parents=True, exist_ok=True)
        Path(os.environ["RECERT_SOAK_REPORT"]).write_text(text + "\n")
    print(soak.summary(report))

    assert report["fault_error"] is None, report["fault_error"]
    assert all(report["faults"][kind] >= 1 for kind in soak.FAULT_KINDS), report["faults"]
    assert report["stories"]["finished"] >= COACHES, report["stories"]
    assert report["failed_stories"] == [], report["failed_stories"]
    assert report["invariants"]["violations"] == {}, report["invariants"]
