"""``bench/goals.py``: the goals of every benchmark's result gathered into one table."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_results_goals_in_one_table_and_file(tmp_path, monkeypatch):
    common, goals = _module("common"), _module("goals")
    (tmp_path / "bus.json").write_text(json.dumps({"benchmark": "bus", "goals": [
        common.goal("events/s end to end", ">= 0.8 x producers", 900.0, 1000.0, "/s", met=True)]}))
    (tmp_path / "dataset.json").write_text(json.dumps({"benchmark": "dataset", "goals": [
        common.goal("PE summary p99", "<= 10 ms", 12.5, 10.0, "ms", met=False),
        common.goal("no baseline", "<= 1 s", 0.5, None, "s", met=True)]}))
    (tmp_path / "upload.json").write_text(json.dumps({"benchmark": "upload"}))  # no goals of its own

    found = goals.gather(tmp_path)
    assert [(g["benchmark"], g["what"], g["ratio"], g["met"]) for g in found] == [
        ("bus", "events/s end to end", 0.9, True), ("dataset", "PE summary p99", 1.25, False),
        ("dataset", "no baseline", None, True)]
    lines = goals.table(found).splitlines()
    assert lines[2] == "| bus | events/s end to end | >= 0.8 x producers | 900 /s | 1,000 /s | 0.90 | yes |"
    assert lines[3] == "| dataset | PE summary p99 | <= 10 ms | 12.50 ms | 10.00 ms | 1.25 | **no** |"
    assert lines[4] == "| dataset | no baseline | <= 1 s | 0.50 s | – | – | yes |"

    monkeypatch.setattr("sys.argv", ["goals.py", "--results", str(tmp_path)])
    assert goals.main() == 0
    assert json.loads((tmp_path / "goals.json").read_text()) == found
