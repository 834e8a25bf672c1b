"""Every catalogue type survives the wire (new_event -> to_json -> load_event) and its schema keeps its rules.

SAMPLES holds one realistic ``data`` per type, in native Python values as a producer would pass them.
A type added to the catalogue without a sample here fails ``test_every_catalogue_type_has_a_sample``.
"""
from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT7

from recert_common.events import InvalidEvent, all_types, catalogue, get, load_event, new_event
from recert_common.events.asyncapi import asyncapi_document


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://example.test/{name}")


def _eur(amount: str) -> dict:
    return {"amount": Decimal(amount), "currency": "EUR"}


ACCOUNT = _id("account/jobcoach-1")
ADMIN = _id("account/noloc-admin")
ASSESSOR = _id("account/assessor-1")
CERTIFICATE = _id("certificate/1")
CYCLE = _id("cycle/1")
PORTFOLIO = _id("portfolio/1")
SUBMISSION = _id("submission/1")
CASE = _id("case/1")
DECISION = _id("decision/1")
ACTIVITY = _id("pe-activity/1")
INVOICE = _id("invoice/1")
SUBMITTED_AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
SNAPSHOT = "9f2c1a0d5b7e4c3a8d6f1e0b2a4c6e8f0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d"

PROFILE = {
    "account_id": ACCOUNT, "email": "anouk.dejong@example.nl", "full_name": "Anouk de Jong",
    "roles": ["jobcoach"], "membership_kind": "member", "membership_number": "N-204518",
    "preferred_language": "nl",
}
PE_ACTIVITY = {
    "activity_id": ACTIVITY, "account_id": ACCOUNT, "category": "1",
    "title": "Webinar motiverende gespreksvoering", "completed_on": date(2025, 11, 12), "unit": "sbu",
    "amount": Decimal("2.5"), "points": Decimal("2.5"), "source": "noloc_academy", "external_id": "NA-88213",
}

# type -> data; the envelope's subject is ACCOUNT except for the noloc.* types (Noloc has no account ids).
SAMPLES: dict[str, dict] = {
    "identity.account.registered": PROFILE,
    "identity.account.updated": {**PROFILE, "email": "anouk@dejong-coaching.nl", "preferred_language": "en",
                                 "changed": ["email", "preferred_language"]},
    "identity.email.verification_requested": {
        **PROFILE, "token": "k3J9xQ2m-abcdefghijklmnopqrstuvwxyz01234567",
        "expires_at": datetime(2026, 3, 3, 9, 15, tzinfo=UTC)},
    "identity.registration.attempted": {"account_id": ACCOUNT, "attempted_with": "membership_number"},
    "identity.password.reset_requested": {
        "account_id": ACCOUNT, "token": "k3J9xQ2m-abcdefghijklmnopqrstuvwxyz01234567",
        "expires_at": datetime(2026, 3, 2, 9, 45, tzinfo=UTC)},
    "identity.password.reset": {"account_id": ACCOUNT,
                                "sessions_ended_at": datetime(2026, 3, 2, 9, 20, tzinfo=UTC)},
    "identity.totp.enrolled": {"account_id": ACCOUNT, "after_reset": False},
    "identity.totp.reset": {"account_id": ACCOUNT, "reset_by": ADMIN, "reason": "Nieuwe telefoon"},
    "identity.account.locked": {"account_id": ACCOUNT, "reason": "failed_totp_codes",
                                "locked_until": datetime(2026, 3, 2, 9, 45, tzinfo=UTC)},
    "identity.account.disabled": {"account_id": ACCOUNT, "disabled_by": ADMIN,
                                  "reason": "Uitgeschreven uit het register"},
    "identity.account.erased": {"account_id": ACCOUNT,
                                "closed_at": datetime(2026, 11, 2, 9, 30, tzinfo=UTC)},
    "identity.session.ended": {"account_id": ACCOUNT, "session_id": _id("session"),
                               "ended_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "reason": "logout"},
    "identity.account.sessions_ended": {
        "account_id": ACCOUNT, "ended_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "session_ids": [_id("session"), _id("other session")], "kept_session_id": None,
        "reason": "password_reset"},
    "portfolio.cycle.opened": {
        "cycle_id": CYCLE, "account_id": ACCOUNT, "certificate_id": CERTIFICATE, "kind": "regular",
        "expires_on": date(2026, 5, 31), "window_opens_on": date(2026, 2, 28), "submit_by": date(2026, 5, 31),
        "pe_period_starts_on": date(2022, 6, 1),
    },
    "portfolio.deadline.missed": {
        "cycle_id": CYCLE, "account_id": ACCOUNT, "certificate_id": CERTIFICATE, "kind": "regular",
        "expires_on": date(2026, 5, 31), "submit_by": date(2026, 5, 31)},
    "portfolio.submitted": {
        "portfolio_id": PORTFOLIO, "cycle_id": CYCLE, "submission_id": SUBMISSION, "account_id": ACCOUNT,
        "certificate_id": CERTIFICATE, "certificate_expires_on": date(2026, 5, 31),
        "submitted_at": SUBMITTED_AT, "snapshot_hash": SNAPSHOT,
        "pe_activity_ids": [ACTIVITY, _id("pe-activity/2")], "pe_points_counted": Decimal("78.5"),
        "reflection_meetings": 3, "is_new_portfolio_after_negative": False,
    },
    "portfolio.withdrawal.requested": {
        "portfolio_id": PORTFOLIO, "cycle_id": CYCLE, "submission_id": SUBMISSION, "account_id": ACCOUNT,
        "requested_at": SUBMITTED_AT + timedelta(days=3), "reason": "Verkeerde bijlage bij A3"},
    "portfolio.withdrawn": {"portfolio_id": PORTFOLIO, "cycle_id": CYCLE, "submission_id": SUBMISSION,
                            "account_id": ACCOUNT, "reason": "Verkeerde bijlage bij A3"},
    "portfolio.supplement.submitted": {
        "supplement_id": _id("supplement/1"), "case_id": CASE, "portfolio_id": PORTFOLIO,
        "submission_id": SUBMISSION, "account_id": ACCOUNT, "parts": ["A1", "A3"],
        "submitted_at": SUBMITTED_AT + timedelta(days=70), "snapshot_hash": SNAPSHOT[::-1],
    },
    "portfolio.supplement.missed": {
        "supplement_id": _id("supplement/1"), "case_id": CASE, "cycle_id": CYCLE, "submission_id": SUBMISSION,
        "account_id": ACCOUNT, "due_on": date(2026, 9, 30)},
    # issue 14: the wegwijzer's nudge
    "portfolio.milestone.behind": {
        "account_id": ACCOUNT, "cycle_id": _id("cycle/1"), "milestone": "pe_points",
        "milestone_date": date(2027, 3, 30), "case_state": "building", "deadline": date(2027, 6, 30),
        "estimate_hours": 75, "estimate_weeks": 41, "pe_points_needed": Decimal("75"),
        "pe_points_per_month": Decimal("9"), "meetings_required": 4, "meetings_proven": 1,
    },
    "pe.activity.recorded": PE_ACTIVITY,
    "pe.activity.updated": {**PE_ACTIVITY, "source": "manual", "external_id": None, "category": "3",
                            "unit": "ects", "amount": Decimal("1"), "points": Decimal("28"),
                            "title": "Module arbeidsrecht (hbo)"},
    "pe.activity.removed": {"activity_id": ACTIVITY, "account_id": ACCOUNT, "category": "1",
                            "points": Decimal("2.5")},
    "pe.evidence.attached": {
        "evidence_id": _id("evidence/1"), "activity_id": ACTIVITY, "account_id": ACCOUNT,
        "sha256": SNAPSHOT, "size": 184_233, "content_type": "application/pdf",
        "filename": "certificaat-webinar.pdf",
    },
    "pe.evidence.removed": {
        "evidence_id": _id("evidence/1"), "activity_id": ACTIVITY, "account_id": ACCOUNT, "sha256": SNAPSHOT,
    },
    # evidence read for the jobcoach (issue 14): a found field may be absent
    "pe.reading.proposed": {
        "reading_id": _id("reading/1"), "account_id": ACCOUNT, "method": "ocr",
        "title": "Motiverende gespreksvoering", "provider": "Academie Noord",
        "completed_on": date(2026, 3, 15), "amount": Decimal("2.5"), "unit": "sbu", "points": Decimal("2.5"),
    },
    "pe.reading.failed": {"reading_id": _id("reading/2"), "account_id": ACCOUNT, "reason": "no_text"},
    "assessment.case.opened": {"case_id": CASE, "account_id": ACCOUNT, "portfolio_id": PORTFOLIO,
                               "submission_id": SUBMISSION, "due_on": date(2026, 4, 27)},
    "assessment.case.withdrawn": {"case_id": CASE, "account_id": ACCOUNT, "submission_id": SUBMISSION,
                                  "reason": "Verkeerde bijlage bij A3"},
    "assessment.withdrawal.refused": {"case_id": CASE, "account_id": ACCOUNT, "submission_id": SUBMISSION,
                                      "stage": "assigned"},
    "assessment.pe_check.completed": {
        "case_id": CASE, "account_id": ACCOUNT, "passed": False, "pe_points_counted": Decimal("71"),
        "pe_points_required": Decimal("75"),
        "findings": [{"text": "Bewijs ontbreekt", "activity_id": ACTIVITY, "category": "1"},
                     {"text": "Categorie 4 boven het maximum", "activity_id": None, "category": "4"}],
    },
    "assessment.assessor.assigned": {"case_id": CASE, "account_id": ACCOUNT, "assessor_id": ASSESSOR,
                                     "previous_assessor_id": None, "due_on": date(2026, 4, 27)},
    "assessment.advice.given": {
        "case_id": CASE, "account_id": ACCOUNT, "assessor_id": ASSESSOR, "advice": "postponed",
        "is_reassessment": False,
        "supplements": [{"part": "A3", "assignment": "Beschrijf de reflectiebijeenkomst concreter."},
                        {"part": "B", "assignment": "Lever bewijs voor de intervisie van maart."}],
    },
    "assessment.case.overdue": {"case_id": CASE, "account_id": ACCOUNT, "due_on": date(2026, 4, 27),
                                "stage": "assessment", "assessor_id": ASSESSOR},
    "assessment.objection.filed": {"objection_id": _id("objection/1"), "case_id": CASE,
                                   "decision_id": DECISION, "account_id": ACCOUNT,
                                   "filed_at": datetime(2026, 5, 4, 14, 0, tzinfo=UTC)},
    "assessment.objection.decided": {"objection_id": _id("objection/1"), "case_id": CASE,
                                     "decision_id": DECISION, "account_id": ACCOUNT, "outcome": "rejected",
                                     "reason": "De beoordeling volgt het toetsingskader.", "next_step": None},
    "certification.certificate.registered": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "valid_from": date(2022, 6, 1), "valid_until": date(2026, 5, 31),
    },
    "certification.certificate.expiring": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "months_before": 3, "valid_until": date(2026, 5, 31), "window_opens_on": date(2026, 2, 28),
        "window_open": True,
    },
    "certification.certificate.renewed": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "decision_id": DECISION, "previous_valid_until": date(2026, 5, 31),
        "valid_from": date(2026, 6, 1), "valid_until": date(2030, 5, 31),
    },
    "certification.certificate.lapsed": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "lapsed_on": date(2026, 5, 31), "reason": "negative_decision",
        "new_portfolio_deadline": date(2026, 8, 31),
    },
    "certification.certificate.reactivated": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "decision_id": _id("decision/2"), "valid_from": date(2026, 6, 1), "valid_until": date(2030, 5, 31),
    },
    # verifiable credentials (issue 14, ADR 0030)
    "certification.credential.issued": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "credential_id": _id("credential/1"), "valid_from": date(2026, 6, 1),
        "valid_until": date(2030, 5, 31), "kid": "rj-20260601-0a1b2c3d", "status_list_index": 48213,
    },
    "certification.credential.revoked": {
        "certificate_id": CERTIFICATE, "certificate_number": "RJ-2022-0417", "account_id": ACCOUNT,
        "credential_id": _id("credential/1"), "reason": "lapsed",
        "revoked_at": datetime(2030, 6, 1, 2, 0, tzinfo=UTC), "status_list_index": 48213,
    },
    "certification.decision.made": {
        "decision_id": DECISION, "case_id": CASE, "account_id": ACCOUNT, "certificate_id": CERTIFICATE,
        "decision": "negative", "follows_advice": True, "reason": None,
        "objection_deadline": date(2026, 6, 12), "new_portfolio_deadline": date(2026, 8, 31),
    },
    "billing.invoice.issued": {
        "invoice_id": INVOICE, "number": "DNV-2026-000123", "issuer": "DNV", "account_id": ACCOUNT,
        "kind": "recertification", "submission_id": SUBMISSION, "case_id": None,
        "net": _eur("200"), "vat": _eur("42.00"), "gross": _eur("242.00"), "vat_rate": Decimal("21"),
        "issued_on": date(2026, 3, 2), "due_on": date(2026, 4, 1),
    },
    "billing.invoice.paid": {
        "invoice_id": INVOICE, "number": "DNV-2026-000123", "issuer": "DNV", "account_id": ACCOUNT,
        "kind": "recertification", "submission_id": SUBMISSION, "amount": _eur("242.00"),
        "paid_on": date(2026, 3, 9),
    },
    "billing.invoice.cancelled": {
        "invoice_id": _id("invoice/2"), "number": "NOL-2026-000045", "issuer": "Noloc", "account_id": ACCOUNT,
        "kind": "register_fee", "credit_note_number": "NOL-C-2026-000003",
        "reason": "Dubbel gefactureerd",
    },
    "notifications.message.sent": {"message_id": _id("message/1"), "account_id": ACCOUNT, "channel": "email",
                                   "template": "certificate_expiring", "trigger_event_id": _id("event/1")},
    "notifications.message.failed": {
        "message_id": _id("message/2"), "account_id": ACCOUNT, "channel": "email",
        "template": "invoice_issued", "trigger_event_id": None, "attempts": 5, "permanent": True,
        "error": "550 5.1.1 mailbox unavailable",
    },
    # the service desk (issue 14, ADR 0029)
    "notifications.service_request.opened": {"request_id": _id("request/1"), "account_id": None,
                                             "matched_account_id": ACCOUNT, "logged_in": False},
    "notifications.service_request.replied": {"request_id": _id("request/1"), "post_id": _id("post/2"),
                                              "account_id": None},
    "notifications.service_request.answered": {"request_id": _id("request/1"), "post_id": _id("post/3"),
                                               "answered_by": ADMIN},
    "notifications.service_request.state_changed": {"request_id": _id("request/1"), "state": "closed",
                                                    "previous_state": "answered", "changed_by": ADMIN},
    "noloc.academy.activity.completed": {
        "external_id": "NA-88213", "membership_number": "N-204518", "title": "Podcast Loopbaan in balans",
        "provider": "Noloc Academie", "completed_on": date(2025, 11, 12), "points": Decimal("1"),
    },
    "noloc.meeting.attended": {
        "external_id": "PLAN-5521", "membership_number": "N-204518", "met_on": date(2025, 10, 7),
        "kind": "intervision", "group_name": "Intervisiegroep Utrecht 3", "duration_minutes": 150,
    },
    # mentors (ADR 0028)
    "portfolio.mentorship.started": {
        "mentorship_id": _id("mentorship/1"), "account_id": ACCOUNT, "mentor_id": _id("mentor/1"),
        "shared": ["drafts", "meetings", "pe_summary"], "started_at": SUBMITTED_AT - timedelta(days=90)},
    "portfolio.mentorship.ended": {
        "mentorship_id": _id("mentorship/1"), "account_id": ACCOUNT, "mentor_id": _id("mentor/1"),
        "started_at": SUBMITTED_AT - timedelta(days=90), "ended_at": SUBMITTED_AT - timedelta(days=10)},
}


def _catalogue_types() -> set[str]:
    # Other tests may register their own types; the samples cover the catalogue's.
    return {entry.type for entry in all_types() if entry.schema.__module__ == catalogue.__name__}


def _subject(type_: str) -> uuid.UUID | None:
    return None if type_.startswith("noloc.") else ACCOUNT


def _make(type_: str, data: dict):
    return new_event(type_, data, producer=get(type_).producer, subject=_subject(type_),
                     correlation_id="req-7f3a")


def test_every_catalogue_type_has_a_sample():
    assert _catalogue_types() == set(SAMPLES)


def test_every_catalogue_type_names_its_consumers_among_the_services():
    services = {"identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"}
    assert set(catalogue.CONSUMERS) == _catalogue_types()
    for type_, consumers in catalogue.CONSUMERS.items():
        assert set(consumers) <= services, type_
        assert get(type_).producer not in consumers, type_


@pytest.mark.parametrize("type_", sorted(SAMPLES))
def test_sample_round_trips_through_the_wire(type_):
    sent = _make(type_, SAMPLES[type_])
    received = load_event(sent.to_json())

    assert (received.id, received.type, received.version, received.producer, received.subject,
            received.correlation_id, received.occurred_at) == (
        sent.id, type_, 1, get(type_).producer, _subject(type_), "req-7f3a", sent.occurred_at)
    for key, value in SAMPLES[type_].items():
        assert received.data[key] == value, key


def test_wire_carries_no_floats_and_money_with_two_decimals():
    floats = []
    for type_, data in SAMPLES.items():
        wire = json.loads(_make(type_, data).to_json(), parse_float=floats.append)
        assert wire["data"].keys() <= set(get(type_).schema().fields)
    assert floats == []
    issued = json.loads(_make("billing.invoice.issued", SAMPLES["billing.invoice.issued"]).to_json())["data"]
    assert issued["net"] == {"amount": "200.00", "currency": "EUR"}
    assert issued["gross"]["amount"] == "242.00"
    assert issued["vat_rate"] == "21"


def _without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize("type_", sorted(SAMPLES))
def test_each_required_field_is_required(type_):
    schema = get(type_).schema()
    required = [name for name, field in schema.fields.items() if field.required]
    assert required, f"{type_} requires nothing"
    for name in required:
        with pytest.raises(InvalidEvent):
            _make(type_, _without(SAMPLES[type_], name))


def _with(type_: str, **changes) -> dict:
    return {**copy.deepcopy(SAMPLES[type_]), **changes}


# (type, changes to its sample, the field the error is reported on)
INVALID = [
    ("identity.account.registered", {"preferred_language": "de"}, "preferred_language"),
    ("identity.account.registered", {"roles": []}, "roles"),
    ("identity.account.registered", {"email": "anouk-at-example.nl"}, "email"),
    # a member without a number
    ("identity.account.registered", {"membership_number": None}, "membership_number"),
    # a number without a kind
    ("identity.account.registered", {"membership_kind": None}, "membership_number"),
    ("identity.account.updated", {"changed": ["password"]}, "changed"),
    ("identity.account.locked", {"locked_until": datetime(2026, 3, 2, 9, 45)}, "locked_until"),  # naive
    ("portfolio.submitted", {"snapshot_hash": "not-a-hash"}, "snapshot_hash"),
    ("portfolio.submitted", {"pe_points_counted": Decimal("-1")}, "pe_points_counted"),
    ("portfolio.submitted", {"pe_activity_ids": ["not-a-uuid"]}, "pe_activity_ids"),
    ("portfolio.supplement.submitted", {"parts": ["C"]}, "parts"),
    ("portfolio.supplement.submitted", {"parts": []}, "parts"),
    ("portfolio.milestone.behind", {"milestone": "lunch"}, "milestone"),
    ("pe.activity.recorded", {"unit": "hours"}, "unit"),
    ("pe.activity.recorded", {"external_id": None}, "external_id"),  # imported without Noloc's id
    ("pe.evidence.attached", {"content_type": "application/x-msdownload"}, "content_type"),
    ("pe.evidence.attached", {"size": 0}, "size"),
    ("assessment.advice.given", {"supplements": []}, "supplements"),  # postponed without assignments
    ("assessment.advice.given", {"is_reassessment": True}, "advice"),  # a reassessment is never postponed
    ("assessment.advice.given", {"advice": "positive"}, "supplements"),  # positive with assignments
    ("assessment.objection.decided", {"outcome": "partly"}, "outcome"),
    ("assessment.objection.decided", {"outcome": "upheld", "next_step": "assessor"}, "next_step"),
    ("certification.certificate.expiring", {"months_before": 2}, "months_before"),
    ("certification.certificate.registered", {"valid_until": date(2022, 6, 1)}, "valid_until"),
    # postponed with a new-portfolio deadline
    ("certification.decision.made", {"decision": "postponed", "supplement_due_on": date(2026, 7, 20),
                                     "supplements": [{"part": "B", "assignment": "Meer PE."}]},
     "new_portfolio_deadline"),
    # positive with a new-portfolio deadline
    ("certification.decision.made", {"decision": "positive"}, "new_portfolio_deadline"),
    # departs from the advice without reason
    ("certification.decision.made", {"follows_advice": False}, "reason"),
    # postponed without the assignments that reopen the parts
    ("certification.decision.made", {"decision": "postponed", "new_portfolio_deadline": None,
                                     "supplement_due_on": date(2026, 7, 20)}, "supplements"),
    # negative with assignments
    ("certification.decision.made", {"supplements": [{"part": "B", "assignment": "Meer PE."}]},
     "supplements"),
    ("billing.invoice.issued", {"gross": _eur("242.01")}, "gross"),
    ("billing.invoice.issued", {"vat": _eur("42.005")}, "vat"),  # never rounded silently
    ("billing.invoice.issued", {"net": {"amount": Decimal("200"), "currency": "USD"}}, "net"),
    ("billing.invoice.issued", {"issuer": "Noloc BV"}, "issuer"),
    ("billing.invoice.paid", {"amount": {"amount": "twee honderd", "currency": "EUR"}}, "amount"),
    # load and points
    ("noloc.academy.activity.completed", {"amount": Decimal("2"), "unit": "sbu"}, "points"),
    ("noloc.academy.activity.completed", {"points": None}, "points"),  # neither
    # amount without unit
    ("noloc.academy.activity.completed", {"points": None, "amount": Decimal("2")}, "points"),
    ("noloc.meeting.attended", {"group_name": None}, "group_name"),  # neither group nor supervisor
    ("noloc.meeting.attended", {"kind": "borrel"}, "kind"),
]


@pytest.mark.parametrize(("type_", "changes", "field"), INVALID,
                         ids=[f"{t}:{','.join(c)}" for t, c, _ in INVALID])
def test_invalid_data_is_refused_by_the_producer(type_, changes, field):
    with pytest.raises(InvalidEvent) as refused:
        _make(type_, _with(type_, **changes))
    assert field in refused.value.errors


def test_cross_field_rules_allow_their_valid_other_branch():
    # The counterparts of some INVALID cases, so the rules refuse only what they should.
    _make("assessment.advice.given", _with("assessment.advice.given", advice="positive", supplements=[],
                                          supplement_due_on=None))
    _make("noloc.academy.activity.completed", _with("noloc.academy.activity.completed", points=None,
                                                   amount=Decimal("1.5"), unit="ects"))
    _make("noloc.meeting.attended", _with("noloc.meeting.attended", group_name=None,
                                         supervisor_name="J. Bakker"))
    _make("identity.account.registered", _with("identity.account.registered", roles=["assessor"],
                                              membership_kind=None, membership_number=None))
    # The negative decision on the new portfolio after a negative one opens no further portfolio (ADR 0009).
    _make("certification.decision.made", _with("certification.decision.made", new_portfolio_deadline=None))
    _make("certification.decision.made", _with("certification.decision.made", decision="postponed",
                                              new_portfolio_deadline=None,
                                              supplement_due_on=date(2026, 7, 20),
                                              supplements=[{"part": "A3", "assignment": "Verdiep A3."}]))


def test_an_upheld_objection_says_where_the_case_goes_and_older_events_load_without():
    """``next_step`` (since 2026-12-07, without a new version; ADR 0011 amended): ``new_decision``, or
    ``pe_check`` after the round-0 postponed decision was annulled; an event from before it loads as null."""
    for next_step in ("new_decision", "pe_check"):
        sent = _make("assessment.objection.decided", _with("assessment.objection.decided", outcome="upheld",
                                                           next_step=next_step))
        assert load_event(sent.to_json()).data["next_step"] == next_step
    message = _wire("assessment.objection.decided")
    del message["data"]["next_step"]
    assert load_event(message).data["next_step"] is None


def _wire(type_: str) -> dict:
    return json.loads(_make(type_, SAMPLES[type_]).to_json())


def test_invalid_data_is_refused_by_the_consumer():
    message = _wire("portfolio.submitted")
    message["data"]["submission_id"] = "12345"
    with pytest.raises(InvalidEvent):
        load_event(json.dumps(message))

    message = _wire("billing.invoice.paid")
    message["data"]["amount"]["amount"] = "242.001"
    with pytest.raises(InvalidEvent):
        load_event(json.dumps(message).encode())

    message = _wire("assessment.advice.given")
    message["data"]["advice"] = "negative"  # still carries its supplementary assignments
    with pytest.raises(InvalidEvent):
        load_event(message)


def test_unknown_data_fields_are_ignored_on_load():
    message = _wire("billing.invoice.issued")
    message["data"]["payment_link"] = "https://pay.example.nl/abc"
    message["data"]["net"]["tax_code"] = "H"

    event = load_event(json.dumps(message))

    assert "payment_link" not in event.data
    assert event.data["net"] == {"amount": Decimal("200.00"), "currency": "EUR"}
    assert event.data["gross"]["amount"] == Decimal("242.00")


def test_optional_fields_load_with_their_defaults():
    message = _wire("noloc.meeting.attended")
    del message["data"]["duration_minutes"]

    event = load_event(message)

    assert event.data["duration_minutes"] is None
    assert event.data["supervisor_name"] is None


# --- the samples on the wire also fit the AsyncAPI document's payload schemas ---------------------------


@pytest.fixture(scope="module")
def document() -> dict:
    return asyncapi_document()


def _payload_validator(document: dict, type_: str) -> jsonschema.Draft7Validator:
    uri = "urn:recert:asyncapi"
    registry = Registry().with_resource(uri, DRAFT7.create_resource(document))
    return jsonschema.Draft7Validator({"$ref": f"{uri}#/components/messages/{type_}.v1/payload"},
                                      registry=registry,
                                      format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("type_", sorted(SAMPLES))
def test_real_messages_fit_their_documented_payload(document, type_):
    message = json.loads(_make(type_, SAMPLES[type_]).to_json())
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in _payload_validator(document, type_).iter_errors(message)]
    assert errors == []


def test_documented_payload_refuses_what_consumers_refuse(document):
    validator = _payload_validator(document, "billing.invoice.issued")
    good = json.loads(_make("billing.invoice.issued", SAMPLES["billing.invoice.issued"]).to_json())
    assert validator.is_valid(good)

    for damage in (
        lambda m: m["data"]["net"].update(amount=200),  # a number, not a string
        lambda m: m["data"]["vat"].update(amount="42.005"),
        lambda m: m["data"].pop("due_on"),
        lambda m: m["data"].update(issued_on="2 maart 2026"),
        lambda m: m.update(type="billing.invoice.paid"),
        lambda m: m.update(version=2),
    ):
        message = copy.deepcopy(good)
        damage(message)
        assert not validator.is_valid(message), message

    extended = copy.deepcopy(good)
    extended["data"]["payment_link"] = "https://pay.example.nl/abc"
    assert validator.is_valid(extended)  # consumers ignore unknown fields, so the contract allows them
