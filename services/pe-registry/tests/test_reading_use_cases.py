"""Evidence read for the jobcoach (ADR 0027): upload, the worker's reading, confirm and dismiss, on the
in-memory unit of work. The text PDFs and e-mails come from the reading corpus (fast); OCR has its own
few tests in test_reading_ocr.py."""
from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pe_registry_fakes as fakes
import pytest
import reading_corpus

from recert_common.domain_errors import FieldsRefused
from recert_common.filetypes import UploadTypeRefused
from recert_pe_registry import extraction
from recert_pe_registry.domain import EvidenceRefused, ReadingNotFound
from recert_pe_registry.service import PeRegistryService
from recert_pe_registry.settings import PeRegistrySettings

COACH = uuid.uuid4()
OTHER = uuid.uuid4()
PDF_DOC = reading_corpus.document(reading_corpus.DEFAULT_SEED, 0)  # a Dutch text PDF
MAIL_DOC = reading_corpus.document(reading_corpus.DEFAULT_SEED, 4)  # an HTML e-mail


@pytest.fixture
def service(uow, objects) -> PeRegistryService:
    settings = PeRegistrySettings.from_env("pe-registry", env={}, reading_max_attempts=2,
                                           reading_retry_seconds=0.0)
    return PeRegistryService(lambda: uow, settings, objects, clock=lambda: fakes.NOW)


def _upload(service, document=PDF_DOC, account_id=COACH):
    return service.upload_for_reading(account_id, io.BytesIO(document.data), filename=document.filename)


def _confirm(service, reading_id, account_id=COACH, **overrides):
    values = {"title": "Oplossingsgericht coachen", "provider": "Academie Noord",
              "completed_on": date(2026, 3, 15), "category": 1, "amount": Decimal("2.5"), "unit": "sbu",
              **overrides}
    return service.confirm_reading(account_id, reading_id, **values)


def test_an_upload_only_stores_the_file_and_a_pending_reading_and_wakes_the_worker(service, uow, db, objects):
    reading = _upload(service)
    assert (reading.state, reading.proposal, reading.content_type) == ("pending", None, "application/pdf")
    assert reading.object_key in objects.objects and db.notified == 1
    assert uow.published == [] and db.activities == {}  # nothing read, nothing recorded


def test_a_word_file_is_refused_for_reading_and_nothing_is_stored(service, db, objects):
    with pytest.raises(EvidenceRefused) as refused:
        service.upload_for_reading(COACH, io.BytesIO(b"PK\x03\x04" + b"\0" * 100), filename="verslag.docx")
    assert isinstance(refused.value.refusal, UploadTypeRefused)
    assert db.readings == {} and objects.objects == {}


def test_the_worker_proposes_the_activity_and_announces_it(service, uow, db):
    reading = _upload(service)
    done = service.read_next()
    truth = PDF_DOC.truth
    assert done.state == "proposed" and done.method == "pdf_text"
    assert done.proposal["completed_on"] == truth.completed_on.isoformat()
    assert (Decimal(done.proposal["amount"]), done.proposal["unit"]) == (truth.amount, truth.unit)
    assert done.proposal["category"] is None
    [event] = uow.published
    assert (event.type, event.subject, event.data["reading_id"]) == ("pe.reading.proposed", COACH,
                                                                      str(reading.id))
    assert event.data["completed_on"] == truth.completed_on.isoformat()
    assert db.activities == {}  # a proposal records nothing
    assert service.read_next() is None  # nothing else is due



def test_the_worker_reads_every_due_reading_in_one_pass(service, db):
    first, second = _upload(service), _upload(service)
    assert service.read_pending() == 2
    assert {db.readings[r.id].state for r in (first, second)} == {"proposed"}
    assert service.read_pending() == 0

def test_an_e_mail_is_read_from_its_html(service, uow):
    _upload(service, MAIL_DOC)
    done = service.read_next()
    assert done.method == "email"
    assert done.proposal["title"] == MAIL_DOC.truth.title
    assert done.proposal["completed_on"] == MAIL_DOC.truth.completed_on.isoformat()


def test_confirming_records_the_activity_with_the_file_as_evidence_in_one_go(service, uow, db, objects):
    reading = _upload(service)
    service.read_next()
    uow.published.clear()
    activity = _confirm(service, reading.id, amount=Decimal(3))  # corrected
    assert (activity.amount, activity.points, activity.source) == (Decimal(3), Decimal(3), "manual")
    [evidence] = activity.evidence
    assert (evidence.object_key, evidence.sha256, evidence.kind) == (reading.object_key, reading.sha256,
                                                                     "certificate")
    assert [e.type for e in uow.published] == ["pe.activity.recorded", "pe.evidence.attached"]
    assert db.readings == {} and reading.object_key in objects.objects


def test_a_confirmation_breaking_a_rule_records_nothing_and_keeps_the_reading(service, uow, db):
    reading = _upload(service)
    with pytest.raises(FieldsRefused) as refused:
        _confirm(service, reading.id, category=99, completed_on=date(2027, 1, 1))
    assert set(refused.value.errors) == {"category", "completed_on"}
    assert db.activities == {} and uow.published == [] and reading.id in db.readings


def test_the_same_file_confirmed_again_reuses_the_stored_bytes(service, db, objects):
    first = _upload(service)
    _confirm(service, first.id)
    second = _upload(service)
    activity = _confirm(service, second.id, title="Tweede keer")
    assert activity.evidence[0].object_key == first.object_key
    assert second.object_key in objects.deleted


def test_dismissing_removes_the_reading_and_its_file_and_records_nothing(service, uow, db, objects):
    reading = _upload(service)
    service.dismiss_reading(COACH, reading.id)
    assert db.readings == {} and reading.object_key not in objects.objects
    assert db.activities == {} and uow.published == []


def test_another_jobcoach_finds_no_reading(service):
    reading = _upload(service)
    for attempt in (lambda: service.reading(OTHER, reading.id),
                    lambda: service.dismiss_reading(OTHER, reading.id),
                    lambda: _confirm(service, reading.id, account_id=OTHER)):
        with pytest.raises(ReadingNotFound):
            attempt()
    assert service.list_readings(OTHER) == ([], 0)
    assert service.list_readings(COACH)[1] == 1


def test_a_document_without_text_fails_at_once_with_its_reason(service, uow):
    _upload(service, _document("leeg.txt", b"   \n"))
    done = service.read_next()
    assert (done.state, done.failure, done.attempts) == ("failed", "no_text", 1)
    assert [(e.type, e.data["reason"]) for e in uow.published] == [("pe.reading.failed", "no_text")]


def test_a_crash_of_the_reader_is_retried_then_given_up_after_the_bounded_attempts(service, uow, monkeypatch):
    reading = _upload(service)

    def broken(content_type, data):
        raise RuntimeError("the reader crashed")

    monkeypatch.setattr(extraction, "extract_text", broken)
    assert service.read_next().state == "pending"  # attempt 1 of 2: back in the queue
    assert uow.published == []
    done = service.read_next()
    assert (done.state, done.failure, done.attempts) == ("failed", "gave_up", 2)
    [event] = uow.published
    assert (event.type, event.data["reason"], event.data["reading_id"]) == ("pe.reading.failed", "gave_up",
                                                                             str(reading.id))


def test_a_broken_pdf_fails_as_unreadable_without_retries(service, uow):
    _upload(service, _document("kapot.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50))
    done = service.read_next()
    assert (done.state, done.failure, done.attempts) == ("failed", "unreadable", 1)
    assert service.read_next() is None


def test_a_reading_dismissed_while_it_was_read_is_not_announced(service, uow, db, monkeypatch):
    reading = _upload(service)
    real = extraction.extract_text

    def dismissed_meanwhile(content_type, data):
        service.dismiss_reading(COACH, reading.id)
        return real(content_type, data)

    monkeypatch.setattr(extraction, "extract_text", dismissed_meanwhile)
    service.read_next()
    assert uow.published == [] and db.readings == {}


def test_forgetting_an_account_forgets_its_readings_and_their_files(service, uow, db):
    reading = _upload(service)
    keys = uow.retention.forget_account(COACH)
    assert reading.object_key in keys and db.readings == {}


def _document(filename: str, data: bytes):
    return type("Doc", (), {"filename": filename, "data": data})()
