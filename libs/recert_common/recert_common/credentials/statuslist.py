"""The W3C Bitstring Status List: one bit per credential, GZIP-compressed, base64url without padding,
multibase-prefixed with ``u`` (the ``encodedList`` of a BitstringStatusList).

Bit 0 is the left-most (most significant) bit of the first byte, as the spec says. A list holds at least
16 KB of bits (131,072 entries) so that one credential's index tells nothing about how many there are.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import zlib

MIN_ENTRIES = 16 * 1024 * 8  # 131,072
MAX_BYTES = 16 * 1024 * 1024  # a list that inflates beyond this is refused (a decompression bomb)
MULTIBASE_BASE64URL = "u"


class StatusListError(ValueError):
    """An encodedList that is not a multibase base64url GZIP bitstring of an allowed size."""


class Bitstring:
    """A fixed-size list of status bits."""

    def __init__(self, entries: int = MIN_ENTRIES, data: bytes | None = None):
        if entries < MIN_ENTRIES or entries % 8:
            raise StatusListError(f"a status list has a multiple of 8 and at least {MIN_ENTRIES} entries")
        self._bits = bytearray(data if data is not None else entries // 8)
        if len(self._bits) * 8 != entries:
            raise StatusListError("the data does not hold that many entries")

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _where(self, index: int) -> tuple[int, int]:
        if not 0 <= index < len(self):
            raise IndexError(f"status index {index} is outside the list of {len(self)}")
        return index // 8, 7 - index % 8

    def get(self, index: int) -> bool:
        byte, shift = self._where(index)
        return bool(self._bits[byte] >> shift & 1)

    def set(self, index: int, value: bool = True) -> None:
        byte, shift = self._where(index)
        if value:
            self._bits[byte] |= 1 << shift
        else:
            self._bits[byte] &= ~(1 << shift) & 0xFF

    def encode(self) -> str:
        """The ``encodedList``. The GZIP header's time is fixed, so the same bits encode the same."""
        packed = gzip.compress(bytes(self._bits), mtime=0)
        return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, encoded: str) -> Bitstring:
        if not isinstance(encoded, str) or not encoded.startswith(MULTIBASE_BASE64URL):
            raise StatusListError("encodedList is not multibase base64url ('u' prefix)")
        body = encoded[1:]
        try:
            packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP only
            data = inflater.decompress(packed, MAX_BYTES + 1)
        except (binascii.Error, ValueError, zlib.error) as exc:
            raise StatusListError(f"encodedList does not decode: {exc}") from None
        if len(data) > MAX_BYTES or inflater.unconsumed_tail:
            raise StatusListError("encodedList is larger than allowed")
        if not inflater.eof:
            raise StatusListError("encodedList is cut short")
        return cls(len(data) * 8, data)
