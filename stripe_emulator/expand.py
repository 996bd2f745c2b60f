"""``expand[]=field`` (and dotted paths like ``data.default_price``) on response objects.

Expansion never mutates stored objects: each expanded level is a shallow copy.
"""

from __future__ import annotations

from typing import Any

from stripe_emulator import errors
from stripe_emulator.store import JSON, Store

# Which fields of which object may be expanded, and the kind of object they point to.
EXPANDABLE: dict[str, dict[str, str]] = {
    "product": {"default_price": "price"},
    "price": {"product": "product"},
    "checkout.session": {"customer": "customer", "payment_intent": "payment_intent"},
    "payment_intent": {"customer": "customer"},
}


def expand(store: Store, obj: JSON, paths: list[str]) -> JSON:
    for path in paths:
        obj = _expand_path(store, obj, path.split("."), path)
    return obj


def _expand_path(store: Store, obj: JSON, parts: list[str], full_path: str) -> JSON:
    head, rest = parts[0], parts[1:]
    if obj.get("object") in ("search_result", "list") and head == "data":
        if not rest:
            raise _cannot_expand(full_path)
        return {**obj, "data": [_expand_path(store, item, rest, full_path) for item in obj["data"]]}
    target_kind = EXPANDABLE.get(str(obj.get("object")), {}).get(head)
    if target_kind is None:
        raise _cannot_expand(full_path)
    value: Any = obj.get(head)
    if isinstance(value, str):
        value = store.get(target_kind, value) or value
    if rest and isinstance(value, dict):
        value = _expand_path(store, value, rest, full_path)
    return {**obj, head: value}


def _cannot_expand(path: str) -> errors.StripeError:
    return errors.invalid_value("expand", f"This property cannot be expanded ({path}).")
