"""Bad input and other people's portfolios: each a clear 4xx problem+json naming the problem (Dutch unless
English is asked for), and nothing changed: no rows, no objects in storage, no events."""
from __future__ import annotations

import hashlib
import uuid
from datetime import date

import pytest
from portfolio_support import ELF, PDF

from service_harness import problem

CURRENT = "/v1/portfolio/cycles/current"
TODAY = date(2027, 5, 1)


@pytest.fixture
def coach(portfolio):
    portfolio.clock.day = TODAY
    coach = portfolio.coach()
    portfolio.certificate(coach, date(2027, 6, 30))  # period from 2023-07-01
    return coach


@pytest.fixture
def entered_meeting(portfolio, coach) -> dict:
    response = portfolio.post(f"{CURRENT}/meetings", coach.token, json={
        "met_on": "2026-11-12", "kind": "quality_circle", "group_name": "Kwaliteitskring Zuid"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(("met_on", "code", "dutch", "english"), [
    ("2027-05-02", "date_in_future", "De datum mag niet in de toekomst liggen (vandaag is 1 mei 2027).",
     "The date may not be in the future (today is 1 May 2027)."),
    ("2023-06-29", "date_before_period", "De datum ligt vóór het begin van deze periode (30 juni 2023).",
     "The date is before the start of this period (30 June 2023)."),
])
def test_meeting_dates_in_the_future_or_before_the_period_are_refused(portfolio, coach, met_on, code, dutch,
                                                                       english):
    before = portfolio.state()
    body = {"met_on": met_on, "kind": "intervision", "group_name": "Groep"}
    nl = problem(portfolio.post(f"{CURRENT}/meetings", coach.token, json=body), 422, "validation-failed")
    assert nl["detail"] == dutch and nl["title"] == "De invoer is niet geldig"
    assert list(nl["errors"]) == ["met_on"]
    en = problem(portfolio.post(f"{CURRENT}/meetings", coach.token, json=body,
                                headers={"Accept-Language": "en"}), 422)
    assert en["detail"] == english and en["title"] == "The input is not valid"
    assert portfolio.state() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"met_on": "2026-01-01", "kind": "intervision"}, "group_name"),  # neither group nor supervisor
    ({"met_on": "2026-01-01", "kind": "drinks", "group_name": "G"}, "kind"),
    ({"met_on": "gisteren", "kind": "intervision", "group_name": "G"}, "met_on"),
    ({"met_on": "2026-01-01", "kind": "intervision", "group_name": "G", "proof_url": "x"}, "proof_url"),
])
def test_malformed_meetings_are_refused_per_field(portfolio, coach, body, field):
    before = portfolio.state()
    errors = problem(portfolio.post(f"{CURRENT}/meetings", coach.token, json=body), 422)["errors"]
    assert field in errors
    assert portfolio.state() == before


def test_part_bodies_are_checked(portfolio, coach):
    before = portfolio.state()
    assert "meeting_id" in problem(portfolio.put(f"{CURRENT}/parts/A2", coach.token, json={
        "text": "x", "meeting_id": str(uuid.uuid4())}), 422)["errors"]
    assert "executive_jobcoach_declared" in problem(portfolio.put(f"{CURRENT}/parts/A4", coach.token, json={
        "text": "x", "executive_jobcoach_declared": True}), 422)["errors"]
    assert problem(portfolio.put(f"{CURRENT}/parts/A3", coach.token, json={
        "text": "x", "meeting_id": str(uuid.uuid4())}), 422)["errors"]["meeting_id"] == [
        "Deze bijeenkomst staat niet in je lijst van reflectiebijeenkomsten."]
    assert "text" in problem(portfolio.put(f"{CURRENT}/parts/A1", coach.token, json={}), 422)["errors"]
    assert "Onbekend onderdeel B" in problem(portfolio.put(f"{CURRENT}/parts/B", coach.token,
                                                           json={"text": "x"}), 404)["detail"]
    assert portfolio.state() == before


def test_a_proof_upload_streams_in_and_back_out(portfolio, coach, entered_meeting):
    path = f"/v1/portfolio/meetings/{entered_meeting['id']}/proof"
    disposition = "attachment; filename*=UTF-8''verslag%20%C3%A9.pdf"
    response = portfolio.post(path, coach.token, data=PDF, headers={"Content-Disposition": disposition})
    assert response.status_code == 201, response.get_json()
    proof = response.get_json()["proof"]
    assert (proof["sha256"], proof["size"], proof["content_type"], proof["filename"]) == (
        hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf", "verslag é.pdf")
    download = portfolio.get(path, coach.token)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf" and download.headers["X-Content-SHA256"] == proof["sha256"]
    assert "filename*=UTF-8''verslag%20%C3%A9.pdf" in download.headers["Content-Disposition"]
    _, officer = portfolio.staff("dnv_officer")
    assert portfolio.get(path, officer).data == PDF


@pytest.mark.parametrize(("data", "query", "headers", "status", "slug", "dutch"), [
    (PDF + bytes(64 * 1024), "?filename=groot.pdf", {}, 413, "upload-too-large",
     "Het bestand is groter dan de toegestane 64 kB (65536 bytes)."),
    (ELF, "?filename=bewijs.pdf", {}, 415, "upload-type-refused", "Dit bestand is een programma (ELF)"),
    (PDF, "?filename=..%2F..%2Fetc%2Fpasswd.pdf", {}, 400, "filename-refused",
     "Deze bestandsnaam kunnen we niet gebruiken: hij bevat een pad"),
    (PDF, "", {"Content-Disposition": 'attachment; filename="..\\\\boot.pdf"'}, 400, "filename-refused",
     "hij bevat een pad"),
    (PDF, "?filename=bewijs.exe", {}, 415, "upload-type-mismatch", "De bestandsnaam eindigt op '.exe'"),
    (b"", "?filename=leeg.pdf", {}, 400, "upload-empty", "Het bestand is leeg."),
])
def test_refused_proof_files_leave_nothing_behind(portfolio, coach, entered_meeting, data, query, headers,
                                                  status, slug, dutch):
    before = portfolio.state()
    path = f"/v1/portfolio/meetings/{entered_meeting['id']}/proof{query}"
    body = problem(portfolio.post(path, coach.token, data=data, headers=headers), status, slug)
    assert dutch in body["detail"]
    english = portfolio.post(path, coach.token, data=data, headers={**headers, "Accept-Language": "en"})
    assert problem(english, status, slug)["detail"] != body["detail"]
    assert portfolio.state() == before


def test_a_too_large_proof_without_a_declared_length_is_stopped_while_streaming(portfolio, coach,
                                                                               entered_meeting):
    before = portfolio.state()
    path = f"/v1/portfolio/meetings/{entered_meeting['id']}/proof?filename=groot.pdf"
    # Sent chunked, as a browser streams a file: no Content-Length to refuse it by up front.
    response = portfolio.request("POST", path, coach.token, data=PDF + bytes(128 * 1024),
                                 headers={"Transfer-Encoding": "chunked"},
                                 environ_overrides={"wsgi.input_terminated": True})
    problem(response, 413, "upload-too-large")
    assert portfolio.state() == before


def test_meetings_from_noloc_and_the_reported_meeting_cannot_be_removed(portfolio, coach, entered_meeting):
    portfolio.noloc_meeting(coach, date(2026, 3, 3))
    noloc = next(m for m in portfolio.current(coach)["meetings"] if m["source"] == "noloc")
    portfolio.put(f"{CURRENT}/parts/A3", coach.token,
                  json={"text": "Verslag.", "meeting_id": entered_meeting["id"]})
    before = portfolio.state()
    problem(portfolio.delete(f"/v1/portfolio/meetings/{noloc['id']}", coach.token), 409,
            "meeting-not-changeable")
    problem(portfolio.post(f"/v1/portfolio/meetings/{noloc['id']}/proof", coach.token, data=PDF), 409,
            "meeting-not-changeable")
    body = problem(portfolio.delete(f"/v1/portfolio/meetings/{entered_meeting['id']}", coach.token), 409)
    assert "reflectieverslag" in body["detail"]
    assert portfolio.state() == before
    portfolio.put(f"{CURRENT}/parts/A3", coach.token, json={"text": "Verslag.", "meeting_id": None})
    assert portfolio.delete(f"/v1/portfolio/meetings/{entered_meeting['id']}", coach.token).status_code == 204
    assert [m["id"] for m in portfolio.current(coach)["meetings"]] == [noloc["id"]]


def test_another_jobcoach_gets_404_on_every_resource(portfolio, coach, entered_meeting):
    portfolio.post(f"/v1/portfolio/meetings/{entered_meeting['id']}/proof?filename=b.pdf", coach.token,
                   data=PDF)
    cycle = portfolio.current(coach)
    portfolio.noloc_meeting(coach, date(2026, 1, 5))
    portfolio.noloc_meeting(coach, date(2026, 1, 6))
    portfolio.noloc_meeting(coach, date(2026, 1, 7))
    a1_declarations = {"executive_jobcoach_declared": True, "currently_executive_jobcoach_declared": True}
    for part, text in (("A1", "cv"), ("A2", "terugblik"), ("A4", "plan")):
        portfolio.put(f"{CURRENT}/parts/{part}", coach.token,
                      json={"text": text, **(a1_declarations if part == "A1" else {})})
    portfolio.put(f"{CURRENT}/parts/A3", coach.token, json={"text": "r", "meeting_id": entered_meeting["id"]})
    portfolio.pe_activity(coach, date(2026, 2, 2), "75", "1")
    submission = portfolio.post(f"{CURRENT}/submit", coach.token).get_json()
    meeting, sub = entered_meeting["id"], submission["id"]

    stranger = portfolio.coach()  # no cycle of their own
    neighbour = portfolio.coach()  # with a cycle of their own
    portfolio.certificate(neighbour, date(2027, 6, 30))
    before = portfolio.state()
    for other in (stranger, neighbour):
        requests = [
            ("GET", f"/v1/portfolio/cycles/{cycle['id']}", None),
            ("GET", f"/v1/portfolio/meetings/{meeting}", None),
            ("DELETE", f"/v1/portfolio/meetings/{meeting}", None),
            ("GET", f"/v1/portfolio/meetings/{meeting}/proof", None),
            ("POST", f"/v1/portfolio/meetings/{meeting}/proof?filename=x.pdf", PDF),
            ("GET", f"/v1/portfolio/submissions/{sub}", None),
            ("GET", f"/v1/portfolio/submissions/{sub}/meetings/{meeting}/proof", None),
        ]
        for method, path, data in requests:
            response = portfolio.request(method, path, other.token, data=data)
            assert response.status_code == 404, (method, path, response.get_json())
            assert response.mimetype == "application/problem+json"
        assert portfolio.get("/v1/portfolio/submissions", other.token).get_json()["total"] == 0
        assert cycle["id"] not in {c["id"] for c in portfolio.get("/v1/portfolio/cycles",
                                                                  other.token).get_json()["items"]}
    # Without a cycle, "current" itself is not there.
    for method, path in (("GET", CURRENT), ("GET", f"{CURRENT}/readiness"), ("POST", f"{CURRENT}/submit"),
                         ("POST", f"{CURRENT}/withdraw"), ("GET", f"{CURRENT}/meetings"),
                         ("GET", f"{CURRENT}/supplement")):
        body = problem(portfolio.request(method, path, stranger.token), 404, "not-found")
        assert "hercertificeringscyclus" in body["detail"]
    assert portfolio.state() == before

    # The owner reads all of it, including the proof as the snapshot lists it.
    proof = portfolio.get(f"/v1/portfolio/submissions/{sub}/meetings/{meeting}/proof", coach.token)
    assert proof.data == PDF
    # A download, never run by a browser with our origin (recert_common.files).
    assert proof.headers["Content-Disposition"].startswith("attachment; filename=")
    assert proof.headers["X-Content-Type-Options"] == "nosniff"
    assert proof.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert proof.headers["X-Frame-Options"] == "DENY"  # recert_common.web: on every answer
    _, officer = portfolio.staff("dnv_officer")
    assert portfolio.get(f"/v1/portfolio/cycles/{cycle['id']}", officer).status_code == 200
    officer_list = portfolio.get(f"/v1/portfolio/cycles?account_id={coach.account_id}", officer).get_json()
    assert [c["id"] for c in officer_list["items"]] == [cycle["id"]]


def test_requests_without_a_token_or_role_are_refused(portfolio, coach):
    problem(portfolio.get(CURRENT, None), 401, "unauthorized")
    _, assessor = portfolio.staff("assessor")
    problem(portfolio.get(CURRENT, assessor), 403, "forbidden")
    problem(portfolio.put(f"{CURRENT}/parts/A1", assessor, json={"text": "x"}), 403)


def test_the_published_proof_rules_are_the_ones_an_upload_is_held_to(portfolio, coach, entered_meeting):
    rules = portfolio.get("/v1/portfolio/meetings/proof-rules", coach.token).get_json()
    assert rules["max_bytes"] == portfolio.settings.proof_max_bytes == 64 * 1024
    by_type = {t["content_type"]: t for t in rules["types"]}
    assert ".docx" in by_type["application/vnd.openxmlformats-officedocument.wordprocessingml.document"][
        "extensions"]  # the reflection meeting's form is often a Word document
    assert by_type["application/pdf"]["name"] == "PDF"
    path = f"/v1/portfolio/meetings/{entered_meeting['id']}/proof?filename=groot.pdf"
    problem(portfolio.post(path, coach.token, data=PDF + bytes(rules["max_bytes"])), 413, "upload-too-large")
    assert portfolio.get("/v1/portfolio/meetings/proof-rules", None).status_code == 401
