"""Every use case of the PE registry against the in-memory unit of work: what it returns, what it refuses,
what it publishes (and that a refusal publishes nothing)."""
from __future__ import annotations

import dataclasses
import io
import json
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources

import pytest
from pe_registry_fakes import (
    NOW,
    assessor_assigned,
    case_opened,
    completion,
    decided,
    handle,
    registered,
    submitted,
)

from recert_common.auth import Role
from recert_common.domain_errors import FieldsRefused
from recert_common.filetypes import UnsafeFilename, UploadTypeRefused
from recert_common.rules import FRAMEWORK_DIR_ENV, clear_framework_cache
from recert_common.storage import UploadTooLarge
from recert_pe_registry.domain import (
    AccountNotFound,
    ActivityLocked,
    ActivityNotFound,
    CertificatePeriod,
    EvidenceContentMissing,
    EvidenceNotFound,
    EvidenceRefused,
    FilenameMissing,
    ImportedActivityReadOnly,
    MultipartRefused,
    Viewer,
)
from recert_pe_registry.service import PeRegistryService

TODAY = date(2026, 4, 1)  # NOW in Amsterdam
START = date(2024, 1, 1)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nbewijs\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00"


def _certified(db, account_id=None, *, starts_on=START) -> uuid.UUID:
    account_id = account_id or uuid.uuid4()
    db.periods[account_id] = CertificatePeriod(account_id, uuid.uuid4(), starts_on, starts_on,
                                               date(2027, 12, 31), None, NOW - timedelta(days=500))
    return account_id


def _record(service: PeRegistryService, account_id, **overrides):
    values = dict(title="Webinar", provider="Noloc Academie", completed_on=date(2026, 3, 1), category=1,
                  amount=Decimal("3"), unit="sbu")
    values.update(overrides)
    return service.record_activity(account_id, **values)


def _upload(service, account_id, activity_id, body=PDF, **kwargs):
    kwargs.setdefault("filename", "bewijs.pdf")
    return service.attach_evidence(account_id, activity_id, io.BytesIO(body), **kwargs)


def _owner(account_id) -> Viewer:
    return Viewer(account_id, frozenset({Role.JOBCOACH}))


def _officer() -> Viewer:
    return Viewer(uuid.uuid4(), frozenset({Role.DNV_OFFICER}))


# --- activities ------------------------------------------------------------------------------------------


def test_today_is_the_day_in_the_configured_zone(service, settings):
    assert service.today() == TODAY
    utc = type(settings).from_env("pe-registry", env={"RECERT_PE_REGISTRY_TIME_ZONE": "UTC"})
    other = PeRegistryService(service.uow, utc, service.evidence_store, clock=lambda: NOW)
    assert other.today() == date(2026, 3, 31)


def test_recording_an_activity_computes_its_points_and_announces_it(service, uow, db):
    coach = _certified(db)
    activity = _record(service, coach, amount=Decimal("0.50"), unit="ects")
    assert (activity.amount, activity.points, activity.source, activity.locked) == (
        Decimal("0.5"), Decimal(14), "manual", False)
    [event] = uow.published
    assert (event.type, event.subject, event.producer) == ("pe.activity.recorded", coach, "pe-registry")
    assert event.data["points"] == "14" and event.data["activity_id"] == str(activity.id)


def test_an_activity_breaking_rules_is_refused_and_nothing_is_announced(service, uow, db):
    coach = _certified(db)
    with pytest.raises(FieldsRefused) as refused:
        _record(service, coach, completed_on=TODAY + timedelta(days=1), category=99)
    assert set(refused.value.errors) == {"completed_on", "category"}
    with pytest.raises(FieldsRefused):
        _record(service, coach, completed_on=START - timedelta(days=1))
    assert uow.published == [] and db.activities == {}


def test_without_a_certificate_the_period_is_the_last_validity_up_to_today(service, db):
    coach = uuid.uuid4()
    assert _record(service, coach, completed_on=date(2023, 1, 1)).completed_on == date(2023, 1, 1)
    with pytest.raises(FieldsRefused):
        _record(service, coach, completed_on=date(2021, 1, 1))


def test_a_jobcoach_lists_their_own_activities_and_nobody_else_may(service, db, uow):
    coach = _certified(db)
    older = _record(service, coach, completed_on=date(2026, 1, 1))
    newer = _record(service, coach, completed_on=date(2026, 2, 1), category=2)
    items, total = service.list_activities(_owner(coach), coach)
    assert ([a.id for a in items], total) == ([newer.id, older.id], 2)
    items, total = service.list_activities(_owner(coach), coach, category=2, page_size=1)
    assert ([a.id for a in items], total) == ([newer.id], 1)
    with pytest.raises(AccountNotFound):
        service.list_activities(_owner(uuid.uuid4()), coach)
    assert db.reads == []  # the owner's own reads are not logged


def test_an_assessor_reads_only_the_snapshot_of_a_running_case_and_the_read_is_logged(
        service, handlers, uow, db):
    coach = _certified(db)
    submitted_activity = _record(service, coach)
    _record(service, coach, title="Later")
    assessor = Viewer(uuid.uuid4(), frozenset({Role.ASSESSOR}))
    with pytest.raises(AccountNotFound):
        service.list_activities(assessor, coach)
    case_id, submission_id = uuid.uuid4(), uuid.uuid4()
    handle(uow, handlers.on_portfolio_submitted, submitted(coach, submission_id, [submitted_activity.id]))
    handle(uow, handlers.on_case_opened, case_opened(coach, case_id, submission_id))
    handle(uow, handlers.on_assessor_assigned, assessor_assigned(coach, case_id, assessor.account_id))

    items, total = service.list_activities(assessor, coach)
    assert ([a.id for a in items], total) == ([submitted_activity.id], 1)
    assert service.activity(assessor, submitted_activity.id).id == submitted_activity.id
    [(_, listing), (_, one)] = db.reads
    assert (listing.kind, listing.reader_role, one.kind, one.label) == (
        "activities", "assessor", "activity", "Webinar")
    page, total = service.access_log(coach, page=1, page_size=10)
    assert total == 2 and page[0].kind == "activity"

    handle(uow, handlers.on_decision_made, decided(coach, case_id, "positive"))
    with pytest.raises(ActivityNotFound):
        service.activity(assessor, submitted_activity.id)


def test_one_activity_is_read_with_its_evidence_by_its_owner_and_dnv(service, db):
    coach = _certified(db)
    activity = _record(service, coach)
    _upload(service, coach, activity.id)
    [evidence] = service.activity(_owner(coach), activity.id).evidence
    assert evidence.filename == "bewijs.pdf"
    assert service.activity(_officer(), activity.id).id == activity.id
    with pytest.raises(ActivityNotFound):
        service.activity(_owner(uuid.uuid4()), activity.id)
    with pytest.raises(ActivityNotFound):
        service.activity(_owner(coach), uuid.uuid4())


def test_changing_the_study_load_computes_the_points_again(service, uow, db):
    coach = _certified(db)
    activity = _record(service, coach)
    changed = service.update_activity(coach, activity.id, {"amount": Decimal(1), "unit": "ects"})
    assert (changed.points, changed.framework_version) == (Decimal(28), activity.framework_version)
    assert uow.published[-1].type == "pe.activity.updated"
    assert uow.published[-1].data["points"] == "28"
    described = service.update_activity(coach, activity.id, {"description": "Goed"})
    assert (described.description, described.points) == ("Goed", Decimal(28))


def test_a_change_breaking_a_rule_or_of_someone_else_is_refused_without_an_event(service, uow, db):
    coach = _certified(db)
    activity = _record(service, coach)
    published = len(uow.published)
    with pytest.raises(FieldsRefused):
        service.update_activity(coach, activity.id, {"completed_on": START - timedelta(days=1)})
    with pytest.raises(ActivityNotFound):
        service.update_activity(uuid.uuid4(), activity.id, {"title": "Mine"})
    assert len(uow.published) == published


def test_an_unchanged_date_is_not_judged_again_against_a_later_period(service, db):
    coach = _certified(db)
    activity = _record(service, coach, completed_on=date(2024, 6, 1))
    _certified(db, coach, starts_on=date(2025, 1, 1))
    assert service.update_activity(coach, activity.id, {"amount": Decimal(4)}).points == Decimal(4)


def test_a_submitted_activity_cannot_be_changed_removed_or_given_evidence(service, uow, db, objects):
    coach = _certified(db)
    activity = _record(service, coach)
    db.submission_locks[(activity.id, uuid.uuid4())] = (coach, NOW, None)
    published = len(uow.published)
    with pytest.raises(ActivityLocked):
        service.update_activity(coach, activity.id, {"title": "Anders"})
    with pytest.raises(ActivityLocked):
        service.remove_activity(coach, activity.id)
    with pytest.raises(ActivityLocked):
        _upload(service, coach, activity.id)
    assert len(uow.published) == published and objects.objects == {}


def test_an_imported_activity_keeps_what_noloc_vouches_for(service, handlers, uow, db):
    coach = _certified(db)
    handle(uow, handlers.on_account, registered(coach, "12345678"))
    handle(uow, handlers.on_noloc_activity_completed, completion("12345678"))
    [activity] = db.activities.values()
    published = len(uow.published)
    with pytest.raises(ImportedActivityReadOnly) as refused:
        service.update_activity(coach, activity.id, {"title": "Anders", "description": "Mag"})
    assert refused.value.fields == ["title"]
    assert len(uow.published) == published
    assert service.update_activity(coach, activity.id, {"description": "Mag"}).description == "Mag"


def test_removing_an_activity_removes_its_evidence_and_the_files_nobody_else_uses(service, uow, db, objects):
    coach = _certified(db)
    first, second = _record(service, coach), _record(service, coach, title="Tweede")
    shared = _upload(service, coach, first.id).evidence
    _upload(service, coach, second.id)  # the same bytes: linked to the stored object
    own = _upload(service, coach, first.id, body=PDF + b"anders", filename="ander.pdf").evidence
    service.remove_activity(coach, first.id)
    assert uow.published[-1].type == "pe.activity.removed"
    assert uow.published[-1].data == {"activity_id": str(first.id), "account_id": str(coach),
                                      "category": "1", "points": "3"}
    assert own.object_key not in objects.objects and shared.object_key in objects.objects
    assert [e.activity_id for e in db.evidence.values()] == [second.id]
    with pytest.raises(ActivityNotFound):
        service.remove_activity(coach, first.id)


# --- evidence --------------------------------------------------------------------------------------------


def test_an_upload_is_stored_and_announced(service, uow, db, objects):
    coach = _certified(db)
    activity = _record(service, coach)
    result = _upload(service, coach, activity.id, kind="certificate")
    assert (result.created, result.duplicate_of) == (True, None)
    evidence = result.evidence
    assert (evidence.content_type, evidence.size, evidence.kind) == (
        "application/pdf", len(PDF), "certificate")
    assert evidence.object_key == next(iter(objects.objects))
    assert evidence.object_key.startswith(f"accounts/{coach}/evidence/")
    assert uow.published[-1].type == "pe.evidence.attached"
    assert uow.published[-1].data["sha256"] == evidence.sha256


def test_the_same_file_again_adds_nothing_to_its_activity_and_is_linked_to_another(service, uow, db, objects):
    coach = _certified(db)
    first, second = _record(service, coach), _record(service, coach, title="Tweede")
    original = _upload(service, coach, first.id).evidence
    published = len(uow.published)

    again = _upload(service, coach, first.id)
    assert (again.created, again.duplicate_of, again.evidence.id) == (False, original.id, original.id)
    assert len(uow.published) == published

    linked = _upload(service, coach, second.id)
    assert (linked.created, linked.duplicate_of) == (True, original.id)
    assert linked.evidence.object_key == original.object_key
    assert list(objects.objects) == [original.object_key]  # the uploads' own copies are gone


@pytest.mark.parametrize(("kwargs", "refusal"), [
    ({"content_type": "multipart/form-data"}, MultipartRefused),
    ({"filename": None}, FilenameMissing),
    ({"filename": "../etc/passwd"}, UnsafeFilename),
    ({"declared_length": 1001}, UploadTooLarge),
    ({"body": ELF, "filename": "bewijs"}, UploadTypeRefused),
    ({"body": PDF + bytes(1000)}, UploadTooLarge),
])
def test_a_refused_upload_leaves_no_row_no_object_and_no_event(service, uow, db, objects, kwargs, refusal):
    coach = _certified(db)
    activity = _record(service, coach)
    published = len(uow.published)
    with pytest.raises(EvidenceRefused) as refused:
        _upload(service, coach, activity.id, **kwargs)
    assert isinstance(refused.value.refusal, refusal)
    assert (db.evidence, objects.objects, len(uow.published)) == ({}, {}, published)


def test_an_upload_to_an_unknown_or_someone_elses_activity_is_refused_before_storing(service, db, objects):
    coach = _certified(db)
    activity = _record(service, coach)
    with pytest.raises(ActivityNotFound):
        _upload(service, uuid.uuid4(), activity.id)
    with pytest.raises(ActivityNotFound):
        _upload(service, coach, uuid.uuid4())
    assert objects.objects == {}


def test_evidence_and_its_content_are_read_by_the_owner_and_dnv_and_logged_for_dnv(service, db, objects):
    coach = _certified(db)
    evidence = _upload(service, coach, _record(service, coach).id).evidence
    assert service.evidence(_owner(coach), evidence.id) == evidence
    officer = _officer()
    found, chunks = service.open_evidence(officer, evidence.id)
    assert (found, b"".join(chunks)) == (evidence, PDF)
    assert [read.kind for _, read in db.reads] == ["evidence_content"]
    with pytest.raises(EvidenceNotFound):
        service.evidence(_owner(uuid.uuid4()), evidence.id)
    objects.objects.clear()
    with pytest.raises(EvidenceContentMissing):
        service.open_evidence(officer, evidence.id)


def test_removing_evidence_announces_it_and_drops_the_unused_file(service, uow, db, objects):
    coach = _certified(db)
    evidence = _upload(service, coach, _record(service, coach).id).evidence
    with pytest.raises(EvidenceNotFound):
        service.remove_evidence(uuid.uuid4(), evidence.id)
    service.remove_evidence(coach, evidence.id)
    assert uow.published[-1].type == "pe.evidence.removed"
    assert uow.published[-1].data["sha256"] == evidence.sha256
    assert (db.evidence, objects.objects) == ({}, {})


# --- summary and retention -------------------------------------------------------------------------------


def test_the_summary_counts_activities_with_proof_in_the_period(service, db):
    coach = _certified(db)
    proven = _record(service, coach, amount=Decimal(40))
    _upload(service, coach, proven.id)
    _record(service, coach, amount=Decimal(5), title="Zonder bewijs")
    summary = service.summary(_owner(coach), coach)
    assert (summary.period.first, summary.period.source) == (START, "certificate")
    assert (summary.result.raw_total, summary.without_evidence_total, summary.recorded_total) == (
        Decimal(40), Decimal(5), Decimal(45))
    assert [item.title for item in summary.without_evidence] == ["Zonder bewijs"]
    requested = service.summary(_officer(), coach, first=date(2026, 3, 2))
    assert (requested.period.source, requested.recorded_total) == ("requested", Decimal(0))


@pytest.fixture
def frameworks_2027_and_2028(tmp_path, monkeypatch):
    """Two framework years that weigh category 2 differently: at most 20 points in 2027, 5 in 2028."""
    packaged = resources.files("recert_common.rules").joinpath("frameworks/2024.json")
    raw = json.loads(packaged.read_text("utf-8"))
    for year, maximum in ((2027, "20"), (2028, "5")):
        raw["year"] = year
        raw["pe"]["categories"]["items"][1]["maximum"] = maximum
        (tmp_path / f"{year}.json").write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setenv(FRAMEWORK_DIR_ENV, str(tmp_path))
    clear_framework_cache()
    yield
    clear_framework_cache()


def test_a_period_extended_into_the_next_year_is_weighed_with_the_certificates_expiry_year(
        service, db, frameworks_2027_and_2028):
    """A postponed decision's supplement runs into 2028; the certificate expires in 2027, and portfolio weighs
    the period with the 2027 framework (``Cycle.framework``): so does the summary."""
    coach = _certified(db)  # expires 2027-12-31
    db.periods[coach] = dataclasses.replace(db.periods[coach], extended_until=date(2028, 3, 31))
    activity = _record(service, coach, category=2, amount=Decimal(15))
    _upload(service, coach, activity.id)
    summary = service.summary(_owner(coach), coach)
    assert summary.period.last == date(2028, 3, 31)
    assert summary.framework.year == 2027
    assert summary.result.category(2).counted == 15
    # A period the caller asks for within the certificate's is the certificate's too.
    asked = service.summary(_officer(), coach, first=date(2026, 1, 1), last=date(2028, 2, 1))
    assert (asked.framework.year, asked.result.category(2).counted) == (2027, 15)
    # Beyond the certificate's period pe-registry knows no certificate: the year of the period's end.
    assert service.summary(_officer(), coach, first=date(2026, 1, 1), last=date(2028, 6, 1)).framework.year \
        == 2028


def test_a_summary_of_a_backwards_period_or_of_someone_else_is_refused(service, db):
    coach = _certified(db)
    with pytest.raises(FieldsRefused) as refused:
        service.summary(_owner(coach), coach, first=date(2026, 3, 1), last=date(2026, 2, 1))
    assert list(refused.value.errors) == ["from"]
    with pytest.raises(AccountNotFound):
        service.summary(_owner(uuid.uuid4()), coach)


def test_evidence_past_its_retention_after_a_final_decision_is_deleted_with_its_files(
        service, uow, db, objects, settings):
    coach = _certified(db)
    submitted_activity, kept = _record(service, coach), _record(service, coach, title="Later")
    old = _upload(service, coach, submitted_activity.id).evidence
    _upload(service, coach, kept.id, body=PDF + b"later")
    db.submission_locks[(submitted_activity.id, uuid.uuid4())] = (coach, NOW - timedelta(days=10), None)
    decided_at = NOW - timedelta(days=5)
    uow.retention.note_final_decision(uuid.uuid4(), coach, decided_at)
    retention = timedelta(days=settings.evidence_retention_days)

    assert service.purge_expired_evidence(decided_at + retention - timedelta(days=1)).evidence == 0
    before = len(uow.published)
    result = service.purge_expired_evidence(decided_at + retention + timedelta(days=1))
    assert (result.decisions, result.evidence, result.objects) == (1, 1, 1)
    assert old.object_key not in objects.objects and len(objects.objects) == 1
    # Read models of the evidence (portfolio's, assessment's, DNV's and Noloc's) hear that it is gone.
    [removed] = uow.published[before:]
    assert (removed.type, removed.data["evidence_id"], removed.data["sha256"]) == (
        "pe.evidence.removed", str(old.id), old.sha256)
    assert [e.activity_id for e in db.evidence.values()] == [kept.id]
    assert service.purge_expired_evidence(decided_at + retention + timedelta(days=2)).decisions == 0
    assert set(db.activities) == {submitted_activity.id, kept.id}  # the activities stay


def test_purging_with_no_argument_uses_the_service_clock(service, db):
    assert service.purge_expired_evidence().decisions == 0


def test_dates_and_instants_are_what_the_domain_returns(service, db):
    coach = _certified(db)
    activity = _record(service, coach)
    assert isinstance(activity.created_at, datetime) and activity.evidence == ()


# --- mentors (ADR 0028) -----------------------------------------------------------------------------------


def test_a_mentor_reads_the_summary_only_while_the_mentorship_runs_and_never_the_activities(
        service, uow, db, handlers):
    from pe_registry_fakes import event

    coach = _certified(db)
    _record(service, coach)
    mentor = Viewer(uuid.uuid4(), frozenset({Role.MENTOR}))
    with pytest.raises(AccountNotFound):
        service.summary(mentor, coach)
    ids = {"mentorship_id": uuid.uuid4(), "account_id": coach, "mentor_id": mentor.account_id}
    handle(uow, handlers.table()["portfolio.mentorship.started"], event("portfolio.mentorship.started", {
        **ids, "shared": ["drafts", "meetings", "pe_summary"], "started_at": NOW}))
    assert service.summary(mentor, coach).account_id == coach
    with pytest.raises(AccountNotFound):  # the summary, not the activities
        service.list_activities(mentor, coach, page=1, page_size=10)
    other_coach = _certified(db)
    with pytest.raises(AccountNotFound):
        service.summary(mentor, other_coach)
    handle(uow, handlers.table()["portfolio.mentorship.ended"], event("portfolio.mentorship.ended", {
        **ids, "started_at": NOW, "ended_at": NOW + timedelta(hours=1)}))
    with pytest.raises(AccountNotFound):
        service.summary(mentor, coach)
