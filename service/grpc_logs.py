"""What gRPC's own Python code logs about a call's bytes, made safe to keep: its Cython layer
logs every metadata value that is not UTF-8 at ERROR, value and traceback included ("Invalid
encoding on b'…'"), once when the call arrives and again when the metadata is read. The value
is whatever a client sent: an API key with a stray byte, a bearer token, anything. A filter on
that logger replaces bytes arguments by their length and, for those decoding records, lowers
them to DEBUG: a client's bad bytes are not the server's error (the call is answered, and its
`service.rpc` line says how)."""

from __future__ import annotations

import logging

GRPC_CYTHON_LOGGER = "grpc._cython.cygrpc"
_DECODING = "Invalid encoding on %s"  # grpc_string.pyx.pxi's _decode


class NoMetadataBytes(logging.Filter):
    """Rewrites a record of gRPC's Cython logger so that no bytes it was given are in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if not any(isinstance(arg, bytes | bytearray) for arg in args):
            return True
        record.args = tuple(_placeholder(arg) for arg in args)
        record.exc_info, record.exc_text = None, None  # a client's bytes, not a bug: no traceback
        if record.msg == _DECODING:
            record.msg = "a metadata value is not UTF-8 (read as Latin-1): %s"
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


def _placeholder(arg: object) -> object:
    return f"<{len(arg)} bytes>" if isinstance(arg, bytes | bytearray) else arg


def guard_grpc_log() -> None:
    """Installs the filter on gRPC's Cython logger, once per process."""
    logger = logging.getLogger(GRPC_CYTHON_LOGGER)
    if not any(isinstance(existing, NoMetadataBytes) for existing in logger.filters):
        logger.addFilter(NoMetadataBytes())
