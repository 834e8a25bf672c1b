"""The service desk through the gateway (issue 14, ADR 0029): identity, notifications and the gateway as real
processes, e-mail to the real SMTP mailbox of smtp_mailbox.py, attachments in the real S3 store.

A person who cannot log in opens a request with their address, confirms it by the link in the e-mail,
support answers, the person replies by the link in the answer, support closes: each e-mail once. The answer
to opening one never tells whether the address has an account; the gateway's rate limit stops a flood and
the address's daily limit stops the e-mails. A bad attachment is refused. Support resets the authenticator
app of the jobcoach a confirmed request is matched to, and is refused for a DNV officer's account.
"""
from __future__ import annotations

import re
import uuid

import pytest
from smtp_mailbox import mailbox_fixture

from e2e_fixtures import running_system
from frontend import Frontend, Person, outbox_tokens, unique_email
from journeys import Office
from waiting import wait_for

SUPPORT_ADDRESS = f"helpdesk.{uuid.uuid4().hex[:8]}@example.org"
MAX_ATTACHMENT = 64 * 1024
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

mailbox = mailbox_fixture()


@pytest.fixture(scope="module")
def system(infra, tmp_path_factory, mailbox):
    with running_system(infra, tmp_path_factory, ["identity", "notifications"], {
        # The gateway's limit on the public desk requests (per client address and rule, in Redis), with a
        # prefix of this system's own so that no other run's counters count here.
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "10/minute",
        "RECERT_GATEWAY_RATE_LIMIT_PREFIX": f"desk-{uuid.uuid4().hex[:8]}",
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.2",
        "RECERT_SUPPORT_EMAIL": SUPPORT_ADDRESS,
        "RECERT_NOTIFICATIONS_DESK_MAX_ATTACHMENT_BYTES": str(MAX_ATTACHMENT),
    }) as running:
        yield running


@pytest.fixture(scope="module")
def app(system) -> Frontend:
    return Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))


@pytest.fixture(scope="module")
def office(system, app) -> Office:
    return Office(system, app)


@pytest.fixture(scope="module")
def support(office) -> Person:
    return office.staff("dnv_support", "Sanne Helpdesk")


def _ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def _subjects(mailbox, address: str) -> list[str]:
    return [subject for subject, _ in mailbox.texts(address)]


def _mails(mailbox, address: str, subject: str, count: int = 1) -> list[str]:
    """The texts of the e-mails to ``address`` whose subject starts with ``subject``, once ``count`` came."""
    def found():
        texts = [text for s, text in mailbox.texts(address) if s.startswith(subject)]
        return texts if len(texts) >= count else None
    return wait_for(found, timeout=30, message=f"{count} e-mail(s) '{subject}' to {address}")


def _link_token(text: str, path: str) -> str:
    match = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def _logged_out_request(app, mailbox, address: str, subject: str, name: str = "Rosa Zonder Login") -> dict:
    """Open a request without logging in and follow the link in the e-mail: the confirmed answer."""
    body = {"email": address, "name": name, "subject": subject, "text": "Mijn telefoon is kwijt, ik kan niet "
            "inloggen.", "language": "nl"}
    assert _ok(app.post("desk/public/requests", json=body), 202) == {"accepted": True}
    confirmation = _mails(mailbox, address, "Bevestig je vraag")[-1]
    return _ok(app.post("desk/public/confirm", json={"token": _link_token(confirmation, "/hulp/bevestigen")}))


def test_a_logged_out_request_confirmed_answered_replied_and_closed_with_each_e_mail_once(app, mailbox,
                                                                                            support):
    address = unique_email("rosa")
    subject = f"Inloggen lukt niet {uuid.uuid4().hex[:6]}"
    body = {"email": address, "name": "Rosa Zonder Login", "subject": subject,
            "text": "Mijn telefoon is kwijt, ik kan niet inloggen."}
    assert _ok(app.post("desk/public/requests", json=body), 202) == {"accepted": True}
    confirmation = _mails(mailbox, address, "Bevestig je vraag")[0]
    # Until the link is followed the request is not support's: not in the queue, and no e-mail to support.
    queue = _ok(app.get("desk/queue", support, params={"page_size": 100}))["items"]
    assert subject not in [item["subject"] for item in queue]
    assert not [s for s in _subjects(mailbox, SUPPORT_ADDRESS) if subject in s]

    token = _link_token(confirmation, "/hulp/bevestigen")
    confirmed = _ok(app.post("desk/public/confirm", json={"token": token}))
    request_id = confirmed["thread"]["request"]["id"]
    assert confirmed["thread"]["request"]["state"] == "open"
    assert "matched_account_id" not in confirmed["thread"]["request"]  # the person is not told
    assert _problem(app.post("desk/public/confirm", json={"token": token}), 400)["type"].endswith(
        "desk-link-not-valid")  # the link works once

    opened = _mails(mailbox, SUPPORT_ADDRESS, f"Nieuwe hulpvraag: {subject}")
    assert "Mijn telefoon is kwijt" in opened[0] and address in opened[0]
    assert f"/ondersteuning/verzoek?id={request_id}" in opened[0]

    # Support: the queue filtered by state, the thread with the address and no matched account.
    open_items = _ok(app.get("desk/queue", support, params={"state": "open", "page_size": 100}))["items"]
    assert request_id in [item["id"] for item in open_items]
    assert all(item["state"] == "open" for item in open_items)
    thread = _ok(app.get(f"desk/queue/{request_id}", support))
    assert thread["request"]["requester_email"] == address and thread["request"]["matched_account_id"] is None
    answered = _ok(app.post(f"desk/queue/{request_id}/answers", support,
                            json={"text": "Stuur ons je lidnummer, dan helpen we je verder."}), 201)
    assert answered["request"]["state"] == "answered"
    assert [p["kind"] for p in answered["posts"]] == ["question", "answer"]
    answered_ids = [item["id"] for item in _ok(app.get("desk/queue", support, params={
        "state": "answered", "page_size": 100}))["items"]]
    assert request_id in answered_ids

    # The requester: the answer by e-mail, with a secret link to the thread to reply by.
    answer = _mails(mailbox, address, f"Antwoord van de helpdesk: {subject}")[0]
    assert "Stuur ons je lidnummer" in answer
    link = _link_token(answer, "/hulp/gesprek")
    seen = _ok(app.post("desk/public/thread", json={"token": link}))
    assert [p["text"] for p in seen["posts"]][-1].startswith("Stuur ons je lidnummer")
    assert seen["posts"][-1]["from_support"] is True
    replied = _ok(app.post("desk/public/replies", json={"token": link, "text": "Mijn lidnummer is 1234."}),
                  201)
    assert replied["request"]["state"] == "open"
    reply = _mails(mailbox, SUPPORT_ADDRESS, f"Reactie op hulpvraag: {subject}")[0]
    assert "Mijn lidnummer is 1234." in reply
    assert _problem(app.post("desk/public/thread", json={"token": "x" * 43}), 400)

    closed = _ok(app.post(f"desk/queue/{request_id}/state", support, json={"state": "closed"}))
    assert closed["request"]["state"] == "closed"
    refused = _problem(app.post("desk/public/replies", json={"token": link, "text": "Nog iets."}), 409)
    assert refused["type"].endswith("desk-request-closed")

    # Each e-mail once: one confirmation and one answer to the person, one new request and one reply to
    # support (a second copy would have arrived with the ones waited for: they are sent in one loop).
    _mails(mailbox, address, "Antwoord van de helpdesk")
    assert sorted(_subjects(mailbox, address)) == sorted([
        f"Bevestig je vraag aan de helpdesk: {subject}", f"Antwoord van de helpdesk: {subject}"])
    assert sorted(s for s in _subjects(mailbox, SUPPORT_ADDRESS) if subject in s) == sorted([
        f"Nieuwe hulpvraag: {subject}", f"Reactie op hulpvraag: {subject}"])


def test_a_logged_in_request_with_an_attachment_and_a_bad_one_refused(app, mailbox, support):
    coach = app.login(app.register(full_name="Jet Jobcoach"))
    created = wait_for(lambda: (r := app.post("desk/requests", coach, json={
        "subject": "Bewijsstuk uploaden", "text": "Mijn pdf wordt niet geaccepteerd."})).status_code == 201
        and r.json(), timeout=30, message="the jobcoach's contact at notifications")
    request_id = created["request"]["id"]
    assert created["request"]["state"] == "open" and created["request"]["logged_in"] is True

    def upload(content: bytes, filename: str):
        return app.post(f"desk/requests/{request_id}/attachments", coach, data=content, headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{filename}"'})

    # A program named as a PDF: its first bytes say what it is.
    refused = _problem(upload(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "bewijs.pdf"), 415)
    assert refused["type"].endswith("upload-type-refused") or refused["type"].endswith("upload-type-mismatch")
    # Too large: refused while streaming; the rest of the body is read and dropped, so that the next request
    # on the same connection between gateway and service does not find it closed (it did: a 502).
    answers = []
    for n in range(3):
        answers.append(upload(PDF + b"0" * MAX_ATTACHMENT * 4, "groot.pdf").status_code)
        answers.append(upload(PDF + bytes([n]), "bewijs.pdf").status_code)
    assert answers == [413, 201] * 3
    stored = _ok(upload(PDF, "bewijs.pdf"), 201)
    assert stored["content_type"] == "application/pdf" and stored["size"] == len(PDF)

    mine = _ok(app.get(f"desk/requests/{request_id}", coach))
    assert [a["filename"] for a in mine["attachments"]] == ["bewijs.pdf"] * 4
    content = app.get(f"desk/queue/{request_id}/attachments/{stored['id']}", support)
    assert content.status_code == 200 and content.content == PDF
    assert _ok(app.get("desk/requests", coach))["items"][0]["id"] == request_id
    # Someone else's request does not exist for them; support's queue is support's.
    other = app.login(app.register())
    assert app.get(f"desk/requests/{request_id}", other).status_code == 404
    assert app.get("desk/queue", coach).status_code == 403

    # The logged-in requester hears of the answer by e-mail and in the inbox, with no secret link.
    _ok(app.post(f"desk/queue/{request_id}/answers", support, json={"text": "Het is gelukt."}), 201)
    answer = _mails(mailbox, coach.email, "Antwoord van de helpdesk")[0]
    assert f"/hulp/verzoek?id={request_id}" in answer and "token=" not in answer
    inbox = wait_for(lambda: [m for m in _ok(app.get("messages", coach))["items"]
                              if m["template"] == "desk_request_answered"], message="the answer in the inbox")
    assert len(inbox) == 1


def test_support_resets_the_app_of_the_jobcoach_a_confirmed_request_is_matched_to(app, mailbox, office,
                                                                                   support):
    coach = app.login(app.register(full_name="Kees Kwijt"))
    # Kees lost his phone: he writes in without logging in, from the address of his account.
    confirmed = _logged_out_request(app, mailbox, coach.email, "Telefoon kwijt", name="Kees Kwijt")
    request_id = confirmed["thread"]["request"]["id"]
    seen = _ok(app.get(f"desk/queue/{request_id}", support))
    assert seen["request"]["matched_account_id"] == coach.id
    reset = f"admin/accounts/{coach.id}/totp-reset"

    # Support names the request and how identity was checked, or is refused.
    missing = _problem(app.post(reset, support, json={}), 422)
    assert set(missing["errors"]) == {"service_request_id", "identity_check"}
    stranger = _logged_out_request(app, mailbox, unique_email("vreemd"), "Ook kwijt")
    unmatched = _problem(app.post(reset, support, json={
        "service_request_id": stranger["thread"]["request"]["id"], "identity_check": "Gebeld."}), 409)
    assert unmatched["reason"] == "request_not_matched"

    check = "Teruggebeld op het nummer uit het Noloc-register; geboortedatum en lidnummer kloppen."
    account = _ok(app.post(reset, support, json={"service_request_id": request_id, "identity_check": check}))
    assert account["totp_enrolled"] is False
    assert app.login_step1(coach).json()["kind"] == "enrol"  # the next login links a new app
    note = wait_for(lambda: [p for p in _ok(app.get(f"desk/queue/{request_id}", support))["posts"]
                             if p["kind"] == "note"], message="the note of the reset in the thread")
    assert len(note) == 1 and check in note[0]["text"] and note[0]["author_name"] == "Sanne Helpdesk"
    _mails(mailbox, coach.email, "Je authenticator-app is losgekoppeld")  # and he hears of it

    # A DNV officer's account: support may not reset it, whatever the request.
    officer = office.dnv
    own = wait_for(lambda: (r := app.post("desk/requests", officer, json={
        "subject": "Mijn app", "text": "Graag loskoppelen."})).status_code == 201 and r.json(),
        timeout=30, message="the officer's contact at notifications")
    assert _ok(app.get(f"desk/queue/{own['request']['id']}", support))["request"]["matched_account_id"] == \
        officer.id
    _problem(app.post(f"admin/accounts/{officer.id}/totp-reset", support, json={
        "service_request_id": own["request"]["id"], "identity_check": "Gebeld."}), 403)


def test_the_answer_never_tells_whether_an_address_has_an_account_and_floods_are_stopped(app, mailbox,
                                                                                         office):
    body = {"name": "Iemand", "subject": "Vraag", "text": "Hoi."}
    known = app.post("desk/public/requests", json={**body, "email": office.dnv.email})
    unknown = app.post("desk/public/requests", json={**body, "email": unique_email("niemand")})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json()) == (202,
                                                                                          {"accepted": True})

    # One address flooded from one client: the gateway stops the client (429, shared counters in Redis),
    # and the address gets at most three confirmation e-mails a day whatever the number of clients.
    flooded = unique_email("overspoeld")
    statuses = [app.post("desk/public/requests", json={**body, "email": flooded}).status_code
                for _ in range(12)]
    accepted = statuses.count(202)
    assert 3 <= accepted < 12 and statuses == [202] * accepted + [429] * (12 - accepted)
    limited = app.post("desk/public/requests", json={**body, "email": flooded})
    assert _problem(limited, 429)["type"].endswith("too-many-requests")
    assert int(limited.headers["Retry-After"]) > 0
    _mails(mailbox, flooded, "Bevestig je vraag", count=3)
    assert len(mailbox.to(flooded)) == 3
