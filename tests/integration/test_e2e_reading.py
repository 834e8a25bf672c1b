"""Evidence read for the jobcoach (issue 14, ADR 0027) through the gateway: documents of the generated
corpus uploaded to be read, read by pe-registry's real worker from the real S3 store, the proposals
compared with each document's truth; a confirmation records the activity with the read file as its
evidence, nothing is recorded without one, a dismissal removes the reading, and another jobcoach finds
nothing. Runs on the worker's shared system (portal_system.py)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
import reading_corpus
from portal_system import shared_fixtures
from psycopg.rows import dict_row

from journeys import TODAY, certified_coach, eventually, ok

system, app, office, mailbox = shared_fixtures()

# A Dutch text PDF, an English plain e-mail, a Dutch HTML e-mail and an English phone photo (JPEG, turned a
# quarter, noisy, low resolution): one of each way in, OCR once.
CORPUS = [reading_corpus.document(reading_corpus.DEFAULT_SEED, index) for index in (0, 1, 4, 3)]


@pytest.fixture(scope="module")
def coach(app, system):
    return certified_coach(app, system, TODAY + timedelta(days=400))


def _upload(app, person, document):
    return app.post("pe/readings", person, data=document.data, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{document.filename}"'})


def _read(app, person, reading_id) -> dict:
    return eventually(lambda: (lambda body: body if body["state"] != "pending" else None)(
        ok(app.get(f"pe/readings/{reading_id}", person))), timeout=60, what="the worker's reading")


def _events(system, type_: str, reading_id: str) -> list[dict]:
    with psycopg.connect(system.database_url("pe-registry"), row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT body FROM outbox WHERE event_type = %s AND body->'data'->>'reading_id' = %s",
            (type_, reading_id)).fetchall()
    return [row["body"] for row in rows]


@pytest.fixture(scope="module")
def proposals(app, system, coach):
    """Every corpus document uploaded at once, then each read by the worker."""
    uploaded = []
    for document in CORPUS:
        response = _upload(app, coach, document)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["state"] == "pending" and body["proposal"] is None  # the request reads nothing
        assert response.headers["Location"].endswith(f"/pe/readings/{body['id']}")
        uploaded.append((document, body["id"]))
    return [(document, _read(app, coach, reading_id)) for document, reading_id in uploaded]


def test_the_worker_proposes_each_documents_date_and_amount_and_announces_it(app, system, coach,
                                                                             proposals):
    for document, reading in proposals:
        truth = reading["proposal"]
        assert reading["state"] == "proposed", (document.name, reading)
        assert truth["completed_on"] == document.truth.completed_on.isoformat(), document.name
        assert (Decimal(truth["amount"]), truth["unit"]) == (document.truth.amount, document.truth.unit)
        assert truth["category"] is None
        [event] = eventually(lambda reading=reading: _events(system, "pe.reading.proposed", reading["id"]))
        assert event["subject"] == coach.id and event["data"]["completed_on"] == truth["completed_on"]
    assert {reading["method"] for _, reading in proposals} == {"pdf_text", "email", "ocr"}
    listed = ok(app.get("pe/readings", coach))
    assert listed["total"] == len(CORPUS)
    # Nothing is recorded without the jobcoach's confirmation.
    assert ok(app.get("pe/activities", coach))["total"] == 0


def test_confirming_records_the_activity_with_the_read_file_as_its_evidence(app, system, coach, proposals):
    document, reading = proposals[0]
    proposal = reading["proposal"]
    activity = ok(app.post(f"pe/readings/{reading['id']}/confirm", coach, json={
        "title": proposal["title"], "provider": proposal["provider"],
        "completed_on": proposal["completed_on"],
        "amount": proposal["amount"], "unit": proposal["unit"], "category": 1}), 201)
    assert activity["completed_on"] == document.truth.completed_on.isoformat()
    [evidence] = activity["evidence"]
    assert (evidence["sha256"], evidence["kind"]) == (reading["sha256"], "certificate")
    content = app.get(f"pe/evidence/{evidence['id']}/content", coach)
    assert content.status_code == 200 and content.content == document.data
    assert app.get(f"pe/readings/{reading['id']}", coach).status_code == 404
    summary = ok(app.get("pe/summary", coach))
    assert Decimal(summary["raw_total"]) == Decimal(activity["points"])  # it has evidence, so it counts
    with psycopg.connect(system.database_url("pe-registry"), row_factory=dict_row) as conn:
        types = [row["event_type"] for row in conn.execute(
            "SELECT event_type FROM outbox WHERE body->'data'->>'activity_id' = %s ORDER BY seq",
            (activity["id"],)).fetchall()]
    assert types == ["pe.activity.recorded", "pe.evidence.attached"]


def test_a_wrong_correction_is_refused_and_records_nothing(app, coach, proposals):
    _, reading = proposals[1]
    refused = app.post(f"pe/readings/{reading['id']}/confirm", coach, json={
        "title": "Webinar", "provider": "Career Institute", "completed_on": str(TODAY + timedelta(days=3)),
        "amount": "2", "unit": "sbu", "category": 1})
    assert refused.status_code == 422 and "completed_on" in refused.json()["errors"]
    assert ok(app.get(f"pe/readings/{reading['id']}", coach))["state"] == "proposed"


def test_dismissing_removes_the_reading_and_records_nothing(app, coach, proposals):
    _, reading = proposals[2]
    before = ok(app.get("pe/activities", coach))["total"]
    assert app.delete(f"pe/readings/{reading['id']}", coach).status_code == 204
    assert app.get(f"pe/readings/{reading['id']}", coach).status_code == 404
    assert ok(app.get("pe/activities", coach))["total"] == before


def test_another_jobcoach_finds_nothing(app, coach, proposals):
    _, reading = proposals[3]
    other = app.login(app.register())
    for response in (app.get(f"pe/readings/{reading['id']}", other),
                     app.post(f"pe/readings/{reading['id']}/confirm", other, json={
                         "title": "x", "provider": "y", "completed_on": str(TODAY), "amount": "1",
                         "unit": "sbu", "category": 1}),
                     app.delete(f"pe/readings/{reading['id']}", other)):
        assert response.status_code == 404, response.text
    assert ok(app.get("pe/readings", other))["total"] == 0
    assert ok(app.get(f"pe/readings/{reading['id']}", coach))["state"] == "proposed"


def test_a_word_file_is_refused_for_reading(app, coach):
    word = type("Doc", (), {"data": b"PK\x03\x04" + bytes(200), "filename": "verslag.docx"})()
    refused = _upload(app, coach, word)
    assert refused.status_code == 415, refused.text
