"""The service desk's requests from people who cannot log in, against the real database: what the fast tests
(services/notifications/tests/test_desk.py) cannot show, requests at the same moment."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from races import Beside

import recert_notifications
from recert_common.clock import utcnow
from recert_notifications.service import NotificationsService
from recert_notifications.store import SqlNotificationsUnitOfWork


def test_requests_for_one_address_at_the_same_moment_keep_its_daily_limit(notifications):
    """Each logged-out request counts the address's unconfirmed requests of the last day before it adds its
    own and the e-mail with the confirmation link. Two at once would each count without the other and both
    pass the limit, so a flood from many client addresses could mail one inbox past it. A lock on the
    address makes the second count after the first commits."""
    h = notifications
    limit = h.settings.desk_unconfirmed_per_address
    address = f"rosa-{uuid.uuid4().hex[:8]}@example.org"

    def ask(service: NotificationsService) -> None:
        service.desk.open_request_logged_out(email=address, name="Rosa", subject="Telefoon kwijt",
                                             text="Ik kan niet meer inloggen.", language="nl")

    for _ in range(limit - 1):
        ask(h.service)
    with h.db.transaction() as held:  # the last request the limit allows, open until the next waits or ends
        ask(NotificationsService(lambda: SqlNotificationsUnitOfWork.joining(held), h.settings))
        second = Beside(lambda: ask(h.service))
        second.waits_on_a_lock_or_ends(h.db)
    assert second.finished(), second.failures
    assert h.scalar("SELECT count(*) FROM service_requests WHERE requester_email = %s", address) == limit
    assert h.scalar("SELECT count(*) FROM messages WHERE email_address = %s", address) == limit


_MIGRATION = Path(recert_notifications.__file__).parent / "migrations" / "0029_desk_messages.sql"


def _confirm_link(h, address: str) -> str:
    [body] = [r["body_text"] for r in h.rows(
        "SELECT body_text FROM messages WHERE template = 'desk_confirm' AND email_address = %s "
        "ORDER BY created_at DESC LIMIT 1", address)]
    return re.search(r"/hulp/bevestigen\?token=([A-Za-z0-9_-]+)", body).group(1)


def _ask_logged_out(h, address: str, name: str, text: str, answer: str | None = None):
    h.service.desk.open_request_logged_out(email=address, name=name, subject="Telefoon kwijt", text=text,
                                           language="nl")
    thread, _ = h.service.desk.confirm(_confirm_link(h, address))
    if answer is not None:
        h.service.desk.answer(uuid.uuid4(), thread.request.id, answer)
    return thread.request


def test_an_erasure_forgets_the_persons_desk_requests_their_e_mails_and_the_events_about_them(notifications):
    """ADR 0020 and 0029: erasure deletes the person's requests and messages. The e-mails of a logged-out
    request (the confirmation link, support's answer with its thread link, the mail to support) have no
    recipient and stayed even when the request was matched to the account; a request made from her address
    while her account was closed matched nobody and stayed whole; and the events published about her stayed
    in the outbox."""
    h = notifications
    jet, piet = h.person("Jet Wisser", "jobcoach"), h.person("Piet Blijver", "jobcoach")
    matched = _ask_logged_out(h, jet.email, "Jet Wisser", "Mijn telefoon is weg (jet).", "Bel ons (jet).")
    assert matched.matched_account_id == jet.account_id
    h.service.desk.open_request(jet.account_id, subject="Ingelogd", text="Een vraag ingelogd (jet).")
    other = _ask_logged_out(h, piet.email, "Piet Blijver", "Mijn telefoon is weg (piet).", "Bel ons (piet).")
    h.publish("identity.account.disabled", {"account_id": jet.account_id, "disabled_by": jet.account_id})
    unmatched = _ask_logged_out(h, jet.email.upper(), "Jet W.", "Per ongeluk opgezegd (jet).", "Kan (jet).")
    assert unmatched.matched_account_id is None
    # The requests' events are kept for audit once published; the relay does not run here.
    with h.db.transaction() as conn:
        conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")

    # The e-mails made before migration 0029 get their request from their fact, as the new ones have it.
    with h.db.transaction() as conn:
        conn.execute("UPDATE messages SET service_request_id = NULL")
        for statement in _MIGRATION.read_text().split(";"):
            code = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if code.startswith("UPDATE"):
                conn.execute(code)
    about_request = "SELECT count(*) FROM messages WHERE service_request_id = %s"
    assert h.scalar(about_request, matched.id) == 3  # confirmation, to support, the answer
    assert h.scalar(about_request, unmatched.id) == 3

    jets = ["jet", "Jet W"]
    mentions = ("SELECT count(*) FROM messages WHERE lower(email_address) = lower(%s) "
                "OR body_text LIKE '%%(' || %s || ')%%' OR body_text LIKE '%%' || %s || '%%'")
    assert h.scalar(mentions, jet.email, *jets) >= 6
    kept = h.scalar(mentions, piet.email, "piet", "Piet Blijver")
    assert kept >= 3
    subject = "SELECT count(*) FROM outbox WHERE body ->> 'subject' = %s"
    assert h.scalar(subject, str(jet.account_id)) >= 2 and h.scalar(subject, str(piet.account_id)) >= 1
    by_request = "SELECT count(*) FROM outbox WHERE body -> 'data' ->> 'request_id' = %s"
    assert h.scalar(by_request, str(unmatched.id)) == 2  # opened, answered: no subject

    h.publish("identity.account.erased", {"account_id": jet.account_id, "closed_at": utcnow()},
              subject=jet.account_id)
    assert h.scalar("SELECT count(*) FROM service_requests WHERE lower(requester_email) = lower(%s)",
                    jet.email) == 0
    assert h.scalar("SELECT count(*) FROM service_request_posts WHERE text LIKE '%%(jet)%%'") == 0
    assert h.scalar(mentions, jet.email, *jets) == 0
    assert h.scalar(subject, str(jet.account_id)) == 0
    assert h.scalar(by_request, str(unmatched.id)) == 0
    # Another person's request, e-mails and events stay.
    assert h.scalar("SELECT count(*) FROM service_requests WHERE id = %s", other.id) == 1
    assert h.scalar(mentions, piet.email, "piet", "Piet Blijver") == kept
    assert h.scalar(subject, str(piet.account_id)) >= 1


def test_a_request_matched_to_the_account_is_in_its_list_with_its_posts_and_the_link_shows_no_match(
        notifications):
    """ADR 0020 and 0029: a request made logged out and matched to the jobcoach's account is hers (erasure
    deletes it as hers), so her list, which the my-data archive reads, holds it with its thread. The link's
    view says nothing of a match: a matched and an unmatched request look alike."""
    h = notifications
    jet, piet = h.person("Jet Lijst", "jobcoach"), h.person("Piet Lijst", "jobcoach")
    matched = _ask_logged_out(h, jet.email, "Jet Lijst", "Telefoon kwijt (lijst).", "Bel ons (lijst).")
    stranger = f"rosa-{uuid.uuid4().hex[:8]}@example.org"
    unmatched = _ask_logged_out(h, stranger, "Rosa", "Telefoon kwijt (rosa).", "Bel ons (rosa).")
    assert matched.matched_account_id == jet.account_id and unmatched.matched_account_id is None

    listed = h.get("/v1/desk/requests", jet.token)
    assert listed.status_code == 200 and [r["id"] for r in listed.get_json()["items"]] == [str(matched.id)]
    assert h.get("/v1/desk/requests", piet.token).get_json()["items"] == []
    thread = h.get(f"/v1/desk/requests/{matched.id}", jet.token)
    assert thread.status_code == 200
    assert [(p["kind"], p["text"]) for p in thread.get_json()["posts"]] == [
        ("question", "Telefoon kwijt (lijst)."), ("answer", "Bel ons (lijst).")]
    assert h.get(f"/v1/desk/requests/{matched.id}", piet.token).status_code == 404
    assert h.get(f"/v1/desk/requests/{unmatched.id}", jet.token).status_code == 404

    shown = []
    for request, address in ((matched, jet.email), (unmatched, stranger)):
        [body] = [r["body_text"] for r in h.rows(
            "SELECT body_text FROM messages WHERE service_request_id = %s AND email_address = %s "
            "AND template = 'desk_request_answered'", request.id, address)]
        token = re.search(r"/hulp/gesprek\?token=([A-Za-z0-9_-]+)", body).group(1)
        answer = h.post("/v1/desk/public/thread", None, json={"token": token})
        assert answer.status_code == 200
        shown.append(answer.get_json())
    assert shown[0].keys() == shown[1].keys() and shown[0]["request"].keys() == shown[1]["request"].keys()
    assert str(jet.account_id) not in str(shown[0]) and not shown[0]["request"]["logged_in"]


def test_a_totp_reset_adds_its_note_only_to_a_request_of_the_account_it_reset(notifications):
    """identity checks the request a reset names only for support; an officer's or an admin's reset may name
    any. The note, with how identity was checked, went into that thread, someone else's (ADR 0029)."""
    h = notifications
    jet, piet = h.person("Jet Reset", "jobcoach"), h.person("Piet Anders", "jobcoach")
    officer = h.person("Dirk Officier", "dnv_officer")
    pieces = h.service.desk.open_request(piet.account_id, subject="Factuur", text="Een vraag.").request
    jets = h.service.desk.open_request(jet.account_id, subject="App kwijt", text="Help.").request
    for request_id in (pieces.id, jets.id):
        h.publish("identity.totp.reset", {
            "account_id": jet.account_id, "reset_by": officer.account_id, "reason": None,
            "service_request_id": request_id, "identity_check": "Paspoort gezien (reset)."})
    notes = "SELECT request_id FROM service_request_posts WHERE kind = 'note' AND text LIKE '%%(reset)%%'"
    assert [r["request_id"] for r in h.rows(notes)] == [jets.id]
    assert [p.kind for p in h.service.desk.support_thread(pieces.id).posts] == ["question"]
