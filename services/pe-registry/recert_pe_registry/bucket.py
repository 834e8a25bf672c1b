"""The evidence bucket: the shared ``ObjectStore`` plus making sure the bucket exists.

The bucket is created on the first need (readiness probe or upload) rather than when the app is built, so
that a web process starts even while the object store is still coming up.
"""
from __future__ import annotations

import logging
from typing import BinaryIO

from recert_common.storage import ObjectChunks, ObjectStore, StorageError, StoredObject

log = logging.getLogger(__name__)


class EvidenceBucket:
    def __init__(self, store: ObjectStore):
        self.store = store

    @property
    def name(self) -> str:
        return self.store.bucket

    def ensure(self) -> None:
        self.store.ensure_bucket()

    def ready(self) -> bool:
        """For ``/readyz``: the store answers and the bucket exists (created if need be). Never raises."""
        try:
            self.ensure()
        except StorageError as exc:
            log.warning("evidence bucket not ready: %s", exc)
            return False
        return self.store.ping()

    def put(self, key: str, stream: BinaryIO, *, max_bytes: int, filename: str) -> StoredObject:
        self.ensure()
        return self.store.put_stream(key, stream, max_bytes=max_bytes, filename=filename)

    def stream(self, key: str) -> ObjectChunks:
        return self.store.stream(key)

    def discard(self, key: str) -> None:
        """Remove an object we no longer need; a failure leaves an orphan behind, which is logged."""
        try:
            self.store.delete(key)
        except StorageError:
            log.exception("could not delete evidence object", extra={"object_key": key})
