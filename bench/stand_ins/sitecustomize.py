"""Stand-ins for bench/part_costs.py: imported at start-up by a service started with this
directory on PYTHONPATH (Python's `site` imports any `sitecustomize`), it replaces the one part
BENCH_STAND_IN names with the cheapest thing that answers the same, so that the service's CPU
per call without that part can be measured. A diagnostic only: never on a service's path."""

from __future__ import annotations

import json
import os
from typing import Any

STAND_IN = os.environ.get("BENCH_STAND_IN", "")


def drop_access_log() -> None:
    """The `service.rpc` line of every call, not written (nor formatted)."""
    import logging

    logging.getLogger("service.rpc").disabled = True


def remember_ledger_reads() -> None:
    """Ledger.payment answered from a dict after the first read of each id."""
    from ledger.ledger import Ledger

    read = Ledger.payment
    kept: dict[str, Any] = {}

    async def payment(self: Ledger, payment_id: str) -> Any:
        if payment_id not in kept:
            kept[payment_id] = await read(self, payment_id)
        return kept[payment_id]

    Ledger.payment = payment  # type: ignore[method-assign]


def bare_stripe_reads() -> None:
    """Stripe's GETs as one aiohttp request and a JSON decode: no SDK request stack, runner
    (deadline, 429 retries), observer (metrics, the call's Stripe ids) or pool."""
    import aiohttp

    from stripe_adapter.reads import JsonReader

    sessions: list[aiohttp.ClientSession] = []

    async def get(self: JsonReader, path: str, params: Any, deadline: Any) -> Any:
        if not sessions:
            headers = {"Authorization": f"Bearer {os.environ['STRIPE_SECRET_KEY']}"}
            connector = aiohttp.TCPConnector(limit=0)
            base = os.environ["STRIPE_API_BASE"]
            sessions.append(aiohttp.ClientSession(base, headers=headers, connector=connector))
        async with sessions[0].get(path) as answer:
            return json.loads(await answer.read())

    JsonReader.get = get  # type: ignore[method-assign]


def no_metrics() -> None:
    """Metrics.call_ended a no-op: no call counted, timed or labelled."""
    from service.metrics import Metrics

    Metrics.call_ended = lambda self, record: None  # type: ignore[method-assign]


STAND_INS = {
    "access-log": drop_access_log,
    "ledger-read": remember_ledger_reads,
    "stripe-read": bare_stripe_reads,
    "metrics": no_metrics,
}

if STAND_IN:
    STAND_INS[STAND_IN]()
