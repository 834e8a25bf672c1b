"""docs/events.md lists exactly the catalogue's types, with the producer and consumers the code names."""
from __future__ import annotations

import re
from pathlib import Path

from recert_common.events import all_types, catalogue

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"
ROW = re.compile(r"^\| `(?P<type>[a-z0-9_.]+)` \| (?P<producer>[^|\n]+) \| (?P<consumers>[^|\n]+) \|",
                 re.MULTILINE)


def test_docs_table_matches_the_catalogue():
    rows = {m["type"]: m for m in ROW.finditer(DOC.read_text(encoding="utf-8")) if "." in m["type"]}
    catalogue_types = {e for e in all_types() if e.schema.__module__ == catalogue.__name__}

    assert set(rows) == {entry.type for entry in catalogue_types}
    for entry in catalogue_types:
        row = rows[entry.type]
        consumers = row["consumers"].strip()
        documented = set() if consumers == "—" else {name.strip() for name in consumers.split(",")}
        assert row["producer"].strip() == entry.producer, entry.type
        assert documented == set(catalogue.CONSUMERS[entry.type]), entry.type
