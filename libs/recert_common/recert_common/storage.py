"""Object storage: one bucket behind ``ObjectStore``, kept in an S3-compatible store (MinIO or any S3) or
on the local disk. Streamed, checked uploads and downloads either way.

``ObjectStore.from_settings`` picks the backend from ``RECERT_STORAGE`` (ADR 0031): ``s3`` (the default, what
compose and production run: ``S3ObjectStore``) or ``filesystem`` (one machine, ``RECERT_STORAGE_DIR``:
``FileObjectStore``, what ``make dev`` runs so that evidence survives a restart).

An upload is never held whole in memory. ``ObjectStore.put_stream`` reads the first bytes, decides the
real type (``recert_common.filetypes``) and only then starts writing; the rest passes through a metering
reader that counts, hashes (SHA-256) and stops the moment the size limit is passed. Both backends refuse
the same way and leave nothing behind after a refusal.

S3: the SDK uploads a stream of unknown length as a multipart upload in parts of ``part_size`` (5 MiB, the
S3 minimum), one part at a time, so an upload in flight holds at most about three parts (≈15 MiB) whatever
the file's size: the part being sent, and the next one while the SDK copies it together. A file smaller
than one part is sent in a single PUT after it has been read (and checked) completely. When an upload is
refused after parts were sent, the SDK aborts the multipart upload, so no object and no incomplete upload
remain. A process killed mid-upload cannot abort: MinIO removes such stale uploads itself (24 hours by
default); on AWS S3 a bucket lifecycle rule must do it. The SHA-256 and the original filename are stored
as user metadata (``x-amz-meta-sha256``, ``x-amz-meta-filename``, percent-encoded because headers are
ASCII). S3 wants metadata before the body, and the hash is known only after it, so the object is first
stored with its filename and type, then its metadata is replaced by a server-side copy onto itself, guarded
by the ETag we just wrote.

Filesystem: see ``FileObjectStore`` (one file per object, written to a temporary file, fsynced and renamed
into place, so an object is there whole or not at all).

Keys are the caller's choice. There is no content-addressed key helper: the key must be chosen before the
bytes are seen, so dedup belongs to the caller (compare the returned ``sha256`` with what it has stored).
"""
from __future__ import annotations

import abc
import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote, unquote

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import MinioException, S3Error
from urllib3.util import Retry, Timeout

from recert_common.config import ConfigError
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
    "DEFAULT_ALLOWED", "DEFAULT_PART_SIZE", "FileObjectStore", "ObjectChunks", "ObjectNotFound",
    "ObjectStore", "S3ObjectStore", "StorageError", "StoredObject", "UnsafeFilename", "UnsafeKey",
    "UploadEmpty", "UploadRefused", "UploadTooLarge", "UploadTypeMismatch", "UploadTypeRefused",
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
    releases what the download holds (the connection back to the pool, or the open file).
    """

    def __init__(self, chunks: Iterator[bytes], info: StoredObject, release: Callable[[], None]):
        self._chunks = chunks
        self._release = release
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
            self._release()

    def __enter__(self) -> ObjectChunks:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class ObjectStore(abc.ABC):
    """One bucket of object storage. ``from_settings`` gives the configured backend; the refusals of an
    upload are decided here, once, and each backend only writes, reads and deletes."""

    bucket: str

    @classmethod
    def from_settings(cls, settings, bucket: str, **options) -> ObjectStore:
        """From ``recert_common.config.ServiceSettings``: its ``storage`` (``s3`` with the ``s3_*`` fields,
        or ``filesystem`` with ``storage_dir``)."""
        if settings.storage == "filesystem":
            if not settings.storage_dir:
                raise ConfigError("RECERT_STORAGE_DIR must be set when RECERT_STORAGE=filesystem")
            return FileObjectStore(settings.storage_dir, bucket)  # ``options`` are the S3 client's
        return S3ObjectStore(
            settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, bucket,
            secure=settings.s3_secure, region=settings.s3_region, **options,
        )

    # -- bucket and health ---------------------------------------------------------------------------------

    @abc.abstractmethod
    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (safe when several processes start at once). ``migrate``
        calls it; services call it again before an upload, which costs little (S3 is asked once per
        ``ObjectStore``, the filesystem backend makes sure its directory is there)."""

    @abc.abstractmethod
    def ping(self) -> bool:
        """For ``/readyz``: does the store answer quickly and does our bucket exist? Never raises."""

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
        written, ``UploadEmpty``, and ``UploadTooLarge`` as soon as byte ``max_bytes + 1`` is read. A key
        the backend cannot store (``UnsafeKey``, filesystem) is refused before the stream is read.
        """
        self._check_key(key)
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
        self._write(key, reader, accepted.content_type, display)
        return StoredObject(key, reader.size, reader.sha256, accepted.content_type, display)

    def _check_key(self, key: str) -> None:  # noqa: B027 - a hook: S3 takes any key
        """Refuse a key the backend cannot store, before the stream is read."""

    @abc.abstractmethod
    def _write(self, key: str, reader: _MeteredReader, content_type: str, filename: str | None) -> None:
        """Store everything ``reader`` gives under ``key`` with its hash, or nothing when reading raises."""

    # -- download and the rest -----------------------------------------------------------------------------

    @abc.abstractmethod
    def stream(self, key: str, chunk_size: int = DEFAULT_DOWNLOAD_CHUNK) -> ObjectChunks:
        """The object's bytes in chunks. ``ObjectNotFound`` is raised here, before the first chunk."""

    @abc.abstractmethod
    def open_stream(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """The object as a readable file (read it from the start); released when the block ends."""

    @abc.abstractmethod
    def stat(self, key: str) -> StoredObject:
        """What is known about the object, or ``ObjectNotFound``."""

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there is not an error."""

    # -- what a backup needs (recert_common.backup) ---------------------------------------------------------

    @abc.abstractmethod
    def keys(self) -> Iterator[str]:
        """Every object's key, in the store's order; none when the bucket does not exist (yet)."""

    @abc.abstractmethod
    def put_verbatim(self, key: str, source: Readable | BinaryIO, size: int, *, content_type: str,
                     filename: str | None, sha256: str) -> None:
        """Store an object as a backup holds it: its bytes, type, filename and hash as they were.

        No type check and no size limit: the object passed them when it was first uploaded, and a restore
        must not refuse what the system once accepted. The caller has checked the bytes against ``sha256``
        (the backup's manifest).
        """


def _default_http_client(connect: float, read: float, retries: int) -> urllib3.PoolManager:
    # The SDK's default waits five minutes to connect: far too long for a request a person waits on.
    return urllib3.PoolManager(
        timeout=Timeout(connect=connect, read=read),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=Retry(total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class S3ObjectStore(ObjectStore):
    """One bucket of an S3-compatible object store, through the ``minio`` SDK."""

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

    def ensure_bucket(self) -> None:
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
        if self._probe is None:
            self._probe = Minio(**self._connection, http_client=_default_http_client(2, 3, 0))
        try:
            return self._probe.bucket_exists(self.bucket)
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log
            log.warning("object store not ready: %s", exc)
            return False

    def _write(self, key: str, reader: _MeteredReader, content_type: str, filename: str | None) -> None:
        metadata = {_META_FILENAME: quote(filename, safe="")} if filename is not None else {}
        try:
            written = self.client.put_object(
                self.bucket, key, reader, length=-1, part_size=self.part_size, num_parallel_uploads=1,
                content_type=content_type, metadata=metadata,
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
        stored = StoredObject(key, reader.size, reader.sha256, content_type, filename)
        self._record_sha256(stored, written.etag)

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

    def stream(self, key: str, chunk_size: int = DEFAULT_DOWNLOAD_CHUNK) -> ObjectChunks:
        with _translated(key):
            response = self.client.get_object(self.bucket, key)

        def release() -> None:
            response.close()
            response.release_conn()

        return ObjectChunks(response.stream(chunk_size), _stored_object(key, response.headers), release)

    @contextlib.contextmanager
    def open_stream(self, key: str) -> Iterator[BinaryIO]:
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

    def delete(self, key: str) -> None:
        with _translated(key):
            self.client.remove_object(self.bucket, key)

    # -- what a backup needs (recert_common.backup) ---------------------------------------------------------

    def keys(self) -> Iterator[str]:
        with _translated():
            if not self.client.bucket_exists(self.bucket):
                return
            for item in self.client.list_objects(self.bucket, recursive=True):
                yield item.object_name

    def put_verbatim(self, key: str, source: Readable | BinaryIO, size: int, *, content_type: str,
                     filename: str | None, sha256: str) -> None:
        # The hash goes in with the body, so no copy onto itself is needed.
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


# -- the filesystem backend --------------------------------------------------------------------------------

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
#: The bytes before an object's body in its file: its metadata as one JSON line, padded with spaces.
HEADER_BYTES = 4096
_FORMAT = "recert-object/1"
MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255
#: Where uploads are written before they are renamed into place; a name no key can take (keys' segments
#: never start with a dot).
INCOMING = ".incoming"


class UnsafeKey(StorageError, ValueError):
    """A key that would leave the bucket's directory or clash with the store's own files."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"unsafe object key {key!r}: {reason}")
        self.key = key


class FileObjectStore(ObjectStore):
    """One bucket as a directory ``<root>/<bucket>`` on the local disk, for single-machine installations.

    An object is one file at ``<root>/<bucket>/<key>`` (a key's ``/`` separates directories): a header of
    ``HEADER_BYTES`` holding its metadata as JSON (size, SHA-256, type, filename), then the bytes as they
    were uploaded (``tail -c +4097 FILE`` gives them back). The header and the body are one file, so they
    are replaced together.

    An upload is written to a temporary file in ``<bucket>/.incoming``, flushed to disk (``fsync``) and
    renamed onto the key (atomic on one filesystem), and the directory entry is flushed too: a reader sees
    the old object or the new one whole, never a part; after a crash or a power cut the object is there
    whole or not at all. A refused or failed upload removes its temporary file; one left by a killed
    process is removed by ``discard_incomplete`` (``migrate`` runs it, as MinIO cleans stale uploads).

    Keys are checked (``UnsafeKey``): relative, no empty, ``.`` or ``..`` segment, no segment starting with
    a dot (those names are the store's), no NUL, at most 1024 bytes, each segment at most 255; the path is
    resolved and must lie inside the bucket's directory (so neither ``..`` nor a symlink leads out).
    Files are created readable by the owner only: evidence is personal data.
    """

    def __init__(self, root: str | os.PathLike, bucket: str):
        if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
            raise ValueError(f"not a bucket name: {bucket!r}")
        self.bucket = bucket
        self.root = Path(root).absolute()
        self.directory = self.root / bucket
        self.incoming = self.directory / INCOMING

    # -- bucket and health ---------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        try:
            self.incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create bucket directory {self.directory}: {exc}") from exc

    def ping(self) -> bool:
        ready = self.incoming.is_dir() and os.access(self.incoming, os.W_OK | os.X_OK)
        if not ready:
            log.warning("object store not ready: %s is missing or not writable", self.incoming)
        return ready

    def discard_incomplete(self, older_than: float = 24 * 3600) -> list[str]:
        """Remove temporary files of uploads that a killed process left, older than ``older_than``
        seconds (younger ones may still be written). Returns their names."""
        removed = []
        limit = time.time() - older_than
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.incoming):
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                        removed.append(entry.name)
        return removed

    def incomplete(self) -> list[str]:
        """Names of the uploads being written now (or left by a killed process)."""
        try:
            return sorted(os.listdir(self.incoming))
        except FileNotFoundError:
            return []

    # -- keys ----------------------------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        """The file of ``key``, or ``UnsafeKey``."""
        if not isinstance(key, str) or not key:
            raise UnsafeKey(str(key), "empty")
        if "\0" in key:
            raise UnsafeKey(key, "NUL")
        if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
            raise UnsafeKey(key, "too long")
        segments = key.split("/")
        for segment in segments:
            if not segment or segment.startswith("."):
                raise UnsafeKey(key, "empty segment or one starting with a dot")
            if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
                raise UnsafeKey(key, "segment too long")
        path = self.directory.joinpath(*segments)
        # Belt and braces against a symlink planted inside the bucket.
        if not path.resolve().is_relative_to(self.directory.resolve()):
            raise UnsafeKey(key, "outside the bucket")
        return path

    # -- upload --------------------------------------------------------------------------------------------

    def _check_key(self, key: str) -> None:
        self.path(key)

    def _write(self, key: str, reader: _MeteredReader, content_type: str, filename: str | None) -> None:
        path = self.path(key)
        if not self.incoming.is_dir():
            raise StorageError(f"no bucket {self.bucket!r} in {self.root}")
        try:
            descriptor, temporary = self._open_incoming()
        except OSError as exc:
            raise StorageError(f"cannot store {key!r}: {exc}") from exc
        from_source: BaseException | None = None
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.seek(HEADER_BYTES)
                while True:  # an upload holds one chunk in memory
                    try:
                        chunk = reader.read(READ_CHUNK)
                    except BaseException as exc:  # a refusal, or the client gone: passed on as it is
                        from_source = exc
                        raise
                    if not chunk:
                        break
                    out.write(chunk)
                header = json.dumps({
                    "format": _FORMAT, "size": reader.size, "sha256": reader.sha256,
                    "content_type": content_type, "filename": filename,
                }, ensure_ascii=False).encode()
                if len(header) >= HEADER_BYTES:  # cannot happen: filenames are at most 255 bytes
                    raise StorageError(f"metadata of {key!r} too large")
                out.seek(0)
                out.write(header.ljust(HEADER_BYTES - 1) + b"\n")
                out.flush()
                os.fsync(out.fileno())
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(temporary, path)
            _fsync_directory(path.parent)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            if isinstance(exc, OSError) and exc is not from_source:
                raise StorageError(f"cannot store {key!r}: {exc}") from exc
            raise

    def _open_incoming(self) -> tuple[int, str]:
        """A new temporary file (mode 0600) for an upload: its descriptor and path."""
        return tempfile.mkstemp(prefix="upload-", dir=self.incoming)

    # -- download and the rest -----------------------------------------------------------------------------

    def _open(self, key: str) -> tuple[BinaryIO, StoredObject]:
        """The object's file, positioned at its first byte, and its metadata."""
        try:
            handle = open(self.path(key), "rb")  # noqa: SIM115 - handed to the caller, who closes it
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read {key!r}: {exc}") from exc
        try:
            info = _read_header(key, handle)
        except BaseException:
            handle.close()
            raise
        return handle, info

    def stream(self, key: str, chunk_size: int = DEFAULT_DOWNLOAD_CHUNK) -> ObjectChunks:
        handle, info = self._open(key)
        return ObjectChunks(iter(lambda: handle.read(chunk_size), b""), info, handle.close)

    @contextlib.contextmanager
    def open_stream(self, key: str) -> Iterator[BinaryIO]:
        handle, _ = self._open(key)
        with handle:
            yield handle

    def stat(self, key: str) -> StoredObject:
        handle, info = self._open(key)
        handle.close()
        return info

    def delete(self, key: str) -> None:
        path = self.path(key)
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"cannot delete {key!r}: {exc}") from exc
        _fsync_directory(path.parent)


    # -- what a backup needs (recert_common.backup) ---------------------------------------------------------

    def keys(self) -> Iterator[str]:
        for directory, subdirectories, files in os.walk(self.directory):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            relative = Path(directory).relative_to(self.directory)
            for name in sorted(files):
                if not name.startswith("."):
                    yield (relative / name).as_posix()

    def put_verbatim(self, key: str, source: Readable | BinaryIO, size: int, *, content_type: str,
                     filename: str | None, sha256: str) -> None:
        self.ensure_bucket()
        reader = _MeteredReader(source, b"", size)
        self._write(key, reader, content_type, filename)
        if reader.size != size or reader.sha256 != sha256:
            self.delete(key)
            raise StorageError(f"{key!r}: the bytes given are not the object of the backup")


def _read_header(key: str, handle: BinaryIO) -> StoredObject:
    raw = handle.read(HEADER_BYTES)
    try:
        header = json.loads(raw)
        if header.get("format") != _FORMAT:
            raise ValueError(header.get("format"))
    except ValueError as exc:
        raise StorageError(f"{key!r} is not an object of this store") from exc
    size = os.fstat(handle.fileno()).st_size - HEADER_BYTES
    if size != header["size"]:  # only a file changed behind the store's back can differ
        raise StorageError(f"{key!r} holds {size} bytes, its header says {header['size']}")
    return StoredObject(key, size, header["sha256"], header["content_type"], header["filename"])


def _fsync_directory(directory: Path) -> None:
    """A rename or unlink is durable only once its directory is flushed."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
