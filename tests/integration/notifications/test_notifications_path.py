"""The whole recertification path, published as the other services' events: exactly the expected messages,
in Dutch (English for who prefers it), to the right people, once each, also when every event comes again."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from notifications_support import Refusal, subjects

from recert_common.rules import add_months

from service_harness import wait_for

SENT, FAILED = "notifications.message.sent", "notifications.message.failed"


def test_the_recertification_path_tells_everyone_what_they_must_hear_once(notifications):
    h = notifications
    jet = h.person("Jet de Vries", "jobcoach")
    olga = h.person("Olga Officer", "dnv_officer")
    dirk = h.person("Dirk Officer", "dnv_officer", language="en")
    anna = h.person("Anna Assessor", "assessor")
    piet = h.person("Piet Jansen", "jobcoach")
    certificate, case = uuid.uuid4(), uuid.uuid4()
    cert = {"certificate_id": certificate, "certificate_number": "RJ-2023-0042", "account_id": jet.account_id}

    def expiring(months: int, window_open: bool):
        # Assessment's schedule sends each reminder on the day its moment comes: 12, 6, 3, 1 month(s) before.
        h.clock.day = add_months(date(2027, 6, 30), -months)
        h.publish("certification.certificate.expiring", {
            **cert, "months_before": months, "valid_until": date(2027, 6, 30),
            "window_opens_on": date(2027, 3, 30), "window_open": window_open})

    h.publish("identity.totp.enrolled", {"account_id": jet.account_id, "after_reset": False})
    # Nobody needs a message about this one: notifications does not even bind it.
    h.publish("certification.certificate.registered", {**cert, "valid_from": date(2023, 6, 30),
                                                        "valid_until": date(2027, 6, 30)}, wait=False)
    expiring(12, False)
    expiring(6, False)
    expiring(3, True)
    submission = uuid.uuid4()
    h.publish("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": submission,
        "account_id": jet.account_id, "certificate_id": certificate,
        "certificate_expires_on": date(2027, 6, 30),
        "submitted_at": datetime(2027, 4, 2, 9, 30, tzinfo=UTC), "snapshot_hash": "a" * 64,
        "pe_activity_ids": [uuid.uuid4()], "pe_points_counted": Decimal("75"), "reflection_meetings": 4,
        "is_new_portfolio_after_negative": False})
    invoice = {"invoice_id": uuid.uuid4(), "number": "DNV-2027-00042", "issuer": "DNV",
               "account_id": jet.account_id, "kind": "recertification", "submission_id": submission}
    h.publish("billing.invoice.issued", {
        **invoice, "net": {"amount": Decimal("200"), "currency": "EUR"},
        "vat": {"amount": Decimal("42"), "currency": "EUR"},
        "gross": {"amount": Decimal("242"), "currency": "EUR"},
        "vat_rate": Decimal("21"), "issued_on": date(2027, 4, 2), "due_on": date(2027, 5, 2)})
    h.publish("assessment.case.opened", {"case_id": case, "account_id": jet.account_id,
                                         "portfolio_id": uuid.uuid4(), "submission_id": submission,
                                         "due_on": date(2027, 5, 28)})
    h.publish("billing.invoice.paid", {**invoice, "amount": {"amount": Decimal("242"), "currency": "EUR"},
                                       "paid_on": date(2027, 4, 20)})
    h.publish("assessment.pe_check.completed", {"case_id": case, "account_id": jet.account_id, "passed": True,
                                                "pe_points_counted": Decimal("75"),
                                                "pe_points_required": Decimal("75"), "findings": []})
    h.publish("assessment.assessor.assigned", {"case_id": case, "account_id": jet.account_id,
                                               "assessor_id": anna.account_id, "due_on": date(2027, 5, 28)})
    expiring(1, True)
    assignments = [{"part": "A2", "assignment": "Werk de terugblik op je ontwikkelplan uit."}]
    # The advice is DNV's (ADR 0011): its officers hear of it, Jet does not; DNV's decision tells her.
    h.publish("assessment.advice.given", {
        "case_id": case, "account_id": jet.account_id, "assessor_id": anna.account_id, "advice": "postponed",
        "is_reassessment": False, "supplements": assignments})
    postponed_decision = uuid.uuid4()
    h.publish("certification.decision.made", {
        "decision_id": postponed_decision, "case_id": case, "account_id": jet.account_id,
        "certificate_id": certificate, "decision": "postponed", "follows_advice": True,
        "objection_deadline": date(2027, 6, 12), "supplement_due_on": date(2027, 8, 1),
        "supplements": assignments})
    # Two weeks before the supplement is due, the worker's schedule reminds Jet.
    h.clock.day = date(2027, 7, 18)
    wait_for(lambda: any(r.subject.startswith("Herinnering") for r in h.mailbox.to(jet.email)),
             message="the supplement reminder")
    h.publish("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": case, "portfolio_id": uuid.uuid4(),
        "submission_id": submission, "account_id": jet.account_id, "parts": ["A2"],
        "submitted_at": datetime(2027, 7, 25, 8, 0, tzinfo=UTC), "snapshot_hash": "b" * 64})
    h.publish("assessment.case.overdue", {"case_id": case, "account_id": jet.account_id,
                                          "due_on": date(2027, 5, 28), "stage": "supplement"})
    h.publish("assessment.advice.given", {
        "case_id": case, "account_id": jet.account_id, "assessor_id": anna.account_id, "advice": "positive",
        "is_reassessment": True})
    decision = uuid.uuid4()
    h.publish("certification.decision.made", {
        "decision_id": decision, "case_id": case, "account_id": jet.account_id, "certificate_id": certificate,
        "decision": "positive", "follows_advice": True, "objection_deadline": date(2027, 9, 15)})
    h.publish("certification.certificate.renewed", {
        **cert, "valid_from": date(2027, 6, 30), "valid_until": date(2031, 6, 30), "decision_id": decision,
        "previous_valid_until": date(2027, 6, 30)})
    objection = {"objection_id": uuid.uuid4(), "case_id": case, "decision_id": decision,
                 "account_id": jet.account_id}
    h.publish("assessment.objection.filed", {**objection,
                                             "filed_at": datetime(2027, 8, 20, 9, 0, tzinfo=UTC)})
    h.publish("assessment.objection.decided", {**objection, "outcome": "rejected",
                                               "reason": "De beoordeling volgde het toetsingskader."})
    h.publish("certification.certificate.lapsed", {
        "certificate_id": uuid.uuid4(), "certificate_number": "RJ-2023-0077", "account_id": piet.account_id,
        "lapsed_on": date(2027, 7, 1), "reason": "not_recertified", "new_portfolio_deadline": None})
    h.settle()

    expected = Counter((p.email, s) for p, s in [
        (jet, "Welkom bij Register Jobcoach"),
        (jet, "Authenticator-app gekoppeld aan je account"),
        (jet, "Je certificaat verloopt over 365 dagen"),
        (jet, "Je certificaat verloopt over 182 dagen"),
        (jet, "Je certificaat verloopt over 92 dagen"),
        (jet, "Je portfolio is ingediend"),
        (jet, "Factuur DNV-2027-00042 van DNV: € 242,00"),
        (jet, "Betaling ontvangen voor factuur DNV-2027-00042"),
        (jet, "De PE-toets van je portfolio is afgerond"),
        (jet, "Je certificaat verloopt over 31 dagen"),
        (jet, "Besluit DNV: uitgesteld, aanvulling uiterlijk 1 augustus 2027"),
        (jet, "Herinnering: lever je aanvulling uiterlijk 1 augustus 2027 in"),
        (jet, "Je aanvulling is ontvangen"),
        (jet, "Besluit DNV: je certificaat wordt verlengd"),
        (jet, "Je certificaat is verlengd tot en met 30 juni 2031"),
        (jet, "Je bezwaar is ontvangen"),
        (jet, "Je bezwaar is ongegrond verklaard"),
        (olga, "Welkom bij Register Jobcoach"),
        (olga, "Nieuwe beoordelingszaak: portfolio van Jet de Vries"),
        (olga, "Advies over Jet de Vries: jouw besluit is nodig"),  # the advice, then the reassessment
        (olga, "Advies over Jet de Vries: jouw besluit is nodig"),
        (olga, "Termijn verstreken: beoordelingszaak van Jet de Vries"),
        (dirk, "Welcome to Register Jobcoach"),
        (dirk, "New assessment case: portfolio of Jet de Vries"),
        (dirk, "Advice on Jet de Vries: your decision is needed"),  # the advice, then the reassessment
        (dirk, "Advice on Jet de Vries: your decision is needed"),
        (dirk, "Overdue: assessment case of Jet de Vries"),
        (anna, "Welkom bij Register Jobcoach"),
        (anna, "Nieuwe beoordeling voor jou: portfolio van Jet de Vries"),
        (piet, "Welkom bij Register Jobcoach"),
        (piet, "Je certificaat is vervallen"),
    ])
    assert subjects(h.mailbox.all()) == expected

    # The same messages are in each person's in-app inbox, and each e-mail went out under its own Message-ID.
    people = {p.account_id: p for p in (jet, olga, dirk, anna, piet)}
    inbox = Counter((people[m["recipient_id"]].email, m["subject"]) for m in h.rows(
        "SELECT recipient_id, subject FROM messages WHERE channel = 'in_app'"))
    assert inbox == expected
    emails = {m["id"]: m for m in h.rows("SELECT * FROM messages WHERE channel = 'email'")}
    assert {(m["state"], m["attempts"]) for m in emails.values()} == {("sent", 1)}
    ids = [r.message["Message-ID"] for r in h.mailbox.all()]
    assert sorted(ids) == sorted(f"<{i}@registerjobcoach.nl>" for i in emails)
    sent = h.outbox(SENT)
    total = expected.total()
    assert Counter(b["data"]["channel"] for b in sent) == {"email": total, "in_app": total}
    assert h.outbox(FAILED) == []

    # What each message says.
    def mail(person, subject):
        [found] = [r for r in h.mailbox.to(person.email) if r.subject == subject]
        return found

    can_submit = "je kunt nu je portfolio indienen"
    assert can_submit in mail(jet, "Je certificaat verloopt over 92 dagen").text.lower()
    assert can_submit not in mail(jet, "Je certificaat verloopt over 365 dagen").text.lower()
    assert "Je hebt je portfolio al ingediend" in mail(jet, "Je certificaat verloopt over 31 dagen").text
    submitted = mail(jet, "Je portfolio is ingediend")
    assert "de uitslag volgt in de regel binnen 6 tot 8 weken" in submitted.text
    assert "tussen 14 mei 2027 en 28 mei 2027" in submitted.text
    assert "de uitslag volgt in de regel binnen 6 tot 8 weken" in submitted.html
    postponed = mail(jet, "Besluit DNV: uitgesteld, aanvulling uiterlijk 1 augustus 2027")
    assert "- A2 (terugblik op het ontwikkelplan): Werk de terugblik op je ontwikkelplan uit." \
        in postponed.text
    assert "Je hebt daarvoor tot en met 1 augustus 2027." in postponed.text
    assert "bezwaar maken bij DNV, tot en met 12 juni 2027" in postponed.text and "mentor" in postponed.text
    assert "Je hebt daarvoor nog 14 dagen." in mail(
        jet, "Herinnering: lever je aanvulling uiterlijk 1 augustus 2027 in").text
    decided = mail(jet, "Besluit DNV: je certificaat wordt verlengd")
    assert "bezwaar" not in decided.text and "mentor" not in decided.text  # nothing to object to
    assert "Te betalen: € 242,00" in mail(jet, "Factuur DNV-2027-00042 van DNV: € 242,00").text
    assert "The decision is due on 28 May 2027 at the latest." in mail(
        dirk, "New assessment case: portfolio of Jet de Vries").text
    assert mail(anna, "Nieuwe beoordeling voor jou: portfolio van Jet de Vries").text.startswith(
        "Beste Anna Assessor,")
    assert mail(olga, "Nieuwe beoordelingszaak: portfolio van Jet de Vries").message["To"] == \
        f"Olga Officer <{olga.email}>"

    # Every event again: the very same envelopes, and the reminders of assessment's schedule (expiring,
    # overdue) sent again in new envelopes. Nothing new; the reminder schedule keeps running, and stays quiet.
    rows_before = h.scalar("SELECT count(*) FROM messages")
    for event in list(h.published):
        h.redeliver(event)
    for event in [e for e in h.published if e.type in ("certification.certificate.expiring",
                                                        "assessment.case.overdue")]:
        h.republish(event)
    marker = h.person("Mark Marker", "jobcoach")  # handled after everything before it on the queue
    h.wait_mail(marker)
    h.settle()
    assert h.scalar("SELECT count(*) FROM messages") == rows_before + 2
    welcome = Counter({(marker.email, "Welkom bij Register Jobcoach"): 1})
    assert subjects(h.mailbox.all()) == expected + welcome
    assert len(h.outbox(SENT)) == 2 * expected.total() + 2


def test_an_english_speaker_hears_it_in_english(notifications):
    h = notifications
    karen = h.person("Karen Smith", "jobcoach", language="en")
    h.publish("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
        "account_id": karen.account_id, "certificate_id": uuid.uuid4(),
        "certificate_expires_on": date(2027, 6, 30), "submitted_at": datetime(2027, 4, 2, 9, 30, tzinfo=UTC),
        "snapshot_hash": "c" * 64, "pe_activity_ids": [], "pe_points_counted": Decimal("80"),
        "reflection_meetings": 4, "is_new_portfolio_after_negative": False})
    received = h.wait_mail(karen, 2)
    assert [r.subject for r in received] == ["Welcome to Register Jobcoach",
                                             "Your portfolio has been submitted"]
    assert "the result normally follows within 6 to 8 weeks, so between 14 May 2027 and 28 May 2027" in \
        received[1].text
    assert received[1].text.startswith("Dear Karen Smith,")
    assert received[1].message["Content-Language"] == "en"
    assert [m["language"] for m in h.messages(karen)] == ["en"] * 4


def test_an_event_that_comes_again_while_its_mail_is_being_retried_makes_no_second_mail(notifications):
    h = notifications
    lotte = h.person("Lotte Bakker", "jobcoach")
    h.wait_mail(lotte)
    greylisting = Refusal("451 4.7.1 Greylisted, please try again later", times=2)
    h.mailbox.refusals[lotte.email] = greylisting
    event = h.publish("identity.account.locked", {"account_id": lotte.account_id,
                                                  "reason": "failed_totp_codes",
                                                  "locked_until": datetime(2026, 11, 28, 13, 5, tzinfo=UTC)})
    wait_for(lambda: greylisting.refused >= 1, message="the first refusal")
    h.redeliver(event)
    h.republish(event)
    h.settle()

    locked = [r for r in h.mailbox.to(lotte.email) if r.subject == "Je account is tijdelijk geblokkeerd"]
    assert len(locked) == 1 and greylisting.refused == 2
    assert "Inloggen kan weer vanaf 28 november 2026 om 14:05." in locked[0].text
    [row] = [m for m in h.messages(lotte, "email") if m["template"] == "account_locked"]
    assert (row["state"], row["attempts"], row["trigger_event_id"]) == ("sent", 3, event.id)
    assert locked[0].message["Message-ID"] == f"<{row['id']}@registerjobcoach.nl>"


def test_the_expiry_reminder_says_the_days_really_left_not_its_bucket(notifications):
    h = notifications
    jet = h.person("Jet de Vries", "jobcoach")
    h.clock.day = date(2027, 4, 29)  # 62 days before the certificate's last valid day
    h.publish("certification.certificate.expiring", {
        "certificate_id": uuid.uuid4(), "certificate_number": "RJ-2023-0062", "account_id": jet.account_id,
        "months_before": 3, "valid_until": date(2027, 6, 30), "window_opens_on": date(2027, 3, 30),
        "window_open": True})
    [reminder] = [r for r in h.wait_mail(jet, 2) if r.subject.startswith("Je certificaat verloopt")]
    assert reminder.subject == "Je certificaat verloopt over 62 dagen"
    assert "geldig tot en met 30 juni 2027, dus nog 62 dagen." in reminder.text
    assert "maanden" not in reminder.text and "maanden" not in reminder.html


def test_the_link_to_confirm_an_address_goes_to_that_address_by_email_only(notifications):
    """identity.email.verification_requested comes before any account event (identity announces an account
    once it is verified): the event carries the contact, and the link never lands in an inbox."""
    h = notifications
    vera = h.person("Vera Nieuw", "jobcoach", register=False)
    token = "k3J9xQ2m-abcdefghijklmnopqrstuvwxyz0123"
    h.publish("identity.email.verification_requested", {
        **h.profile(vera), "token": token, "expires_at": datetime(2027, 1, 2, 9, 0, tzinfo=UTC)})
    [mail] = h.wait_mail(vera)
    assert mail.subject == "Bevestig je e-mailadres voor Register Jobcoach"
    assert f"/e-mailadres-bevestigen?token={token}" in mail.text
    assert [m["channel"] for m in h.messages(vera)] == ["email"]

    h.publish("identity.password.reset_requested", {
        "account_id": vera.account_id, "token": token + "x",
        "expires_at": datetime(2027, 1, 2, 9, 30, tzinfo=UTC)})
    h.publish("identity.registration.attempted", {"account_id": vera.account_id, "attempted_with": "email"})
    mails = h.wait_mail(vera, 3)
    assert {m.subject for m in mails} >= {"Kies een nieuw wachtwoord",
                                          "Iemand probeerde zich te registreren met jouw gegevens"}
    assert sorted(m["channel"] for m in h.messages(vera)) == ["email", "email", "email", "in_app"]
