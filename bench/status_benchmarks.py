"""GetPaymentStatus of a final payment, served from the ledger, against the Stripe-backed read
of a payment not final, through the service, on SQLite and on PostgreSQL (`make bench`, or):

    uv run python bench/status_benchmarks.py [--seconds 2] [--no-doc]

Per backend, one stack (bench/payment_stack.py: the emulator delivering its events to the
service's webhook route, the service's ledger on that backend) and one fixture: a checkout per
worker paid in the emulator, its SUCCEEDED taken in from the webhook (every delivery answered
2xx before measuring), and an OPEN checkout per worker. Then WORKERS concurrent gRPC callers
(grpc.aio, one channel, in this process) call GetPaymentStatus for as long as a round lasts,
each on its own ids, so no two calls in flight share an id (concurrent calls for one id share
one Stripe read; here every Stripe-backed call must make its own). Rounds alternate between the
two kinds. Checked: every answer is the expected status; the emulator served no session read
during the ledger rounds and exactly one per call during the Stripe-backed ones.

Target: the ledger-served calls/s >= 2x the Stripe-backed calls/s on each backend. Rewrites
the "Service: GetPaymentStatus from the ledger" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import grpc
from benchlib import cpu_seconds, emulator_requests, http_json, machine, rewrite_section
from payment_stack import API_KEY, PaymentStack, payment_stack, postgres_database

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError
from tools.stack import pay_in_emulator

if TYPE_CHECKING:  # the async stub exists only in the generated .pyi
    Stub: TypeAlias = payments_pb2_grpc.PaymentServiceAsyncStub

TITLE = "## Service: GetPaymentStatus from the ledger"
SESSION_ROUTE = "GET /v1/checkout/sessions/{session}"
WORKERS = 64
OPEN_PER_WORKER = 1
ROUNDS = 3
TARGET_RATIO = 2.0
METADATA = (("x-api-key", API_KEY),)
SUCCEEDED, OPEN = payments_pb2.PAYMENT_STATUS_SUCCEEDED, payments_pb2.PAYMENT_STATUS_OPEN


class BenchError(RuntimeError):
    """The run measured something other than correct answers."""


@dataclass(frozen=True)
class Fixture:
    paid: list[str]  # one per worker
    open: list[list[str]]  # OPEN_PER_WORKER per worker


@dataclass(frozen=True)
class Round:
    calls: int
    seconds: float
    service_cpu_s: float
    session_reads: int

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds


@dataclass(frozen=True)
class Backend:
    name: str
    ledger: list[Round]
    stripe: list[Round]

    @property
    def ratio(self) -> float:
        return median_rate(self.ledger) / median_rate(self.stripe)


def median_rate(rounds: Sequence[Round]) -> float:
    return statistics.median(r.per_second for r in rounds)


# --- the fixture -----------------------------------------------------------------------------


async def make_fixture(stub: Stub, stack: PaymentStack) -> Fixture:
    customer = await stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(email="bench@example.com", name="Bench"),
        metadata=METADATA,
    )
    product = await stub.CreateProduct(
        payments_pb2.CreateProductRequest(
            name="Bench", unit_amount=1234, currency="usd", external_product_id=f"b-{uuid.uuid4()}"
        ),
        metadata=METADATA,
    )
    count = WORKERS * (1 + OPEN_PER_WORKER)
    ids = await checkouts(stub, customer.customer.id, product.product.id, count)
    paid, still_open = ids[:WORKERS], ids[WORKERS:]
    for session_id in paid:
        await asyncio.to_thread(pay_in_emulator, stack.emulator_url, session_id)
    await deliveries_answered(stack.emulator_url, expected=len(paid))
    per = OPEN_PER_WORKER
    return Fixture(paid, [still_open[w * per : (w + 1) * per] for w in range(WORKERS)])


async def checkouts(stub: Stub, customer_id: str, product_id: str, count: int) -> list[str]:
    async def one(_: int) -> str:
        request = payments_pb2.CreateCheckoutRequest(product_id=product_id, customer_id=customer_id)
        response = await stub.CreateCheckout(request, metadata=METADATA)
        return str(response.checkout_session_id)

    ids: list[str] = []
    for start in range(0, count, 16):  # 16 at a time
        ids += await asyncio.gather(*map(one, range(start, min(count, start + 16))))
    return ids


async def deliveries_answered(emulator_url: str, expected: int, within: float = 30) -> None:
    """Until every delivery is answered and `expected` checkout.session.completed ones got a
    2xx: the ledger then holds each paid checkout as SUCCEEDED."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        deliveries = await asyncio.to_thread(http_json, f"{emulator_url}/_emulator/deliveries")
        assert isinstance(deliveries, dict)
        completed = [
            row
            for row in deliveries["data"]
            if row["type"] == "checkout.session.completed" and 200 <= (row["status"] or 0) < 300
        ]
        if deliveries["in_progress"] == 0 and len(completed) == expected:
            return
        await asyncio.sleep(0.05)
    raise BenchError(f"the {expected} payments' webhooks were not all answered within {within} s")


# --- the rounds ------------------------------------------------------------------------------


async def calls_for(stub: Stub, ids: Sequence[str], wanted: int, until: float) -> int:
    """GetPaymentStatus of `ids` in turn until the clock passes `until`; each answer checked."""
    calls = 0
    while time.perf_counter() < until:
        request = payments_pb2.GetPaymentStatusRequest(id=ids[calls % len(ids)])
        answer = await stub.GetPaymentStatus(request, metadata=METADATA, timeout=10)
        if answer.status != wanted:
            raise BenchError(f"GetPaymentStatus {request.id}: {answer.status}, not {wanted}")
        calls += 1
    return calls


async def one_round(
    stub: Stub,
    stack: PaymentStack,
    ids: Sequence[Sequence[str]],
    wanted: int,
    seconds: float,
) -> Round:
    reads = emulator_requests(stack.emulator_url, SESSION_ROUTE)
    cpu = cpu_seconds(stack.service_pid)
    start = time.perf_counter()
    counts = await asyncio.gather(*(calls_for(stub, own, wanted, start + seconds) for own in ids))
    took = time.perf_counter() - start
    return Round(
        calls=sum(counts),
        seconds=took,
        service_cpu_s=cpu_seconds(stack.service_pid) - cpu,
        session_reads=emulator_requests(stack.emulator_url, SESSION_ROUTE) - reads,
    )


async def measure(name: str, stack: PaymentStack, seconds: float) -> Backend:
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        fixture = await make_fixture(stub, stack)
        paid = [[session_id] for session_id in fixture.paid]
        await one_round(stub, stack, paid, SUCCEEDED, 1.0)  # warm-up: connections, statements
        await one_round(stub, stack, fixture.open, OPEN, 1.0)
        ledger, stripe = [], []
        for _ in range(ROUNDS):
            ledger.append(await one_round(stub, stack, paid, SUCCEEDED, seconds))
            stripe.append(await one_round(stub, stack, fixture.open, OPEN, seconds))
    for kind, rounds, per_call in (("ledger", ledger, 0), ("Stripe-backed", stripe, 1)):
        for r in rounds:
            if r.session_reads != per_call * r.calls:
                raise BenchError(
                    f"{name}, {kind}: {r.calls} calls made {r.session_reads} session reads"
                )
    return Backend(name, ledger, stripe)


@contextmanager
def backends(tmp: Path) -> Iterator[dict[str, str]]:
    with postgres_database() as postgres:
        yield {"sqlite": f"sqlite:///{tmp}/ledger.db", "postgresql": postgres}


def run(seconds: float) -> list[Backend]:
    results = []
    with tempfile.TemporaryDirectory(prefix="status-bench-") as tmp, backends(Path(tmp)) as urls:
        for name, url in urls.items():
            directory = Path(tmp) / name
            directory.mkdir()
            with payment_stack(directory, url) as stack:
                results.append(asyncio.run(measure(name, stack, seconds)))
    return results


# --- the doc ---------------------------------------------------------------------------------


def report(results: Sequence[Backend], seconds: float, load: tuple[float, ...]) -> str:
    lines = [
        TITLE,
        "",
        f"Written by `bench/status_benchmarks.py` (`make bench` runs it). {machine()}, "
        f"{datetime.now(UTC):%B %Y}; load average at the start "
        + "/".join(f"{x:.2f}" for x in load)
        + ". The emulator, the service, PostgreSQL and the load generator share the cores.",
        "",
        "- What: `GetPaymentStatus` over gRPC through the whole service (`python -m service`, "
        "default logging to a file), from "
        f"{WORKERS} concurrent callers (grpc.aio, one channel). **From the ledger**: a paid "
        "checkout per caller, its SUCCEEDED taken in from the emulator's webhook, so the "
        "service answers from its ledger alone. **Stripe-backed**: an OPEN checkout per "
        "caller, so each call reads the ledger, reads the session from the emulator (the "
        "Stripe SDK over HTTP), and writes nothing (an unchanged OPEN checkout is no news); "
        "no two calls in flight share an id, so none shares another's Stripe read.",
        f"- Rounds of {seconds:g} s, alternating, {ROUNDS} of each kind per backend (after 1 s "
        "of warm-up each); the median round counts. Checked: every answer's status; the "
        "emulator's session reads grew by 0 during ledger rounds and by exactly the calls "
        "during Stripe-backed ones. PostgreSQL: a local throwaway cluster (tools/postgres.sh: "
        "fsync off); SQLite: a file, WAL, synchronous=FULL.",
        "",
        "| backend | read | calls/s (each round) | service CPU ms / call |",
        "|---|---|---|---|",
    ]
    for backend in results:
        for kind, rounds in (
            ("from the ledger", backend.ledger),
            ("Stripe-backed", backend.stripe),
        ):
            each = ", ".join(f"{r.per_second:,.0f}" for r in rounds)
            cpu = statistics.median(r.service_cpu_s * 1000 / r.calls for r in rounds)
            lines.append(
                f"| {backend.name} | {kind} | **{median_rate(rounds):,.0f}** ({each}) | {cpu:.2f} |"
            )
    lines += ["", "| measure | measured | target | result |", "| --- | --- | --- | --- |"]
    for backend in results:
        verdict = "PASS" if backend.ratio >= TARGET_RATIO else "**FAIL**"
        lines.append(
            f"| from the ledger / Stripe-backed, calls/s, {backend.name} | "
            f"{backend.ratio:.2f} ({median_rate(backend.ledger):,.0f} / "
            f"{median_rate(backend.stripe):,.0f}) | >= {TARGET_RATIO:g} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    try:
        results = run(args.seconds)
    except (BenchError, StartError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    text = report(results, args.seconds, load)
    print(text)
    if not args.no_doc:
        rewrite_section(TITLE, text)
    return 0 if all(backend.ratio >= TARGET_RATIO for backend in results) else 1


if __name__ == "__main__":
    sys.exit(main())
