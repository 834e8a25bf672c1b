"""The snapshot is canonical JSON with a SHA-256 anyone can recompute; it does not depend on order."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from recert_portfolio import snapshot
from recert_portfolio.readiness import assess

SUBMITTED_AT = datetime(2027, 4, 2, 12, 0, tzinfo=UTC)


def _inputs(build):
    cycle = build.cycle()
    meetings = [build.meeting(cycle, cycle.starts_on + timedelta(days=d), noloc=True) for d in (30, 10, 20)]
    meetings.append(build.meeting(cycle, cycle.starts_on + timedelta(days=40), proof=build.proof("b" * 64)))
    evidence = ("f" * 64, "0" * 64)
    activities = [build.activity(cycle.starts_on + timedelta(days=5), "45", "1", evidence=evidence),
                  build.activity(cycle.starts_on + timedelta(days=6), "30.50", "1")]
    return cycle, build.complete_parts(meetings[0]), meetings, activities


def _seal(cycle, parts, meetings, activities, submission_id=uuid.UUID(int=7)):
    readiness = assess(cycle, parts, meetings, activities)
    document = snapshot.build(kind="submission", submission_id=submission_id, submitted_at=SUBMITTED_AT,
                              cycle=cycle, parts=parts, meetings=meetings, readiness=readiness)
    return document, *snapshot.seal(document)


def test_the_hash_is_the_sha256_of_the_canonical_json(build):
    _, canonical, digest = _seal(*_inputs(build))
    assert digest == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    reparsed = json.loads(canonical)
    assert json.dumps(reparsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == canonical


def test_order_of_the_inputs_does_not_change_the_hash(build):
    cycle, parts, meetings, activities = _inputs(build)
    _, _, digest = _seal(cycle, parts, meetings, activities)
    reordered = dict(reversed(list(parts.items())))
    _, _, again = _seal(cycle, reordered, list(reversed(meetings)), list(reversed(activities)))
    assert again == digest


def test_every_change_to_the_content_changes_the_hash(build):
    cycle, parts, meetings, activities = _inputs(build)
    _, _, digest = _seal(cycle, parts, meetings, activities)
    changed_text = {**parts, "A2": dataclasses.replace(parts["A2"], text=parts["A2"].text + ".")}
    changed_proof = meetings[:3] + [dataclasses.replace(meetings[3], proof=build.proof("c" * 64))]
    changed_pe = activities[:1]
    for variant in ((cycle, changed_text, meetings, activities), (cycle, parts, changed_proof, activities),
                    (cycle, parts, meetings, changed_pe)):
        assert _seal(*variant)[2] != digest


def test_the_scale_of_a_decimal_does_not_change_the_hash(build):
    cycle, parts, meetings, activities = _inputs(build)
    rescaled = [dataclasses.replace(a, points=a.points.quantize(Decimal("0.001"))) for a in activities]
    assert _seal(cycle, parts, meetings, rescaled)[2] == _seal(cycle, parts, meetings, activities)[2]


def test_the_snapshot_holds_parts_meetings_with_proof_hashes_and_pe_ids_with_evidence(build):
    cycle, parts, meetings, activities = _inputs(build)
    document, canonical, _ = _seal(cycle, parts, meetings, activities)
    frozen = json.loads(canonical)
    assert frozen["parts"]["A1"]["executive_jobcoach_declared_at"] == "2027-03-01T09:30:00Z"
    assert frozen["parts"]["A1"]["currently_executive_jobcoach_declared_at"] == "2027-03-01T09:30:00Z"
    assert frozen["parts"]["A3"]["meeting_id"] == str(meetings[0].id)
    assert [m["met_on"] for m in frozen["reflection_meetings"]] == sorted(m["met_on"] for m in
                                                                          frozen["reflection_meetings"])
    assert [m["proof"]["sha256"] for m in frozen["reflection_meetings"] if m["proof"]] == ["b" * 64]
    assert frozen["pe"]["activity_ids"] == sorted(str(a.activity_id) for a in activities)
    evidence = {a["activity_id"]: a["evidence_sha256s"] for a in frozen["pe"]["activities"]}
    assert evidence[str(activities[0].activity_id)] == ["0" * 64, "f" * 64]
    assert frozen["pe"]["points_counted"] == "75.5"
    assert frozen["submitted_at"] == "2027-04-02T12:00:00Z"
    assert frozen["is_new_portfolio_after_negative"] is False
