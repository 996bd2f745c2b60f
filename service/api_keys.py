"""The API keys callers may use, as configured: `PAYMENTS_API_KEYS` (comma-separated) or the
file `PAYMENTS_API_KEYS_FILE` (one entry per line or comma-separated, `#` lines are comments;
re-read on SIGHUP). Each entry is `key` or `name=key`, and the key may be given as its SHA-256,
`sha256:<64 hex digits>` (`printf %s "$KEY" | sha256sum`), so that no configuration holds a
usable key. Messages name entries by position, never by content: an entry is (part of) a key.
"""

from __future__ import annotations

import re
from pathlib import Path

from service.auth import ApiKey

MIN_API_KEY_LENGTH = 16
HASH_PREFIX = "sha256:"

_CALLER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_HASH = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


class ApiKeyError(ValueError):
    """The keys as configured are unusable; the message is one line, without any key."""


def parse_api_keys(text: str, source: str, *, comments: bool = False) -> tuple[ApiKey, ...]:
    """The keys of `text` (`source` names it in messages); with `comments`, lines starting with
    `#` are skipped (a file's). Keys under one name are one caller (for rotation); a bare key's
    fingerprint is its caller's identity."""
    lines = text.splitlines()
    if comments:
        lines = [line for line in lines if not line.strip().startswith("#")]
    entries = [e.strip() for line in lines for e in line.split(",") if e.strip()]
    if not entries:
        raise ApiKeyError(f"{source} holds no key: give the API keys callers may use")
    keys = [_api_key(source, position, entry) for position, entry in enumerate(entries, start=1)]
    _check_distinct(source, keys)
    return tuple(keys)


def read_api_keys_file(path: str, source: str) -> tuple[ApiKey, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise ApiKeyError(f"{source}: cannot read {path}: {problem}") from None
    return parse_api_keys(text, source, comments=True)


def _api_key(source: str, position: int, entry: str) -> ApiKey:
    name: str | None = None
    key = entry
    if "=" in entry:
        name, _, key = (part.strip() for part in entry.partition("="))
        if not _CALLER_NAME.match(name):
            raise ApiKeyError(
                f"{source}: entry #{position} has an invalid caller name: write name=key, the "
                "name 1-40 of a-z 0-9 _ - starting with a letter (a key without a name cannot "
                "contain '=')"
            )
    hashed = _HASH.match(key)
    if hashed:
        return ApiKey.hashed(hashed.group(1), name)
    if key.startswith(HASH_PREFIX):
        raise ApiKeyError(
            f"{source}: key #{position} starts {HASH_PREFIX} but is not 64 hex digits"
        )
    _check_key(source, position, key, name is not None)
    return ApiKey(key, name)


def _check_key(source: str, position: int, key: str, named: bool) -> None:
    if len(key) < MIN_API_KEY_LENGTH:
        where = " (the part after the first '=' of name=key)" if named else ""
        raise ApiKeyError(
            f"{source}: key #{position}{where} is shorter than {MIN_API_KEY_LENGTH} characters; "
            "use long random keys"
        )
    if not key.isascii() or not key.isprintable() or any(ch.isspace() for ch in key):
        raise ApiKeyError(f"{source}: key #{position} must be printable ASCII without spaces")


def _check_distinct(source: str, keys: list[ApiKey]) -> None:
    for position, api_key in enumerate(keys, start=1):
        earlier = [seen.digest for seen in keys[: position - 1]]
        if api_key.digest in earlier:
            first = earlier.index(api_key.digest) + 1
            raise ApiKeyError(f"{source}: key #{position} repeats key #{first}; give each once")
    bare_ids = {api_key.caller_id for api_key in keys if api_key.caller is None}
    for position, api_key in enumerate(keys, start=1):
        if api_key.caller is not None and api_key.caller in bare_ids:
            raise ApiKeyError(
                f"{source}: the caller name of entry #{position} equals the fingerprint of a key "
                "without a name; choose another name"
            )
