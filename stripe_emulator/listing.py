"""Stripe's list pagination: newest first, ``limit``, ``starting_after``, ``ending_before``.

``starting_after=X`` gives the objects just older than X; ``ending_before=X`` the objects just
newer than X (still newest first). ``has_more`` says whether more lie beyond the page in the
direction being paged. A cursor keeps its place even when filters would exclude it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, TypeVar

from stripe_emulator import errors
from stripe_emulator.store import JSON

DEFAULT_LIMIT = 10

Position = Callable[[str], "int | None"]
Item = TypeVar("Item")


def _itself(item: Any) -> JSON:
    rendered: JSON = item
    return rendered


def list_page(
    items: Sequence[Item],
    position_of: Position,
    params: dict[str, Any],
    *,
    url: str,
    noun: str,
    keep: Callable[[Item], bool] = lambda _: True,
    render: Callable[[Item], JSON] = _itself,
) -> JSON:
    """One page of ``items`` (oldest first, as stored) in Stripe's ``list`` envelope;
    ``render`` turns an item into the JSON object listed."""
    limit: int = params.get("limit", DEFAULT_LIMIT)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None and before is not None:
        raise errors.invalid_request(
            "You may only specify one of these parameters: ending_before, starting_after."
        )
    if before is not None:
        start = _cursor(position_of, before, "ending_before", noun) + 1
        newer = _take((items[i] for i in range(start, len(items))), keep, limit)
        page, has_more = newer[:limit][::-1], len(newer) > limit
    else:
        end = len(items) if after is None else _cursor(position_of, after, "starting_after", noun)
        older = _take((items[i] for i in range(end - 1, -1, -1)), keep, limit)
        page, has_more = older[:limit], len(older) > limit
    data = [render(item) for item in page]
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _take(items: Iterable[Item], keep: Callable[[Item], bool], limit: int) -> list[Item]:
    """Up to ``limit + 1`` kept items: one more than the page tells whether there are more."""
    return list(islice((item for item in items if keep(item)), limit + 1))


def _cursor(position_of: Position, object_id: str, param: str, noun: str) -> int:
    position = position_of(object_id)
    if position is None:
        raise errors.resource_missing(noun, object_id, param, status=400)
    return position
