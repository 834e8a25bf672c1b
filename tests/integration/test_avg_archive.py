"""The AVG through the gateway, on the running system (every service a process): a jobcoach downloads all
their data in one streamed ZIP, complete (every evidence file and every proof, the snapshot's too, each
file's SHA-256 equal to the hash its service stored), and nobody else gets it; and the reads of the
assigned assessor are in the jobcoach's access log."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import psycopg

from system_actors import world_fixture

world = world_fixture("avg-logs")


def _download(world, who: str) -> zipfile.ZipFile:
    with world.app.get("my-data/archive", world.person(who), stream=True) as response:
        assert response.status_code == 200, response.text[:500]
        assert response.headers["Content-Type"] == "application/zip"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        # Streamed: the gateway does not know the length in advance (no whole archive in memory).
        assert "Content-Length" not in response.headers
        assert response.headers.get("Transfer-Encoding") == "chunked"
        data = b"".join(response.iter_content(64 * 1024))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def _json(archive: zipfile.ZipFile, name: str):
    return json.loads(archive.read(name))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_archive_holds_everything_and_every_file_matches_its_stored_hash(world):
    app, coach = world.app, world.person("jobcoach")
    archive = _download(world, "jobcoach")
    names = set(archive.namelist())

    assert _json(archive, "account.json")["id"] == coach.id
    assert _json(archive, "certificates.json")

    # Every evidence file of every activity, with the hash pe-registry stored.
    activities = app.get("pe/activities", coach, params={"page_size": 100}).json()["items"]
    evidence = [e for a in activities for e in a["evidence"]]
    assert len(evidence) >= 1
    assert [a["id"] for a in _json(archive, "pe/activities.json")] == [a["id"] for a in activities]
    for item in evidence:
        [name] = [n for n in names if n.startswith(f"pe/evidence/{item['id']}-")]
        assert _sha(archive.read(name)) == item["sha256"], name

    # Every meeting proof of the cycle, and every proof each submitted snapshot lists.
    cycle = app.get("portfolio/cycles/current", coach).json()
    proofs = [m["proof"] for m in cycle["meetings"] if m["proof"]]
    assert len(proofs) >= 1
    for proof in proofs:
        [name] = [n for n in names if n.startswith(f"portfolio/proofs/{proof['id']}-")]
        assert _sha(archive.read(name)) == proof["sha256"], name
    submissions = app.get("portfolio/submissions", coach).json()["items"]
    assert len(submissions) == 2  # withdrawn and submitted again
    for summary in submissions:
        stored = _json(archive, f"portfolio/submissions/{summary['id']}.json")
        assert stored["snapshot_hash"] == summary["snapshot_hash"]
        listed = [m["proof"] for m in stored["snapshot"]["reflection_meetings"] if m["proof"]]
        assert listed
        for proof in listed:
            [name] = [n for n in names if n.startswith(f"portfolio/submissions/{summary['id']}/proofs/"
                                                       f"{proof['id']}-")]
            assert _sha(archive.read(name)) == proof["sha256"], name

    # The manifest names every file, with the stored hash equal to that of the bytes in the archive.
    manifest = _json(archive, "manifest.json")
    files = {entry["path"]: entry for entry in manifest["files"]}
    assert set(files) == {n for n in names if not n.endswith(".json")}
    for path, entry in files.items():
        data = archive.read(path)
        assert entry["sha256"] == _sha(data) and entry["size"] == len(data)
        if entry["stored_sha256"] is not None:
            assert entry["sha256"] == entry["stored_sha256"], path

    # Invoices with their PDFs (the cancelled one with its credit note), the assessment form, messages.
    invoices = app.get("invoices", coach).json()["items"]
    assert {i["id"] for i in _json(archive, "invoices.json")} == {i["id"] for i in invoices}
    assert len([p for p in files if p.startswith("invoices/") and files[p]["what"] == "invoice_pdf"]) \
        == len(invoices)
    assert any(entry["what"] == "credit_note_pdf" for entry in files.values())
    for path in files:
        if path.startswith("invoices/"):
            assert archive.read(path).startswith(b"%PDF")
    case_id = world.resources["case_id"]
    assert _json(archive, f"assessment-forms/{case_id}.json")
    assert {c["id"] for c in _json(archive, "cases.json")} >= {case_id}
    messages = _json(archive, "messages.json")
    assert world.resources["message_id"] in {m["id"] for m in messages}

    # The service desk: the request with its posts, its attachment with the hash notifications stored;
    # the mentor she invited.
    res = world.resources
    threads = _json(archive, "desk-requests.json")
    [thread] = [t for t in threads if t["request"]["id"] == res["desk_request_id"]]
    assert thread["posts"] and thread["posts"][0]["text"] == "Het lukt niet."
    [attachment] = [a for a in thread["attachments"] if a["id"] == res["desk_attachment_id"]]
    [name] = [n for n in names if n.startswith(f"desk/{res['desk_request_id']}/{attachment['id']}-")]
    assert _sha(archive.read(name)) == attachment["sha256"] == files[name]["stored_sha256"]
    assert files[name]["what"] == "desk_attachment"
    assert res["mentorship_id"] in {m["id"] for m in _json(archive, "portfolio/mentorships.json")}
    assert _json(archive, "pe/readings.json") == []  # hers: none (the draft jobcoach has three)

    # The assigned assessor read the snapshot and an activity while populating: the log says so.
    log = _json(archive, "access-log.json")
    assessor = world.person("assessor").id
    assert any(e["reader_id"] == assessor and e["kind"] == "submission" for e in log["portfolio"])
    assert any(e["reader_id"] == assessor and e["kind"] == "activity" for e in log["pe"])


def test_nobody_else_gets_a_jobcoach_archive(world):
    owner = world.person("jobcoach")
    other = _download(world, "draft_jobcoach")
    assert _json(other, "account.json")["id"] == world.person("draft_jobcoach").id
    owner_evidence = world.resources["evidence_id"]
    assert not any(owner_evidence in name for name in other.namelist())
    assert all(a["account_id"] != owner.id for a in _json(other, "pe/activities.json"))
    assert not any(name.startswith("portfolio/submissions/") for name in other.namelist())
    assert not any(name.startswith("desk/") for name in other.namelist())
    assert {r["id"] for r in _json(other, "pe/readings.json")} >= {
        world.resources[key] for key in ("reading_id", "confirm_reading_id", "dismiss_reading_id")}
    for staff in ("assessor", "dnv_officer", "noloc_admin"):
        response = world.app.get("my-data/archive", world.person(staff))
        assert response.status_code == 403, (staff, response.status_code)
        assert response.headers["Content-Type"].startswith("application/problem+json")
    response = world.app.get("my-data/archive")
    assert response.status_code == 401


def test_the_archive_holds_a_request_made_logged_out_and_matched_to_the_account(world):
    """ADR 0020 and 0029: a request made without logging in from the jobcoach's address is matched to her
    account when confirmed, and erasure deletes it as hers; her archive left it out, since the list it reads
    held only the requests she opened logged in."""
    coach = world.person("jobcoach")
    body = {"email": coach.email, "name": "Anna de Vries", "subject": "Telefoon kwijt",
            "text": "Ik kan niet inloggen (archief)."}
    assert world.app.post("desk/public/requests", json=body).status_code == 202
    with psycopg.connect(world.system.database_url("notifications")) as conn:
        row = conn.execute("SELECT body_text FROM messages WHERE email_address = %s "
                           "AND template = 'desk_confirm' ORDER BY created_at DESC LIMIT 1",
                           (coach.email,)).fetchone()
    token = re.search(r"/hulp/bevestigen\?token=([A-Za-z0-9_-]+)", row[0]).group(1)
    confirmed = world.app.post("desk/public/confirm", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text[:500]
    request_id = confirmed.json()["thread"]["request"]["id"]

    threads = _json(_download(world, "jobcoach"), "desk-requests.json")
    [thread] = [t for t in threads if t["request"]["id"] == request_id]
    assert [p["text"] for p in thread["posts"]] == ["Ik kan niet inloggen (archief)."]
    other = _json(_download(world, "draft_jobcoach"), "desk-requests.json")
    assert request_id not in {t["request"]["id"] for t in other}
