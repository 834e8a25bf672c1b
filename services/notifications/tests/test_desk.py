"""The service desk's rules and use cases on the in-memory unit of work (ADR 0029)."""
from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest

from recert_common.storage import FileObjectStore
from recert_notifications import desk
from recert_notifications.desk import RequestState
from recert_notifications.schemas import ThreadSchema

SUPPORT = "support@example.org"


@pytest.fixture
def world(make_world):
    return make_world(support_email=SUPPORT)


def _emails_to(world, address: str) -> list:
    return [m for m in world.db.messages.values() if m.email_address == address]


def _token(world, address: str, path: str) -> str:
    texts = [m.body_text for m in _emails_to(world, address)]
    found = [t for text in texts for t in re.findall(re.escape(path) + r"\?token=([A-Za-z0-9_-]+)", text)]
    assert found, texts
    return found[-1]


# --- rules -----------------------------------------------------------------------------------------------


def test_a_token_is_kept_only_as_its_hash_and_each_is_new():
    token, digest = desk.new_token()
    other, _ = desk.new_token()
    assert token != other and len(token) >= 43 and desk.token_hash(token) == digest and token not in digest


def test_replies_open_a_request_again_answers_answer_it_and_closed_takes_neither(world):
    person = world.person("Jet de Vries")
    thread = world.service.desk.open_request(person.account_id, subject="Vraag", text="Hoi")
    request = thread.request
    assert desk.after_answer(request) == RequestState.ANSWERED
    assert desk.after_reply(request) == RequestState.OPEN
    closed = world.service.desk.set_state(uuid.uuid4(), request.id, "closed").request
    with pytest.raises(desk.RequestClosed):
        desk.after_reply(closed)
    with pytest.raises(desk.RequestClosed):
        desk.after_answer(closed)
    with pytest.raises(desk.StateNotSettable):
        desk.settable("unconfirmed")


# --- use cases -------------------------------------------------------------------------------------------


def test_a_logged_out_request_exists_for_support_only_once_confirmed(world):
    service = world.service.desk
    service.open_request_logged_out(email="rosa@example.org", name="Rosa", subject="Kwijt", text="Telefoon",
                                    language="nl")
    assert service.queue(state=None, page=1, page_size=10) == ([], 0)
    assert _emails_to(world, SUPPORT) == []
    [confirmation] = _emails_to(world, "rosa@example.org")
    assert confirmation.recipient_id is None and confirmation.template == "desk_confirm"

    thread, link = service.confirm(_token(world, "rosa@example.org", "/hulp/bevestigen"))
    assert thread.request.state == RequestState.OPEN and thread.request.matched_account_id is None
    assert [r.id for r in service.queue(state="open", page=1, page_size=10)[0]] == [thread.request.id]
    assert [m.template for m in _emails_to(world, SUPPORT)] == ["desk_request_opened"]
    assert service.link_thread(link).request.id == thread.request.id
    with pytest.raises(desk.LinkNotValid):  # once
        service.confirm(_token(world, "rosa@example.org", "/hulp/bevestigen"))
    assert [e.type for e in world.db.published if e.type.startswith("notifications.service_request")] == [
        "notifications.service_request.opened"]


def test_a_confirmation_link_expires(world):
    service = world.service.desk
    service.open_request_logged_out(email="rosa@example.org", name="Rosa", subject="Kwijt", text="Telefoon",
                                    language="en")
    world.db.advance(timedelta(hours=world.settings.desk_confirm_hours, seconds=1))
    with pytest.raises(desk.LinkNotValid):
        service.confirm(_token(world, "rosa@example.org", "/hulp/bevestigen"))


def test_an_address_gets_at_most_its_daily_confirmation_e_mails_and_the_answer_stays_the_same(world):
    limit = world.settings.desk_unconfirmed_per_address
    for _ in range(limit + 2):
        assert world.service.desk.open_request_logged_out(
            email="Flood@Example.org", name="X", subject="S", text="T", language="nl") is None
    assert len(_emails_to(world, "Flood@Example.org")) == limit


def test_a_confirmed_address_matches_the_account_identity_announced_not_one_only_asked_to_verify(world):
    jet = world.person("Jet de Vries")
    # Someone asked to verify Jet's address for another account: that does not make it theirs.
    other = world.person("Ander Iemand", register=False)
    world.handle("identity.email.verification_requested", {
        **world.profile(other, email=jet.email), "token": "t" * 32,
        "expires_at": world.db.clock + timedelta(days=1)})
    service = world.service.desk
    service.open_request_logged_out(email=jet.email.upper(), name="Jet", subject="App kwijt", text="Help",
                                    language="nl")
    thread, _ = service.confirm(_token(world, jet.email.upper(), "/hulp/bevestigen"))
    assert thread.request.matched_account_id == jet.account_id


def test_answer_mails_the_requester_once_with_a_new_secret_link_and_a_reply_mails_support(world):
    service = world.service.desk
    service.open_request_logged_out(email="rosa@example.org", name="Rosa", subject="Kwijt", text="Telefoon",
                                    language="nl")
    thread, _ = service.confirm(_token(world, "rosa@example.org", "/hulp/bevestigen"))
    helper = world.person("Sanne Helpdesk", "dnv_support")
    answered = service.answer(helper.account_id, thread.request.id, "Bel ons even.")
    assert answered.request.state == RequestState.ANSWERED
    assert [p.author_name for p in answered.posts] == ["Rosa", "Sanne Helpdesk"]
    answers = [m for m in _emails_to(world, "rosa@example.org") if m.template == "desk_request_answered"]
    assert len(answers) == 1 and "Bel ons even." in answers[0].body_text
    link = _token(world, "rosa@example.org", "/hulp/gesprek")
    replied = service.link_reply(link, "Ik bel morgen.")
    assert replied.request.state == RequestState.OPEN
    assert [m.template for m in _emails_to(world, SUPPORT)] == ["desk_request_opened", "desk_request_replied"]
    service.set_state(helper.account_id, thread.request.id, "closed")
    with pytest.raises(desk.RequestClosed):
        service.link_reply(link, "Nog iets")
    with pytest.raises(desk.LinkNotValid):
        service.link_thread("x" * 43)


def test_a_logged_in_requester_reads_only_their_own_and_hears_in_the_inbox_without_a_secret(world):
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    service = world.service.desk
    thread = service.open_request(jet.account_id, subject="Upload", text="Lukt niet")
    with pytest.raises(desk.RequestNotFound):
        service.my_thread(piet.account_id, thread.request.id)
    service.answer(uuid.uuid4(), thread.request.id, "Probeer een pdf.")
    mails = world.messages(jet)
    assert {m.channel.value for m in mails if m.template == "desk_request_answered"} == {"email", "in_app"}
    assert all("token=" not in m.body_text for m in mails)


def test_a_totp_reset_naming_a_request_is_noted_in_its_thread_once(world):
    jet = world.person("Jet de Vries")
    helper = world.person("Sanne Helpdesk", "dnv_support")
    thread = world.service.desk.open_request(jet.account_id, subject="App kwijt", text="Help")
    event = world.handle("identity.totp.reset", {
        "account_id": jet.account_id, "reset_by": helper.account_id, "reason": None,
        "service_request_id": thread.request.id, "identity_check": "Teruggebeld."})
    from recert_common.uow import fake_handled
    fake_handled(world.uow(), world.handlers.table()["identity.totp.reset"], event)  # redelivered
    notes = [p for p in world.service.desk.support_thread(thread.request.id).posts if p.kind == "note"]
    assert len(notes) == 1 and "Teruggebeld." in notes[0].text and notes[0].author_name == "Sanne Helpdesk"


def test_a_request_never_confirmed_is_deleted_a_day_after_its_link_expired(world):
    service = world.service.desk
    for address in ("oud@example.org", "bevestigd@example.org"):
        service.open_request_logged_out(email=address, name="X", subject="S", text="T", language="nl")
    service.confirm(_token(world, "bevestigd@example.org", "/hulp/bevestigen"))
    hours = world.settings.desk_confirm_hours
    assert service.purge_unconfirmed(world.db.clock + timedelta(hours=hours + 23)) == 0
    assert service.purge_unconfirmed(world.db.clock + timedelta(hours=hours + 25)) == 1
    assert [row["request"].requester_email for row in world.db.requests.values()] == ["bevestigd@example.org"]


def test_an_erased_account_takes_its_requests_with_it_and_others_stay(world):
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    service = world.service.desk
    service.open_request(jet.account_id, subject="Eigen", text="Vraag")
    service.open_request_logged_out(email=jet.email, name="Jet", subject="Zonder login", text="Vraag",
                                    language="nl")
    service.confirm(_token(world, jet.email, "/hulp/bevestigen"))
    kept = service.open_request(piet.account_id, subject="Van Piet", text="Vraag").request.id
    world.handle("identity.account.erased", {"account_id": jet.account_id, "closed_at": world.db.clock})
    assert list(world.db.requests) == [kept]
    assert {p.request_id for p in world.db.posts} == {kept}


def test_a_requester_lists_replies_to_and_attaches_to_their_own_requests_only(world, tmp_path):
    world.service.desk_store = FileObjectStore(str(tmp_path), world.settings.desk_bucket)
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    service = world.service.desk
    first = service.open_request(jet.account_id, subject="Upload", text="Lukt niet").request
    world.db.clock += timedelta(minutes=1)
    second = service.open_request(jet.account_id, subject="Factuur", text="Klopt niet").request
    assert service.my_requests(jet.account_id, page=1, page_size=10) == (
        [service.my_thread(jet.account_id, second.id).request, first], 2)
    assert service.my_requests(piet.account_id, page=1, page_size=10) == ([], 0)

    service.answer(uuid.uuid4(), first.id, "Probeer een pdf.")
    thread = service.reply(jet.account_id, first.id, "Dat werkt, dank je.")
    assert thread.request.state == RequestState.OPEN
    assert [p.text for p in thread.posts if p.kind == "reply"] == ["Dat werkt, dank je."]
    with pytest.raises(desk.RequestNotFound):
        service.reply(piet.account_id, first.id, "Niet van mij")

    pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    attachment = service.attach(jet.account_id, first.id, io.BytesIO(pdf), filename="bewijs.pdf",
                                declared_length=len(pdf))
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "bewijs.pdf", "application/pdf", len(pdf))
    for reader in (jet.account_id, None):  # the requester, and support
        found, chunks = service.open_attachment(first.id, attachment.id, account_id=reader)
        assert found == attachment and b"".join(chunks) == pdf
    with pytest.raises(desk.RequestNotFound):
        service.open_attachment(first.id, attachment.id, account_id=piet.account_id)
    with pytest.raises(desk.AttachmentRefused):
        service.attach(jet.account_id, first.id, io.BytesIO(b"MZ\x90\x00 not a document"), filename="a.exe",
                       declared_length=None)
    with pytest.raises(desk.AttachmentRefused):
        service.attach(jet.account_id, first.id, io.BytesIO(pdf), filename="groot.pdf",
                       declared_length=world.settings.desk_max_attachment_bytes + 1)
    assert [a.id for a in world.db.attachments] == [attachment.id]


def _mentions(world, *texts: str) -> list:
    """Every message whose address or body holds one of ``texts``."""
    return [m for m in world.db.messages.values()
            if any(t in (m.email_address or "") or t in m.body_text for t in texts)]


def test_an_erasure_takes_the_e_mails_of_the_persons_logged_out_requests_with_them(world):
    """The e-mails to a logged-out requester (the confirmation link, support's answers) and those to
    support about the request have no recipient: they went only with the recipient, so a matched request's
    e-mails (name, address, subject, the answer, the thread link) stayed for good (ADR 0020, 0029)."""
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    service = world.service.desk
    for person in (jet, piet):
        service.open_request_logged_out(email=person.email, name=person.full_name, subject="Telefoon kwijt",
                                        text=f"Vraag van {person.full_name}", language="nl")
        thread, _ = service.confirm(_token(world, person.email, "/hulp/bevestigen"))
        assert thread.request.matched_account_id == person.account_id
        service.answer(uuid.uuid4(), thread.request.id, f"Antwoord aan {person.full_name}")
    assert {m.template for m in _mentions(world, jet.email, "Jet de Vries") if m.recipient_id is None} == {
        "desk_confirm", "desk_request_opened", "desk_request_answered"}
    kept = {m.id for m in _mentions(world, piet.email, "Piet Puk")}

    world.handle("identity.account.erased", {"account_id": jet.account_id, "closed_at": world.db.clock})
    assert _mentions(world, jet.email, "Jet de Vries") == []
    assert {m.id for m in _mentions(world, piet.email, "Piet Puk")} == kept


def test_an_erasure_takes_the_requests_made_from_the_persons_address_while_the_account_was_closed(world):
    """A person who closed her account by mistake asks support through the public form: her address matches
    no enabled account, so the request is matched to none, and erasure by account left it (ADR 0029)."""
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    world.handle("identity.account.disabled", {"account_id": jet.account_id, "disabled_by": jet.account_id})
    service = world.service.desk
    service.open_request_logged_out(email=jet.email.upper(), name="Jet", subject="Per ongeluk opgezegd",
                                    text="Kan het terug?", language="nl")
    thread, _ = service.confirm(_token(world, jet.email.upper(), "/hulp/bevestigen"))
    assert thread.request.matched_account_id is None
    service.answer(uuid.uuid4(), thread.request.id, "Dat kan.")
    kept = service.open_request_logged_out(email="ander@example.org", name="Ander", subject="S", text="T",
                                           language="nl")
    assert kept is None
    service.confirm(_token(world, "ander@example.org", "/hulp/bevestigen"))

    world.handle("identity.account.erased", {"account_id": jet.account_id, "closed_at": world.db.clock})
    assert [row["request"].requester_email for row in world.db.requests.values()] == ["ander@example.org"]
    assert {p.request_id for p in world.db.posts} == set(world.db.requests)
    assert _mentions(world, jet.email.upper(), "Jet", "Kan het terug?", "Dat kan.") == []
    assert all(e.data.get("request_id") != thread.request.id for e in world.db.published)
    assert piet.account_id  # another person's contact, untouched
    assert world.service.uow().contacts.get(piet.account_id) is not None


def test_an_erasure_takes_the_events_published_about_the_person(world):
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    for person in (jet, piet):
        world.service.desk.open_request(person.account_id, subject="Vraag", text="Hoi")
    assert any(e.subject == jet.account_id for e in world.db.published)
    world.handle("identity.account.erased", {"account_id": jet.account_id, "closed_at": world.db.clock})
    assert [e for e in world.db.published if e.subject == jet.account_id] == []
    assert any(e.subject == piet.account_id for e in world.db.published)


def test_retention_takes_the_e_mails_of_a_logged_out_request_matched_to_the_jobcoach(world):
    """The jobcoach's messages before a final decision go after the retention period, also those she got
    as a logged-out requester whose address matched her account; those to support stay with the request."""
    jet = world.person("Jet de Vries")
    service = world.service.desk
    service.open_request_logged_out(email=jet.email, name="Jet", subject="Kwijt", text="Help", language="nl")
    thread, _ = service.confirm(_token(world, jet.email, "/hulp/bevestigen"))
    service.answer(uuid.uuid4(), thread.request.id, "Bel ons.")
    world.service.send_due()
    world.db.advance(timedelta(days=1))
    world.handle("certification.decision.made", world.decision(jet, "positive", case_id=uuid.uuid4()),
                 occurred_at=world.db.clock)
    world.service.send_due()
    world.db.advance(timedelta(days=world.settings.retention_days + 1))
    world.service.purge_expired_messages(world.db.clock)
    assert [m.template for m in _emails_to(world, jet.email)] == ["decision_made"]
    assert [m.template for m in _emails_to(world, SUPPORT)] == ["desk_request_opened"]


def test_a_request_made_logged_out_and_matched_to_an_account_is_that_persons_in_the_portal(world):
    """Erasure treats a request matched to the account as the person's; her list, and so her archive (ADR
    0020), left it out. She sees it, with its thread, once logged in; nobody else does, and the link's view
    stays the same whether or not the address matched (ADR 0029)."""
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    service = world.service.desk
    service.open_request_logged_out(email=jet.email, name="Jet", subject="App kwijt", text="Help",
                                    language="nl")
    matched, link = service.confirm(_token(world, jet.email, "/hulp/bevestigen"))
    service.open_request_logged_out(email="rosa@example.org", name="Rosa", subject="App kwijt", text="Help",
                                    language="nl")
    unmatched, other_link = service.confirm(_token(world, "rosa@example.org", "/hulp/bevestigen"))
    assert matched.request.matched_account_id == jet.account_id
    assert unmatched.request.matched_account_id is None
    service.answer(uuid.uuid4(), matched.request.id, "Bel ons.")

    mine, total = service.my_requests(jet.account_id, page=1, page_size=10)
    assert [r.id for r in mine] == [matched.request.id] and total == 1
    assert service.my_requests(piet.account_id, page=1, page_size=10) == ([], 0)
    thread = service.my_thread(jet.account_id, matched.request.id)
    assert [(p.kind, p.text) for p in thread.posts] == [("question", "Help"), ("answer", "Bel ons.")]
    with pytest.raises(desk.RequestNotFound):
        service.my_thread(piet.account_id, matched.request.id)
    with pytest.raises(desk.RequestNotFound):
        service.my_thread(jet.account_id, unmatched.request.id)
    # What the link shows is the same for both.
    shown = [ThreadSchema().dump(service.link_thread(t)) for t in (link, other_link)]
    assert shown[0]["request"].keys() == shown[1]["request"].keys()
    assert str(jet.account_id) not in str(shown[0])
    assert shown[0]["request"]["logged_in"] is shown[1]["request"]["logged_in"] is False


def test_a_totp_reset_naming_someone_elses_request_adds_no_note(world, caplog):
    """An officer's or an admin's reset may name any request (identity checks the request only for
    support); the note, with how identity was checked, landed in that thread, someone else's (ADR 0029)."""
    jet, piet = world.person("Jet de Vries"), world.person("Piet Puk")
    officer = world.person("Dirk Visser", "dnv_officer")
    service = world.service.desk
    pieces = service.open_request(piet.account_id, subject="Factuur", text="Vraag").request
    service.open_request_logged_out(email=jet.email, name="Jet", subject="App kwijt", text="Help",
                                    language="nl")
    matched, _ = service.confirm(_token(world, jet.email, "/hulp/bevestigen"))
    for request_id in (pieces.id, matched.request.id):
        world.handle("identity.totp.reset", {
            "account_id": jet.account_id, "reset_by": officer.account_id, "reason": None,
            "service_request_id": request_id, "identity_check": "Paspoort gezien."})
    assert [p.kind for p in service.support_thread(pieces.id).posts] == ["question"]
    assert "another account" in caplog.text
    # A request matched to the account is hers: the note is added there.
    notes = [p for p in service.support_thread(matched.request.id).posts if p.kind == "note"]
    assert len(notes) == 1 and "Paspoort gezien." in notes[0].text
    assert world.templates(jet).count("totp_reset") == 4  # she hears of both resets (e-mail and inbox)
