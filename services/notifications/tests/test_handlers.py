"""Every event notifications consumes, handled on the in-memory unit of work: the read models it keeps, the
messages it makes (once per fact), and what it announces."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from recert_notifications.domain import Channel, State


def test_a_registered_account_becomes_a_contact_with_a_welcome_by_e_mail_and_in_the_inbox(world):
    jet = world.person("Jet de Vries")
    email, in_app = world.messages(jet)
    assert (email.template, email.channel, email.state, email.email_address) == (
        "account_registered", Channel.EMAIL, State.PENDING, jet.email)
    assert (in_app.channel, in_app.state, in_app.email_address) == (Channel.IN_APP, State.DELIVERED, None)
    assert email.subject == in_app.subject == "Welkom bij Register Jobcoach"
    assert "Beste Jet de Vries," in email.body_text
    # The in-app message is delivered when made; the e-mail is announced once the server accepts it.
    [sent] = world.published()
    assert (sent.type, sent.subject, sent.data["message_id"], sent.data["channel"]) == (
        "notifications.message.sent", jet.account_id, in_app.id, "in_app")
    assert sent.producer == "notifications"


def test_an_english_reader_gets_english(world):
    ann = world.person("Ann Smith", language="en")
    assert {m.subject for m in world.messages(ann)} == {"Welcome to Register Jobcoach"}


def test_a_redelivered_event_or_the_same_fact_in_a_new_envelope_makes_nothing_new(world):
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    opened = world.handle("certification.decision.made", world.decision(jet, "positive", case_id=case))
    before = (len(world.db.messages), len(world.published()))
    world.handle(opened)
    world.again(opened)
    assert (len(world.db.messages), len(world.published())) == before


def test_an_older_profile_arriving_late_does_not_overwrite_a_newer_one(world):
    jet = world.person("Jet de Vries", register=False)
    now = datetime(2027, 7, 18, 9, 0, tzinfo=UTC)
    newer = world.event("identity.account.updated", {**world.profile(jet, email="jet@new.example"),
                                                     "changed": ["email"]}, occurred_at=now)
    older = world.event("identity.account.registered", world.profile(jet),
                        occurred_at=now - timedelta(minutes=5))
    world.handle(newer)
    world.handle(older)
    with world.uow() as uow:
        assert uow.contacts.get(jet.account_id).email == "jet@new.example"
    # The welcome of the late registration still goes out, to the address known now.
    [email] = world.messages(jet, Channel.EMAIL)
    assert (email.template, email.email_address) == ("account_registered", "jet@new.example")


def test_an_event_about_someone_not_known_yet_waits_for_their_contact(world):
    jet = world.person("Jet de Vries", register=False)
    case = uuid.uuid4()
    world.handle("certification.decision.made", world.decision(jet, "positive", case_id=case))
    assert world.messages(jet) == [] and len(world.db.parked) == 1
    world.handle("identity.account.registered", world.profile(jet))
    assert sorted(world.templates(jet, Channel.EMAIL)) == ["account_registered", "decision_made"]
    assert world.db.parked == {}
    [decided] = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "decision_made"]
    assert decided.trigger_event_type == "certification.decision.made"


def test_a_verification_link_goes_by_e_mail_only_to_the_address_being_verified(world):
    jet = world.person("Jet de Vries", register=False)
    world.handle("identity.email.verification_requested", {
        **world.profile(jet), "token": "t0ken-Abc_123-" * 3,
        "expires_at": datetime(2027, 7, 19, 9, 0, tzinfo=UTC)})
    [email] = world.messages(jet)
    assert (email.template, email.channel, email.email_address) == ("email_verification", Channel.EMAIL,
                                                                     jet.email)
    assert world.published() == []  # an e-mail is announced when sent, not when made


def test_a_password_reset_link_stays_out_of_the_inbox(world):
    jet = world.person("Jet de Vries")
    world.handle("identity.password.reset_requested", {
        "account_id": jet.account_id, "token": "t0ken-Abc_123-" * 3,
        "expires_at": datetime(2027, 7, 19, 9, 0, tzinfo=UTC)})
    assert "password_reset_link" in world.templates(jet, Channel.EMAIL)
    assert "password_reset_link" not in world.templates(jet, Channel.IN_APP)


def test_a_disabled_account_gets_no_new_messages_and_leaves_its_role(world):
    olga = world.person("Olga Officer", "dnv_officer")
    world.handle("identity.account.disabled", {"account_id": olga.account_id, "disabled_by": None})
    world.handle("identity.account.locked", {"account_id": olga.account_id, "reason": "administrative",
                                             "locked_until": datetime(2027, 8, 1, tzinfo=UTC)})
    jet = world.person("Jet de Vries")
    world.handle("assessment.case.opened", {"case_id": uuid.uuid4(), "account_id": jet.account_id,
                                            "portfolio_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
                                            "due_on": date(2027, 9, 1)})
    assert world.templates(olga) == ["account_registered", "account_registered"]


def test_an_account_disabled_before_its_registration_was_handled_stays_disabled(world):
    """identity.account.registered failed and was replayed after identity.account.disabled: the contact it
    makes is disabled, so the closed account gets no e-mail, the staff member no role's notices, and the
    address matches no logged-out service request (ADR 0010, amended)."""
    t = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
    olga = world.person("Olga Officer", "dnv_officer", register=False)
    jet = world.person("Jet de Vries", register=False)
    for person in (olga, jet):
        world.handle("identity.account.disabled", {"account_id": person.account_id, "disabled_by": None},
                     occurred_at=t + timedelta(hours=1))
        world.handle("identity.account.registered", world.profile(person), occurred_at=t)
    with world.uow() as uow:
        assert uow.contacts.get(olga.account_id).disabled and uow.contacts.get(jet.account_id).disabled
        assert uow.contacts.with_role("dnv_officer") == []
        assert uow.contacts.by_confirmed_email(jet.email) == []
    otto = world.person("Otto Officer", "dnv_officer")
    world.handle("assessment.case.opened", {"case_id": uuid.uuid4(), "account_id": jet.account_id,
                                            "portfolio_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
                                            "due_on": date(2027, 9, 1)})
    world.handle("identity.totp.enrolled", {"account_id": jet.account_id, "after_reset": False})
    assert world.messages(olga) == [] and world.messages(jet) == []
    assert "case_opened" in world.templates(otto)
    # A profile change handled after that leaves the account disabled too.
    world.handle("identity.account.updated", {**world.profile(jet, full_name="Jet de Wit"),
                                              "changed": ["full_name"]}, occurred_at=t + timedelta(hours=2))
    with world.uow() as uow:
        assert uow.contacts.get(jet.account_id).disabled


def test_a_profile_handled_after_the_erasure_brings_the_person_back_nowhere(world):
    """identity.account.updated (or registered) replayed after identity.account.erased makes no contact, no
    message and no parked notice with the person's data; a bare tombstone (the id and when) remains."""
    t = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
    jet = world.person("Jet de Vries", register=False)
    updated = world.event("identity.account.updated", {**world.profile(jet), "changed": ["email"]},
                          occurred_at=t - timedelta(days=40))
    registered = world.event("identity.account.registered", world.profile(jet),
                             occurred_at=t - timedelta(days=90))
    world.handle("identity.account.registered", world.profile(jet), occurred_at=t - timedelta(days=100))
    world.handle("identity.account.erased", {"account_id": jet.account_id,
                                             "closed_at": t - timedelta(days=30)}, occurred_at=t)
    world.handle(updated)
    world.handle(registered)
    world.handle("certification.decision.made", world.decision(jet, "positive", case_id=uuid.uuid4()))
    assert jet.account_id not in world.db.contacts
    assert world.messages(jet) == [] and world.db.parked == {}
    assert world.db.contact_tombstones == {jet.account_id: {"disabled_at": None, "erased_at": t}}


def test_a_new_case_goes_to_every_dnv_officer_and_an_assignment_to_the_assessor(world):
    olga, otto = world.person("Olga Officer", "dnv_officer"), world.person("Otto Officer", "dnv_officer")
    anna, jet = world.person("Anna Assessor", "assessor"), world.person("Jet de Vries")
    case = uuid.uuid4()
    world.handle("assessment.case.opened", {"case_id": case, "account_id": jet.account_id,
                                            "portfolio_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
                                            "due_on": date(2027, 9, 1)})
    world.handle("assessment.assessor.assigned", {"case_id": case, "account_id": jet.account_id,
                                                  "assessor_id": anna.account_id, "due_on": date(2027, 9, 1)})
    for officer in (olga, otto):
        [email] = [m for m in world.messages(officer, Channel.EMAIL) if m.template == "case_opened"]
        assert email.subject == "Nieuwe beoordelingszaak: portfolio van Jet de Vries"
    assert "assessor_assigned" in world.templates(anna)
    assert "case_opened" not in world.templates(jet) + world.templates(anna)


def test_a_case_nobody_can_hear_of_makes_no_messages(world):
    jet = world.person("Jet de Vries")
    before = len(world.db.messages)
    world.handle("assessment.case.opened", {"case_id": uuid.uuid4(), "account_id": jet.account_id,
                                            "portfolio_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
                                            "due_on": date(2027, 9, 1)})
    assert len(world.db.messages) == before


def test_an_expiry_reminder_knows_whether_a_portfolio_is_in(world):
    jet = world.person("Jet de Vries")
    certificate = uuid.uuid4()
    submission = world.submitted(jet, certificate_id=certificate)
    world.handle("portfolio.submitted", submission)
    world.handle("certification.certificate.expiring", world.expiring(jet, certificate_id=certificate,
                                                                      months_before=3))
    world.handle("portfolio.withdrawn", {"portfolio_id": submission["portfolio_id"],
                                         "cycle_id": submission["cycle_id"],
                                         "submission_id": submission["submission_id"],
                                         "account_id": jet.account_id, "reason": "Nog niet compleet"})
    world.handle("certification.certificate.expiring", world.expiring(jet, certificate_id=certificate,
                                                                      months_before=1))
    first, last = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "certificate_expiring"]
    assert "Je hebt je portfolio al ingediend" in first.body_text
    assert "Je hebt je portfolio al ingediend" not in last.body_text
    assert "Je kunt nu je portfolio indienen" in last.body_text
    assert {"portfolio_submitted", "portfolio_withdrawn"} <= set(world.templates(jet))


def _withdrawn(world, person, submission: dict, **options):
    return world.event("portfolio.withdrawn", {
        "portfolio_id": submission["portfolio_id"], "cycle_id": submission["cycle_id"],
        "submission_id": submission["submission_id"], "account_id": person.account_id,
        "reason": "Nog niet compleet"}, **options)


def test_a_submission_handled_after_its_withdrawal_stays_withdrawn(world):
    """portfolio.submitted failed, went to the dead letters and was replayed after portfolio.withdrawn: the
    period has no portfolio in, so the expiry reminder still warns of the lapse, and the late "portfolio
    received" is not sent after the withdrawal was (ADR 0010, amended)."""
    jet = world.person("Jet de Vries")
    certificate = uuid.uuid4()
    t = datetime(2027, 7, 1, 9, 30, tzinfo=UTC)
    submission = world.submitted(jet, certificate_id=certificate)
    late = world.event("portfolio.submitted", submission, occurred_at=t)
    world.handle(_withdrawn(world, jet, submission, occurred_at=t + timedelta(days=2)))
    world.handle(late)
    assert world.db.submissions[submission["submission_id"]]["withdrawn_at"] == t + timedelta(days=2)
    assert "portfolio_submitted" not in world.templates(jet)
    world.handle("certification.certificate.expiring", world.expiring(jet, certificate_id=certificate))
    [email] = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "certificate_expiring"]
    assert "Je hebt je portfolio al ingediend" not in email.body_text
    assert "dien je niet op tijd in, dan vervalt je certificaat" in email.body_text
    # A later submission of the same period is in, and is told.
    world.handle("portfolio.submitted", world.submitted(jet, certificate_id=certificate))
    assert world.templates(jet, Channel.EMAIL).count("portfolio_submitted") == 1
    world.handle("certification.certificate.expiring", world.expiring(jet, certificate_id=certificate,
                                                                      months_before=3))
    last = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "certificate_expiring"][-1]
    assert "Je hebt je portfolio al ingediend" in last.body_text


def test_a_postponed_decision_opens_a_supplement_term_and_a_supplement_or_final_decision_closes_it(world):
    jet = world.person("Jet de Vries")
    one, two = uuid.uuid4(), uuid.uuid4()
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=one))
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=two))
    assert {case: row["closed_at"] for case, row in world.db.deadlines.items()} == {one: None, two: None}
    world.handle("portfolio.supplement.submitted", world.supplement(jet, case_id=one))
    final = world.handle("certification.decision.made", world.decision(jet, "negative", case_id=two))
    assert all(row["closed_at"] is not None for row in world.db.deadlines.values())
    assert world.db.final_decisions[final.data["decision_id"]]["decided_at"] == final.occurred_at
    assert world.templates(jet, Channel.EMAIL).count("decision_made") == 3


def test_a_new_due_date_reopens_a_closed_supplement_term(world):
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case))
    world.handle("portfolio.supplement.submitted", world.supplement(jet, case_id=case))
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case,
                                                               supplement_due_on=date(2027, 8, 20)))
    assert world.db.deadlines[case]["closed_at"] is None
    assert world.db.deadlines[case]["due_on"] == date(2027, 8, 20)


def test_a_postponed_decision_handled_after_the_supplement_or_the_final_decision_opens_no_term(world):
    """certification.decision.made (postponed) failed and was replayed from the dead letters after the
    supplement came in, or after the final decision: no term is opened, so no "your supplement is due"
    reminder follows (ADR 0010, amended)."""
    jet = world.person("Jet de Vries")
    t = datetime(2027, 5, 1, 9, 0, tzinfo=UTC)
    handed_in, decided, both = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for case, later in ((handed_in, ("supplement",)), (decided, ("final",)), (both, ("supplement", "final"))):
        postponed = world.event("certification.decision.made", world.decision(jet, "postponed", case_id=case),
                                occurred_at=t)
        if "supplement" in later:
            world.handle(world.event("portfolio.supplement.submitted", world.supplement(jet, case_id=case),
                                     occurred_at=t + timedelta(days=20)))
        if "final" in later:
            world.handle(world.event("certification.decision.made",
                                     world.decision(jet, "positive", case_id=case),
                                     occurred_at=t + timedelta(days=50)))
        world.handle(postponed)
    assert all(row["closed_at"] is not None for row in world.db.deadlines.values())
    assert world.service.send_reminders() == 0
    assert "supplement_due_soon" not in world.templates(jet)


def test_supplement_terms_follow_the_decisions_order_not_the_queues(world):
    jet = world.person("Jet de Vries")
    t = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    case = uuid.uuid4()
    first = world.event("certification.decision.made", world.decision(
        jet, "postponed", case_id=case, supplement_due_on=date(2027, 6, 1)), occurred_at=t)
    handed_in = world.event("portfolio.supplement.submitted", world.supplement(jet, case_id=case),
                            occurred_at=t + timedelta(days=20))
    second = world.event("certification.decision.made", world.decision(
        jet, "postponed", case_id=case, supplement_due_on=date(2027, 8, 1)),
        occurred_at=t + timedelta(days=40))
    # The second postponement (after an upheld objection) is handled; then the first term's events, late.
    world.handle(second)
    world.handle(handed_in)
    world.handle(first)
    row = world.db.deadlines[case]
    assert (row["due_on"], row["closed_at"]) == (date(2027, 8, 1), None)
    assert world.service.send_reminders() == 2
    [email] = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "supplement_due_soon"]
    assert "1 augustus 2027" in email.subject


def test_an_erased_account_is_forgotten_entirely(world):
    jet, olga = world.person("Jet de Vries"), world.person("Olga Officer", "dnv_officer")
    certificate, case = uuid.uuid4(), uuid.uuid4()
    world.handle("portfolio.submitted", world.submitted(jet, certificate_id=certificate))
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case))
    world.handle("certification.decision.made", world.decision(jet, "positive", case_id=uuid.uuid4()))
    ghost = world.person("Nog Onbekend", register=False)
    world.handle("certification.decision.made", world.decision(ghost, "positive", case_id=uuid.uuid4()))
    for person in (jet, ghost):
        world.handle("identity.account.erased", {"account_id": person.account_id,
                                                 "closed_at": datetime(2027, 7, 1, tzinfo=UTC)})
    assert world.messages(jet) == [] and world.db.parked == {}
    assert (world.db.submissions, world.db.deadlines, world.db.final_decisions) == ({}, {}, {})
    assert set(world.db.contacts) == {olga.account_id}


def test_an_invoice_is_told_to_the_account_invoiced_in_its_language(world):
    ann = world.person("Ann Smith", language="en")
    money = {"amount": "200.00", "currency": "EUR"}
    world.handle("billing.invoice.issued", {
        "invoice_id": uuid.uuid4(), "number": "DNV-2027-00042", "issuer": "DNV", "account_id": ann.account_id,
        "kind": "recertification", "submission_id": uuid.uuid4(), "net": money,
        "vat": {"amount": "42.00", "currency": "EUR"}, "gross": {"amount": "242.00", "currency": "EUR"},
        "vat_rate": "21", "issued_on": date(2027, 7, 18), "due_on": date(2027, 8, 17)})
    [email] = [m for m in world.messages(ann, Channel.EMAIL) if m.template == "invoice_issued"]
    assert email.language == "en" and "€242.00" in email.body_text


def test_a_handler_that_fails_leaves_nothing_behind(world, monkeypatch):
    jet = world.person("Jet de Vries", register=False)
    world.handle("certification.decision.made", world.decision(jet, "positive", case_id=uuid.uuid4()))
    before = (dict(world.db.contacts), dict(world.db.parked), len(world.published()))

    def broken(*args, **kwargs):
        raise RuntimeError("the template broke")

    monkeypatch.setattr(world.service.renderer, "render", broken)
    try:
        world.handle("identity.account.registered", world.profile(jet))
    except RuntimeError:
        pass
    else:
        raise AssertionError("the handler should have failed")
    assert (dict(world.db.contacts), dict(world.db.parked), len(world.published())) == before
    assert world.messages(jet) == []


def _pe_check(person, case_id, *, passed: bool, counted: str) -> dict:
    findings = [] if passed else [{"text": "Categorie 1 heeft te weinig punten.", "activity_id": None,
                                   "category": "1"}]
    return {"case_id": case_id, "account_id": person.account_id, "passed": passed,
            "pe_points_counted": Decimal(counted), "pe_points_required": Decimal("75"), "findings": findings}


def test_each_pe_check_of_a_case_is_told_the_failed_one_and_the_one_after_the_supplement(world):
    """ADR 0011: a failed check, a postponed decision on B, the supplement, and the check done again: the
    jobcoach hears both results, while a redelivered check still makes nothing new."""
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    failed = world.handle("assessment.pe_check.completed", _pe_check(jet, case, passed=False, counted="60"))
    world.handle(failed)  # redelivered: nothing new
    world.handle("certification.decision.made", world.decision(jet, "postponed", case_id=case))
    world.handle("portfolio.supplement.submitted", world.supplement(jet, case_id=case))
    world.handle("assessment.pe_check.completed", _pe_check(jet, case, passed=True, counted="76"))
    checks = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "pe_check_completed"]
    assert len(checks) == 2
    assert "60" in checks[0].body_text and "76" in checks[1].body_text
    assert len([m for m in world.messages(jet, Channel.IN_APP) if m.template == "pe_check_completed"]) == 2


def test_an_assessor_given_a_case_back_after_a_reassignment_hears_of_it_again(world):
    anna, bert = world.person("Anna Assessor", "assessor"), world.person("Bert Assessor", "assessor")
    jet, case = world.person("Jet de Vries"), uuid.uuid4()

    def assigned(assessor, previous):
        return world.handle("assessment.assessor.assigned", {
            "case_id": case, "account_id": jet.account_id, "assessor_id": assessor.account_id,
            "previous_assessor_id": previous.account_id if previous else None, "due_on": date(2027, 9, 1)})

    first = assigned(anna, None)
    assigned(bert, anna)
    assigned(anna, bert)
    world.handle(first)  # redelivered: nothing new
    assert world.templates(anna, Channel.EMAIL).count("assessor_assigned") == 2
    assert world.templates(bert, Channel.EMAIL).count("assessor_assigned") == 1


# --- an objection upheld against the postponed decision on the failed PE check (ADR 0011, amended) --------


def _pe_postponed(world, person, case_id):
    return world.decision(person, "postponed", case_id=case_id, supplement_due_on=date(2027, 8, 1),
                          supplements=[{"part": "B", "assignment": "Vul je permanente educatie aan. Wat de "
                                                                   "PE-toets mist: categorie 1."}])


def _objection_decided(person, case_id, outcome: str, next_step: str | None = None, **extra) -> dict:
    data = {"objection_id": uuid.uuid4(), "case_id": case_id, "decision_id": uuid.uuid4(),
            "account_id": person.account_id, "outcome": outcome,
            "reason": "De PE-toets telde een cursus niet.", **extra}
    if next_step is not None:
        data["next_step"] = next_step
    return data


def test_an_objection_upheld_back_to_the_pe_check_ends_the_supplement_term_and_is_told_once(world):
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    t = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    world.handle(world.event("certification.decision.made", _pe_postponed(world, jet, case), occurred_at=t))
    upheld = world.handle(world.event("assessment.objection.decided",
                                      _objection_decided(jet, case, "upheld", "pe_check"),
                                      occurred_at=t + timedelta(days=20)))
    row = world.db.deadlines[case]
    assert (row["due_on"], row["closed_at"]) == (date(2027, 8, 1), upheld.occurred_at)
    # 18 July: two weeks before the supplement's date, which no longer applies.
    assert world.service.send_reminders() == 0
    world.day = date(2027, 8, 1)
    assert world.service.send_reminders() == 0
    assert "supplement_due_soon" not in world.templates(jet)

    told = [m for m in world.messages(jet) if m.template == "objection_decided"]
    assert sorted(m.channel for m in told) == [Channel.EMAIL, Channel.IN_APP]
    assert {m.subject for m in told} == {"Je bezwaar is gegrond verklaard: DNV toetst je PE opnieuw"}
    assert "DNV toetst je PE opnieuw" in told[0].body_text
    before = (len(world.db.messages), len(world.published()), dict(row))
    world.handle(upheld)  # redelivered
    world.again(upheld)  # the same objection in a new envelope
    assert (len(world.db.messages), len(world.published()), dict(world.db.deadlines[case])) == before


@pytest.mark.parametrize(("outcome", "next_step"), [("upheld", "new_decision"), ("upheld", None),
                                                    ("rejected", None)])
def test_other_objection_outcomes_leave_the_supplement_term_running(world, outcome, next_step):
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    world.handle("certification.decision.made", _pe_postponed(world, jet, case))
    world.handle("assessment.objection.decided", _objection_decided(jet, case, outcome, next_step))
    assert world.db.deadlines[case]["closed_at"] is None
    assert world.service.send_reminders() == 2
    [told] = [m for m in world.messages(jet, Channel.EMAIL) if m.template == "objection_decided"]
    assert "PE-toets" not in told.subject


def test_an_upheld_objection_handled_after_a_newer_postponement_keeps_its_term_and_says_a_new_decision(world):
    """The objection's event was dead-lettered and replayed after DNV had postponed the case again (the check
    done again failed): that newer term stays, and the jobcoach, told of it already, reads the ordinary upheld
    text ("a new decision"), not that the supplement no longer applies."""
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    t = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    world.handle(world.event("certification.decision.made", _pe_postponed(world, jet, case), occurred_at=t))
    newer = world.handle(world.event("certification.decision.made", world.decision(
        jet, "postponed", case_id=case, supplement_due_on=date(2027, 8, 30)),
        occurred_at=t + timedelta(days=30)))
    world.handle(world.event("assessment.objection.decided",
                             _objection_decided(jet, case, "upheld", "pe_check"),
                             occurred_at=t + timedelta(days=20)))
    row = world.db.deadlines[case]
    assert (row["due_on"], row["closed_at"]) == (date(2027, 8, 30), None)
    assert row["opened_as_of"] == newer.occurred_at
    told = [m for m in world.messages(jet) if m.template == "objection_decided"]
    assert len(told) == 2 and {m.subject for m in told} == {"Je bezwaar is gegrond verklaard"}


def test_a_postponed_decision_handled_after_the_objection_that_annulled_it_opens_nothing_and_is_not_told(
        world):
    """The postponed decision failed and was replayed from the dead letters after the upheld objection: no
    term, no reminder, and no "hand in your supplement by ..." after "you need not hand anything in"."""
    jet = world.person("Jet de Vries")
    case = uuid.uuid4()
    t = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    postponed = world.event("certification.decision.made", _pe_postponed(world, jet, case), occurred_at=t)
    upheld = _objection_decided(jet, case, "upheld", "pe_check")
    world.handle(world.event("assessment.objection.decided", upheld, occurred_at=t + timedelta(days=20)))
    world.handle(postponed)
    row = world.db.deadlines[case]
    assert (row["due_on"], row["closed_at"]) == (date(2027, 8, 1), t + timedelta(days=20))
    assert world.service.send_reminders() == 0
    assert world.templates(jet, Channel.EMAIL) == ["account_registered", "objection_decided"]

    # A postponement after the annulment (a new one on the case) opens a term with its date and is told.
    newer = world.handle(world.event("certification.decision.made", world.decision(
        jet, "postponed", case_id=case, supplement_due_on=date(2027, 7, 30)),
        occurred_at=t + timedelta(days=40)))
    assert (row["due_on"], row["closed_at"]) == (date(2027, 7, 30), None)
    assert world.templates(jet, Channel.EMAIL)[-1] == "decision_made"
    world.handle(postponed)  # the annulled one once more, late: changes nothing, tells nothing
    assert row["due_on"] == date(2027, 7, 30) and row["opened_as_of"] == newer.occurred_at
    assert world.templates(jet, Channel.EMAIL).count("decision_made") == 1
