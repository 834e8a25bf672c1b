"""Retention (the AVG, ADR 0020): the evidence of a portfolio is deleted, rows and objects in the real S3
store, once RECERT_PE_REGISTRY_EVIDENCE_RETENTION_DAYS have passed since its final decision (positive or
negative), by the worker's schedule; evidence of what was not submitted, and of a portfolio decided more
recently or only postponed, stays."""
from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from pe_support import pdf_bytes, today
from races import Beside

from recert_common.clock import utcnow
from recert_pe_registry.service import PeRegistryService
from recert_pe_registry.store import SqlPeRegistryUnitOfWork
from recert_pe_registry.worker import schedules


def _submitted_with_evidence(pe, coach, text: str) -> tuple[dict, dict]:
    activity = pe.record(coach)
    evidence = pe.upload(coach, activity["id"], pdf_bytes(text)).get_json()
    pe.submitted(coach, [activity["id"]])
    return activity, evidence


def _decided(pe, coach, decision: str) -> None:
    data = {"decision_id": uuid.uuid4(), "case_id": uuid.uuid4(), "account_id": coach.account_id,
            "certificate_id": uuid.uuid4(), "decision": decision, "follows_advice": True,
            "objection_deadline": today() + timedelta(days=42)}
    if decision == "negative":
        data["new_portfolio_deadline"] = today() + timedelta(days=90)
    if decision == "postponed":
        data["supplement_due_on"] = today() + timedelta(days=90)
        data["supplements"] = [{"part": "B", "assignment": "Lever meer PE aan."}]
    pe.publish_and_wait("certification.decision.made", data, subject=coach.account_id)


def _stored(pe, evidence: dict) -> tuple[int, bool]:
    rows = pe.scalar("SELECT count(*) FROM evidence WHERE id = %s", (evidence["id"],))
    key = pe.rows("SELECT object_key FROM evidence WHERE id = %s", (evidence["id"],))
    return rows, bool(key) and key[0]["object_key"] in pe.objects()


def test_evidence_is_deleted_after_the_retention_period_and_not_before(pe):
    retention = timedelta(days=pe.settings.evidence_retention_days)
    assert retention == timedelta(days=730)  # the documented default
    positive, negative, postponed = pe.jobcoach(), pe.jobcoach(), pe.jobcoach()
    _, pos_evidence = _submitted_with_evidence(pe, positive, "positief")
    _, neg_evidence = _submitted_with_evidence(pe, negative, "negatief")
    _, post_evidence = _submitted_with_evidence(pe, postponed, "uitgesteld")
    # Not part of any submitted portfolio: the jobcoach's work in progress, kept.
    loose = pe.record(positive)
    loose_evidence = pe.upload(positive, loose["id"], pdf_bytes("los")).get_json()
    object_keys = {row["id"]: row["object_key"] for row in pe.rows(
        "SELECT id::text, object_key FROM evidence WHERE id = ANY(%s::uuid[])",
        ([pos_evidence["id"], neg_evidence["id"]],))}
    assert set(object_keys.values()) <= set(pe.objects())

    for coach, decision in ((positive, "positive"), (negative, "negative"), (postponed, "postponed")):
        _decided(pe, coach, decision)

    # A day before the retention runs out: nothing goes.
    assert pe.service.purge_expired_evidence(utcnow() + retention - timedelta(days=1)).evidence == 0
    assert _stored(pe, pos_evidence) == (1, True)

    result = pe.service.purge_expired_evidence(utcnow() + retention + timedelta(days=1))
    assert (result.decisions, result.evidence, result.objects) == (2, 2, 2)
    # In the same transactions, the read models elsewhere are told (through the outbox).
    removed = {body["data"]["evidence_id"] for coach in (positive, negative, postponed)
               for body in pe.outbox(coach.account_id, "pe.evidence.removed")}
    assert removed == {pos_evidence["id"], neg_evidence["id"]}
    for owner, evidence in ((positive, pos_evidence), (negative, neg_evidence)):
        assert pe.scalar("SELECT count(*) FROM evidence WHERE id = %s", (evidence["id"],)) == 0
        assert object_keys[evidence["id"]] not in pe.objects()
        assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", owner).status_code == 404
    assert _stored(pe, post_evidence) == (1, True)  # postponed is not final
    assert _stored(pe, loose_evidence) == (1, True)
    # The activities themselves (what was done, its points) stay.
    assert pe.scalar("SELECT count(*) FROM activities WHERE account_id = %s", (positive.account_id,)) == 2

    # Done once: a second run finds nothing more.
    assert pe.service.purge_expired_evidence(utcnow() + retention + timedelta(days=2)).decisions == 0


def test_the_evidence_a_supplement_added_goes_with_the_rest(pe):
    """An activity recorded for a Part B supplement is part of the case from the supplement's hand-in (ADR
    0043): its evidence is deleted with the portfolio's once the final decision's retention runs out. Before,
    it was never locked and so kept for good."""
    retention = timedelta(days=pe.settings.evidence_retention_days)
    coach = pe.jobcoach()
    submitted, evidence = _submitted_with_evidence(pe, coach, "ingediend")
    _decided(pe, coach, "postponed")
    late = pe.record(coach)
    late_evidence = pe.upload(coach, late["id"], pdf_bytes("aanvulling")).get_json()
    pe.supplement_submitted(coach, uuid.uuid4(), ["B"], [submitted["id"], late["id"]])
    _decided(pe, coach, "positive")

    pe.service.purge_expired_evidence(utcnow() + retention + timedelta(days=1))
    assert _stored(pe, evidence) == (0, False) and _stored(pe, late_evidence) == (0, False)


def test_the_purge_deletes_a_backlog_a_bounded_batch_per_transaction(pe):
    """Each transaction of the purge takes a lock per account, and PostgreSQL's lock table holds a few
    thousand in all: the first run after a backlog goes through it in batches, each committed on its own."""
    coaches = [pe.jobcoach() for _ in range(3)]
    evidence = [_submitted_with_evidence(pe, coach, f"achterstand {n}")[1] for n, coach in enumerate(coaches)]
    for coach in coaches:
        _decided(pe, coach, "positive")
    accounts = [coach.account_id for coach in coaches]

    result = pe.service.purge_expired_evidence(
        utcnow() + timedelta(days=pe.settings.evidence_retention_days + 1), batch=2)
    assert result.decisions >= 3
    assert pe.scalar("SELECT count(*) FROM evidence WHERE id = ANY(%s::uuid[])",
                     ([e["id"] for e in evidence],)) == 0
    assert pe.scalar("SELECT count(*) FROM final_decisions WHERE account_id = ANY(%s) AND purged_at IS NULL",
                     (accounts,)) == 0
    # Marked purged by two transactions: two decisions in the first, the third in the next.
    assert pe.scalar("SELECT count(DISTINCT xmin::text) FROM final_decisions WHERE account_id = ANY(%s)",
                     (accounts,)) == 2


def test_the_worker_schedules_the_retention(pe, make_settings):
    settings = make_settings(evidence_retention_days=0)
    coach = pe.jobcoach()
    _, evidence = _submitted_with_evidence(pe, coach, "meteen")
    _decided(pe, coach, "positive")
    [job] = [s for s in schedules(settings, pe.service.db) if s.name == "pe-registry.evidence-retention"]
    assert job.every_seconds == settings.retention_interval_seconds
    job.job(pe.service.db)
    assert pe.scalar("SELECT count(*) FROM evidence WHERE id = %s", (evidence["id"],)) == 0


def test_an_erased_account_is_forgotten_rows_and_objects(pe):
    coach, other = pe.jobcoach(), pe.jobcoach()
    _, evidence = _submitted_with_evidence(pe, coach, "vergeet mij")
    _, kept = _submitted_with_evidence(pe, other, "houd mij")
    key = pe.rows("SELECT object_key FROM evidence WHERE id = %s", (evidence["id"],))[0]["object_key"]
    officer = pe.person("dnv_officer")
    assert pe.call("GET", f"/v1/pe/evidence/{evidence['id']}", officer).status_code == 200  # a log row
    assert key in pe.objects()
    # What was sent about the person (titles, file names) is kept for audit once published; the relay does
    # not run here, so the rows are marked as it would. One waits still: consumers have yet to hear it.
    about = "SELECT count(*) FROM outbox WHERE body ->> 'subject' = %s"
    sent = pe.scalar(about, (str(coach.account_id),))
    assert sent >= 2  # the activity recorded, its evidence attached
    pe.rows("UPDATE outbox SET published_at = now() WHERE seq < (SELECT max(seq) FROM outbox "
            "WHERE body ->> 'subject' = %s) RETURNING seq", (str(coach.account_id),))

    pe.publish_and_wait("identity.account.erased", {"account_id": coach.account_id, "closed_at": utcnow()},
                        subject=coach.account_id)
    assert pe.scalar(about, (str(coach.account_id),)) == 1
    assert pe.scalar(about, (str(other.account_id),)) >= 2
    for table, column in (("activities", "account_id"), ("evidence", "account_id"),
                          ("accounts", "account_id"), ("certificate_periods", "account_id"),
                          ("submission_locks", "account_id"), ("access_log", "owner_id")):
        assert pe.scalar(f"SELECT count(*) FROM {table} WHERE {column} = %s", (coach.account_id,)) == 0, table
    assert key not in pe.objects()
    assert _stored(pe, kept) == (1, True)


def _decided_and_new_with_one_file(pe):
    """A jobcoach whose decided portfolio's evidence has the same file as a new activity's: one object, two
    rows. Returns the jobcoach, the file, the two activities and the cutoff just after the retention."""
    coach = pe.jobcoach()
    content = pdf_bytes(f"diploma {uuid.uuid4()}")
    decided = pe.record(coach)
    assert pe.upload(coach, decided["id"], content).status_code == 201
    pe.submitted(coach, [decided["id"]])
    _decided(pe, coach, "positive")
    new = pe.record(coach)
    return coach, content, decided, new, utcnow() + timedelta(days=pe.settings.evidence_retention_days + 1)


def _beside_the_purge(pe, first: str, after_retention, other: Callable[[PeRegistryService], object]) -> None:
    """The purge and ``other`` at the same moment: the one ``first`` names ("purge" or not) in a transaction
    held open until the second, in a thread, waits for a lock it holds or ends."""
    with pe.service.db.transaction() as held:
        joined = PeRegistryService(lambda: SqlPeRegistryUnitOfWork.joining(held), pe.settings,
                                   pe.service.evidence_store)
        if first == "purge":
            joined.purge_expired_evidence(after_retention)
            second = Beside(lambda: other(pe.service))
        else:
            other(joined)
            second = Beside(lambda: pe.service.purge_expired_evidence(after_retention))
        second.waits_on_a_lock_or_ends(pe.service.db)
    assert second.finished(), second.failures


@pytest.mark.parametrize("first", ["purge", "upload"])
def test_an_upload_of_a_file_the_purge_deletes_at_that_moment_keeps_its_file(pe, first):
    """The jobcoach uploads, for a new activity, the very file whose evidence the retention deletes at the
    same moment. The upload links to the stored file by its SHA-256 and drops its own copy; the purge
    deletes the files no row uses any more. Unserialised, the upload could link to the row being deleted,
    or the purge count the file's users before the upload's row committed, and the new evidence pointed at
    a deleted file. The account's lock, taken by both, makes either come second."""
    coach, content, decided, new, after_retention = _decided_and_new_with_one_file(pe)

    def upload(service: PeRegistryService) -> None:
        service.attach_evidence(coach.account_id, uuid.UUID(new["id"]), io.BytesIO(content),
                                filename="diploma.pdf", content_type="application/pdf")

    _beside_the_purge(pe, first, after_retention, upload)
    [evidence] = pe.rows("SELECT id::text, object_key FROM evidence WHERE activity_id = %s", (new["id"],))
    assert evidence["object_key"] in pe.objects()
    read = pe.call("GET", f"/v1/pe/evidence/{evidence['id']}/content", coach)
    assert read.status_code == 200 and read.data == content
    assert pe.scalar("SELECT count(*) FROM evidence WHERE activity_id = %s", (decided["id"],)) == 0


@pytest.mark.parametrize("first", ["purge", "removal"])
def test_the_purge_and_a_removal_of_the_files_last_two_rows_at_once_delete_the_file(pe, first):
    """The purge deletes one row of a file while the jobcoach removes the other: each counted the other's
    row, deleted but not yet committed, as a user of the file, so neither deleted it and it stayed in the
    bucket for good. Whichever comes second under the account's lock sees the file unused."""
    coach, content, decided, new, after_retention = _decided_and_new_with_one_file(pe)
    linked = pe.upload(coach, new["id"], content).get_json()
    [key] = {row["object_key"] for row in pe.rows("SELECT object_key FROM evidence WHERE account_id = %s",
                                                  (coach.account_id,))}

    def remove(service: PeRegistryService) -> None:
        service.remove_evidence(coach.account_id, uuid.UUID(linked["id"]))

    _beside_the_purge(pe, first, after_retention, remove)
    assert pe.scalar("SELECT count(*) FROM evidence WHERE account_id = %s", (coach.account_id,)) == 0
    assert key not in pe.objects()
