"""Payment-event cursors: opaque to callers, a version and the event's sequence number in
base32hex (RFC 4648's alphabet in ASCII order, fixed length), so cursors compare as strings in
the feed's order."""

from __future__ import annotations

import base64
import binascii
import struct

from domain.errors import InvalidInput, Violation

_VERSION = b"\x01"
_SEQ = struct.Struct(">Q")
_LENGTH = 15  # 9 bytes in base32, its one "=" of padding left off


def encode(seq: int) -> str:
    return base64.b32hexencode(_VERSION + _SEQ.pack(seq)).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The sequence number a cursor names: 0 for the empty cursor (before every event). Raises
    InvalidInput for a string that is not a cursor of this feed."""
    if not cursor:
        return 0
    try:
        raw = base64.b32hexdecode(cursor + "=") if len(cursor) == _LENGTH else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 1 + _SEQ.size or raw[:1] != _VERSION or encode(_seq(raw)) != cursor:
        raise InvalidInput([Violation("after_cursor", "is not a cursor of this feed")])
    return _seq(raw)


def _seq(raw: bytes) -> int:
    (seq,) = _SEQ.unpack(raw[1:])
    return int(seq)
