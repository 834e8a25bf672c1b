"""Every template renders in both languages with realistic events, and says what it must in each."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from recert_common.events import load_event, new_event
from recert_common.rules import add_months
from recert_notifications import domain
from recert_notifications.domain import Contact
from recert_notifications.templates import LANGUAGES, Renderer, Support

ZONE = ZoneInfo("Europe/Amsterdam")
TODAY = date(2027, 7, 18)
JET = Contact(uuid.uuid4(), "Jet de Vries", "jet@example.org", "nl", frozenset({"jobcoach"}))
ANNA = Contact(uuid.uuid4(), "Anna Assessor", "anna@example.org", "nl", frozenset({"assessor"}))
OLGA = Contact(uuid.uuid4(), "Olga Officer", "olga@example.org", "nl", frozenset({"dnv_officer"}))
CASE, CERT, DECISION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SCRIPT = "<script>alert('x')</script> & meer"
MONEY = {"amount": Decimal("200.00"), "currency": "EUR"}
VAT = {"amount": Decimal("42.00"), "currency": "EUR"}
GROSS = {"amount": Decimal("242.00"), "currency": "EUR"}
INVOICE = {"invoice_id": uuid.uuid4(), "number": "DNV-2027-00042", "issuer": "DNV",
           "account_id": JET.account_id, "kind": "recertification", "submission_id": uuid.uuid4()}
PROFILE = {"account_id": JET.account_id, "email": JET.email, "full_name": JET.full_name,
           "roles": ["jobcoach"], "membership_kind": "member", "membership_number": "12345678",
           "preferred_language": "nl"}
LOCKED_UNTIL = datetime(2026, 11, 28, 13, 5, tzinfo=UTC)


def _expiring(months: int, window_open: bool) -> dict:
    return {"certificate_id": CERT, "certificate_number": "RJ-2023-0042", "account_id": JET.account_id,
            "months_before": months, "valid_until": date(2027, 6, 30), "window_opens_on": date(2027, 3, 30),
            "window_open": window_open}


def _decision(decision: str, **extra) -> dict:
    return {"decision_id": DECISION, "case_id": CASE, "account_id": JET.account_id, "certificate_id": CERT,
            "decision": decision, "follows_advice": True, "objection_deadline": date(2027, 7, 15), **extra}


def _advice(advice: str, *, reassessment: bool = False, **extra) -> dict:
    return {"case_id": CASE, "account_id": JET.account_id, "assessor_id": ANNA.account_id, "advice": advice,
            "is_reassessment": reassessment, **extra}


def _case(**extra) -> dict:
    return {"case_id": CASE, "account_id": JET.account_id, **extra}


def _certificate(**extra) -> dict:
    return {"certificate_id": CERT, "certificate_number": "RJ-2023-0042", "account_id": JET.account_id,
            **extra}


def _objection(**extra) -> dict:
    return {"objection_id": uuid.uuid4(), "case_id": CASE, "decision_id": DECISION,
            "account_id": JET.account_id, **extra}


def _euro(amount: str) -> dict:
    return {"amount": Decimal(amount), "currency": "EUR"}


def _behind(milestone: str) -> dict:
    return {"account_id": JET.account_id, "cycle_id": CASE, "milestone": milestone,
            "milestone_date": date(2027, 3, 30), "case_state": "building", "deadline": date(2027, 6, 30),
            "estimate_hours": 75, "estimate_weeks": 41, "pe_points_needed": Decimal("75"),
            "pe_points_per_month": Decimal("9"), "meetings_required": 4, "meetings_proven": 1}


# (event type, data, already_submitted): every branch of every template at least once.
SAMPLES: list[tuple[str, dict, bool]] = [
    ("identity.account.registered", PROFILE, False),
    ("identity.email.verification_requested", {**PROFILE, "token": "t0ken-Abc_123-" * 3,
                                               "expires_at": LOCKED_UNTIL}, False),
    ("identity.registration.attempted", {"account_id": JET.account_id, "attempted_with": "email"}, False),
    ("identity.registration.attempted", {"account_id": JET.account_id,
                                         "attempted_with": "membership_number"}, False),
    ("identity.password.reset_requested", {"account_id": JET.account_id, "token": "t0ken-Abc_123-" * 3,
                                           "expires_at": LOCKED_UNTIL}, False),
    ("identity.password.reset", {"account_id": JET.account_id, "sessions_ended_at": LOCKED_UNTIL}, False),
    ("identity.totp.enrolled", {"account_id": JET.account_id, "after_reset": False}, False),
    ("identity.totp.enrolled", {"account_id": JET.account_id, "after_reset": True}, False),
    ("identity.totp.reset", {"account_id": JET.account_id, "reset_by": OLGA.account_id,
                             "reason": "Nieuwe telefoon"}, False),
    ("identity.totp.reset", {"account_id": JET.account_id, "reset_by": None}, False),
    ("identity.account.locked", {"account_id": JET.account_id, "reason": "failed_passwords",
                                 "locked_until": LOCKED_UNTIL}, False),
    ("identity.account.locked", {"account_id": JET.account_id, "reason": "administrative",
                                 "locked_until": LOCKED_UNTIL}, False),
    ("certification.certificate.expiring", _expiring(12, False), False),
    ("certification.certificate.expiring", _expiring(6, False), False),
    ("certification.certificate.expiring", _expiring(3, True), False),
    ("certification.certificate.expiring", _expiring(1, True), False),
    ("certification.certificate.expiring", _expiring(1, True), True),
    ("portfolio.submitted", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
        "account_id": JET.account_id, "certificate_id": CERT, "certificate_expires_on": date(2027, 6, 30),
        "submitted_at": datetime(2027, 4, 2, 9, 30, tzinfo=UTC), "snapshot_hash": "a" * 64,
        "pe_activity_ids": [uuid.uuid4()], "pe_points_counted": Decimal("75"), "reflection_meetings": 4,
        "is_new_portfolio_after_negative": False}, False),
    ("portfolio.withdrawn", {
        "portfolio_id": uuid.uuid4(), "cycle_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
        "account_id": JET.account_id, "reason": "Nog niet compleet"}, False),
    ("portfolio.supplement.submitted", {
        "supplement_id": uuid.uuid4(), "case_id": CASE, "portfolio_id": uuid.uuid4(),
        "submission_id": uuid.uuid4(), "account_id": JET.account_id, "parts": ["A2", "A3"],
        "submitted_at": datetime(2027, 7, 20, 10, 0, tzinfo=UTC), "snapshot_hash": "b" * 64}, False),
    ("assessment.withdrawal.refused", _case(submission_id=uuid.uuid4(), stage="assigned"), False),
    ("assessment.case.opened", _case(portfolio_id=uuid.uuid4(), submission_id=uuid.uuid4(),
                                     due_on=date(2027, 5, 28)), False),
    ("assessment.case.overdue", _case(due_on=date(2027, 5, 28), stage="assessment",
                                      assessor_id=ANNA.account_id), False),
    ("assessment.case.overdue", _case(account_id=uuid.uuid4(), due_on=date(2027, 5, 28), stage="pe_check"),
     False),
    ("assessment.pe_check.completed", _case(passed=True, pe_points_counted=Decimal("76.5"),
                                            pe_points_required=Decimal("75"), findings=[]), False),
    ("assessment.pe_check.completed", _case(passed=False, pe_points_counted=Decimal("60"),
                                            pe_points_required=Decimal("75"), findings=[{"text": SCRIPT}]),
     False),
    ("assessment.assessor.assigned", _case(assessor_id=ANNA.account_id, due_on=date(2027, 5, 28)), False),
    ("assessment.assessor.assigned", _case(assessor_id=ANNA.account_id, previous_assessor_id=uuid.uuid4(),
                                           due_on=date(2027, 5, 28)), False),
    ("assessment.advice.given", _advice("postponed", supplements=[
        {"part": "A2", "assignment": "Werk de terugblik uit."}, {"part": "A3", "assignment": SCRIPT}]),
     False),
    ("assessment.advice.given", _advice("positive", reassessment=True), False),
    ("assessment.advice.given", _advice("negative"), False),
    ("certification.decision.made", _decision("positive"), False),
    ("certification.decision.made", _decision("postponed", supplement_due_on=date(2027, 9, 1), supplements=[
        {"part": "A3", "assignment": "Schrijf het reflectieverslag opnieuw."},
        {"part": "B", "assignment": "Lever bewijs voor de cursus van maart."}]), False),
    ("certification.decision.made", _decision("negative", follows_advice=False,
                                              reason="Onvoldoende reflectie.",
                                              new_portfolio_deadline=date(2027, 9, 30)), False),
    ("certification.certificate.renewed", _certificate(
        valid_from=date(2027, 6, 30), valid_until=date(2031, 6, 30), decision_id=DECISION,
        previous_valid_until=date(2027, 6, 30)), False),
    ("certification.certificate.reactivated", _certificate(
        valid_from=date(2027, 6, 30), valid_until=date(2031, 6, 30), decision_id=DECISION), False),
    ("certification.certificate.lapsed", _certificate(
        lapsed_on=date(2027, 7, 1), reason="negative_decision", new_portfolio_deadline=date(2027, 9, 30)),
     False),
    ("certification.certificate.lapsed", _certificate(
        lapsed_on=date(2027, 7, 1), reason="not_recertified", new_portfolio_deadline=None), False),
    ("assessment.objection.filed", _objection(filed_at=datetime(2027, 6, 1, 8, 0, tzinfo=UTC)), False),
    # From before next_step: an upheld objection then was always followed by a new decision.
    ("assessment.objection.decided", _objection(outcome="upheld",
                                                reason="Het besluit was onvoldoende gemotiveerd."), False),
    ("assessment.objection.decided", _objection(outcome="upheld", next_step="new_decision",
                                                reason="Het besluit was onvoldoende gemotiveerd."), False),
    # Upheld against the postponed decision on the failed PE check alone: back to the PE check (ADR 0011).
    ("assessment.objection.decided", _objection(outcome="upheld", next_step="pe_check",
                                                reason="De PE-toets telde een cursus niet mee."), False),
    ("assessment.objection.decided", _objection(outcome="rejected", reason="Het besluit blijft staan."),
     False),
    ("billing.invoice.issued", {**INVOICE, "net": MONEY, "vat": VAT, "gross": GROSS,
                                "vat_rate": Decimal("21"), "issued_on": date(2027, 4, 2),
                                "due_on": date(2027, 5, 2)}, False),
    ("billing.invoice.issued", {**INVOICE, "issuer": "Noloc", "kind": "register_fee", "period_year": 2027,
                                "net": _euro("1212.50"), "vat": _euro("254.63"), "gross": _euro("1467.13"),
                                "vat_rate": Decimal("21"), "issued_on": date(2027, 1, 2),
                                "due_on": date(2027, 2, 1)}, False),
    ("billing.invoice.paid", {**INVOICE, "amount": GROSS, "paid_on": date(2027, 4, 20)}, False),
    # From before reason_code and refund_due: billing's Dutch reason, and no word on payment either way.
    ("billing.invoice.cancelled", {**INVOICE, "credit_note_number": "DNV-2027-00043",
                                   "reason": "Dubbel gefactureerd."}, False),
    *[("billing.invoice.cancelled", {**INVOICE, "credit_note_number": "DNV-C-2027-00044",
                                     "reason": "Portfolio ingetrokken door de jobcoach",
                                     "reason_code": "portfolio_withdrawn", "refund_due": refund_due}, False)
      for refund_due in (False, True)],
    # Issue 14: the wegwijzer's nudge, with and without the PE and meeting sentences.
    *[("portfolio.milestone.behind", _behind(milestone), False)
      for milestone in ("pe_points", "reflection_meetings", "expiry")],
]
PEOPLE = {c.account_id: c for c in (JET, ANNA, OLGA)}


def _loaded(event_type: str, data: dict):
    """The data as a consumer sees it: through the catalogue's schema and back."""
    event = new_event(event_type, data, producer="test", subject=data.get("account_id"))
    return load_event(event.to_json())


def _today_of(event_type: str, data: dict) -> date:
    """The day the message is written: an expiry reminder on the day its bucket comes due."""
    if event_type == "certification.certificate.expiring":
        return add_months(data["valid_until"], -data["months_before"])
    return TODAY


def _renders():
    """Every (template, language, rendered, event data) the samples produce, plus the supplement reminder."""
    renderer = Renderer(ZONE)
    out = []
    for event_type, data, submitted in SAMPLES:
        event = _loaded(event_type, data)
        for notice in domain.notices_for(event.type, event.data, event.id):
            recipient = PEOPLE.get(notice.account_id, OLGA)
            for language in LANGUAGES:
                context = domain.message_context(
                    notice.template, event.data, recipient=recipient,
                    person=PEOPLE.get(event.data["account_id"]),
                    assessor=PEOPLE.get(event.data.get("assessor_id")), portal_url="https://mijn.example.org/",
                    occurred_at=event.occurred_at, zone=ZONE, today=_today_of(event.type, event.data),
                    already_submitted=submitted)
                out.append((notice.template, language, renderer.render(notice.template, language, context),
                             event.data))
    reminder = domain.supplement_reminder(CASE, JET.account_id, date(2027, 8, 1))
    for days_before in (14, 1, 0):
        today = date.fromordinal(date(2027, 8, 1).toordinal() - days_before)
        for language in LANGUAGES:
            data = {"case_id": CASE, "due_on": date(2027, 8, 1), "account_id": JET.account_id}
            context = domain.message_context(
                reminder.template, data, recipient=JET, person=JET, assessor=None,
                portal_url="https://mijn.example.org", occurred_at=datetime.now(UTC), zone=ZONE, today=today)
            out.append((reminder.template, language, renderer.render(reminder.template, language, context),
                        data))
    out.extend(_desk_renders(renderer))
    return out


def _desk_renders(renderer: Renderer):
    """The service desk's e-mails (ADR 0029), with the context ``service.ServiceDesk`` gives them."""
    base = {"portal_url": "https://mijn.example.org", "request_subject": "Inloggen lukt niet " + SCRIPT,
            "text": "Mijn telefoon is kwijt.\nWat nu? " + SCRIPT}
    requester = {"full_name": "Jet de Vries", "email": "jet@example.org", "account_id": None}
    support = {"full_name": "helpdesk", "email": "support@example.org", "account_id": None}
    expires = datetime(2027, 7, 19, 10, 0, tzinfo=UTC)
    samples = [
        (domain.DESK_CONFIRM, {**base, "recipient": requester, "token": "t0ken", "expires_at": expires}),
        (domain.DESK_REQUEST_OPENED, {**base, "recipient": support, "requester_name": "Jet de Vries",
                                      "requester_email": "jet@example.org", "logged_in": False,
                                      "thread_url": "https://mijn.example.org/ondersteuning/verzoek?id=1"}),
        (domain.DESK_REQUEST_REPLIED, {**base, "recipient": support, "requester_name": "Jet de Vries",
                                       "requester_email": "jet@example.org", "logged_in": True,
                                       "thread_url": "https://mijn.example.org/ondersteuning/verzoek?id=1"}),
        (domain.DESK_REQUEST_ANSWERED, {**base, "recipient": requester, "by_link": True,
                                        "thread_url": "https://mijn.example.org/hulp/gesprek?token=t0ken",
                                        "link_expires_at": expires}),
        (domain.DESK_REQUEST_ANSWERED, {**base, "recipient": requester, "by_link": False,
                                        "thread_url": "https://mijn.example.org/hulp/verzoek?id=1"}),
    ]
    return [(template, language, renderer.render(template, language, context), context)
            for template, context in samples for language in LANGUAGES]


RENDERS = _renders()


def _find(template: str, language: str, **match):
    found = [r for t, lang, r, data in RENDERS if t == template and lang == language
             and all(data.get(k) == v for k, v in match.items())]
    assert found, (template, language, match)
    return found


def test_the_template_files_are_exactly_the_templates_the_service_makes():
    renderer = Renderer(ZONE)
    for language in LANGUAGES:
        assert renderer.templates(language) == domain.TEMPLATES


def test_every_template_is_rendered_by_the_samples_in_both_languages():
    rendered = {(template, language) for template, language, _, _ in RENDERS}
    assert rendered == {(t, lang) for t in domain.TEMPLATES for lang in LANGUAGES}


@pytest.mark.parametrize("index", range(len(RENDERS)))
def test_a_rendered_message_is_complete(index):
    template, language, rendered, _ = RENDERS[index]
    assert rendered.subject and "\n" not in rendered.subject
    for text in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in text and "{%" not in text and "None" not in text, (template, text)
    greeting = "Beste " if language == "nl" else "Dear "
    assert rendered.text.startswith(greeting) and greeting in rendered.html
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in rendered.html
    # Dates are written out in the message's own language.
    other = {"nl": (" January ", " March ", " May ", " June ", " July ", " August "),
             "en": (" januari ", " maart ", " mei ", " juni ", " juli ", " augustus ")}[language]
    assert not any(month in rendered.text for month in other), rendered.text


def test_html_escapes_what_came_from_outside_and_text_keeps_it_as_written():
    rendered = _find("pe_check_completed", "nl", passed=False)[0]
    assert SCRIPT in rendered.text
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; meer" in rendered.html


def test_a_failed_pe_check_promises_no_term_it_may_not_give_and_none_only_to_a_first_check():
    """A check done again after an upheld objection (ADR 0011, amended) gets a term for B as a first one; a
    check of a supplement already handed in ends negative. The text says which, without "your first check"."""
    for language, term, negative in (
            ("nl", "Was dit niet de toets van een aanvulling die je al hebt ingeleverd, dan krijg je een "
                   "termijn",
             "Was het dat wel, dan volgt een negatief besluit."),
            ("en", "Unless this was the check of a supplement you already handed in, you get a term",
             "If it was, a negative decision follows.")):
        [rendered] = _find("pe_check_completed", language, passed=False)
        for text in (rendered.text, rendered.html):
            assert term in text and negative in text
            assert "eerste PE-toets" not in text and "first PE check" not in text


def test_the_expiry_reminder_says_you_can_submit_once_the_window_is_open():
    texts = {r.subject: r.text for r in _find("certificate_expiring", "nl")}
    twelve = texts["Je certificaat verloopt over 365 dagen"]
    three = texts["Je certificaat verloopt over 92 dagen"]
    assert "je kunt nu je portfolio indienen" not in twelve.lower()
    assert "Vanaf 30 maart 2027 kun je je portfolio indienen, tot en met 30 juni 2027." in twelve
    assert "Je kunt nu je portfolio indienen, tot en met 30 juni 2027." in three
    one = [r.text for r in _find("certificate_expiring", "nl", months_before=1)]
    assert any("Je hebt je portfolio al ingediend" in t for t in one)
    assert any("vervalt je certificaat" in t and "al ingediend" not in t for t in one)
    english = {r.subject for r in _find("certificate_expiring", "en")}
    assert "Your certificate expires in 31 days" in english


@pytest.mark.parametrize(("today", "nl", "en"), [
    (date(2027, 4, 29), "over 62 dagen", "in 62 days"),
    (date(2027, 6, 29), "over 1 dag", "in 1 day"),
    (date(2027, 6, 30), "vandaag", "today"),
])
def test_the_expiry_reminder_says_the_real_days_left_not_its_bucket(today, nl, en):
    renderer = Renderer(ZONE)
    event = _loaded("certification.certificate.expiring", _expiring(3, True))
    context = domain.message_context(
        "certificate_expiring", event.data, recipient=JET, person=JET, assessor=None,
        portal_url="https://mijn.example.org", occurred_at=event.occurred_at, zone=ZONE, today=today)
    dutch, english = (renderer.render("certificate_expiring", language, context) for language in ("nl", "en"))
    assert dutch.subject == f"Je certificaat verloopt {nl}"
    assert english.subject == f"Your certificate expires {en}"
    assert "3 maanden" not in dutch.text and "3 months" not in english.text
    if today == date(2027, 4, 29):
        assert "geldig tot en met 30 juni 2027, dus nog 62 dagen." in dutch.text


def test_the_submission_message_names_the_usual_six_to_eight_weeks():
    nl = _find("portfolio_submitted", "nl")[0]
    assert "de uitslag volgt in de regel binnen 6 tot 8 weken, dus tussen 14 mei 2027 en 28 mei 2027" \
        in nl.text
    assert "op 2 april 2027 je hercertificeringsportfolio ingediend" in nl.text
    en = _find("portfolio_submitted", "en")[0]
    assert "the result normally follows within 6 to 8 weeks, so between 14 May 2027 and 28 May 2027" \
        in en.text


def test_an_advice_is_told_to_dnv_officers_never_to_the_jobcoach():
    for advice in ("positive", "postponed", "negative"):
        notices = domain.notices_for("assessment.advice.given", _advice(advice), uuid.uuid4())
        assert [(n.role, n.account_id) for n in notices] == [(domain.DNV_OFFICER, None)]
    rendered = _find("advice_given", "nl", advice="postponed")[0]
    assert rendered.subject == "Advies over Jet de Vries: jouw besluit is nodig"
    assert "- A2 (terugblik op het ontwikkelplan): Werk de terugblik uit." in rendered.text
    assert "Neem het besluit" in rendered.text


def test_a_postponed_decision_names_each_part_s_assignment_and_the_deadline():
    nl = _find("decision_made", "nl", decision="postponed")[0]
    assert "aanvulling nodig" not in nl.subject + nl.text
    assert nl.subject == "Besluit DNV: uitgesteld, aanvulling uiterlijk 1 september 2027"
    assert "- A3 (reflectie op beroepsmatig handelen): Schrijf het reflectieverslag opnieuw." in nl.text
    assert "- B (permanente educatie): Lever bewijs voor de cursus van maart." in nl.text
    assert "tot en met 1 september 2027" in nl.text
    en = _find("decision_made", "en", decision="postponed")[0]
    assert "until 1 September 2027 inclusive" in en.text
    assert "- A3 (reflection on professional practice): Schrijf het reflectieverslag opnieuw." in en.text


def test_decisions_say_how_to_object_and_offer_a_mentor_only_when_they_can_be_objected_to():
    negative = _find("decision_made", "nl", decision="negative")[0]
    assert "tot en met 30 september 2027 een volledig nieuw portfolio indienen" in negative.text
    assert "Toelichting van DNV: Onvoldoende reflectie." in negative.text
    for language, objection, mentor in (
            ("nl", "bezwaar maken bij DNV, tot en met 15 juli 2027", "Een mentor"),
            ("en", "objection with DNV up to and including 15 July 2027", "A mentor")):
        for decision in ("negative", "postponed"):
            rendered = _find("decision_made", language, decision=decision)[0]
            assert objection in rendered.text and mentor in rendered.text, (language, decision)
            assert mentor in rendered.html
            # The platform's list of mentors (ADR 0028), and the fee paid to the mentor directly.
            assert "/mentoren" in rendered.text and 'href="https://' in rendered.html
            assert "/mentoren\"" in rendered.html and "€75" in rendered.text
        positive = _find("decision_made", language, decision="positive")[0]
        for text in (positive.text, positive.html):
            assert "bezwaar" not in text and "objection" not in text and "mentor" not in text


def test_invoices_show_money_the_way_each_language_writes_it():
    nl = _find("invoice_issued", "nl", issuer="DNV")[0]
    assert nl.subject == "Factuur DNV-2027-00042 van DNV: € 242,00"
    assert "Btw (21%): € 42,00" in nl.text
    assert "Te betalen: € 1.467,13" in _find("invoice_issued", "nl", issuer="Noloc")[0].text
    assert "To pay: €1,467.13" in _find("invoice_issued", "en", issuer="Noloc")[0].text


def test_times_are_shown_on_the_amsterdam_clock():
    locked = _find("account_locked", "nl", reason="failed_passwords")[0]
    assert "Inloggen kan weer vanaf 28 november 2026 om 14:05." in locked.text
    english = _find("account_locked", "en", reason="failed_passwords")[0]
    assert "from 28 November 2026 at 14:05" in english.text


def test_staff_messages_name_the_jobcoach_or_say_the_account_when_unknown():
    assigned = _find("assessor_assigned", "nl")[0]
    assert assigned.subject == "Nieuwe beoordeling voor jou: portfolio van Jet de Vries"
    assert assigned.text.startswith("Beste Anna Assessor,")
    unknown = [r for r in _find("case_overdue", "en") if "Jet de Vries" not in r.subject][0]
    assert unknown.subject.startswith("Overdue: assessment case of a jobcoach (account ")


def test_the_supplement_reminder_counts_the_days_left():
    texts = [r.text for r in _find("supplement_due_soon", "nl")]
    assert any("Je hebt daarvoor nog 14 dagen." in t for t in texts)
    assert any("Dat is morgen." in t for t in texts)
    assert any("Dat is vandaag." in t for t in texts)


def test_a_template_asking_for_what_the_context_lacks_fails():
    event = _loaded("billing.invoice.paid", {**INVOICE, "amount": GROSS, "paid_on": date(2027, 4, 20)})
    context = domain.message_context("invoice_paid", event.data, recipient=JET, person=JET, assessor=None,
                                     portal_url="https://x", occurred_at=event.occurred_at, zone=ZONE,
                                     today=TODAY)
    del context["paid_on"]
    with pytest.raises(UndefinedError):
        Renderer(ZONE).render("invoice_paid", "nl", context)


def test_login_and_authenticator_messages_name_dnvs_support_as_configured():
    renderer = Renderer(ZONE, support=Support("hulp@dnv.test", "088 123 45 67"))
    for event_type, data in (
            ("identity.account.locked", {"account_id": JET.account_id, "reason": "failed_totp_codes",
                                         "locked_until": LOCKED_UNTIL}),
            ("identity.totp.reset", {"account_id": JET.account_id, "reset_by": OLGA.account_id}),
            ("identity.totp.enrolled", {"account_id": JET.account_id, "after_reset": True})):
        event = _loaded(event_type, data)
        [notice] = domain.notices_for(event.type, event.data, event.id)
        context = domain.message_context(
            notice.template, event.data, recipient=JET, person=JET, assessor=None,
            portal_url="https://mijn.example.org", occurred_at=event.occurred_at, zone=ZONE, today=TODAY)
        dutch, english = (renderer.render(notice.template, language, context) for language in LANGUAGES)
        for rendered in (dutch, english):
            assert "hulp@dnv.test" in rendered.text and "088 123 45 67" in rendered.html
            assert "contact op met Noloc" not in rendered.text and "contact Noloc" not in rendered.text
        assert "de support van DNV (hulp@dnv.test, telefoon 088 123 45 67)" in dutch.text


def test_the_nudge_names_the_milestone_its_date_the_pace_and_the_wegwijzer():
    pe = _find("milestone_behind", "nl", milestone="pe_points")[0]
    assert pe.subject == "Je wegwijzer: je loopt achter met 75 PE-punten, waarvan 30 in categorie 1"
    assert "gepland voor 30 maart 2027" in pe.text and "75 uur, verdeeld over 41 weken" in pe.text
    assert "ongeveer 9 punten per maand" in pe.text and "https://mijn.example.org/wegwijzer" in pe.text
    meetings = _find("milestone_behind", "en", milestone="reflection_meetings")[0]
    assert "You have 1 of the 4 reflection meetings with proof" in meetings.text
    assert "30 June 2027" in _find("milestone_behind", "en", milestone="expiry")[0].text


def test_a_cancelled_invoice_gives_its_reason_and_the_refund_in_the_readers_language():
    """billing.invoice.cancelled's reason_code and refund_due, worded by us: an English reader gets no Dutch
    reason, and a paid invoice is not "not to be paid" but refunded."""
    [open_nl] = _find("invoice_cancelled", "nl", refund_due=False)
    [paid_nl] = _find("invoice_cancelled", "nl", refund_due=True)
    [open_en] = _find("invoice_cancelled", "en", refund_due=False)
    [paid_en] = _find("invoice_cancelled", "en", refund_due=True)
    for rendered in (open_nl, paid_nl):
        assert "Reden: je hebt het portfolio ingetrokken waarvoor deze factuur was." in rendered.text
        assert "door de jobcoach" not in rendered.text  # billing's text, about the jobcoach: not ours
    assert "Deze factuur hoef je niet te betalen." in open_nl.text
    assert "Je had deze factuur al betaald: DNV betaalt het bedrag aan je terug." in paid_nl.text
    assert "niet te betalen" not in paid_nl.text and "niet te betalen" not in paid_nl.html
    for rendered in (open_en, paid_en):
        assert "Reason: you withdrew the portfolio this invoice was for." in rendered.text
        assert "ingetrokken" not in rendered.text and "ingetrokken" not in rendered.html
    assert "You do not need to pay this invoice." in open_en.text
    assert "You had already paid this invoice: DNV will refund the amount to you." in paid_en.text
    assert "do not need to pay" not in paid_en.text and "do not need to pay" not in paid_en.html


def test_a_cancelled_invoice_from_before_the_reason_code_says_both_what_to_do_and_no_dutch_in_english():
    [old_nl] = _find("invoice_cancelled", "nl", refund_due=None)
    [old_en] = _find("invoice_cancelled", "en", refund_due=None)
    assert "Reden: Dubbel gefactureerd." in old_nl.text  # billing's text is Dutch: fine for a Dutch reader
    assert "Heb je al betaald, dan krijg je het bedrag terug." in old_nl.text
    assert "Dubbel" not in old_en.text and "Reason" not in old_en.text
    assert "If you have paid it, the amount will be refunded to you." in old_en.text


def test_an_objection_upheld_back_to_the_pe_check_says_the_postponement_and_its_supplement_are_gone():
    """ADR 0011 (amended): the postponed decision on the failed PE check is annulled with the PE supplement it
    asked for; DNV checks the PE again, and a passed check takes the portfolio on to an assessor."""
    [nl] = _find("objection_decided", "nl", next_step="pe_check")
    [en] = _find("objection_decided", "en", next_step="pe_check")
    assert nl.subject == "Je bezwaar is gegrond verklaard: DNV toetst je PE opnieuw"
    assert en.subject == "Your objection has been upheld: DNV will check your PE again"
    for text in (nl.text, nl.html):
        assert "gegrond" in text
        assert "Het uitgestelde besluit dat DNV nam omdat je de PE-toets niet had gehaald, geldt daarom " \
               "niet meer." in text
        assert "aanvulling op je permanente educatie (PE) waar dat besluit om vroeg, is niet meer " \
               "nodig" in text
        assert "DNV toetst je PE opnieuw" in text
        assert "Voldoet je PE, dan gaat je portfolio door naar een beoordelaar" in text
        assert "nieuw besluit" not in text and "ongegrond" not in text
        assert "Toelichting van DNV: De PE-toets telde een cursus niet mee." in text
    for text in (en.text, en.html):
        assert "upheld" in text
        assert "The postponed decision DNV took because you did not pass the PE check therefore no longer " \
               "applies." in text
        assert "Nor does the supplement to your continuing education (PE) that decision asked for" in text
        assert "DNV will check your PE again" in text
        assert "If your PE meets the requirements, your portfolio goes on to an assessor" in text
        assert "new decision" not in text and "rejected" not in text


@pytest.mark.parametrize("next_step", [None, "new_decision"])
def test_an_ordinary_upheld_objection_and_one_from_before_next_step_promise_a_new_decision(next_step):
    [nl] = _find("objection_decided", "nl", outcome="upheld", next_step=next_step)
    [en] = _find("objection_decided", "en", outcome="upheld", next_step=next_step)
    assert nl.subject == "Je bezwaar is gegrond verklaard"
    assert "Je bezwaar is gegrond: DNV neemt een nieuw besluit over je hercertificering." in nl.text
    assert en.subject == "Your objection has been upheld"
    assert "Your objection is upheld: DNV will take a new decision on your recertification." in en.text
    for text in (nl.text, nl.html, en.text, en.html):
        assert "PE-toets" not in text and "PE check" not in text and "beoordelaar" not in text


def test_a_rejected_objection_says_the_decision_stands():
    [nl] = _find("objection_decided", "nl", outcome="rejected")
    [en] = _find("objection_decided", "en", outcome="rejected")
    assert nl.subject == "Je bezwaar is ongegrond verklaard"
    assert "Je bezwaar is ongegrond: het eerdere besluit blijft staan." in nl.text
    assert en.subject == "Your objection has been rejected"
    assert "Your objection is rejected: the earlier decision stands." in en.text
