"""Updates of stored objects as Stripe applies them: what changed, told as Stripe tells it in an
``*.updated`` event's ``previous_attributes``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stripe_emulator.store import JSON


def apply_update(
    obj: JSON, values: Mapping[str, Any], fields: Iterable[str], metadata: Any
) -> JSON:
    """Sets each of `fields` given in `values` and merges `metadata`; answers Stripe's
    ``previous_attributes`` (empty: nothing changed).

    ``metadata`` is the raw param: ``""`` clears it all, ``{"k": ""}`` unsets one key, other
    keys are set; its previous attributes name only the keys that changed (``null``: new).
    """
    previous: JSON = {}
    for key in fields:
        if key in values and values[key] != obj[key]:
            previous[key] = obj[key]
            obj[key] = values[key]
    if metadata is not None:
        old = obj["metadata"]
        new = {} if metadata == "" else {**old, **metadata}
        new = {key: value for key, value in new.items() if value != ""}
        changed = {
            key: old.get(key) for key in old.keys() | new.keys() if old.get(key) != new.get(key)
        }
        if changed:
            previous["metadata"] = changed
            obj["metadata"] = new
    return previous
