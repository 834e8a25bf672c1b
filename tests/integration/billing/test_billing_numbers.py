"""Invoice numbers stay gapless and unique per issuer and year when 8 threads or 8 processes issue 500
invoices at once, some of their transactions rolling back after taking a number."""
from __future__ import annotations

import multiprocessing
import re
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from billing_support import issue_in_process, issue_many

from recert_billing.domain import CertificateYear, InvoiceKind, draft_invoice
from recert_billing.service import issue_invoice
from recert_billing.store import SqlBillingUnitOfWork

TOTAL, WORKERS = 500, 8
NUMBER = re.compile(r"^(DNV|Noloc)-(\d{4})-(\d{6})$")


def _shares() -> list[int]:
    return [TOTAL // WORKERS + (1 if i < TOTAL % WORKERS else 0) for i in range(WORKERS)]


def assert_gapless(billing, year: int, committed: list[str]) -> None:
    rows = billing.rows("SELECT number, issuer, year, seq FROM invoices WHERE year = %s", year)
    assert len(rows) == TOTAL == len(committed)
    assert sorted(r["number"] for r in rows) == sorted(committed)
    per_issuer: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        issuer, number_year, seq = NUMBER.fullmatch(row["number"]).groups()
        assert (issuer, int(number_year), int(seq)) == (row["issuer"], row["year"], row["seq"])
        per_issuer[issuer].append(int(seq))
    assert set(per_issuer) == {"DNV", "Noloc"}
    for issuer, seqs in per_issuer.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"{issuer} {year} has gaps or duplicates"
    counters = {r["series"]: r["last_number"] for r in billing.rows(
        "SELECT series, last_number FROM number_series WHERE year = %s", year)}
    assert counters == {issuer: len(seqs) for issuer, seqs in per_issuer.items()}
    issued = {e["data"]["number"] for e in billing.outbox("billing.invoice.issued")
              if e["data"]["issued_on"].startswith(str(year))}
    assert issued == set(committed)


def test_eight_threads_issue_500_gapless_numbers(billing):
    year = 2031  # a year of its own, so that no other test's invoices share the series
    barrier = threading.Barrier(WORKERS)

    def work(share: int) -> list[str]:
        barrier.wait()
        return issue_many(billing.db, year, share, seed=uuid.uuid4().int)

    with ThreadPoolExecutor(WORKERS) as pool:
        committed = [n for numbers in pool.map(work, _shares()) for n in numbers]
    assert_gapless(billing, year, committed)


def test_eight_processes_issue_500_gapless_numbers(billing):
    year = 2032
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    processes = [context.Process(target=issue_in_process,
                                 args=(billing.db.url, year, share, ready, go, results), daemon=True)
                 for share in _shares()]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            assert ready.acquire(timeout=60), "a process did not start"
        go.set()
        committed = [n for _ in processes for n in results.get(timeout=120)]
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    assert all(process.exitcode == 0 for process in processes)
    assert_gapless(billing, year, committed)


def test_a_rolled_back_invoice_gives_its_number_back(billing):
    year = 2033
    draft = draft_invoice(InvoiceKind.RECERTIFICATION, account_id=uuid.uuid4(), issued_on=date(year, 5, 1),
                          submission_id=uuid.uuid4())
    try:
        with billing.db.transaction() as conn:
            uow = SqlBillingUnitOfWork.joining(conn)
            assert issue_invoice(uow, draft, now=datetime.now(UTC)).number == f"DNV-{year}-000001"
            raise RuntimeError("the handler failed after issuing")
    except RuntimeError:
        pass
    with billing.db.transaction() as conn:
        uow = SqlBillingUnitOfWork.joining(conn)
        again = issue_invoice(uow, draft, now=datetime.now(UTC))
        assert again.number == f"DNV-{year}-000001"
        # The same trigger once more (a redelivery): nothing issued, no number used.
        assert issue_invoice(uow, draft, now=datetime.now(UTC)) is None
    other = draft_invoice(InvoiceKind.RECERTIFICATION, account_id=uuid.uuid4(), issued_on=date(year, 5, 2),
                          submission_id=uuid.uuid4())
    with billing.db.transaction() as conn:
        uow = SqlBillingUnitOfWork.joining(conn)
        assert issue_invoice(uow, other, now=datetime.now(UTC)).number == f"DNV-{year}-000002"


def test_the_same_trigger_issued_by_eight_threads_at_once_is_one_invoice(billing):
    year = 2034
    draft = draft_invoice(InvoiceKind.REGISTER_FEE, account_id=uuid.uuid4(), issued_on=date(year, 1, 1),
                          period=CertificateYear(date(year, 1, 1), date(year, 12, 31)))
    barrier = threading.Barrier(WORKERS)

    def work(_: int):
        barrier.wait()
        with billing.db.transaction() as conn:
            invoice = issue_invoice(SqlBillingUnitOfWork.joining(conn), draft, now=datetime.now(UTC))
        return invoice.number if invoice else None

    with ThreadPoolExecutor(WORKERS) as pool:
        numbers = [n for n in pool.map(work, range(WORKERS)) if n]
    assert numbers == [f"Noloc-{year}-000001"]
    assert billing.scalar("SELECT last_number FROM number_series WHERE series = 'Noloc' AND year = %s",
                          year) == 1
