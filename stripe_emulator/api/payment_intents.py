"""``/v1/payment_intents`` (read-only: Checkout creates them when the customer pays)."""

from __future__ import annotations

from aiohttp import web

from stripe_emulator.handler_utils import require, respond, validated_params


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/payment_intents/{intent}")
    intent = require(request, "payment_intent", request.match_info["intent"])
    return respond(request, intent, params)
