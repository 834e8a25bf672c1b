"""The archive's ZIP writer (recert_gateway.archive.stream_archive): entries come out as they are written,
a large file passes through in chunks without the archive or the file ever held whole, and the manifest
names every file with the hash of the bytes written and the hash the service stored."""
from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile
from datetime import UTC, datetime

from recert_gateway.archive import CHUNK, Contents, FileRef, archive_filename, stream_archive

MiB = 1024 * 1024


def _chunks(seed: bytes, size: int):
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece


def _expected_sha(seed: bytes, size: int) -> str:
    digest = hashlib.sha256()
    for piece in _chunks(seed, size):
        digest.update(piece)
    return digest.hexdigest()


def test_a_large_file_streams_through_without_being_held_whole():
    size = 48 * MiB
    contents = Contents(documents={"account.json": {"id": "x"}},
                        files=[FileRef("pe/evidence/a-groot.pdf", "pe-registry", "/a",
                                       _expected_sha(b"a", size), "evidence")])
    tracemalloc.start()
    written, largest, pieces = 0, 0, 0
    for piece in stream_archive(contents, lambda ref: _chunks(b"a", size), account_id="x"):
        written += len(piece)
        largest = max(largest, len(piece))
        pieces += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert written > 0 and pieces > 100  # it came out bit by bit, not in one piece
    assert largest < 2 * MiB
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB while streaming a {size // MiB} MiB file"


def test_the_archive_is_a_valid_zip_with_a_manifest_of_hashes():
    files = [FileRef("pe/evidence/1-a.pdf", "pe-registry", "/1", _expected_sha(b"/1", 300_000), "evidence"),
             FileRef("invoices/DNV-2026-000001.pdf", "billing", "/2", None, "invoice_pdf")]
    contents = Contents(documents={"account.json": {"id": "x"}, "messages.json": []}, files=files)
    data = b"".join(stream_archive(contents, lambda ref: _chunks(ref.source.encode(), 300_000 if
                                                                 ref.source == "/1" else 1000),
                                   account_id="x"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist()[-1] == "manifest.json"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["documents"] == ["account.json", "messages.json"]
    by_path = {entry["path"]: entry for entry in manifest["files"]}
    for ref in files:
        entry = by_path[ref.path]
        body = archive.read(ref.path)
        assert entry["sha256"] == hashlib.sha256(body).hexdigest() and entry["size"] == len(body)
        assert entry["stored_sha256"] == ref.stored_sha256
    assert by_path["pe/evidence/1-a.pdf"]["sha256"] == by_path["pe/evidence/1-a.pdf"]["stored_sha256"]


def test_the_archive_is_dated_in_the_platforms_calendar():
    # 23:30 UTC on 6 December is half past midnight on 7 December in Amsterdam.
    now = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert archive_filename(now) == "mijn-gegevens-2026-12-07.zip"
    assert archive_filename(datetime(2026, 7, 1, 21, 59, tzinfo=UTC)) == "mijn-gegevens-2026-07-01.zip"
    contents = Contents(documents={"account.json": {"id": "x"}}, files=[])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(stream_archive(contents, lambda ref: iter(()),
                                                                 account_id="x", now=now))))
    assert archive.getinfo("account.json").date_time == (2026, 12, 7, 0, 30, 0)
    assert json.loads(archive.read("manifest.json"))["made_at"] == "2026-12-06T23:30:00Z"
