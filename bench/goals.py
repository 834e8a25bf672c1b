"""Every benchmark's goals in one table: what ``make bench`` ends with.

Each result in ``bench-results/`` lists its goals (``common.goal``: the figure, its baseline measured in the
same run, the ratio and whether the goal is met); this prints them as the Markdown table that
``docs/performance.md`` opens with, and writes them together to ``bench-results/goals.json``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}"


def gather(results: Path) -> list[dict]:
    found = []
    for path in sorted(results.glob("*.json")):
        if path.name == "goals.json":
            continue
        result = json.loads(path.read_text())
        for goal in result.get("goals", []):
            found.append({"benchmark": result.get("benchmark", path.stem), **goal,
                          "measured_at": result.get("measured_at"),
                          "load_average_before": result.get("load_average_before")})
    return found


def table(goals: list[dict]) -> str:
    lines = ["| benchmark | what | goal | figure | baseline (same run) | ratio | met |",
             "|---|---|---|---|---|---|---|"]
    for g in goals:
        unit = f" {g['unit']}" if g.get("unit") else ""
        lines.append(f"| {g['benchmark']} | {g['what']} | {g['goal']} | {_number(g['figure'])}{unit} | "
                     f"{_number(g['baseline'])}{unit if g['baseline'] is not None else ''} | "
                     f"{_number(g['ratio'])} | {'yes' if g['met'] else '**no**'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="bench-results")
    args = parser.parse_args()
    goals = gather(Path(args.results))
    print(table(goals))
    (Path(args.results) / "goals.json").write_text(json.dumps(goals, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
