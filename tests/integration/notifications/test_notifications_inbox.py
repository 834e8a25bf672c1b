"""The in-app inbox through the HTTP API: everyone reads and marks only their own messages."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest


@pytest.fixture(scope="module")
def jet(notifications):
    """Jet with three messages: the welcome, an authenticator linked, an account locked (newest)."""
    h = notifications
    person = h.person("Jet de Vries", "jobcoach")
    h.publish("identity.totp.enrolled", {"account_id": person.account_id, "after_reset": False})
    h.publish("identity.account.locked", {"account_id": person.account_id, "reason": "failed_passwords",
                                          "locked_until": datetime(2026, 12, 1, 9, 0, tzinfo=UTC)})
    return person


SUBJECTS = ["Je account is tijdelijk geblokkeerd", "Authenticator-app gekoppeld aan je account",
            "Welkom bij Register Jobcoach"]


def test_the_inbox_lists_your_messages_newest_first_with_their_text(notifications, jet):
    h = notifications
    response = h.get("/v1/messages", jet.token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["total"], body["page"], body["page_size"]) == (3, 1, 20)
    assert [m["subject"] for m in body["items"]] == SUBJECTS
    first = body["items"][0]
    assert first["template"] == "account_locked" and first["language"] == "nl"
    assert first["read"] is False and first["read_at"] is None
    assert first["trigger_event_type"] == "identity.account.locked"
    assert "Inloggen kan weer vanaf 1 december 2026 om 10:00." in first["body_text"]
    assert first["body_html"].lstrip().startswith("<!DOCTYPE html>")
    assert first["created_at"].endswith("Z")

    page = h.get("/v1/messages?page=2&page_size=2", jet.token).get_json()
    assert (page["total"], [m["subject"] for m in page["items"]]) == (3, SUBJECTS[2:])


def test_reading_marks_one_and_read_all_marks_the_rest(notifications):
    h = notifications
    ida = h.person("Ida Lezer", "jobcoach")
    h.publish("identity.totp.enrolled", {"account_id": ida.account_id, "after_reset": False})
    assert h.get("/v1/messages/unread-count", ida.token).get_json() == {"unread": 2}
    newest = h.get("/v1/messages", ida.token).get_json()["items"][0]

    read = h.post(f"/v1/messages/{newest['id']}/read", ida.token)
    assert read.status_code == 200
    assert read.get_json()["read"] is True and read.get_json()["read_at"]
    again = h.post(f"/v1/messages/{newest['id']}/read", ida.token).get_json()
    assert again["read_at"] == read.get_json()["read_at"]
    assert h.get(f"/v1/messages/{newest['id']}", ida.token).get_json()["read"] is True
    assert h.get("/v1/messages/unread-count", ida.token).get_json() == {"unread": 1}
    unread = h.get("/v1/messages?unread=true", ida.token).get_json()
    assert [m["subject"] for m in unread["items"]] == ["Welkom bij Register Jobcoach"]
    assert unread["total"] == 1

    assert h.post("/v1/messages/read-all", ida.token).get_json() == {"marked": 1}
    assert h.post("/v1/messages/read-all", ida.token).get_json() == {"marked": 0}
    assert h.get("/v1/messages/unread-count", ida.token).get_json() == {"unread": 0}
    assert h.get("/v1/messages?unread=true", ida.token).get_json()["items"] == []


def test_someone_elses_message_is_not_found_and_changes_nothing(notifications, jet):
    h = notifications
    theirs = h.get("/v1/messages", jet.token).get_json()["items"][0]["id"]
    before = h.get("/v1/messages/unread-count", jet.token).get_json()
    for role in ("jobcoach", "assessor", "dnv_officer", "noloc_admin"):
        other = h.token(uuid.uuid4(), role)
        for method, path in (("GET", f"/v1/messages/{theirs}"), ("POST", f"/v1/messages/{theirs}/read")):
            response = h.request(method, path, other, headers={"Accept-Language": "nl"})
            assert response.status_code == 404, (role, path)
            assert response.get_json()["detail"] == "Dit bericht is niet gevonden."
        empty = {"items": [], "page": 1, "page_size": 20, "total": 0}
        assert h.get("/v1/messages", other).get_json() == empty
        assert h.post("/v1/messages/read-all", other).get_json() == {"marked": 0}
    assert h.get("/v1/messages/unread-count", jet.token).get_json() == before
    english = h.get(f"/v1/messages/{uuid.uuid4()}", jet.token, headers={"Accept-Language": "en"}).get_json()
    assert english["detail"] == "This message was not found."


def test_only_in_app_messages_are_in_the_inbox(notifications, jet):
    h = notifications
    [email] = [m for m in h.messages(jet, "email") if m["template"] == "account_locked"]
    assert h.get(f"/v1/messages/{email['id']}", jet.token).status_code == 404
    assert h.post(f"/v1/messages/{email['id']}/read", jet.token).status_code == 404


def test_the_inbox_needs_a_token_and_refuses_bad_queries(notifications, jet):
    h = notifications
    for path in ("/v1/messages", "/v1/messages/unread-count", "/v1/messages/failed"):
        response = h.get(path, None)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert h.post("/v1/messages/read-all", None).status_code == 401
    assert h.get("/v1/messages?page_size=101", jet.token).status_code == 422
    assert h.get("/v1/messages?unread=perhaps", jet.token).status_code == 422
