"""recert_common.storage against every backend: a real S3 endpoint (moto's server locally, MinIO under
Docker) and the filesystem (ADR 0031). Every test runs on both, except the few about S3's own mechanics
(multipart parts, the SDK's HTTP requests), which say so.

The S3 SDK's HTTP traffic is recorded through its public ``http_client`` hook, the filesystem's temporary
upload files through the one method that opens them, and the uploaded "files" are generated while they are
read, so the tests can see what was written, when, and how far the source had been read at that moment:
that is how bounded buffering and "nothing written before the type check" are shown.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3

from recert_common import filetypes
from recert_common.storage import (
    HEADER_BYTES,
    READ_CHUNK,
    FileObjectStore,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    StorageError,
    StoredObject,
    UnsafeFilename,
    UnsafeKey,
    UploadEmpty,
    UploadTooLarge,
    UploadTypeMismatch,
    UploadTypeRefused,
)

from generated_files import BytesSource, GeneratedFile, generated_bytes
from ports import free_port

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


class RecordingFileStore(FileObjectStore):
    """The filesystem backend, noting each temporary upload file it opens and how far ``source`` had been
    read then (``sent`` and ``writes()`` as ``RecordingHttp`` has them)."""

    def __init__(self, root, bucket):
        super().__init__(root, bucket)
        self.sent: list[Sent] = []
        self.source: GeneratedFile | None = None

    def _open_incoming(self):
        opened = super()._open_incoming()
        position = self.source.position if self.source is not None else None
        self.sent.append(Sent("OPEN", opened[1], 0, position))
        return opened

    def writes(self) -> list[Sent]:
        return self.sent


@dataclass
class Backend:
    """One kind of object store the tests run against, and how to look inside it."""

    name: str
    infra: object
    root: Path | None = None  # the filesystem backend's directory

    def store(self, bucket: str, *, recording: bool = False, **options) -> ObjectStore:
        """A store of ``bucket``; with ``recording``, one whose writes are noted: ``(store, recorder)``."""
        if self.name == "filesystem":
            store = RecordingFileStore(self.root, bucket) if recording else FileObjectStore(self.root, bucket)
            return (store, store) if recording else store
        http = RecordingHttp() if recording else options.pop("http_client", None)
        store = S3ObjectStore(self.infra.s3_endpoint, self.infra.s3_access_key, self.infra.s3_secret_key,
                              bucket, http_client=http, **options)
        return (store, http) if recording else store

    def settings_env(self) -> dict[str, str]:
        if self.name == "filesystem":
            return {"RECERT_STORAGE": "filesystem", "RECERT_STORAGE_DIR": str(self.root)}
        infra = self.infra
        return {"RECERT_S3_ENDPOINT": infra.s3_endpoint, "RECERT_S3_SECURE": "false",
                "RECERT_S3_ACCESS_KEY": infra.s3_access_key, "RECERT_S3_SECRET_KEY": infra.s3_secret_key}

    def remove_bucket(self, store: ObjectStore) -> None:
        if self.name == "filesystem":
            shutil.rmtree(store.directory)
            return
        for name in _object_names(store):
            store.client.remove_object(store.bucket, name)
        for upload in _incomplete_uploads(store):
            store.client._abort_multipart_upload(store.bucket, upload.object_name, upload.upload_id)
        store.client.remove_bucket(store.bucket)


def _incomplete_uploads(store: ObjectStore) -> list:
    if isinstance(store, FileObjectStore):
        return store.incomplete()
    # The SDK has no public call for ListMultipartUploads; its private one is fine in a test.
    return store.client._list_multipart_uploads(store.bucket).uploads


def _object_names(store: ObjectStore) -> list[str]:
    if isinstance(store, FileObjectStore):
        return sorted(str(path.relative_to(store.directory)) for path in store.directory.rglob("*")
                      if path.is_file() and not path.relative_to(store.directory).parts[0].startswith("."))
    return sorted(o.object_name for o in store.client.list_objects(store.bucket, recursive=True))


def s3_only(backend: Backend) -> None:
    if backend.name != "s3":
        pytest.skip("about S3's own mechanics")


@pytest.fixture(scope="module", params=["s3", "filesystem"])
def backend(request, infra, tmp_path_factory) -> Backend:
    root = tmp_path_factory.mktemp("objects") if request.param == "filesystem" else None
    return Backend(request.param, infra, root)


@pytest.fixture(scope="module")
def store(infra, backend):
    store = backend.store(f"recert-storage-{infra.run_id}")
    store.ensure_bucket()
    yield store
    backend.remove_bucket(store)


@pytest.fixture
def recorded(backend, store):
    """A second store on the same bucket whose writes are recorded."""
    return backend.store(store.bucket, recording=True)


@pytest.fixture
def nothing_left(store):
    """Asserts after the test that the bucket holds the same objects and no incomplete upload."""
    before = _object_names(store)
    yield
    assert _object_names(store) == before
    assert _incomplete_uploads(store) == []


@pytest.fixture(scope="module")
def uploaded_12mb(backend, store):
    store_, recorder = backend.store(store.bucket, recording=True)
    source = GeneratedFile(PDF_HEAD, 12_000_000)
    recorder.source = source
    result = store_.put_stream(
        "portfolio/big.pdf", source, max_bytes=20 * MiB, filename="Bewijs PE-punten 2025.pdf",
    )
    return result, source, recorder


# -- streaming upload ------------------------------------------------------------------------------


def test_a_12mb_upload_of_unknown_length_is_stored_with_its_size_and_sha256(uploaded_12mb, store):
    result, source, _ = uploaded_12mb
    assert source.position == source.size
    assert result == StoredObject(
        key="portfolio/big.pdf", size=12_000_000, sha256=source.hash.hexdigest(),
        content_type="application/pdf", filename="Bewijs PE-punten 2025.pdf",
    )
    assert store.stat("portfolio/big.pdf") == result


def test_the_upload_reads_in_small_chunks(uploaded_12mb):
    _, source, _ = uploaded_12mb
    assert all(0 < n <= READ_CHUNK for n in source.reads)


def test_each_s3_part_is_sent_before_the_upload_reads_far_ahead(backend, uploaded_12mb, store):
    s3_only(backend)
    _, source, http = uploaded_12mb
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


def test_over_the_limit_after_bytes_were_written_leaves_no_object_and_no_partial_file(
        backend, recorded, nothing_left):
    store, http = recorded
    source = GeneratedFile(PDF_HEAD, 8 * MiB)
    http.source = source
    with pytest.raises(UploadTooLarge) as refused:
        store.put_stream("refused/too-large.pdf", source, max_bytes=6 * MiB + 1000, filename="groot.pdf")
    assert refused.value.code == "upload_too_large" and refused.value.max_bytes == 6 * MiB + 1000
    assert source.position == 6 * MiB + 1001  # stopped at the first byte over the limit
    if backend.name == "s3":  # a multipart upload was begun and had to be aborted
        assert any("partNumber=1" in s.url for s in http.sent), "the abort path was not exercised"
    else:  # a temporary file was written and had to be removed
        assert len(http.writes()) == 1 and http.writes()[0].source_position < 6 * MiB
        assert not Path(http.writes()[0].url).exists()


def test_over_the_limit_within_one_part_sends_nothing(backend, recorded, nothing_left):
    store, http = recorded
    source = GeneratedFile(PDF_HEAD, 300_000)
    http.source = source
    with pytest.raises(UploadTooLarge):
        store.put_stream("refused/small-limit.pdf", source, max_bytes=100_000)
    if backend.name == "s3":  # the SDK holds a part before sending it; the filesystem writes at once
        assert http.writes() == []
    assert source.position == 100_001


def test_a_failing_source_leaves_no_object_and_the_earlier_one_whole(store, nothing_left):
    """A client that drops the connection mid-upload: the read raises. What was stored under the key
    before stays as it was (the new bytes never replace it partly)."""
    earlier = store.put_stream("failing/x.pdf", BytesSource(PDF_HEAD + b"eerste"), max_bytes=20 * MiB)

    class Dropped(GeneratedFile):
        def read(self, n=-1):
            if self.position > 6 * MiB:
                raise ConnectionResetError("client went away")
            return super().read(n)

    try:
        with pytest.raises(ConnectionResetError):  # the client's failure, not the store's
            store.put_stream("failing/x.pdf", Dropped(PDF_HEAD, 8 * MiB), max_bytes=20 * MiB)
        assert store.stat("failing/x.pdf") == earlier
        assert b"".join(store.stream("failing/x.pdf")) == PDF_HEAD + b"eerste"
    finally:
        store.delete("failing/x.pdf")


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
    """Guards the ``nothing_left`` checks above against a store that never lists incomplete uploads."""
    if isinstance(store, FileObjectStore):
        descriptor, path = store._open_incoming()  # what a process killed mid-upload leaves
        os.close(descriptor)
        try:
            assert _incomplete_uploads(store) == [Path(path).name]
            assert store.discard_incomplete() == []  # younger than a day: it may still be written
            os.utime(path, (time.time() - 25 * 3600,) * 2)
            assert store.discard_incomplete() == [Path(path).name]
        finally:
            Path(path).unlink(missing_ok=True)
    else:
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


def test_keys_lists_every_object_and_put_verbatim_restores_one_as_it_was(backend, infra, store):
    """What a backup needs (ADR 0034): every key of a bucket, and an object put back with its type, filename
    and hash, past the upload checks it passed once (a type no longer allowed, a size above today's limit)."""
    original = store.put_stream("keys/deep/a.pdf", BytesSource(PDF_HEAD), max_bytes=MiB, filename="Één.pdf")
    store.put_stream("keys/b.txt", BytesSource(b"b\n"), max_bytes=MiB)
    assert {"keys/deep/a.pdf", "keys/b.txt"} <= set(store.keys())
    assert list(backend.store(f"recert-never-made-{infra.run_id}").keys()) == []

    other = backend.store(f"recert-restored-{infra.run_id}")
    try:
        other.put_verbatim("keys/deep/a.pdf", BytesSource(PDF_HEAD), len(PDF_HEAD),
                           content_type=original.content_type, filename=original.filename,
                           sha256=original.sha256)
        assert other.stat("keys/deep/a.pdf") == original
        assert b"".join(other.stream("keys/deep/a.pdf")) == PDF_HEAD
        assert list(other.keys()) == ["keys/deep/a.pdf"]
    finally:
        backend.remove_bucket(other)
    for key in ("keys/deep/a.pdf", "keys/b.txt"):
        store.delete(key)


def test_ensure_bucket_creates_the_bucket_and_ping_reports_readiness(backend, infra):
    store = backend.store(f"recert-ensure-{infra.run_id}")
    assert store.ping() is False  # the store answers, the bucket is not there
    store.ensure_bucket()
    try:
        assert store.ping() is True
        store.ensure_bucket()  # and again: a bucket that exists is fine
        assert store.ping() is True
    finally:
        backend.remove_bucket(store)
    assert store.ping() is False


def test_s3_ensure_bucket_asks_the_store_once(backend, infra):
    s3_only(backend)
    http = RecordingHttp()
    store = backend.store(f"recert-once-{infra.run_id}", http_client=http)
    store.ensure_bucket()
    asked = len(http.sent)
    store.ensure_bucket()  # services call it before every upload: the store is asked only the first time
    assert len(http.sent) == asked
    assert [s.method for s in http.sent if s.method == "PUT"] == ["PUT"]  # created once
    backend.remove_bucket(store)


def test_ping_is_false_and_quick_when_the_store_is_not_there(backend, tmp_path):
    if backend.name == "filesystem":  # a directory that cannot be made: its parent is a file
        (tmp_path / "not-a-directory").write_bytes(b"")
        store = FileObjectStore(tmp_path / "not-a-directory", "recert-nowhere")
        with pytest.raises(StorageError):
            store.ensure_bucket()
        assert store.ping() is False
        return
    store = S3ObjectStore(f"127.0.0.1:{free_port()}", "x", "y", "recert-nowhere")
    started = time.monotonic()
    assert store.ping() is False
    assert time.monotonic() - started < 5


def test_from_settings_picks_the_configured_backend(backend, store):
    from recert_common.config import ServiceSettings

    settings = ServiceSettings.from_env("pe-registry", env=backend.settings_env())
    from_settings = ObjectStore.from_settings(settings, store.bucket)
    assert type(from_settings) is {"s3": S3ObjectStore, "filesystem": FileObjectStore}[backend.name]
    assert from_settings.ping() is True
    store.put_stream("settings/x.txt", BytesSource(b"via de instellingen\n"), max_bytes=MiB)
    try:
        assert b"".join(from_settings.stream("settings/x.txt")) == b"via de instellingen\n"
    finally:
        store.delete("settings/x.txt")


def test_filesystem_storage_needs_its_directory():
    from recert_common.config import ConfigError, ServiceSettings

    settings = ServiceSettings.from_env("portfolio", env={"RECERT_STORAGE": "filesystem"})
    with pytest.raises(ConfigError, match="RECERT_STORAGE_DIR"):
        ObjectStore.from_settings(settings, "portfolio-proof")
    with pytest.raises(ConfigError, match="RECERT_STORAGE"):
        ServiceSettings.from_env("portfolio", env={"RECERT_STORAGE": "ftp"})


# -- the filesystem backend's own guarantees ---------------------------------------------------------

UNSAFE_KEYS = ["../outside", "a/../../outside", "/etc/passwd", "a//b", "a/./b", ".incoming/x", "a/.hidden",
               "", "nul\0byte", "x" * 256, "a/" * 600]


@pytest.fixture
def files(tmp_path):
    store = RecordingFileStore(tmp_path / "objects", "recert-files")
    store.ensure_bucket()
    return store


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_a_key_that_would_leave_the_bucket_is_refused_before_the_stream_is_read(files, key):
    source = GeneratedFile(PDF_HEAD, 1000)
    with pytest.raises(UnsafeKey):
        files.put_stream(key, source, max_bytes=MiB)
    assert source.position == 0 and files.sent == []
    for call in (files.stat, files.stream, files.delete):
        with pytest.raises(UnsafeKey):
            call(key)
    assert sorted(str(p.relative_to(files.root)) for p in files.root.rglob("*")) == [
        "recert-files", "recert-files/.incoming"]  # nothing written anywhere


def test_a_symlink_inside_the_bucket_does_not_lead_out(files, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (files.directory / "link").symlink_to(outside)
    with pytest.raises(UnsafeKey):
        files.put_stream("link/x.txt", BytesSource(b"naar buiten\n"), max_bytes=MiB)
    assert list(outside.iterdir()) == []


def test_an_object_is_one_file_holding_its_metadata_then_its_bytes(files):
    data = generated_bytes(PDF_HEAD, 100_000, seed=5)
    stored = files.put_stream("evidence/a/b.pdf", BytesSource(data), max_bytes=MiB, filename="Bewijs.pdf")
    path = files.directory / "evidence" / "a" / "b.pdf"
    raw = path.read_bytes()
    assert raw[HEADER_BYTES:] == data  # an operator gets the bytes back with `tail -c +4097`
    assert f'"sha256": "{hashlib.sha256(data).hexdigest()}"'.encode() in raw[:HEADER_BYTES]
    assert path.stat().st_mode & 0o777 == 0o600  # personal data: the owner alone reads it
    assert files.incomplete() == [] and stored.size == len(data)


def test_a_file_changed_behind_the_stores_back_is_an_error_not_wrong_bytes(files):
    files.put_stream("tampered.txt", BytesSource(b"origineel\n"), max_bytes=MiB)
    with open(files.directory / "tampered.txt", "ab") as handle:
        handle.write(b"erbij")
    with pytest.raises(StorageError):
        files.stat("tampered.txt")
    (files.directory / "stray.txt").write_bytes(b"geen object")
    with pytest.raises(StorageError):
        files.stream("stray.txt")
