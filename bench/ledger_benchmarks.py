"""The payment ledger's costs, measured in one run (`make bench`, or alone):

    uv run python bench/ledger_benchmarks.py [--no-doc]

- Reads: `payment()` on SQLite and on PostgreSQL against the Stripe read it saves
  (`StripePaymentGateway.get_payment` of a paid Checkout Session, the emulator in its own
  process standing in for Stripe): one call at a time (latency, and this process's CPU per call,
  aiosqlite's threads included), then 16 at a time (calls/s). Target: a ledger read serves
  >= 2x the calls/s of a Stripe read on each backend.
- Writes: `record()` of new events (each a new payment), one at a time and 16 at a time.

PostgreSQL is PAYMENTS_TEST_DATABASE_URL's server or a throwaway cluster (tools/postgres.sh).
Rewrites the "Ledger: reads and writes" section of docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from benchlib import (
    EMULATOR_STRIPE_KEY,
    machine,
    percentile,
    rewrite_section,
    running_emulator,
)
from payment_stack import postgres_database

from domain.call import Deadline, WriteOptions
from domain.checkout import NewCheckout
from domain.customer import NewCustomer
from domain.ledger import Observation, Payment
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.product import NewProduct
from ledger import Ledger, open_ledger
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings
from tools.stack import pay_in_emulator

TITLE = "## Ledger: reads and writes"
SERIAL_CALLS = 2000
CONCURRENT_CALLS = 4000
CONCURRENCY = 16
RECORDS = 2000
TARGET_RATIO = 2.0

Call = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Reads:
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    per_second: float


async def serially(call: Call, count: int) -> tuple[list[float], float]:
    """Each call's seconds, and this process's CPU seconds per call."""
    for _ in range(100):  # warm: connections, compiled statements
        await call()
    took = []
    cpu = time.process_time()
    for _ in range(count):
        start = time.perf_counter()
        await call()
        took.append(time.perf_counter() - start)
    return took, (time.process_time() - cpu) / count


async def concurrently(calls: Sequence[Call], concurrency: int) -> float:
    """Calls per second with `concurrency` of them in flight."""
    queue = list(calls)

    async def worker() -> None:
        while queue:
            await queue.pop()()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(calls) / (time.perf_counter() - start)


async def reads(call: Call) -> Reads:
    took, cpu = await serially(call, SERIAL_CALLS)
    took.sort()
    rate = await concurrently([call] * CONCURRENT_CALLS, CONCURRENCY)
    return Reads(percentile(took, 50) * 1e3, percentile(took, 99) * 1e3, cpu * 1e3, rate)


def a_payment(i: int) -> Observation:
    paid = Payment(
        f"cs_bench_{i}",
        PaymentStatus.SUCCEEDED,
        datetime.now(UTC),
        payment_intent_id=f"pi_bench_{i}",
        customer_id="cus_bench",
        total=Money(1234, "usd"),
        client_reference_id=f"order-{i}",
        metadata={"product_id": "prod_bench"},
        provider_status="complete",
        provider_payment_status="paid",
    )
    return Observation(paid, datetime.now(UTC), f"evt_bench_{i}")


async def record_rates(ledger: Ledger) -> tuple[float, float]:
    """New events recorded per second, one at a time and CONCURRENCY at a time."""
    start = time.perf_counter()
    for i in range(RECORDS):
        await ledger.record(a_payment(i))
    serial = RECORDS / (time.perf_counter() - start)
    batch = [a_payment(i) for i in range(RECORDS, 2 * RECORDS)]
    concurrent = await concurrently([partial(ledger.record, each) for each in batch], CONCURRENCY)
    return serial, concurrent


async def ledger_run(url: str) -> tuple[Reads, tuple[float, float]]:
    async with open_ledger(url) as ledger:
        rates = await record_rates(ledger)
        return await reads(lambda: ledger.payment("pi_bench_7")), rates


async def stripe_reads(emulator_url: str) -> Reads:
    settings = StripeSettings(
        api_key=EMULATOR_STRIPE_KEY,
        api_base=emulator_url,
        timeout_seconds=10,
        max_network_retries=0,
        max_connections=CONCURRENCY,  # no read waits for a connection
    )
    gateway = StripePaymentGateway.from_settings(settings)
    try:
        session_id = await paid_session(gateway, emulator_url)
        return await reads(lambda: gateway.get_payment(session_id, Deadline.after(10)))
    finally:
        await gateway.aclose()


async def paid_session(gateway: StripePaymentGateway, emulator_url: str) -> str:
    def options(operation: str) -> WriteOptions:
        return WriteOptions(None, Deadline.after(10), operation, operation)

    customer = await gateway.create_customer(NewCustomer("bench@example.com"), options("c"))
    product = await gateway.create_product(
        NewProduct("Bench", "", Money(1234, "usd"), f"bench-{time.time_ns()}"), options("p")
    )
    assert product.price_id is not None
    checkout = await gateway.create_checkout(
        NewCheckout(product.price_id, product.id, customer.id, 1, "https://x/ok", "https://x/no"),
        options("s"),
    )
    await asyncio.to_thread(pay_in_emulator, emulator_url, checkout.id)
    return checkout.id


@dataclass(frozen=True)
class Results:
    stripe: Reads
    ledgers: dict[str, tuple[Reads, tuple[float, float]]]
    """Per backend: its reads, and its record() rates one at a time and CONCURRENCY at a time."""


async def measure(emulator_url: str, postgres_url: str, sqlite_url: str) -> Results:
    stripe = await stripe_reads(emulator_url)
    sqlite_run = await ledger_run(sqlite_url)
    return Results(stripe, {"sqlite": sqlite_run, "postgresql": await ledger_run(postgres_url)})


def report(results: Results) -> tuple[str, bool]:
    stripe = results.stripe
    lines = [
        TITLE,
        "",
        f"`uv run python bench/ledger_benchmarks.py` on {machine()}, "
        f"{datetime.now(UTC):%B %Y}. Reads: {SERIAL_CALLS} calls one at a time, then "
        f"{CONCURRENT_CALLS} with {CONCURRENCY} in flight; the Stripe read is the adapter's "
        "`get_payment` of a paid Checkout Session from the emulator (its own process). Writes: "
        f"{RECORDS} new events one at a time, {RECORDS} more with {CONCURRENCY} in flight. "
        "PostgreSQL: a local cluster (tools/postgres.sh: fsync off); SQLite: a file with WAL "
        "and synchronous=FULL.",
        "",
        "| read | p50 ms | p99 ms | CPU ms / call | calls/s, 16 in flight | / Stripe read |",
        "|---|---|---|---|---|---|",
        _row("Stripe read (emulator)", stripe, stripe),
    ]
    met = True
    writes = []
    for backend, (backend_reads, (serial, concurrent)) in results.ledgers.items():
        lines.append(_row(f"ledger `payment()`, {backend}", backend_reads, stripe))
        met = met and backend_reads.per_second >= TARGET_RATIO * stripe.per_second
        writes.append(f"| `record()`, {backend} | {serial:,.0f} | {concurrent:,.0f} |")
    lines += ["", "| write | events/s, one at a time | events/s, 16 in flight |", "|---|---|---|"]
    lines += writes
    verdict = "PASS" if met else "FAIL"
    lines += [
        "",
        f"Target: a ledger read >= {TARGET_RATIO:g}x the calls/s of a Stripe read on "
        f"each backend: **{verdict}**.",
    ]
    return "\n".join(lines) + "\n", met


def _row(name: str, measured: Reads, stripe: Reads) -> str:
    ratio = measured.per_second / stripe.per_second
    return (
        f"| {name} | {measured.p50_ms:.2f} | {measured.p99_ms:.2f} | {measured.cpu_ms:.2f} | "
        f"{measured.per_second:,.0f} | {ratio:.2f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_emulator(Path(tmp) / "emulator.log") as emulator_url,
        postgres_database() as postgres_url,
    ):
        results = asyncio.run(measure(emulator_url, postgres_url, f"sqlite:///{tmp}/ledger.db"))
    text, met = report(results)
    print(text)
    if "--no-doc" not in arguments:
        rewrite_section(TITLE, text)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
