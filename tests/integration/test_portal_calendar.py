"""The portal's calendar (web/src/calendar.ts), compiled with the portal's own TypeScript and run by Node in
browser zones far from Amsterdam: the day of an instant and "today" are the platform's, as the services count
them, whatever the zone of the browser's clock."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from recert_common.clock import platform_today

WEB = Path(__file__).resolve().parents[2] / "web"

# (instant, its day in Amsterdam): either side of midnight there, in winter (UTC+1) and in summer (UTC+2).
CASES = [
    ("2026-12-06T22:59:59Z", "2026-12-06"),
    ("2026-12-06T23:00:00Z", "2026-12-07"),
    ("2026-12-06T23:30:00Z", "2026-12-07"),
    ("2026-07-01T21:59:59Z", "2026-07-01"),
    ("2026-07-01T22:30:00Z", "2026-07-02"),
    ("2026-03-29T00:30:00Z", "2026-03-29"),
]


@pytest.fixture(scope="module")
def calendar_module(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("calendar")
    subprocess.run([str(WEB / "node_modules" / ".bin" / "tsc"), "--outDir", str(out), "--target", "es2022",
                    "--module", "es2022", "--lib", "es2022,dom", str(WEB / "src" / "calendar.ts")],
                   check=True, capture_output=True, text=True)
    module = out / "calendar.mjs"
    (out / "calendar.js").rename(module)
    return module


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland", "UTC"])
def test_an_instant_falls_on_its_day_in_amsterdam_whatever_the_browsers_zone(calendar_module, zone):
    script = (f"import {{ platformDay, platformToday }} from {json.dumps(calendar_module.as_uri())};\n"
              f"const cases = {json.dumps([instant for instant, _ in CASES])};\n"
              "console.log(JSON.stringify({days: cases.map((c) => platformDay(new Date(c))),"
              " today: platformToday(), local: new Date().toString()}));")
    run = subprocess.run(["node", "--input-type=module", "-e", script], env={**os.environ, "TZ": zone},
                         check=True, capture_output=True, text=True)
    answer = json.loads(run.stdout)
    assert answer["days"] == [day for _, day in CASES]
    assert answer["today"] == platform_today().isoformat()
