"""Evidence files against the real S3 endpoint: streamed in and out, refused leaving nothing behind (rows,
objects and unfinished multipart uploads counted), recognised when uploaded twice, and readable only by the
people who may."""
from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from pe_support import ELF_HEAD, PDF_HEAD, GeneratedFile, MiB, assert_problem, pdf_bytes, today

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.fixture
def coach_activity(pe):
    coach = pe.jobcoach()
    return coach, pe.record(coach)


def test_a_15_mb_file_streams_in_and_back_out_byte_for_byte(pe, coach_activity):
    coach, activity = coach_activity
    source = GeneratedFile(PDF_HEAD, 15 * MiB, seed=15)
    before = pe.counts()

    response = pe.upload(coach, activity["id"], source, filename="certificaat van deelname.pdf",
                         query="?kind=certificate")

    assert response.status_code == 201, response.get_json()
    evidence = response.get_json()
    assert response.headers["Location"].endswith(f"/v1/pe/evidence/{evidence['id']}")
    assert (evidence["size"], evidence["sha256"], evidence["content_type"], evidence["kind"]) == (
        15 * MiB, source.hash.hexdigest(), "application/pdf", "certificate")
    assert evidence["deduplicated"] is False and evidence["duplicate_of"] is None
    # Read as a stream in small pieces: nobody asked for the whole body, nor for more than 64 KiB at a time.
    assert source.position == 15 * MiB
    assert -1 not in source.reads and max(source.reads) <= 64 * 1024
    after = pe.counts()
    assert (after["evidence"], after["objects"], after["multipart_uploads"]) == (
        before["evidence"] + 1, before["objects"] + 1, 0)
    [event] = pe.outbox(coach.account_id, "pe.evidence.attached")
    assert event["data"] == {"evidence_id": evidence["id"], "activity_id": activity["id"],
                             "account_id": str(coach.account_id), "sha256": source.hash.hexdigest(),
                             "size": 15 * MiB, "content_type": "application/pdf",
                             "filename": "certificaat van deelname.pdf"}

    download = pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", coach)
    assert download.status_code == 200
    assert download.is_streamed
    assert hashlib.sha256(download.get_data()).hexdigest() == source.hash.hexdigest()
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Length"] == str(15 * MiB)
    assert download.headers["Content-Disposition"] == 'attachment; filename="certificaat van deelname.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    listed = pe.call("GET", f"/v1/pe/activities/{activity['id']}", coach).get_json()
    assert [e["id"] for e in listed["evidence"]] == [evidence["id"]]


@pytest.mark.parametrize("chunked", [False, True], ids=["with-length", "chunked"])
def test_a_25_mb_file_is_refused_with_413_and_leaves_nothing(pe, coach_activity, chunked):
    coach, activity = coach_activity
    source = GeneratedFile(PDF_HEAD, 25 * MiB, seed=25)
    before = pe.counts()

    response = pe.upload(coach, activity["id"], source, chunked=chunked)

    problem = assert_problem(response, 413, contains="groter dan de toegestane 20 MB")
    assert problem["type"].endswith("/upload-too-large") and problem["code"] == "upload_too_large"
    assert pe.counts() == before
    if chunked:
        # Without a declared length the limit is found while streaming, one byte past 20 MB.
        assert source.position == 20 * MiB + 1
    else:
        assert source.position == 0  # the declared length was enough: not a byte was read


def test_an_executable_renamed_to_pdf_is_refused_with_415_and_leaves_nothing(pe, coach_activity):
    coach, activity = coach_activity
    source = GeneratedFile(ELF_HEAD, 2 * MiB)
    before = pe.counts()

    response = pe.upload(coach, activity["id"], source, filename="certificaat.pdf",
                         headers={"Accept-Language": "en"})

    problem = assert_problem(response, 415, contains="This file is a program (ELF)")
    assert (problem["type"], problem["title"]) == (
        "https://recert.noloc.nl/problems/upload-type-refused", "This kind of file is not allowed")
    assert pe.counts() == before
    assert source.position <= 8193  # judged on its first bytes


REFUSED = [
    pytest.param(dict(filename="../../etc/passwd.pdf"), 400, "bevat een pad", id="path-in-disposition"),
    pytest.param(dict(filename=None, query="?filename=..%2F..%2Fbewijs.pdf"), 400, "bevat een pad",
                 id="path-in-query"),
    pytest.param(dict(filename=None, headers={
        "Content-Disposition": "attachment; filename*=UTF-8''cv%E2%80%AEfdp.exe"}),
                 400, "onzichtbare of stuurtekens", id="right-to-left-override"),
    pytest.param(dict(filename=".htaccess"), 400, "begint of eindigt met een punt", id="hidden-file"),
    pytest.param(dict(filename=None), 400, "Geef de naam van het bestand mee", id="no-filename"),
    pytest.param(dict(filename="bewijs.png"), 415, "eindigt op '.png'", id="pdf-named-png"),
    pytest.param(dict(filename="bewijs.pdf", headers={"Content-Type": "multipart/form-data; boundary=x"}),
                 415, "niet als formulier", id="multipart"),
]


@pytest.mark.parametrize(("options", "status", "dutch"), REFUSED)
def test_refused_uploads_name_the_problem_and_leave_nothing(pe, coach_activity, options, status, dutch):
    coach, activity = coach_activity
    before = pe.counts()
    response = pe.upload(coach, activity["id"], pdf_bytes(), **options)
    assert_problem(response, status, contains=dutch)
    assert pe.counts() == before


def test_an_empty_file_is_refused(pe, coach_activity):
    coach, activity = coach_activity
    before = pe.counts()
    assert_problem(pe.upload(coach, activity["id"], b""), 400, contains="Het bestand is leeg")
    assert pe.counts() == before


def test_a_non_ascii_name_arrives_and_leaves_intact(pe, coach_activity):
    coach, activity = coach_activity
    response = pe.upload(coach, activity["id"], pdf_bytes("é"), filename=None,
                         headers={"Content-Disposition": "attachment; filename*=UTF-8''%C3%A9t%C3%A9.pdf"})
    assert response.status_code == 201 and response.get_json()["filename"] == "été.pdf"
    download = pe.call("GET", f"/v1/pe/evidence/{response.get_json()['id']}/content", coach)
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=ete.pdf; filename*=UTF-8''%C3%A9t%C3%A9.pdf")


def test_when_the_database_refuses_the_row_the_stored_object_is_deleted(pe, coach_activity):
    coach, activity = coach_activity
    with psycopg.connect(pe.settings.database_url, autocommit=True) as conn:
        conn.execute("""
            CREATE FUNCTION refuse_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by test'; END $$;
            CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence FOR EACH ROW
                WHEN (NEW.filename = 'mislukt.pdf') EXECUTE FUNCTION refuse_evidence();""")
    try:
        before = pe.counts()
        response = pe.upload(coach, activity["id"], GeneratedFile(PDF_HEAD, 6 * MiB), filename="mislukt.pdf")
        assert_problem(response, 500)
        assert pe.counts() == before
    finally:
        with psycopg.connect(pe.settings.database_url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER refuse_evidence ON evidence; DROP FUNCTION refuse_evidence();")


def test_the_same_file_twice_is_recognised_and_stored_once(pe):
    coach = pe.jobcoach()
    first_activity, second_activity = pe.record(coach, title="Dag 1"), pe.record(coach, title="Dag 2")
    content = pdf_bytes("factuur voor twee dagen")
    before = pe.counts()

    first = pe.upload(coach, first_activity["id"], content, filename="factuur.pdf").get_json()
    again = pe.upload(coach, first_activity["id"], content, filename="factuur-kopie.pdf")
    assert again.status_code == 200
    unmarked = {"deduplicated": None, "duplicate_of": None}
    assert again.get_json() | unmarked == first | unmarked  # the existing evidence, name and all
    assert again.get_json()["deduplicated"] is True and again.get_json()["duplicate_of"] == first["id"]

    linked = pe.upload(coach, second_activity["id"], content, filename="factuur.pdf")
    assert linked.status_code == 201
    assert linked.get_json()["deduplicated"] is True and linked.get_json()["duplicate_of"] == first["id"]
    assert linked.get_json()["activity_id"] == second_activity["id"]

    after = pe.counts()
    assert (after["evidence"], after["objects"], after["multipart_uploads"]) == (
        before["evidence"] + 2, before["objects"] + 1, 0)
    assert len(pe.outbox(coach.account_id, "pe.evidence.attached")) == 2
    download = pe.call("GET", f"/v1/pe/evidence/{linked.get_json()['id']}/content", coach)
    assert download.get_data() == content

    # Another jobcoach's identical file is theirs: stored on its own.
    other = pe.jobcoach()
    other_activity = pe.record(other)
    own = pe.upload(other, other_activity["id"], content).get_json()
    assert own["deduplicated"] is False and pe.counts()["objects"] == after["objects"] + 1

    # The shared object stays while one evidence row still points at it.
    assert pe.call("DELETE", f"/v1/pe/activities/{first_activity['id']}", coach).status_code == 204
    assert pe.counts()["objects"] == after["objects"] + 1
    assert pe.call("GET", f"/v1/pe/evidence/{linked.get_json()['id']}/content", coach).get_data() == content
    assert pe.call("DELETE", f"/v1/pe/evidence/{linked.get_json()['id']}", coach).status_code == 204
    assert pe.counts()["objects"] == after["objects"]
    removed = pe.outbox(coach.account_id, "pe.evidence.removed")
    assert [body["data"]["evidence_id"] for body in removed] == [linked.get_json()["id"]]
    assert_problem(pe.call("GET", f"/v1/pe/evidence/{linked.get_json()['id']}", coach), 404)


def test_download_access_matrix(pe, coach_activity):
    coach, activity = coach_activity
    content = b"Onderwerp: bevestiging\n\nU was aanwezig bij het webinar.\n"
    evidence = pe.upload(coach, activity["id"], content, filename="bevestiging.txt").get_json()
    assert evidence["content_type"] == "text/plain"
    assigned, unassigned = pe.person("assessor"), pe.person("assessor")
    pe.submit_and_assign(coach, assigned, [activity["id"]])

    expected = {
        "owner": (coach, 200), "other jobcoach": (pe.jobcoach(), 404), "assigned assessor": (assigned, 200),
        "unassigned assessor": (unassigned, 404), "dnv officer": (pe.person("dnv_officer"), 200),
        "noloc admin": (pe.person("noloc_admin"), 404),
    }
    for who, (person, status) in expected.items():
        for path in (f"/v1/pe/evidence/{evidence['id']}/content", f"/v1/pe/evidence/{evidence['id']}"):
            response = pe.call("GET", path, person)
            assert response.status_code == status, (who, path, response.status_code)
        if status == 200:
            assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", person).get_data() == content
    assert_problem(pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", None), 401)


def test_a_reassigned_case_moves_access_to_the_new_assessor(pe, coach_activity):
    coach, activity = coach_activity
    evidence = pe.upload(coach, activity["id"], pdf_bytes("herverdeeld")).get_json()
    first, second = pe.person("assessor"), pe.person("assessor")
    case_id = pe.submit_and_assign(coach, first, [activity["id"]])
    pe.assign(coach, second, case_id, previous=first)
    path = f"/v1/pe/evidence/{evidence['id']}/content"
    assert pe.call("GET", path, second).status_code == 200
    assert pe.call("GET", path, first).status_code == 404


def _decided(pe, coach, case_id, decision: str) -> None:
    day = today()
    pe.publish_and_wait("certification.decision.made", {
        "decision_id": uuid.uuid4(), "case_id": case_id, "account_id": coach.account_id,
        "certificate_id": uuid.uuid4(), "decision": decision, "follows_advice": True, "reason": None,
        "objection_deadline": day + timedelta(days=42),
        "new_portfolio_deadline": day + timedelta(days=90) if decision == "negative" else None,
        "supplement_due_on": day + timedelta(days=90) if decision == "postponed" else None,
        "supplements": [{"part": "B", "assignment": "Lever bewijs van 10 extra punten."}]
        if decision == "postponed" else []},
        subject=coach.account_id)


def test_an_assessor_reads_the_snapshot_only_and_only_while_the_case_is_assessed(pe):
    coach = pe.jobcoach()
    submitted, other = pe.record(coach, title="In het portfolio"), pe.record(coach, title="Niet ingediend")
    in_snapshot = pe.upload(coach, submitted["id"], pdf_bytes("ingediend")).get_json()
    outside = pe.upload(coach, other["id"], pdf_bytes("niet ingediend")).get_json()
    assessor = pe.person("assessor")
    case_id = pe.submit_and_assign(coach, assessor, [submitted["id"]])

    def reads() -> dict[str, int]:
        paths = {"activity": f"/v1/pe/activities/{submitted['id']}",
                 "evidence": f"/v1/pe/evidence/{in_snapshot['id']}/content",
                 "summary": f"/v1/pe/accounts/{coach.account_id}/summary"}
        return {name: pe.call("GET", path, assessor).status_code for name, path in paths.items()}

    # While assessing: the snapshot's activity and its evidence; the activity outside it is not there.
    assert reads() == {"activity": 200, "evidence": 200, "summary": 200}
    assert_problem(pe.call("GET", f"/v1/pe/activities/{other['id']}", assessor), 404)
    assert_problem(pe.call("GET", f"/v1/pe/evidence/{outside['id']}/content", assessor), 404)
    listed = pe.call("GET", f"/v1/pe/accounts/{coach.account_id}/activities", assessor).get_json()
    assert [a["id"] for a in listed["items"]] == [submitted["id"]] and listed["total"] == 1

    # Postponed: access ends at the decision, returns while the supplement is reassessed, ends again.
    _decided(pe, coach, case_id, "postponed")
    assert reads() == {"activity": 404, "evidence": 404, "summary": 404}
    assert_problem(pe.call("GET", f"/v1/pe/accounts/{coach.account_id}/activities", assessor), 404)
    pe.publish_and_wait("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case_id, "portfolio_id": uuid.uuid4(),
        "submission_id": uuid.uuid4(), "account_id": coach.account_id, "parts": ["A1"],
        "submitted_at": datetime.now(UTC), "snapshot_hash": "c" * 64}, subject=coach.account_id)
    assert reads() == {"activity": 200, "evidence": 200, "summary": 200}
    _decided(pe, coach, case_id, "positive")
    assert reads() == {"activity": 404, "evidence": 404, "summary": 404}
    # The owner and DNV keep reading.
    assert pe.call("GET", f"/v1/pe/evidence/{in_snapshot['id']}/content", coach).status_code == 200
    assert pe.call("GET", f"/v1/pe/activities/{submitted['id']}", pe.person("dnv_officer")).status_code == 200


def test_a_supplements_new_activities_are_locked_and_the_assessor_reads_them(pe):
    """Part B supplemented with an activity recorded after the submission: from the supplement's hand-in the
    activity is read-only like the submitted ones, and the assessor who reassesses reads it and its evidence
    (before, it stayed changeable and the assessor got 404 for it)."""
    coach = pe.jobcoach()
    submitted = pe.record(coach, title="In het portfolio")
    assessor = pe.person("assessor")
    case_id = pe.submit_and_assign(coach, assessor, [submitted["id"]])
    _decided(pe, coach, case_id, "postponed")
    late = pe.record(coach, title="Voor de aanvulling")
    late_evidence = pe.upload(coach, late["id"], pdf_bytes("aanvulling")).get_json()
    not_handed_in = pe.record(coach, title="Niet in de aanvulling")

    pe.supplement_submitted(coach, case_id, ["A3", "B"], [submitted["id"], late["id"]])

    assert pe.call("GET", f"/v1/pe/activities/{late['id']}", coach).get_json()["locked"] is True
    assert_problem(pe.call("PATCH", f"/v1/pe/activities/{late['id']}", coach, json={"title": "Later"}), 409)
    assert_problem(pe.call("DELETE", f"/v1/pe/evidence/{late_evidence['id']}", coach), 409)
    assert_problem(pe.upload(coach, late["id"], pdf_bytes("na de aanvulling")), 409)
    assert pe.call("GET", f"/v1/pe/activities/{late['id']}", assessor).status_code == 200
    assert pe.call("GET", f"/v1/pe/evidence/{late_evidence['id']}/content", assessor).status_code == 200
    assert_problem(pe.call("GET", f"/v1/pe/activities/{not_handed_in['id']}", assessor), 404)
    listed = pe.call("GET", f"/v1/pe/accounts/{coach.account_id}/activities", assessor).get_json()
    assert sorted(a["id"] for a in listed["items"]) == sorted([submitted["id"], late["id"]])
    assert pe.call("PATCH", f"/v1/pe/activities/{not_handed_in['id']}", coach,
                   json={"title": "Vrij"}).status_code == 200

    # The decision on the supplement ends the assessor's reading; the activity stays part of the case.
    _decided(pe, coach, case_id, "positive")
    assert_problem(pe.call("GET", f"/v1/pe/activities/{late['id']}", assessor), 404)
    assert pe.call("GET", f"/v1/pe/activities/{late['id']}", coach).get_json()["locked"] is True


def test_a_supplement_without_part_b_locks_nothing_new(pe):
    coach = pe.jobcoach()
    submitted = pe.record(coach)
    case_id = pe.submit_and_assign(coach, pe.person("assessor"), [submitted["id"]])
    _decided(pe, coach, case_id, "postponed")
    later = pe.record(coach, title="Na het besluit")
    locks = pe.scalar("SELECT count(*) FROM submission_locks WHERE account_id = %s", (coach.account_id,))

    pe.supplement_submitted(coach, case_id, ["A1"], None)

    assert pe.scalar("SELECT count(*) FROM submission_locks WHERE account_id = %s",
                     (coach.account_id,)) == locks
    response = pe.call("PATCH", f"/v1/pe/activities/{later['id']}", coach, json={"title": "Vrij"})
    assert response.status_code == 200


def _zip(entries: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="{part}" ContentType="application/vnd.openxmlformats-officedocument.{main}.main+xml"/></Types>')

DOCX = _zip([("[Content_Types].xml", _CONTENT_TYPES.format(part="/word/document.xml",
                                                             main="wordprocessingml.document")),
             ("_rels/.rels", "<Relationships/>"),
             ("word/document.xml", "<w:document><w:body><w:p>Verslag</w:p></w:body></w:document>")])
XLSX = _zip([("[Content_Types].xml", _CONTENT_TYPES.format(part="/xl/workbook.xml",
                                                             main="spreadsheetml.sheet")),
             ("xl/workbook.xml", "<workbook/>")])


def test_a_word_report_is_accepted_by_its_content_and_a_fake_one_is_refused(pe, coach_activity):
    coach, activity = coach_activity
    accepted = pe.upload(coach, activity["id"], DOCX, filename="verslag intervisie.docx",
                         query="?kind=report")
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["content_type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    download = pe.call("GET", f"/v1/pe/evidence/{accepted.get_json()['id']}/content", coach)
    assert download.get_data() == DOCX

    before = pe.counts()
    for fake in (XLSX, _zip([("notes.txt", "geen Word")]), ELF_HEAD + bytes(64)):
        assert_problem(pe.upload(coach, activity["id"], fake, filename="verslag.docx"), 415)
    assert pe.counts() == before


def test_proof_from_the_planning_tool_is_a_kind_of_evidence(pe, coach_activity):
    coach, activity = coach_activity
    response = pe.upload(coach, activity["id"], pdf_bytes("planningstool"), query="?kind=planning_tool")
    assert response.status_code == 201 and response.get_json()["kind"] == "planning_tool"


def test_the_published_rules_are_the_ones_an_upload_is_held_to(pe, coach_activity):
    coach, activity = coach_activity
    rules = pe.call("GET", "/v1/pe/evidence-rules", coach).get_json()
    assert rules["max_bytes"] == 20 * MiB
    assert [t["content_type"] for t in rules["types"]] == [
        "application/pdf", "image/png", "image/jpeg", "text/plain", "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    by_type = {t["content_type"]: t for t in rules["types"]}
    assert by_type["image/jpeg"]["extensions"] == [".jfif", ".jpe", ".jpeg", ".jpg"]
    assert by_type["text/plain"]["name"] == "platte tekst (.txt)"
    english = pe.call("GET", "/v1/pe/evidence-rules", coach, headers={"Accept-Language": "en"}).get_json()
    assert {t["name"] for t in english["types"]} >= {"plain text (.txt)", "Word (.docx)"}
    # One byte over the published size is refused; a type outside the list is refused.
    over = pe.upload(coach, activity["id"], GeneratedFile(PDF_HEAD, rules["max_bytes"] + 1, seed=3))
    assert over.status_code == 413
    gif = pe.upload(coach, activity["id"], b"GIF89a" + b"\0" * 64, filename="plaatje.gif")
    assert gif.status_code == 415
    assert pe.call("GET", "/v1/pe/evidence-rules", None).status_code == 401
