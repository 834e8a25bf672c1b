"""recert_common.storage against a real S3 endpoint (moto's server locally, MinIO under Docker).

The SDK's HTTP traffic is recorded through its public ``http_client`` hook, and the uploaded "files" are
generated while they are read, so the tests can see what was sent, when, and how far the source had been
read at that moment: that is how bounded buffering and "nothing sent before the type check" are shown.
"""
from __future__ import annotations

import hashlib
import socket
import time
from dataclasses import dataclass

import pytest
import urllib3

from recert_common import filetypes
from recert_common.storage import (
    READ_CHUNK,
    ObjectNotFound,
    ObjectStore,
    StoredObject,
    UnsafeFilename,
    UploadEmpty,
    UploadTooLarge,
    UploadTypeMismatch,
    UploadTypeRefused,
)

from generated_files import BytesSource, GeneratedFile, generated_bytes

MiB = 1024 * 1024
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
ELF_HEAD = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@dataclass
class Sent:
    method: str
    url: str
    body_size: int
    source_position: int | None


class RecordingHttp(urllib3.PoolManager):
    """The SDK's HTTP client, noting each request and how far ``source`` had been read when it left."""

    def __init__(self):
        super().__init__(timeout=urllib3.Timeout(connect=5, read=60), retries=False)
        self.sent: list[Sent] = []
        self.source: GeneratedFile | None = None

    def urlopen(self, method, url, redirect=True, **kw):
        body = kw.get("body")
        position = self.source.position if self.source is not None else None
        self.sent.append(Sent(method, url, len(body) if body else 0, position))
        return super().urlopen(method, url, redirect=redirect, **kw)

    def writes(self) -> list[Sent]:
        return [s for s in self.sent if s.method in ("PUT", "POST")]


def _store(infra, bucket: str, **options) -> ObjectStore:
    return ObjectStore(infra.s3_endpoint, infra.s3_access_key, infra.s3_secret_key, bucket, **options)


def _incomplete_uploads(store: ObjectStore) -> list:
    # The SDK has no public call for ListMultipartUploads; its private one is fine in a test.
    return store.client._list_multipart_uploads(store.bucket).uploads


def _object_names(store: ObjectStore) -> list[str]:
    return sorted(o.object_name for o in store.client.list_objects(store.bucket, recursive=True))


@pytest.fixture(scope="module")
def store(infra):
    store = _store(infra, f"recert-storage-{infra.run_id}")
    store.ensure_bucket()
    yield store
    for name in _object_names(store):
        store.client.remove_object(store.bucket, name)
    for upload in _incomplete_uploads(store):
        store.client._abort_multipart_upload(store.bucket, upload.object_name, upload.upload_id)
    store.client.remove_bucket(store.bucket)


@pytest.fixture
def recorded(infra, store):
    """A second client on the same bucket whose traffic is recorded."""
    http = RecordingHttp()
    return _store(infra, store.bucket, http_client=http), http


@pytest.fixture
def nothing_left(store):
    """Asserts after the test that the bucket holds the same objects and no incomplete upload."""
    before = _object_names(store)
    yield
    assert _object_names(store) == before
    assert _incomplete_uploads(store) == []


@pytest.fixture(scope="module")
def uploaded_12mb(infra, store):
    http = RecordingHttp()
    source = GeneratedFile(PDF_HEAD, 12_000_000)
    http.source = source
    result = _store(infra, store.bucket, http_client=http).put_stream(
        "portfolio/big.pdf", source, max_bytes=20 * MiB, filename="Bewijs PE-punten 2025.pdf",
    )
    return result, source, http


# -- streaming upload ------------------------------------------------------------------------------


def test_a_12mb_upload_of_unknown_length_is_stored_with_its_size_and_sha256(uploaded_12mb, store):
    result, source, _ = uploaded_12mb
    assert source.position == source.size
    assert result == StoredObject(
        key="portfolio/big.pdf", size=12_000_000, sha256=source.hash.hexdigest(),
        content_type="application/pdf", filename="Bewijs PE-punten 2025.pdf",
    )
    assert store.stat("portfolio/big.pdf") == result


def test_the_upload_reads_in_small_chunks_and_sends_each_part_before_reading_far_ahead(uploaded_12mb, store):
    _, source, http = uploaded_12mb
    assert all(0 < n <= READ_CHUNK for n in source.reads)
    parts = [s for s in http.sent if s.method == "PUT" and "partNumber=" in s.url]
    assert len(parts) == 3  # 12 MB in 5 MiB parts
    sent_before = 0
    for part in parts:
        # Read but not yet sent: this part plus the one byte the SDK reads ahead to spot the end.
        assert part.source_position - sent_before <= store.part_size + 1
        sent_before += part.body_size
    assert sent_before == source.size


def test_download_streams_the_same_bytes_in_chunks(uploaded_12mb, store):
    result, _, _ = uploaded_12mb
    digest, sizes = hashlib.sha256(), []
    with store.stream(result.key, chunk_size=256 * 1024) as chunks:
        assert chunks.info.size == result.size
        assert chunks.info.content_type == "application/pdf"
        for chunk in chunks:
            sizes.append(len(chunk))
            digest.update(chunk)
    assert digest.hexdigest() == result.sha256
    assert sum(sizes) == result.size and len(sizes) > 10 and max(sizes) <= 256 * 1024


def test_open_stream_reads_the_same_bytes(store):
    data = generated_bytes(PDF_HEAD, 300_000, seed=3)
    store.put_stream("open/x.pdf", BytesSource(data), max_bytes=MiB)
    with store.open_stream("open/x.pdf") as body:
        first = body.read(1000)
        rest = body.read()
    assert first + rest == data


# -- refusals leave nothing behind -----------------------------------------------------------------


def test_over_the_limit_after_parts_were_sent_aborts_the_multipart_upload(recorded, nothing_left):
    store, http = recorded
    source = GeneratedFile(PDF_HEAD, 8 * MiB)
    http.source = source
    with pytest.raises(UploadTooLarge) as refused:
        store.put_stream("refused/too-large.pdf", source, max_bytes=6 * MiB + 1000, filename="groot.pdf")
    assert refused.value.code == "upload_too_large" and refused.value.max_bytes == 6 * MiB + 1000
    assert source.position == 6 * MiB + 1001  # stopped at the first byte over the limit
    assert any("partNumber=1" in s.url for s in http.sent), "the abort path was not exercised"


def test_over_the_limit_within_one_part_sends_nothing(recorded, nothing_left):
    store, http = recorded
    source = GeneratedFile(PDF_HEAD, 300_000)
    http.source = source
    with pytest.raises(UploadTooLarge):
        store.put_stream("refused/small-limit.pdf", source, max_bytes=100_000)
    assert http.writes() == []
    assert source.position == 100_001


def test_a_renamed_executable_is_refused_before_anything_is_sent(recorded, nothing_left):
    store, http = recorded
    source = GeneratedFile(ELF_HEAD, 2 * MiB)
    http.source = source
    with pytest.raises(UploadTypeRefused) as refused:
        store.put_stream("refused/cv.pdf", source, max_bytes=10 * MiB, filename="cv.pdf")
    assert refused.value.kind == "elf" and refused.value.code == "upload_type_refused"
    assert http.sent == []
    assert source.position <= filetypes.SNIFF_BYTES + 1


def test_an_extension_that_contradicts_the_content_is_refused(recorded, nothing_left):
    store, http = recorded
    with pytest.raises(UploadTypeMismatch) as refused:
        store.put_stream("refused/photo.pdf", BytesSource(PNG_HEAD + bytes(100)), max_bytes=MiB,
                         filename="foto.pdf")
    assert refused.value.extension == ".pdf" and refused.value.code == "upload_type_mismatch"
    assert http.sent == []


def test_a_type_outside_the_callers_allow_list_is_refused(recorded, nothing_left):
    store, http = recorded
    with pytest.raises(UploadTypeRefused):
        store.put_stream("refused/photo.png", BytesSource(PNG_HEAD + bytes(100)), max_bytes=MiB,
                         allowed_types={filetypes.PDF})
    assert http.sent == []


def test_an_unsafe_filename_is_refused_before_the_stream_is_read(recorded, nothing_left):
    store, http = recorded
    source = GeneratedFile(PDF_HEAD, 1000)
    with pytest.raises(UnsafeFilename):
        store.put_stream("refused/passwd", source, max_bytes=MiB, filename="../../etc/passwd.pdf")
    assert source.position == 0 and http.sent == []


def test_an_empty_upload_is_refused(recorded, nothing_left):
    store, http = recorded
    with pytest.raises(UploadEmpty):
        store.put_stream("refused/empty.txt", BytesSource(b""), max_bytes=MiB, filename="leeg.txt")
    assert http.sent == []


def test_the_incomplete_upload_check_does_see_a_dangling_upload(store):
    """Guards the ``nothing_left`` checks above against an endpoint that never lists incomplete uploads."""
    upload_id = store.client._create_multipart_upload(store.bucket, "dangling/probe", {})
    try:
        assert [u.upload_id for u in _incomplete_uploads(store)] == [upload_id]
    finally:
        store.client._abort_multipart_upload(store.bucket, "dangling/probe", upload_id)
    assert _incomplete_uploads(store) == []


# -- every allowed type ----------------------------------------------------------------------------

ALLOWED_SAMPLES = [
    ("Verslag reflectie.pdf", PDF_HEAD + b"1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
    ("screenshot.png", PNG_HEAD + bytes(range(256)), "image/png"),
    ("certificaat.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)), "image/jpeg"),
    ("notities café.txt", "Intervisie op 3 maart – één sessie.\r\n".encode(), "text/plain"),
    (
        "bevestiging.eml",
        b"Return-Path: <planning@noloc.nl>\r\nFrom: Noloc <planning@noloc.nl>\r\nSubject: Deelname\r\n"
        b"MIME-Version: 1.0\r\n\r\nU was aanwezig.\r\n",
        "message/rfc822",
    ),
]


@pytest.mark.parametrize(("filename", "data", "content_type"), ALLOWED_SAMPLES)
def test_each_allowed_type_is_accepted_and_reads_back(store, filename, data, content_type):
    key = f"allowed/{content_type}"
    result = store.put_stream(key, BytesSource(data), max_bytes=MiB, filename=filename)
    expected = StoredObject(key, len(data), hashlib.sha256(data).hexdigest(), content_type, filename)
    assert result == expected
    assert store.stat(key) == expected
    assert b"".join(store.stream(key)) == data


# -- the rest --------------------------------------------------------------------------------------


def test_delete_removes_the_object(store):
    store.put_stream("delete/me.txt", BytesSource(b"weg ermee\n"), max_bytes=MiB)
    assert store.exists("delete/me.txt")
    store.delete("delete/me.txt")
    assert not store.exists("delete/me.txt")
    with pytest.raises(ObjectNotFound):
        store.stat("delete/me.txt")
    with pytest.raises(ObjectNotFound):
        store.stream("delete/me.txt")  # raised at once, not at the first chunk
    store.delete("delete/me.txt")  # deleting what is gone is not an error


def test_an_overwrite_replaces_bytes_and_metadata(store):
    store.put_stream("overwrite/x", BytesSource(b"eerste versie\n"), max_bytes=MiB, filename="a.txt")
    second = store.put_stream("overwrite/x", BytesSource(PDF_HEAD), max_bytes=MiB, filename="b.pdf")
    assert store.stat("overwrite/x") == second
    assert b"".join(store.stream("overwrite/x")) == PDF_HEAD


def test_keys_lists_every_object_and_put_verbatim_restores_one_as_it_was(infra, store):
    """What a backup needs (ADR 0034): every key of a bucket, and an object put back with its type, filename
    and hash, past the upload checks it passed once (a type no longer allowed, a size above today's limit)."""
    original = store.put_stream("keys/deep/a.pdf", BytesSource(PDF_HEAD), max_bytes=MiB, filename="Één.pdf")
    store.put_stream("keys/b.txt", BytesSource(b"b\n"), max_bytes=MiB)
    assert {"keys/deep/a.pdf", "keys/b.txt"} <= set(store.keys())
    assert list(_store(infra, f"recert-never-made-{infra.run_id}").keys()) == []

    other = _store(infra, f"recert-restored-{infra.run_id}")
    try:
        other.put_verbatim("keys/deep/a.pdf", BytesSource(PDF_HEAD), len(PDF_HEAD),
                           content_type=original.content_type, filename=original.filename,
                           sha256=original.sha256)
        assert other.stat("keys/deep/a.pdf") == original
        assert b"".join(other.stream("keys/deep/a.pdf")) == PDF_HEAD
        assert list(other.keys()) == ["keys/deep/a.pdf"]
    finally:
        other.delete("keys/deep/a.pdf")
        other.client.remove_bucket(other.bucket)


def test_ensure_bucket_creates_once_and_ping_reports_readiness(infra):
    http = RecordingHttp()
    store = _store(infra, f"recert-ensure-{infra.run_id}", http_client=http)
    assert store.ping() is False  # the endpoint answers, the bucket is not there
    store.ensure_bucket()
    asked = len(http.sent)
    store.ensure_bucket()  # services call it before every upload: the store is asked only the first time
    assert len(http.sent) == asked
    assert [s.method for s in http.sent if s.method == "PUT"] == ["PUT"]  # created once
    try:
        assert store.ping() is True
    finally:
        store.client.remove_bucket(store.bucket)


def test_ping_is_false_and_quick_when_nothing_listens(infra):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = ObjectStore(f"127.0.0.1:{port}", "x", "y", "recert-nowhere")
    started = time.monotonic()
    assert store.ping() is False
    assert time.monotonic() - started < 5


def test_from_settings_reads_the_s3_fields(infra, store):
    from recert_common.config import ServiceSettings

    settings = ServiceSettings.from_env("pe-registry", env={
        "RECERT_S3_ENDPOINT": infra.s3_endpoint,
        "RECERT_S3_ACCESS_KEY": infra.s3_access_key,
        "RECERT_S3_SECRET_KEY": infra.s3_secret_key,
        "RECERT_S3_SECURE": "false",
    })
    from_settings = ObjectStore.from_settings(settings, store.bucket)
    assert from_settings.ping() is True
