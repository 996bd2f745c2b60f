"""``/v1/events``: the event log, newest first, with Stripe's filters."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.events import Event
from stripe_emulator.handler_utils import respond, validated_params
from stripe_emulator.listing import list_page
from stripe_emulator.state import state_of

MAX_TYPES = 20
_COMPARE = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}


async def list_events(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/events")
    log = state_of(request).store.events
    page = list_page(
        log.oldest_first(),
        log.position,
        params,
        url="/v1/events",
        noun="event",
        keep=_filter(params),
        render=Event.to_json,
    )
    return respond(request, page, params)


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/events/{id}")
    event_id = request.match_info["id"]
    event = state_of(request).store.events.get(event_id)
    if event is None:
        raise errors.resource_missing("event", event_id, "id")
    return respond(request, event.to_json(), params)


def _filter(params: dict[str, Any]) -> Callable[[Event], bool]:
    """A predicate for the ``type``/``types``/``created``/``delivery_success`` filters."""
    if "type" in params and "types" in params:
        raise errors.invalid_request(
            "You may only specify one of these parameters: type, types.", param="types"
        )
    types: list[str] | None = params.get("types")
    if types is not None and len(types) > MAX_TYPES:
        raise errors.invalid_value("types", f"You may pass at most {MAX_TYPES} types.")
    patterns = types if types is not None else [params["type"]] if "type" in params else None
    created: dict[str, int] = params.get("created", {})
    delivered: bool | None = params.get("delivery_success")

    def keep(event: Event) -> bool:
        if patterns is not None and not any(fnmatchcase(event.type, p) for p in patterns):
            return False
        if not all(_COMPARE[op](event.created, bound) for op, bound in created.items()):
            return False
        return delivered is None or (event.pending_webhooks == 0) == delivered

    return keep
