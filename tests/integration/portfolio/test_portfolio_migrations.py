"""Portfolio's migrations on a database that already holds data: ``0025_assessor_access_ends`` gives the cases
assigned before it the assessor's access they should have (ADR 0017): open while undecided, or after a
postponed decision whose supplement was submitted; closed once decided; none for a case without assessor.
``0032_supplement_decision`` links the supplements opened before it to their postponed decision."""
from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

import recert_portfolio
from recert_common.db import migrate_service

MIGRATIONS = Path(recert_portfolio.__file__).parent / "migrations"


def _migrated_before(infra, tmp_path: Path, number: int) -> str:
    """A new portfolio database with the migrations numbered below ``number`` applied; its URL."""
    before = tmp_path / "migrations"
    before.mkdir()
    for path in MIGRATIONS.glob("*.sql"):
        if int(path.name.split("_", 1)[0]) < number:
            shutil.copy(path, before / path.name)
    url = infra.database_url(f"portfolio_migrations_{uuid.uuid4().hex[:6]}")
    migrate_service(url, "portfolio", before)
    return url


def test_cases_assigned_before_the_change_keep_the_access_their_state_gives(infra, tmp_path):
    url = _migrated_before(infra, tmp_path, 25)

    undecided, decided, supplemented, decided_twice, unassigned = (uuid.uuid4() for _ in range(5))
    with psycopg.connect(url, autocommit=True) as conn:
        for case_id in (undecided, decided, supplemented, decided_twice, unassigned):
            conn.execute("INSERT INTO cases (case_id, account_id, submission_id, assessor_id) "
                         "VALUES (%s, %s, %s, %s)", (case_id, uuid.uuid4(), uuid.uuid4(),
                                                     None if case_id == unassigned else uuid.uuid4()))
        for case_id, decision in ((decided, "positive"), (supplemented, "postponed"),
                                  (decided_twice, "postponed"), (decided_twice, "positive")):
            conn.execute("INSERT INTO decisions (decision_id, case_id, decision, decided_on) "
                         "VALUES (%s, %s, %s, %s)", (uuid.uuid4(), case_id, decision, date(2027, 6, 10)))
        # The supplements' cycles and snapshots do not matter here: only whether they were submitted.
        conn.execute("SET session_replication_role = replica")
        for case_id in (supplemented, decided_twice):
            conn.execute(
                "INSERT INTO supplements (id, cycle_id, case_id, submission_id, parts, assignments, due_on, "
                "submitted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, now())",
                (uuid.uuid4(), uuid.uuid4(), case_id, uuid.uuid4(), ["A2"], Jsonb([]), date(2027, 9, 10)))

    applied = migrate_service(url, "portfolio", MIGRATIONS)
    assert applied[0] == "portfolio/0025_assessor_access_ends.sql"  # then any later ones
    with psycopg.connect(url) as conn:
        access = dict(conn.execute("SELECT case_id, open FROM case_access").fetchall())
    assert access == {undecided: True, decided: False, supplemented: True, decided_twice: False}


def test_supplements_opened_before_the_change_know_their_postponed_decision(infra, tmp_path):
    """``0032_supplement_decision``: a supplement gets the case's one postponed decision, so that an upheld
    objection handled late annuls it and a second postponement waits for that (ADR 0011, amended). A case
    whose postponed decision portfolio never recorded keeps none."""
    url = _migrated_before(infra, tmp_path, 32)

    known, unknown, postponed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO decisions (decision_id, case_id, decision, decided_on) "
                     "VALUES (%s, %s, 'postponed', %s)", (postponed, known, date(2027, 6, 10)))
        conn.execute("SET session_replication_role = replica")  # the cycles do not matter here
        for case_id in (known, unknown):
            conn.execute(
                "INSERT INTO supplements (id, cycle_id, case_id, submission_id, parts, assignments, due_on) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (uuid.uuid4(), uuid.uuid4(), case_id, uuid.uuid4(), ["B"], Jsonb([]), date(2027, 9, 10)))

    applied = migrate_service(url, "portfolio", MIGRATIONS)
    assert applied[0] == "portfolio/0032_supplement_decision.sql"
    with psycopg.connect(url) as conn:
        linked = dict(conn.execute("SELECT case_id, decision_id FROM supplements").fetchall())
    assert linked == {known: postponed, unknown: None}
