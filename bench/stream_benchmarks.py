"""The server-streaming RPCs through the whole service (`make bench`, or):

    uv run python bench/stream_benchmarks.py [--only streams|catch-up] [--backend sqlite]
        [--no-doc] [--profile DIR]

- Push: STREAMS WatchPaymentStatus streams on one open checkout, each past its first update
  (OPEN), held by watcher processes (bench/stream_watchers.py); then the checkout is paid in
  the emulator, whose webhook the service records, and each stream's SUCCEEDED update is
  stamped as it arrives. Delay: arrival - the event's `record_time` (when the ledger recorded
  it, as ListPaymentEvents tells). After a warm-up push, PUSH_ROUNDS rounds in which the
  streams are held by each of CLIENT_PROCESSES processes in turn (the client's own cost shows
  in the difference). Target: p99 <= 250 ms.
- Memory: VmRSS of the service process with 0, STREAMS and MORE_STREAMS idle streams open
  (before the push rounds, on a fresh service). Target: <= 50 KiB per stream.
- Catch-up: a ledger filled with BACKLOG payment events before the service starts; one
  consumer reads them all through WatchPaymentEvents from the empty cursor, against paging
  through ListPaymentEvents (page_size 1000) on the same channel, rounds alternating, on SQLite
  and on PostgreSQL. Target: the stream's events/s >= 0.5x the pages'.

The stack: bench/payment_stack.py (the emulator delivering its webhooks to the service). Rewrites
three sections of docs/benchmarks.md (see bench/stream_report.py), unless `--no-doc`, or
`--profile DIR`: each service then runs under cProfile, its stats written into DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, cast
from unittest import mock

import grpc
from benchlib import cpu_seconds, rewrite_section
from ledger_benchmarks import a_payment, concurrently
from payment_stack import API_KEY, PaymentStack, payment_stack, postgres_database
from stream_report import (
    BACKLOG,
    CATCH_UP_ROUNDS,
    CLIENT_PROCESSES,
    MORE_STREAMS,
    PAGE_SIZE,
    PUSH_ROUNDS,
    STREAMS,
    WARM_UP_STREAMS,
    CatchUp,
    Load,
    Memory,
    Push,
    Section,
    catch_up_section,
    memory_section,
    push_section,
)
from stream_watchers import WatcherProcess, spawn

import ledger.sqlite_backend
from ledger import open_ledger
from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError
from tools.stack import pay_in_emulator

if TYPE_CHECKING:  # the async stub exists only in the generated .pyi
    Stub: TypeAlias = payments_pb2_grpc.PaymentServiceAsyncStub
METADATA = (("x-api-key", API_KEY),)
# One caller holds every stream: its limit (default 1000) raised to let MORE_STREAMS open.
SETTINGS = {"PAYMENTS_MAX_STREAMS_PER_CALLER": str(MORE_STREAMS)}


class BenchError(RuntimeError):
    """The run measured something other than correct answers."""


# --- push and memory -------------------------------------------------------------------------


@dataclass(frozen=True)
class Seller:
    stub: Stub
    customer_id: str
    product_id: str

    @classmethod
    async def open(cls, stub: Stub) -> Seller:
        customer = await stub.CreateCustomer(
            payments_pb2.CreateCustomerRequest(email="bench@example.com"), metadata=METADATA
        )
        product = await stub.CreateProduct(
            payments_pb2.CreateProductRequest(
                name="Bench", unit_amount=1234, currency="usd", external_product_id=uuid_text()
            ),
            metadata=METADATA,
        )
        return cls(stub, customer.customer.id, product.product.id)

    async def checkout(self, order: str) -> str:
        request = payments_pb2.CreateCheckoutRequest(
            product_id=self.product_id, customer_id=self.customer_id, client_reference_id=order
        )
        response = await self.stub.CreateCheckout(request, metadata=METADATA, timeout=10)
        return str(response.checkout_session_id)

    async def record_time(self, order: str) -> float:
        """When the ledger recorded the order's SUCCEEDED event (seconds since the epoch)."""
        request = payments_pb2.ListPaymentEventsRequest(client_reference_id=order)
        page = await self.stub.ListPaymentEvents(request, metadata=METADATA, timeout=10)
        times = [
            event.record_time.ToNanoseconds() / 1e9
            for event in page.events
            if event.payment.status == payments_pb2.PAYMENT_STATUS_SUCCEEDED
        ]
        if len(times) != 1:
            raise BenchError(f"order {order}: {len(times)} SUCCEEDED events in the ledger")
        return times[0]


def uuid_text() -> str:
    return uuid.uuid4().hex


async def each(watchers: Sequence[WatcherProcess], *command: object) -> list[object]:
    """The command sent to every watcher process at once; their answers."""
    return list(await asyncio.gather(*(asyncio.to_thread(w.ask, *command) for w in watchers)))


async def open_streams(
    seller: Seller, watchers: Sequence[WatcherProcess], count: int
) -> tuple[str, str]:
    """`count` streams on a new checkout, shared among the watchers: (order, session id)."""
    order = f"bench-watch-{uuid_text()}"
    session_id = await seller.checkout(order)
    shares = [count // len(watchers) + (i < count % len(watchers)) for i in range(len(watchers))]
    await asyncio.gather(
        *(
            asyncio.to_thread(w.ask, "open", session_id, n)
            for w, n in zip(watchers, shares, strict=True)
        )
    )
    return order, session_id


async def push(stack: PaymentStack, seller: Seller, watchers: Sequence[WatcherProcess]) -> Push:
    order, session_id = await open_streams(seller, watchers, STREAMS)
    await each(watchers, "arm")
    cpu = cpu_seconds(stack.service_pid)
    paid_at = time.time()
    await asyncio.to_thread(pay_in_emulator, stack.emulator_url, session_id)
    collected = await each(watchers, "collect")
    arrivals = [t for answer in collected for t in cast(list[float], answer)]
    service_cpu = cpu_seconds(stack.service_pid) - cpu
    if len(arrivals) != STREAMS:
        raise BenchError(f"{len(arrivals)} updates arrived for {STREAMS} streams")
    recorded_at = await seller.record_time(order)
    return Push(
        len(watchers),
        sorted((t - recorded_at) * 1000 for t in arrivals),
        sorted((t - paid_at) * 1000 for t in arrivals),
        service_cpu,
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


async def memory(stack: PaymentStack, seller: Seller, watchers: Sequence[WatcherProcess]) -> Memory:
    """RSS with 0, STREAMS, MORE_STREAMS idle streams (after WARM_UP_STREAMS opened and closed:
    the code paths, the connections, the Stripe SDK warm)."""
    await open_streams(seller, watchers, WARM_UP_STREAMS)
    await each(watchers, "cancel")
    rss = {0: rss_kib(stack.service_pid)}
    await open_streams(seller, watchers, STREAMS)
    rss[STREAMS] = rss_kib(stack.service_pid)
    await open_streams(seller, watchers, MORE_STREAMS - STREAMS)
    rss[MORE_STREAMS] = rss_kib(stack.service_pid)
    await each(watchers, "cancel")
    return Memory(rss)


@contextmanager
def watcher_processes(target: str, count: int) -> Iterator[list[WatcherProcess]]:
    watchers = [spawn(target, METADATA) for _ in range(count)]
    try:
        yield watchers
    finally:
        for watcher in watchers:
            watcher.stop()


async def streams_run(stack: PaymentStack) -> tuple[Memory, list[Push]]:
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        seller = await Seller.open(payments_pb2_grpc.PaymentServiceStub(channel))
        with watcher_processes(stack.grpc_target, max(CLIENT_PROCESSES)) as watchers:
            found = await memory(stack, seller, watchers)
            await push(stack, seller, watchers)  # warm-up: the first push is the slowest
            pushes = [
                await push(stack, seller, watchers[:processes])
                for _ in range(PUSH_ROUNDS)
                for processes in CLIENT_PROCESSES
            ]
    return found, pushes


# --- catch-up --------------------------------------------------------------------------------


def fill_ledger(url: str) -> None:
    """BACKLOG new payments recorded SUCCEEDED, each a payment event, 16 at a time; on SQLite
    with synchronous=OFF (the fill is not measured: no need to wait for the disk)."""

    async def fill() -> None:
        async with open_ledger(url) as ledger:
            await concurrently([partial(ledger.record, a_payment(i)) for i in range(BACKLOG)], 16)

    with mock.patch.object(ledger.sqlite_backend, "_on_connect", _unsynced):
        asyncio.run(fill())


def _unsynced(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA synchronous = OFF")


async def watch_all(stub: Stub) -> float:
    """Seconds to read BACKLOG events through WatchPaymentEvents from the empty cursor."""
    start = time.perf_counter()
    call = stub.WatchPaymentEvents(payments_pb2.WatchPaymentEventsRequest(), metadata=METADATA)
    cursors: list[str] = []
    while len(cursors) < BACKLOG:
        batch = await call.read()
        if not isinstance(batch, payments_pb2.WatchPaymentEventsResponse):
            raise BenchError(f"the stream ended after {len(cursors)} events: {await call.code()}")
        cursors.extend(event.cursor for event in batch.events)
    took = time.perf_counter() - start
    call.cancel()
    check_order(cursors, "WatchPaymentEvents")
    return took


async def list_all(stub: Stub) -> float:
    """Seconds to read BACKLOG events through ListPaymentEvents, PAGE_SIZE at a time."""
    start = time.perf_counter()
    cursors: list[str] = []
    after = ""
    while len(cursors) < BACKLOG:
        request = payments_pb2.ListPaymentEventsRequest(after_cursor=after, page_size=PAGE_SIZE)
        page = await stub.ListPaymentEvents(request, metadata=METADATA, timeout=30)
        if not page.events:
            raise BenchError(f"ListPaymentEvents ran out after {len(cursors)} events")
        cursors += [event.cursor for event in page.events]
        after = page.next_cursor
    took = time.perf_counter() - start
    check_order(cursors, "ListPaymentEvents")
    return took


def check_order(cursors: Sequence[str], rpc: str) -> None:
    if len(cursors) != BACKLOG or sorted(set(cursors)) != list(cursors):
        raise BenchError(f"{rpc}: {len(cursors)} events, not {BACKLOG} distinct in ledger order")


async def catch_up_rounds(name: str, stack: PaymentStack) -> CatchUp:
    found = CatchUp(name, [], [], [], [], [], [])
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        await watch_all(stub)  # warm-up: statements, connections, code paths
        await list_all(stub)
        for _ in range(CATCH_UP_ROUNDS):
            for read, took, cpu, client_cpu in (
                (watch_all, found.watch_s, found.watch_cpu_s, found.watch_client_cpu_s),
                (list_all, found.list_s, found.list_cpu_s, found.list_client_cpu_s),
            ):
                before, client_before = cpu_seconds(stack.service_pid), time.process_time()
                took.append(await read(stub))
                cpu.append(cpu_seconds(stack.service_pid) - before)
                client_cpu.append(time.process_time() - client_before)
    return found


def catch_up_run(tmp: Path, backends: Sequence[str], profile: Path | None) -> list[CatchUp]:
    results = []
    for name in backends:
        directory = tmp / f"catch-up-{name}"
        directory.mkdir()
        with (
            postgres_database()
            if name == "postgresql"
            else nullcontext_url(f"sqlite:///{directory}/ledger.db")
        ) as url:
            fill_ledger(url)
            stats = None if profile is None else profile / f"catch-up-{name}.pstats"
            with payment_stack(directory, url, profile=stats) as stack:
                results.append(asyncio.run(catch_up_rounds(name, stack)))
    return results


@contextmanager
def nullcontext_url(url: str) -> Iterator[str]:
    yield url


# --- main ------------------------------------------------------------------------------------


def streams_part(tmp: Path, profile: Path | None, load: Load) -> list[Section]:
    directory = tmp / "streams"
    directory.mkdir()
    url = f"sqlite:///{directory}/ledger.db"
    stats = None if profile is None else profile / "streams.pstats"
    with payment_stack(directory, url, SETTINGS, stats) as stack:
        found, pushes = asyncio.run(streams_run(stack))
    return [push_section(pushes, load), memory_section(found, load)]


def run(args: argparse.Namespace, load: Load) -> list[Section]:
    sections = []
    with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp:
        if args.only != "catch-up":
            sections += streams_part(Path(tmp), args.profile, load)
        if args.only != "streams":
            backends = [args.backend] if args.backend else ["sqlite", "postgresql"]
            found = catch_up_run(Path(tmp), backends, args.profile)
            sections.append(catch_up_section(found, load))
    return sections


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=("streams", "catch-up"), help="one part of the run")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), help="catch-up on one")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    parser.add_argument(
        "--profile",
        type=Path,
        help="run each service under cProfile, its stats into this folder (implies --no-doc)",
    )
    args = parser.parse_args(argv)
    try:
        sections = run(args, os.getloadavg())
    except (BenchError, StartError, RuntimeError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    for title, text, _ in sections:
        print(text)
        if not args.no_doc and args.profile is None:
            rewrite_section(title, text)
    return 0 if all(met for _, _, met in sections) else 1


if __name__ == "__main__":
    sys.exit(main())
