"""The queue of documents to be read (ADR 0027) on real PostgreSQL and S3: an upload wakes a listening
worker by NOTIFY when it commits; a worker that claimed a reading and died leaves it to be claimed again once
its lease has run out (the attempt counted); two workers claiming at once get different readings
(FOR UPDATE SKIP LOCKED), neither waiting for the other."""
from __future__ import annotations

import io
import uuid

import psycopg
import reading_corpus

from recert_pe_registry.store import READINGS_CHANNEL

from waiting import wait_for

DOCUMENT = reading_corpus.document(reading_corpus.DEFAULT_SEED, 1)  # an English plain-text e-mail


def _upload(pe, account_id, salt: str = ""):
    data = DOCUMENT.data + salt.encode()
    return pe.service.upload_for_reading(account_id, io.BytesIO(data), filename=DOCUMENT.filename)


def test_an_upload_wakes_a_listening_worker_when_it_commits(pe):
    with psycopg.connect(pe.settings.database_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {READINGS_CHANNEL}")
        reading = _upload(pe, uuid.uuid4())
        woken = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in woken] == [READINGS_CHANNEL]
    pe.service.dismiss_reading(reading.account_id, reading.id)


def test_a_reading_held_by_a_worker_that_died_is_read_after_its_lease(pe):
    account = uuid.uuid4()
    reading = _upload(pe, account, "died")
    with pe.service.uow() as uow:  # a worker claims it with a short lease, then dies before reading
        claimed = uow.readings.claim(0.5)
    assert (claimed.id, claimed.attempts) == (reading.id, 1)
    assert pe.service.read_next() is None  # leased: nobody else takes it meanwhile
    done = wait_for(pe.service.read_next, timeout=10, interval=0.1, message="the lease to run out")
    assert (done.id, done.state, done.attempts) == (reading.id, "proposed", 2)
    assert done.proposal["completed_on"] == DOCUMENT.truth.completed_on.isoformat()


def test_two_workers_claiming_at_once_get_different_readings_without_waiting(pe):
    account = uuid.uuid4()
    first, second = _upload(pe, account, "a"), _upload(pe, account, "b")
    with pe.service.uow() as one:
        held = one.readings.claim(60)  # its transaction stays open: the row stays locked
        with pe.service.uow() as two:
            two.conn.execute("SET LOCAL lock_timeout = '2s'")  # waiting for the lock would fail, not hang
            other = two.readings.claim(60)
            assert two.readings.claim(60) is None  # nothing else is due
    assert {held.id, other.id} == {first.id, second.id}
