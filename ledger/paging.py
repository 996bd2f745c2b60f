"""Page tokens: opaque to callers, bound to the query's filter. A token is the last sequence
number of the page before, and 8 bytes of a hash of the filter it was given for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from domain.errors import InvalidInput, Violation

_SEQ = struct.Struct(">Q")
_FILTER_BYTES = 8


def filter_key(column: str, value: str) -> bytes:
    return hashlib.sha256(f"{column}\0{value}".encode()).digest()[:_FILTER_BYTES]


def encode(after_seq: int, key: bytes) -> str:
    return base64.urlsafe_b64encode(_SEQ.pack(after_seq) + key).rstrip(b"=").decode()


def decode(token: str, key: bytes) -> int:
    """The sequence number a page starts after: 0 for no token. Raises InvalidInput for a token
    that is not one of ours, or was given for another filter."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _SEQ.size + _FILTER_BYTES:
        raise InvalidInput([Violation("page_token", "is not a page token of this API")])
    if raw[_SEQ.size :] != key:
        raise InvalidInput([Violation("page_token", "was given for another query")])
    (after_seq,) = _SEQ.unpack(raw[: _SEQ.size])
    return int(after_seq)
