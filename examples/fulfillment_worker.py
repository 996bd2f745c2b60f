"""A fulfillment worker: ships each paid order once, following the service's payment events.

    python -m examples.fulfillment_worker --target 127.0.0.1:50051 --api-key "$API_KEY" \\
        --store fulfillment.sqlite3

It watches WatchPaymentEvents for SUCCEEDED events after the cursor kept in its own store
(examples/fulfillment_store.py), and handles each event in one transaction of that store: the
order is recorded as fulfilled and the cursor moves, together. When the stream fails in a way a
retry can cure (UNAVAILABLE: the connection was lost or the service is stopping, `SHUTTING_DOWN`;
RESOURCE_EXHAUSTED: too many streams), it waits — the RetryInfo delay the service gave, else an
exponential backoff with jitter — and watches again after its stored cursor: every paid order
is fulfilled, once, whatever restarts or cuts happen on either side.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import grpc

from examples.client import error_details
from examples.fulfillment_store import FulfillmentStore
from payments.v1 import payments_pb2, payments_pb2_grpc

if TYPE_CHECKING:  # the async stub type exists in the .pyi only
    Stub: TypeAlias = payments_pb2_grpc.PaymentServiceAsyncStub
else:
    Stub = payments_pb2_grpc.PaymentServiceStub

log = logging.getLogger("fulfillment_worker")

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
"""What a new stream may cure: a lost connection, a stopping replica, a stream limit."""
Handled = Callable[[payments_pb2.PaymentEvent, bool], None]
"""Told of each event once its transaction committed, and whether it fulfilled its order."""


@dataclass(frozen=True)
class Backoff:
    """Exponential, with "equal jitter": after the n-th failure in a row, a delay drawn from
    [d/2, d] where d = min(maximum, initial * 2**n), so that many workers cut at once do not
    come back at once."""

    initial: float = 0.2
    maximum: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after `failures` failures in a row (0: the first); never less than
        the service's RetryInfo delay, `retry_after`, when it gave one."""
        ceiling = min(self.maximum, self.initial * 2 ** min(failures, 32))
        jittered = self.rng.uniform(ceiling / 2, ceiling)
        return jittered if retry_after is None else max(retry_after, jittered)


def log_handled(event: payments_pb2.PaymentEvent, fulfilled: bool) -> None:
    order = event.payment.client_reference_id or event.payment.id
    if fulfilled:
        log.info("fulfilled order %s (payment %s)", order, event.payment.id)
    else:
        log.info("order %s was fulfilled already: event %s skipped", order, event.cursor)


class FulfillmentWorker:
    """Follows the service's SUCCEEDED events through `stub`, fulfilling into `store`."""

    def __init__(
        self,
        stub: Stub,
        store: FulfillmentStore,
        api_key: str,
        backoff: Backoff | None = None,
        on_handled: Handled = log_handled,
    ) -> None:
        self._stub = stub
        self._store = store
        self._metadata = (("x-api-key", api_key),)
        self._backoff = backoff or Backoff()
        self._on_handled = on_handled
        self.handled = 0
        """Events handled since the worker was made (each stored before it counts)."""

    async def run(self) -> None:
        """Watches until cancelled; raises the first error a retry cannot cure (a wrong API
        key, an expired cursor: those need a person)."""
        failures = 0
        while True:
            before = self.handled
            retry_after = None  # a stream that ended OK: the service let it go, watch again
            try:
                await self.watch_once()
            except grpc.aio.AioRpcError as error:
                if error.code() not in RETRYABLE:
                    raise
                retry_after = error_details(error)[2]
                log.warning("stream failed (%s), watching again", error.code().name)
            # Only failures in a row grow the delay: a stream that delivered was a success.
            failures = 0 if self.handled > before else failures + 1
            await asyncio.sleep(self._backoff.delay(failures, retry_after))

    async def watch_once(self) -> None:
        """One stream, from the stored cursor, until it ends (or fails: raised)."""
        request = payments_pb2.WatchPaymentEventsRequest(
            after_cursor=self._store.cursor(), statuses=[payments_pb2.PAYMENT_STATUS_SUCCEEDED]
        )
        call = self._stub.WatchPaymentEvents(request, metadata=self._metadata)
        try:
            async for batch in call:  # several events a message while catching up
                for event in batch.events:
                    self._on_handled(event, self._store.fulfil(event))
                    self.handled += 1
        finally:
            call.cancel()


async def serve(target: str, api_key: str, store_path: str) -> None:
    store = FulfillmentStore(store_path)
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            await FulfillmentWorker(Stub(channel), store, api_key).run()
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="Fulfil each paid order once.")
    parser.add_argument("--target", default=os.environ.get("PAYMENTS_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--api-key", default=os.environ.get("PAYMENTS_API_KEY", ""))
    parser.add_argument("--store", default="fulfillment.sqlite3")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        asyncio.run(serve(args.target, args.api_key, args.store))
    except KeyboardInterrupt:
        return 0
    except grpc.aio.AioRpcError as error:
        reason = error_details(error)[0]
        print(f"stopped: {error.code().name} {reason or '-'}: {error.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
