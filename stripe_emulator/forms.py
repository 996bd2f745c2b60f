"""Decode Stripe's ``application/x-www-form-urlencoded`` bracket notation.

``metadata[k]=v``, ``line_items[0][price]=p``, ``expand[]=a`` and ``expand[0]=a`` become
nested dicts and lists. Objects whose keys are all array indices become lists, except
under ``metadata`` where ``"0"`` is an ordinary key.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

MAX_FIELDS = 1000
MAX_DEPTH = 8

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_APPEND = object()


class FormError(ValueError):
    """The body cannot be read as a form; ``param`` names the offending key."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def decode_form(raw: bytes | str) -> dict[str, Any]:
    """Parse a urlencoded body or query string into nested params."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("Invalid request: the body could not be parsed as a form.") from exc
    return nest(pairs)


def nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        _assign(root, key, value)
    # The top level is always an object, even when a key happens to be numeric.
    return {
        key: _listify(value, under_metadata=key == "metadata") if isinstance(value, dict) else value
        for key, value in root.items()
    }


def _split_key(key: str) -> list[str]:
    match = _KEY.match(key)
    if match is None:
        raise FormError(f"Invalid parameter name: {key}", key)
    segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
    if len(segments) > MAX_DEPTH:
        raise FormError(f"Parameter nested too deeply: {key}", key)
    return segments


def _assign(root: dict[str, Any], key: str, value: str) -> None:
    segments = _split_key(key)
    node = root
    for position, segment in enumerate(segments):
        name = str(_next_index(node)) if segment == "" else segment
        is_leaf = position == len(segments) - 1
        if is_leaf:
            if isinstance(node.get(name), dict):
                raise FormError(f"Invalid value for {key}: expected an object", key)
            node[name] = value  # a repeated scalar key keeps the last value
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise FormError(f"Invalid value for {key}: expected a scalar", key)
        node = child


def _next_index(node: dict[str, Any]) -> int:
    return sum(1 for existing in node if existing.isdigit())


def _listify(node: dict[str, Any], *, under_metadata: bool) -> Any:
    converted = {
        key: _listify(value, under_metadata=key == "metadata") if isinstance(value, dict) else value
        for key, value in node.items()
    }
    if not under_metadata and converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
