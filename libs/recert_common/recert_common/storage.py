"""Object storage (MinIO or any S3) through the ``minio`` SDK: streamed, checked uploads and downloads.

An upload is never held whole in memory. ``ObjectStore.put_stream`` reads the first bytes, decides the
real type (``recert_common.filetypes``) and only then starts sending; the rest passes through a metering
reader that counts, hashes (SHA-256) and stops the moment the size limit is passed. The SDK uploads a
stream of unknown length as a multipart upload in parts of ``part_size`` (5 MiB, the S3 minimum), one part
at a time, so an upload in flight holds at most about three parts (≈15 MiB) whatever the file's size:
the part being sent, and the next one while the SDK copies it together. A file smaller than one part is
sent in a single PUT after it has been read (and checked) completely.

When an upload is refused after parts were sent, the SDK aborts the multipart upload, so no object and no
incomplete upload remain. A process killed mid-upload cannot abort: MinIO removes such stale uploads
itself (24 hours by default); on AWS S3 a bucket lifecycle rule must do it.

The SHA-256 and the original filename are stored as user metadata (``x-amz-meta-sha256``,
``x-amz-meta-filename``, percent-encoded because headers are ASCII). S3 wants metadata before the body, and
the hash is known only after it, so the object is first stored with its filename and type, then its
metadata is replaced by a server-side copy onto itself, guarded by the ETag we just wrote.

Keys are the caller's choice. There is no content-addressed key helper: the key must be chosen before the
bytes are seen, so dedup belongs to the caller (compare the returned ``sha256`` with what it has stored).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import quote, unquote

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import MinioException, S3Error
from urllib3.util import Retry, Timeout

from recert_common.filetypes import (
    DEFAULT_ALLOWED,
    SNIFF_BYTES,
    UnsafeFilename,
    UploadRefused,
    UploadTypeMismatch,
    UploadTypeRefused,
    check_upload,
    safe_filename,
)
from recert_common.i18n import Message, Size, register_messages

__all__ = [
    "DEFAULT_ALLOWED", "DEFAULT_PART_SIZE", "ObjectChunks", "ObjectNotFound", "ObjectStore", "StorageError",
    "StoredObject", "UnsafeFilename", "UploadEmpty", "UploadRefused", "UploadTooLarge", "UploadTypeMismatch",
    "UploadTypeRefused",
]

log = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 5 * MiB
#: How much the metering reader asks of the source at a time; also how far past the limit it may read.
READ_CHUNK = 64 * 1024
DEFAULT_DOWNLOAD_CHUNK = 64 * 1024

_META_SHA256 = "x-amz-meta-sha256"
_META_FILENAME = "x-amz-meta-filename"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class StorageError(Exception):
    """The object store failed or refused a request (not an upload we refused: see ``UploadRefused``)."""


class ObjectNotFound(StorageError, LookupError):
    def __init__(self, key: str):
        super().__init__(f"no object {key!r}")
        self.key = key


class UploadTooLarge(UploadRefused):
    code = "upload_too_large"

    def __init__(self, max_bytes: int):
        super().__init__(Message("upload.detail.too_large", limit=Size(max_bytes)), max_bytes=max_bytes)
        self.max_bytes = max_bytes


class UploadEmpty(UploadRefused):
    code = "upload_empty"

    def __init__(self):
        super().__init__(Message("upload.detail.empty"))


register_messages({
    "upload.detail.too_large": {"nl": "Het bestand is groter dan de toegestane {limit}.",
                                "en": "The file is larger than the allowed {limit}."},
    "upload.detail.empty": {"nl": "Het bestand is leeg.", "en": "The file is empty."},
})


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str | None  # None only for an object not written by put_stream
    content_type: str
    filename: str | None


class _MeteredReader:
    """What the SDK reads from: the sniffed prefix, then the rest of the source, counted and hashed.

    ``read(n)`` fills ``n`` bytes from small source reads, so the SDK receives a whole part in one call
    instead of growing it by repeated concatenation, and the limit is checked on every chunk.
    """

    def __init__(self, source: Readable, prefix: bytes, max_bytes: int):
        self._source = source
        self._pending = prefix
        self._max_bytes = max_bytes
        self._sha256 = hashlib.sha256(prefix)
        self.size = len(prefix)
        self.refusal: UploadRefused | None = None
        self._eof = False

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def read(self, size: int = -1) -> bytes:
        buffer = bytearray()
        if self._pending:
            take = len(self._pending) if size < 0 else size
            buffer += self._pending[:take]
            self._pending = self._pending[take:]
        while not self._eof and (size < 0 or len(buffer) < size):
            want = READ_CHUNK if size < 0 else min(READ_CHUNK, size - len(buffer))
            # Never ask for more than one byte past the limit: that byte is the proof it was passed.
            want = min(want, self._max_bytes + 1 - self.size)
            chunk = self._source.read(want)
            if not chunk:
                self._eof = True
                break
            self.size += len(chunk)
            if self.size > self._max_bytes:
                self.refusal = UploadTooLarge(self._max_bytes)
                raise self.refusal
            self._sha256.update(chunk)
            buffer += chunk
        return bytes(buffer)


def _read_prefix(source: Readable, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end of the stream."""
    prefix = bytearray()
    while len(prefix) < size:
        chunk = source.read(size - len(prefix))
        if not chunk:
            break
        prefix += chunk
    return bytes(prefix)


class ObjectChunks:
    """A download as an iterator of byte chunks, with what is known about the object.

    Iterate it to the end or ``close()`` it (Flask/Werkzeug close a response body for you): either
    returns the connection to the pool.
    """

    def __init__(self, response: urllib3.BaseHTTPResponse, info: StoredObject, chunk_size: int):
        self._response = response
        self._chunks = response.stream(chunk_size)
        self.info = info
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.close()
            self._response.release_conn()

    def __enter__(self) -> ObjectChunks:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _default_http_client(connect: float, read: float, retries: int) -> urllib3.PoolManager:
    # The SDK's default waits five minutes to connect: far too long for a request a person waits on.
    return urllib3.PoolManager(
        timeout=Timeout(connect=connect, read=read),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=Retry(total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class ObjectStore:
    """One bucket of an S3-compatible object store."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        part_size: int = DEFAULT_PART_SIZE,
        http_client: urllib3.PoolManager | None = None,
    ):
        if part_size < DEFAULT_PART_SIZE:
            raise ValueError("S3 multipart parts are at least 5 MiB")
        self.bucket = bucket
        self.part_size = part_size
        self._bucket_known = False
        self._bucket_lock = threading.Lock()
        self._connection = dict(
            endpoint=endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region,
        )
        self.client = Minio(**self._connection, http_client=http_client or _default_http_client(10, 120, 3))
        self._probe: Minio | None = None

    @classmethod
    def from_settings(cls, settings, bucket: str, **options) -> ObjectStore:
        """From ``recert_common.config.ServiceSettings`` (its ``s3_*`` fields)."""
        return cls(
            settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, bucket,
            secure=settings.s3_secure, region=settings.s3_region, **options,
        )

    # -- bucket and health ---------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (safe when several processes start at once). Asks the store
        once per object: services call it before every upload, so the bucket can be created on first need
        rather than at start-up, while the store may still be coming up."""
        if self._bucket_known:
            return
        with self._bucket_lock, _translated():
            if self._bucket_known:
                return
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._bucket_known = True

    def ping(self) -> bool:
        """For ``/readyz``: does the store answer quickly and does our bucket exist? Never raises."""
        if self._probe is None:
            self._probe = Minio(**self._connection, http_client=_default_http_client(2, 3, 0))
        try:
            return self._probe.bucket_exists(self.bucket)
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log
            log.warning("object store not ready: %s", exc)
            return False

    # -- upload --------------------------------------------------------------------------------------------

    def put_stream(
        self,
        key: str,
        stream: Readable | BinaryIO,
        *,
        max_bytes: int,
        filename: str | None = None,
        allowed_types: Collection[str] = DEFAULT_ALLOWED,
    ) -> StoredObject:
        """Store a stream of unknown length under ``key``, or raise an ``UploadRefused`` leaving nothing.

        Refusals: ``UnsafeFilename`` and ``UploadTypeRefused``/``UploadTypeMismatch`` before anything is
        sent, ``UploadEmpty``, and ``UploadTooLarge`` as soon as byte ``max_bytes + 1`` is read.
        """
        display = safe_filename(filename) if filename is not None else None
        prefix = _read_prefix(stream, min(SNIFF_BYTES + 1, max_bytes + 1))
        if not prefix:
            raise UploadEmpty()
        if len(prefix) > max_bytes:
            raise UploadTooLarge(max_bytes)
        # One byte beyond the sniff window tells whether the window is the whole file.
        accepted = check_upload(
            prefix[:SNIFF_BYTES], complete=len(prefix) <= SNIFF_BYTES,
            filename=display, allowed=allowed_types,
        )
        reader = _MeteredReader(stream, prefix, max_bytes)
        metadata = {_META_FILENAME: quote(display, safe="")} if display is not None else {}
        try:
            written = self.client.put_object(
                self.bucket, key, reader, length=-1, part_size=self.part_size, num_parallel_uploads=1,
                content_type=accepted.content_type, metadata=metadata,
            )
        except Exception as exc:
            if reader.refusal is None:
                if isinstance(exc, (MinioException, urllib3.exceptions.HTTPError)):
                    raise StorageError(str(exc)) from exc
                raise
            if exc is not reader.refusal:  # the SDK's abort failed; the refusal is still the news
                log.warning("abort of refused upload %s failed: %s", key, exc)
                raise reader.refusal from exc
            raise
        stored = StoredObject(key, reader.size, reader.sha256, accepted.content_type, display)
        self._record_sha256(stored, written.etag)
        return stored

    def _record_sha256(self, stored: StoredObject, etag: str) -> None:
        metadata = {"Content-Type": stored.content_type, _META_SHA256: stored.sha256}
        if stored.filename is not None:
            metadata[_META_FILENAME] = quote(stored.filename, safe="")
        with _translated(stored.key):
            # Guarded by the ETag, so that a concurrent overwrite of the key never gets our hash.
            self.client.copy_object(
                self.bucket, stored.key, CopySource(self.bucket, stored.key, match_etag=etag),
                metadata=metadata, metadata_directive=REPLACE,
            )

    # -- download and the rest -----------------------------------------------------------------------------

    def stream(self, key: str, chunk_size: int = DEFAULT_DOWNLOAD_CHUNK) -> ObjectChunks:
        """The object's bytes in chunks. ``ObjectNotFound`` is raised here, before the first chunk."""
        with _translated(key):
            response = self.client.get_object(self.bucket, key)
        return ObjectChunks(response, _stored_object(key, response.headers), chunk_size)

    @contextlib.contextmanager
    def open_stream(self, key: str) -> Iterator[BinaryIO]:
        """The object as a readable file; the connection is released when the block ends."""
        with _translated(key):
            response = self.client.get_object(self.bucket, key)
        try:
            yield response
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> StoredObject:
        with _translated(key):
            info = self.client.stat_object(self.bucket, key)
        return _stored_object(key, info.metadata)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there is not an error."""
        with _translated(key):
            self.client.remove_object(self.bucket, key)

    # -- what a backup needs (recert_common.backup) ---------------------------------------------------------

    def keys(self) -> Iterator[str]:
        """Every object's key, in the store's order; none when the bucket does not exist (yet)."""
        with _translated():
            if not self.client.bucket_exists(self.bucket):
                return
            for item in self.client.list_objects(self.bucket, recursive=True):
                yield item.object_name

    def put_verbatim(self, key: str, source: Readable | BinaryIO, size: int, *, content_type: str,
                     filename: str | None, sha256: str) -> None:
        """Store an object as a backup holds it: its bytes, type, filename and hash as they were.

        No type check and no size limit: the object passed them when it was first uploaded, and a restore
        must not refuse what the system once accepted. The caller has checked the bytes against ``sha256``
        (the backup's manifest), so the hash goes in with the body and no copy onto itself is needed.
        """
        metadata = {_META_SHA256: sha256}
        if filename is not None:
            metadata[_META_FILENAME] = quote(filename, safe="")
        self.ensure_bucket()
        with _translated(key):
            self.client.put_object(self.bucket, key, source, length=size, part_size=self.part_size,
                                   content_type=content_type, metadata=metadata)


def _stored_object(key: str, headers) -> StoredObject:
    filename = headers.get(_META_FILENAME)
    return StoredObject(
        key=key,
        size=int(headers.get("content-length", 0)),
        sha256=headers.get(_META_SHA256),
        content_type=headers.get("content-type", "application/octet-stream"),
        filename=unquote(filename) if filename is not None else None,
    )


@contextlib.contextmanager
def _translated(key: str | None = None):
    """SDK and transport errors become ``StorageError``/``ObjectNotFound``, so callers need not know minio."""
    try:
        yield
    except (MinioException, urllib3.exceptions.HTTPError) as exc:
        if isinstance(exc, S3Error) and exc.code == "NoSuchKey" and key is not None:
            raise ObjectNotFound(key) from exc
        raise StorageError(str(exc)) from exc
