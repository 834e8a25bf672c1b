"""Files made while they are read: large uploads without holding them, with every read recorded."""
from __future__ import annotations

import hashlib
import random


class GeneratedFile:
    """``size`` bytes (``head``, then seeded random bytes) made as they are read, never held whole.

    Records every read request, so a test can show nobody asked for the whole file at once, and hashes
    what it hands out.
    """

    def __init__(self, head: bytes, size: int, seed: int = 7):
        self._head = head
        self.size = size
        self._random = random.Random(seed)
        self.position = 0
        self.reads: list[int] = []
        self.hash = hashlib.sha256()

    def read(self, n: int | None = -1) -> bytes:
        self.reads.append(n)
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        head = self._head[self.position:self.position + n]
        chunk = head + self._random.randbytes(n - len(head))
        self.position += n
        self.hash.update(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


class BytesSource(GeneratedFile):
    """Given bytes, read the same recorded way."""

    def __init__(self, data: bytes):
        super().__init__(data, len(data))


def generated_bytes(head: bytes, size: int, seed: int = 7) -> bytes:
    return GeneratedFile(head, size, seed).read(size)
