"""PE registration with evidence and the portfolio, through the gateway as a frontend uses them: identity,
pe-registry, portfolio and the gateway run as real processes on the run's PostgreSQL, RabbitMQ and S3.

What the certification service and Noloc would send (a registered certificate, academy activities,
meetings from the planning tool) is published as raw events on this system's exchange.
"""
from __future__ import annotations

import hashlib
import io
import time
import uuid
import zipfile
from datetime import timedelta
from decimal import Decimal

import psycopg
from minio import Minio

from recert_common.rules import add_years, load_framework

from e2e_fixtures import app_fixture, system_fixture
from frontend import Frontend
from journeys import PDF, TODAY, certified_coach, complete_portfolio, eventually, ok, record, upload
from processes import System

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(4096)


system = system_fixture(["identity", "pe-registry", "portfolio"],
                        extra_env={"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"})
app = app_fixture()


def test_activities_with_evidence_and_a_summary_that_applies_the_minimum_and_the_maxima(app, system):
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    framework = load_framework(TODAY.year)
    maximum = {c.number: c.maximum for c in framework.pe.categories}

    hours = record(app, person, 1, 10)
    ects = record(app, person, 1, 1, unit="ects")
    assert (Decimal(hours["points"]), Decimal(ects["points"])) == (10, 28)
    knowledge = record(app, person, 2, maximum[2] + 5, unit="points")
    literature = record(app, person, 6, maximum[6] + 7)
    for other, salt in ((knowledge, b"2"), (literature, b"6")):  # only activities with evidence count
        assert upload(app, person, other["id"], PDF + salt).status_code == 201

    stored = upload(app, person, hours["id"], PDF)
    assert stored.status_code == 201, stored.text
    assert stored.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    download = app.get(f"pe/evidence/{stored.json()['id']}/content", person)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    again = upload(app, person, ects["id"], PDF, filename="zelfde.pdf")
    assert again.json()["deduplicated"] is True

    summary = app.get("pe/summary", person).json()
    by_number = {c["number"]: c for c in summary["categories"]}
    assert Decimal(by_number[1]["counted"]) == 38
    assert (Decimal(by_number[2]["raw"]), Decimal(by_number[2]["counted"])) == (maximum[2] + 5, maximum[2])
    assert (Decimal(by_number[6]["raw"]), Decimal(by_number[6]["counted"])) == (maximum[6] + 7, maximum[6])
    assert Decimal(summary["counted_total"]) == 38 + maximum[2] + maximum[6]
    assert summary["met"] is False and summary["minimum_met"] is True
    missing = 75 - (38 + maximum[2] + maximum[6])
    assert any(f"{missing} punten" in m["message"] for m in summary["missing"]), summary["missing"]


def test_noloc_events_create_an_activity_and_a_meeting_once_each(app, system):
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    number = person.account["membership_number"]
    activity = {"external_id": f"academy-{uuid.uuid4()}", "membership_number": number,
                "title": "Webinar arbeidsrecht", "provider": "Noloc Academie",
                "completed_on": TODAY - timedelta(days=10), "amount": Decimal("2"), "unit": "sbu"}
    meeting = {"external_id": f"meeting-{uuid.uuid4()}", "membership_number": number,
               "met_on": TODAY - timedelta(days=20), "kind": "intervision", "group_name": "Intervisie"}
    for _ in range(2):
        system.publish("noloc.academy.activity.completed", activity)
        system.publish("noloc.meeting.attended", meeting)

    items = eventually(lambda: app.get("pe/activities", person).json()["items"])
    meetings = eventually(lambda: app.get("portfolio/cycles/current", person).json()["meetings"])
    time.sleep(1.0)  # room for the duplicates to arrive, so that the counts below would see them
    items = app.get("pe/activities", person).json()["items"]
    meetings = app.get("portfolio/cycles/current", person).json()["meetings"]
    assert [(i["title"], i["source"]) for i in items] == [("Webinar arbeidsrecht", "noloc_academy")]
    assert len(meetings) == 1 and meetings[0]["kind"] == "intervision"

    # Noloc's record is the proof (issue 10, ADR 0012): the activity counts without an evidence file, in
    # pe-registry's summary and in portfolio's readiness alike.
    assert app.get(f"pe/activities/{items[0]['id']}", person).json()["evidence"] == []
    summary = app.get("pe/summary", person).json()
    assert (Decimal(summary["counted_total"]), summary["activities_without_evidence"]) == (2, [])
    readiness = eventually(lambda: (pe := app.get("portfolio/cycles/current/readiness", person).json()["pe"])
                           ["activity_ids"] and pe, what="the Noloc activity counted in readiness")
    assert readiness["activity_ids"] == [items[0]["id"]] and readiness["without_evidence_activity_ids"] == []


def test_readiness_names_what_is_missing_and_submit_only_inside_the_window(app, system):
    early = certified_coach(app, system, TODAY + timedelta(days=200))
    complete_portfolio(app, early)
    refused = app.post("portfolio/cycles/current/submit", early)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/submission-window-closed")

    ready = certified_coach(app, system, TODAY + timedelta(days=60))
    not_yet = app.post("portfolio/cycles/current/submit", ready)
    assert not_yet.status_code == 409 and not_yet.json()["type"].endswith("/portfolio-not-ready")
    complete_portfolio(app, ready)
    submitted = app.post("portfolio/cycles/current/submit", ready)
    assert submitted.status_code == 201, submitted.text
    submission = submitted.json()

    snapshot = app.get(f"portfolio/submissions/{submission['id']}", ready).json()
    assert snapshot["hash_verified"] is True
    # Later edits are refused and the snapshot stays exactly as submitted.
    edit = app.put("portfolio/cycles/current/parts/A2", ready, json={"text": "Toch iets anders."})
    assert edit.status_code == 409
    activity = app.get("pe/activities", ready).json()["items"][0]
    eventually(lambda: app.patch(f"pe/activities/{activity['id']}", ready,
                                 json={"title": "Anders"}).status_code == 409)
    assert app.get(f"portfolio/submissions/{submission['id']}", ready).json() == snapshot


def _running_worker(system: System, name: str):
    [worker] = [p for p in system.processes if p.name == f"{name}-worker" and p.popen.poll() is None]
    return worker


def test_the_pe_is_held_before_the_snapshot_is_sealed(app, system):
    """ADR 0044. A change portfolio has not heard of refuses the submission; a submission holds its activities
    read-only at once, before pe-registry hears the event (its worker is stopped here). Before, the PE stayed
    changeable until that event arrived, so a snapshot could name evidence that was gone."""
    person = certified_coach(app, system, TODAY + timedelta(days=60))
    complete_portfolio(app, person)
    activity = app.get("pe/activities", person).json()["items"][0]

    # Portfolio's worker is away: the change reaches pe-registry, not portfolio's copy.
    _running_worker(system, "portfolio").stop()
    changed = ok(app.patch(f"pe/activities/{activity['id']}", person, json={"title": "Net hernoemd"}))
    refused = app.post("portfolio/cycles/current/submit", person)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/pe-changed-while-submitting")
    assert refused.json()["activity_ids"] == [activity["id"]]
    assert ok(app.get("portfolio/cycles/current", person))["state"] == "open"
    assert app.get(f"pe/activities/{activity['id']}", person).json()["locked"] is False
    system.wait_for_line(system.start_worker("portfolio"), '"worker started"')

    def copy_caught_up() -> bool:
        pe = ok(app.get("portfolio/cycles/current/readiness", person))["pe"]
        return activity["id"] in pe["activity_ids"] and app.post(
            "portfolio/cycles/current/submit", person).status_code == 201
    _running_worker(system, "pe-registry").stop()
    eventually(copy_caught_up, what="portfolio's copy caught up and the portfolio submitted")

    # pe-registry's worker has not seen portfolio.submitted, yet the activity is read-only already.
    assert app.get(f"pe/activities/{activity['id']}", person).json()["locked"] is True
    late = app.patch(f"pe/activities/{activity['id']}", person, json={"title": "Na het indienen"})
    assert late.status_code == 409 and late.json()["type"].endswith("/pe-activity-locked")
    evidence = app.get(f"pe/activities/{activity['id']}", person).json()["evidence"][0]
    assert app.delete(f"pe/evidence/{evidence['id']}", person).status_code == 409
    submission = ok(app.get("portfolio/cycles/current", person))["submission_id"]
    snapshot = ok(app.get(f"portfolio/submissions/{submission}", person))["snapshot"]
    [sealed] = [a for a in snapshot["pe"]["activities"] if a["activity_id"] == activity["id"]]
    assert sealed["title"] == changed["title"] == "Net hernoemd"
    system.wait_for_line(system.start_worker("pe-registry"), '"worker started"')
    # The internal question is not on the public API.
    assert app.post("internal/submission-holds", person, json={}).status_code == 404


def test_another_jobcoach_gets_404_on_every_resource(app, system):
    owner = certified_coach(app, system, TODAY + timedelta(days=60))
    stranger = certified_coach(app, system, TODAY + timedelta(days=60))
    activity = record(app, owner, 1, 10)
    evidence = upload(app, owner, activity["id"], PDF).json()
    meeting = app.post("portfolio/cycles/current/meetings", owner, json={
        "met_on": str(TODAY - timedelta(days=5)), "kind": "coaching", "supervisor_name": "Coach"}).json()
    cycle = app.get("portfolio/cycles/current", owner).json()
    attempts = [
        ("GET", f"pe/activities/{activity['id']}", {}),
        ("PATCH", f"pe/activities/{activity['id']}", {"json": {"title": "Van mij"}}),
        ("DELETE", f"pe/activities/{activity['id']}", {}),
        ("GET", f"pe/evidence/{evidence['id']}", {}),
        ("GET", f"pe/evidence/{evidence['id']}/content", {}),
        ("DELETE", f"pe/evidence/{evidence['id']}", {}),
        ("GET", f"pe/accounts/{owner.id}/summary", {}),
        ("GET", f"pe/accounts/{owner.id}/activities", {}),
        ("GET", f"portfolio/cycles/{cycle['id']}", {}),
        ("GET", f"portfolio/meetings/{meeting['id']}", {}),
        ("DELETE", f"portfolio/meetings/{meeting['id']}", {}),
        ("GET", f"portfolio/meetings/{meeting['id']}/proof", {}),
    ]
    for method, path, kwargs in attempts:
        response = app.call(method, path, stranger, **kwargs)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
    assert app.get(f"pe/activities/{activity['id']}", owner).status_code == 200  # still there


def _counts(system: System, infra) -> tuple[int, int]:
    s3 = Minio(infra.s3_endpoint, access_key=infra.s3_access_key, secret_key=infra.s3_secret_key,
               secure=False)
    objects = sum(1 for _ in s3.list_objects("pe-evidence", recursive=True)) \
        if s3.bucket_exists("pe-evidence") else 0
    with psycopg.connect(system.database_url("pe-registry")) as conn:
        rows = conn.execute("SELECT count(*) FROM evidence").fetchone()[0]
    return objects, rows


def test_too_large_and_renamed_executable_uploads_leave_nothing_behind(app, system, infra):
    person = certified_coach(app, system, TODAY + timedelta(days=400))
    activity = record(app, person, 1, 8)
    before = _counts(system, infra)

    too_large = upload(app, person, activity["id"], PDF + bytes(25 * 1024 * 1024))
    assert too_large.status_code == 413, too_large.text
    executable = upload(app, person, activity["id"], ELF, filename="certificaat.pdf")
    assert executable.status_code == 415, executable.text
    assert executable.headers["Content-Type"].startswith("application/problem+json")
    english = Frontend(system.gateway, language="en")
    assert upload(english, person, activity["id"], ELF).json()["title"] != executable.json()["title"]

    assert _counts(system, infra) == before
    assert app.get(f"pe/activities/{activity['id']}", person).json()["evidence"] == []


def _docx(text: str) -> bytes:
    """A minimal Word document: the parts a .docx is recognised by."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", f"<w:document><w:body><w:p>{text}</w:p></w:body></w:document>")
    return buffer.getvalue()


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_evidence_is_required_and_the_first_day_counts_alike_in_summary_readiness_and_snapshot(app, system):
    """Issue 10: an activity without evidence counts nowhere; the certificate's first day counts everywhere
    (pe-registry's summary, portfolio's readiness and the snapshot) and takes a meeting; a .docx is
    accepted as evidence and as meeting proof by its content, a fake one refused."""
    valid_until = TODAY + timedelta(days=60)
    first_day = add_years(valid_until, -4)  # an imported certificate's PE period starts on its first day
    person = certified_coach(app, system, valid_until)
    complete_portfolio(app, person)  # 75 points with evidence, meetings with proof

    on_first_day = record(app, person, 1, 2, days_ago=(TODAY - first_day).days)
    report = upload(app, person, on_first_day["id"], _docx("Verslag"), filename="verslag.docx",
                    content_type="application/octet-stream")
    assert report.status_code == 201, report.text
    assert report.json()["content_type"] == DOCX_TYPE
    fake = upload(app, person, on_first_day["id"], b"PK\x03\x04" + bytes(200), filename="nep.docx")
    assert fake.status_code == 415 and fake.headers["Content-Type"].startswith("application/problem+json")
    without = record(app, person, 1, 9, days_ago=5)

    meeting = ok(app.post("portfolio/cycles/current/meetings", person, json={
        "met_on": str(first_day), "kind": "supervision", "supervisor_name": "Sanne Supervisor"}), 201)
    proof = app.post(f"portfolio/meetings/{meeting['id']}/proof", person, data=_docx("Reflectieformulier"),
                     headers={"Content-Type": "application/octet-stream",
                              "Content-Disposition": 'attachment; filename="reflectieformulier.docx"'})
    assert proof.status_code == 201, proof.text
    fake_proof = app.post(f"portfolio/meetings/{meeting['id']}/proof", person, data=ELF,
                          headers={"Content-Type": "application/octet-stream",
                                   "Content-Disposition": 'attachment; filename="formulier.docx"'})
    assert fake_proof.status_code == 415

    summary = app.get("pe/summary", person).json()
    assert summary["period"]["from"] == str(first_day)
    assert (Decimal(summary["counted_total"]), Decimal(summary["recorded_total"])) == (77, 86)
    assert [a["activity_id"] for a in summary["activities_without_evidence"]] == [without["id"]]
    assert summary["activities_without_evidence"][0]["message"].startswith("Bewijs ontbreekt")

    def counted_in_readiness():
        pe = app.get("portfolio/cycles/current/readiness", person).json()["pe"]
        known = on_first_day["id"] in pe["activity_ids"] and pe["without_evidence_activity_ids"]
        return pe if known else None
    readiness = eventually(counted_in_readiness, what="the first-day activity counted in readiness")
    assert Decimal(readiness["counted_total"]) == 77 and readiness["period_starts_on"] == str(first_day)
    assert readiness["without_evidence_activity_ids"] == [without["id"]]

    submitted = app.post("portfolio/cycles/current/submit", person)
    assert submitted.status_code == 201, submitted.text
    snapshot = app.get(f"portfolio/submissions/{submitted.json()['id']}", person).json()["snapshot"]
    assert on_first_day["id"] in snapshot["pe"]["activity_ids"]
    assert without["id"] not in snapshot["pe"]["activity_ids"]
    assert Decimal(snapshot["pe"]["points_counted"]) == 77
    assert str(first_day) in [m["met_on"] for m in snapshot["reflection_meetings"]]
