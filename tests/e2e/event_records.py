"""Both sides' records, to compare: the events Stripe (the emulator) has about some payments,
the events the service's ledger recorded, and the emulator's delivery attempts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from ledger.opening import backend_for
from ledger.schema import provider_events
from ledger.urls import parse
from stripe_adapter.events import PAYMENT_EVENT_TYPES
from stripe_emulator.testing import AsyncEmulatorHandle
from tests.emulator.helpers import async_stripe_client


async def recorded_event_ids(ledger_url: str) -> list[str]:
    """Every event id in the ledger's table of events taken in, one row each."""
    backend = backend_for(parse(ledger_url))
    try:
        async with backend.reader.connect() as connection:
            rows = await connection.execute(select(provider_events.c.event_id))
            return [event_id for (event_id,) in rows]
    finally:
        await backend.dispose()


async def stripe_events_of(
    emulator: AsyncEmulatorHandle, session_ids: Collection[str]
) -> dict[str, str]:
    """id -> type of every event of the kinds the ledger uses about these checkout sessions, as
    Stripe's Events API lists them (through the SDK)."""
    listed = await stripe_payment_events(emulator)
    return {
        event_id: kind for event_id, (kind, session) in listed.items() if session in session_ids
    }


async def stripe_payment_events(emulator: AsyncEmulatorHandle) -> dict[str, tuple[str, str]]:
    """id -> (type, checkout session id) of every event of the kinds the ledger uses, as
    Stripe's Events API lists them (through the SDK)."""
    found: dict[str, tuple[str, str]] = {}
    async with async_stripe_client(emulator) as client:
        params: Any = {"types": list(PAYMENT_EVENT_TYPES), "limit": 100}
        page = await client.v1.events.list_async(params=params)
        async for event in page.auto_paging_iter():
            found[event.id] = (event.type, event.data.object["id"])
    return found


def answered(deliveries: list[dict[str, Any]], status: int) -> Counter[str]:
    """How many attempts of each event were answered with `status`."""
    return Counter(row["event"] for row in deliveries if row["status"] == status)
