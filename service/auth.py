"""API-key authentication, transport-neutral: gRPC metadata and HTTP headers both reduce to
"which key was presented", and the answer is the caller's identity: the caller name the key was
configured under (`name=key`), else the key's fingerprint; never the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.errors import API_KEY_INVALID, API_KEY_MISSING, EdgeError

API_KEY_HEADER = "x-api-key"
AUTHORIZATION_HEADER = "authorization"
MISSING_KEY_MESSAGE = "missing API key: send it in the x-api-key metadata"
INVALID_KEY_MESSAGE = "invalid API key"
# A client certificate's common name as a caller: a name, never mistaken for a key fingerprint.
_CERTIFICATE_CALLER = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")


def fingerprint(api_key: str) -> str:
    """A stable, non-reversible name for a key: safe in logs, used to scope idempotency."""
    return _fingerprint_of(_digest(api_key))


def _digest(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def _fingerprint_of(digest: bytes) -> str:
    return digest.hex()[:16]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One accepted key and the caller it identifies. Keys under one `caller` name are one
    caller: rotating from one to another keeps its identity, and so its request_id idempotency.
    Without a name the key's fingerprint is the caller's identity.

    Only the key's SHA-256 `digest` is kept: `ApiKey(key)` computes it, `ApiKey.hashed(hex)`
    takes one configured as a hash (so that no configuration holds a usable key)."""

    key: str | None = field(default=None, repr=False)
    caller: str | None = None
    digest: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if self.key is not None:
            object.__setattr__(self, "digest", _digest(self.key))
            object.__setattr__(self, "key", None)  # not kept: the digest is all it takes
        if len(self.digest) != hashlib.sha256().digest_size:
            raise ValueError("an ApiKey needs a key or its SHA-256 digest")

    @classmethod
    def hashed(cls, hex_digest: str, caller: str | None = None) -> ApiKey:
        return cls(caller=caller, digest=bytes.fromhex(hex_digest))

    @property
    def caller_id(self) -> str:
        return self.caller if self.caller is not None else _fingerprint_of(self.digest)


class ApiKeyAuthenticator:
    """Accepts any of several configured keys at once, so keys can be rotated without downtime;
    `replace` swaps the whole set at once (a reload)."""

    def __init__(self, api_keys: Sequence[ApiKey]) -> None:
        self.replace(api_keys)

    def replace(self, api_keys: Sequence[ApiKey]) -> None:
        if not api_keys:
            raise ValueError("at least one API key is required")
        # Comparing digests makes every comparison the same length, so timing reveals neither
        # the keys' contents nor their lengths.
        self._entries = tuple((entry.digest, entry.caller_id) for entry in api_keys)

    def authenticate(self, presented_key: str | None, certificate_name: str | None = None) -> str:
        """The caller id (its configured name, else the key's fingerprint) for a valid key;
        without a key, the name of the client certificate the TLS layer verified (mTLS), when it
        is a usable name; raises EdgeError (API_KEY_MISSING or API_KEY_INVALID) otherwise."""
        if not presented_key:
            if certificate_name is not None and _CERTIFICATE_CALLER.match(certificate_name):
                return certificate_name
            raise EdgeError(API_KEY_MISSING, MISSING_KEY_MESSAGE)
        # A key with bytes that are not UTF-8 (kept by the web server as lone surrogates) is
        # hashed as those bytes: it matches no configured key, and fails as any wrong key does.
        presented = hashlib.sha256(presented_key.encode("utf-8", "surrogateescape")).digest()
        caller_id: str | None = None
        for digest, candidate in self._entries:
            # No early exit: every configured key is compared, whichever one matches.
            if hmac.compare_digest(presented, digest):
                caller_id = candidate
        if caller_id is None:
            raise EdgeError(API_KEY_INVALID, INVALID_KEY_MESSAGE)
        return caller_id


def key_from_metadata(pairs: Iterable[tuple[str, str | bytes]]) -> str | None:
    """The key from `x-api-key: <key>` or else `authorization: Bearer <key>`; None if neither.
    Names are compared case-insensitively, so HTTP headers can be passed as they come."""
    bearer: str | None = None
    for name, value in pairs:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        lowered = name.lower()
        if lowered == API_KEY_HEADER:
            return text.strip() or None
        if lowered == AUTHORIZATION_HEADER and bearer is None:
            scheme, _, credentials = text.strip().partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                bearer = credentials.strip()
    return bearer
