"""GetPaymentStatus of a final payment, served from the ledger, against the Stripe-backed read
of a payment not final, through the service, on SQLite and on PostgreSQL (`make bench`, or):

    uv run python bench/status_benchmarks.py [--seconds 2] [--no-doc]

Per backend, one stack (bench/payment_stack.py: the emulator delivering its events to the
service's webhook route, the service's ledger on that backend) and one fixture: a checkout per
worker paid in the emulator, its SUCCEEDED taken in from the webhook (every delivery answered
2xx before measuring), and an OPEN checkout per worker.

Each round is a load process of its own, bench/grpc_load (Go, one HTTP/2 connection; built by
`make go-client` when missing), calling GetPaymentStatus from WORKERS workers for as long as the
round lasts: ~0.1 ms of CPU a call, where callers in this process (grpc.aio) took 0.3-0.4 ms
from the cores the service shares, more of each call the cheaper the service's calls got. Each
worker has its own ids (the ids file of the round's kind, written in the order grpc_load shares
ids out), so no two calls in flight share an id (concurrent calls for one id share one Stripe
read; here every Stripe-backed call must make its own). Rounds alternate between the two kinds.

Checked: every answer is the kind's status (grpc_load's --expect-status: SUCCEEDED from the
ledger, OPEN Stripe-backed; it counts any other answer, or a failed call, as an error, and a
round with an error fails); the emulator served no session read during the ledger rounds and
exactly one per call during the Stripe-backed ones. Reported per kind: calls/s, and the CPU per
call of the service and of the load process.

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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import grpc
from benchlib import (
    GRPC_LOAD,
    LoadFailed,
    cpu_seconds,
    emulator_requests,
    http_json,
    load_process,
    machine,
    require_grpc_load,
    rewrite_section,
    tool_version,
)
from payment_stack import API_KEY, PaymentStack, payment_stack, postgres_database

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError
from tools.stack import pay_in_emulator

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
class Kind:
    """A kind of round: what it reads and what it must find."""

    name: str
    status: payments_pb2.PaymentStatus.ValueType  # every answer's
    reads_per_call: int  # the emulator's session reads each call makes

    @property
    def expect_status(self) -> str:
        """The status as grpc_load's --expect-status takes it: its name without the prefix."""
        return payments_pb2.PaymentStatus.Name(self.status).removeprefix("PAYMENT_STATUS_")


LEDGER = Kind("from the ledger", SUCCEEDED, reads_per_call=0)
STRIPE = Kind("Stripe-backed", OPEN, reads_per_call=1)


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
    load_cpu_s: float  # the callers' CPU: the load process's

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


async def make_fixture(stack: PaymentStack) -> Fixture:
    ids = await checkouts(stack.grpc_target, WORKERS * (1 + OPEN_PER_WORKER))
    paid, still_open = ids[:WORKERS], ids[WORKERS:]
    for session_id in paid:
        await asyncio.to_thread(pay_in_emulator, stack.emulator_url, session_id)
    await deliveries_answered(stack.emulator_url, expected=len(paid))
    per = OPEN_PER_WORKER
    return Fixture(paid, [still_open[w * per : (w + 1) * per] for w in range(WORKERS)])


async def checkouts(grpc_target: str, count: int) -> list[str]:
    """The ids of `count` open Checkout Sessions made through the service at `grpc_target`, of
    one new customer for one new product."""
    async with grpc.aio.insecure_channel(grpc_target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        customer = await stub.CreateCustomer(
            payments_pb2.CreateCustomerRequest(email="bench@example.com", name="Bench"),
            metadata=METADATA,
        )
        product = await stub.CreateProduct(
            payments_pb2.CreateProductRequest(
                name="Bench", unit_amount=1234, currency="usd", external_product_id=f"b-{uuid4()}"
            ),
            metadata=METADATA,
        )
        request = payments_pb2.CreateCheckoutRequest(
            product_id=product.product.id, customer_id=customer.customer.id
        )

        async def one(_: int) -> str:
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


def ids_file(path: Path, own: Sequence[Sequence[str]]) -> Path:
    """Worker w's ids (`own[w]`, as many for each) written at w, w + len(own), … of the file:
    where grpc_load, with len(own) in flight, gives worker w its ids."""
    turns = zip(*own, strict=True)  # the first id of every worker, then the second, …
    path.write_text("".join(f"{session_id}\n" for turn in turns for session_id in turn))
    return path


def one_round(stack: PaymentStack, kind: Kind, ids: Path, seconds: float) -> Round:
    """grpc_load for `seconds`, WORKERS in flight over `ids`; fails unless every call was
    answered with the kind's status."""
    reads = emulator_requests(stack.emulator_url, SESSION_ROUTE)
    cpu = cpu_seconds(stack.service_pid)
    options = ("--seconds", f"{seconds:g}", "--expect-status", kind.expect_status)
    outcome, _ = load_process("grpc", stack.grpc_target, ids, WORKERS, options, API_KEY)
    if outcome.errors:
        raise BenchError(
            f"{kind.name}: {outcome.errors} errors ({outcome.calls} good calls), "
            f"first: {outcome.first_errors}"
        )
    return Round(
        calls=outcome.calls,
        seconds=outcome.seconds,
        service_cpu_s=cpu_seconds(stack.service_pid) - cpu,
        session_reads=emulator_requests(stack.emulator_url, SESSION_ROUTE) - reads,
        load_cpu_s=outcome.cpu_seconds,
    )


def measure(name: str, stack: PaymentStack, directory: Path, seconds: float) -> Backend:
    fixture = asyncio.run(make_fixture(stack))
    paid = ids_file(directory / "paid-ids.txt", [[session_id] for session_id in fixture.paid])
    still_open = ids_file(directory / "open-ids.txt", fixture.open)
    one_round(stack, LEDGER, paid, 1.0)  # warm-up: connections, statements
    one_round(stack, STRIPE, still_open, 1.0)
    ledger, stripe = [], []
    for _ in range(ROUNDS):
        ledger.append(one_round(stack, LEDGER, paid, seconds))
        stripe.append(one_round(stack, STRIPE, still_open, seconds))
    for kind, rounds in ((LEDGER, ledger), (STRIPE, stripe)):
        for r in rounds:
            if r.session_reads != kind.reads_per_call * r.calls:
                raise BenchError(
                    f"{name}, {kind.name}: {r.calls} calls made {r.session_reads} session reads"
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
                results.append(measure(name, stack, directory, seconds))
    return results


# --- the doc ---------------------------------------------------------------------------------


def report(results: Sequence[Backend], seconds: float, load: tuple[float, ...]) -> str:
    lines = [TITLE, "", *about(seconds, load), ""]
    lines += [
        "| backend | read | calls/s (each round) | service CPU ms / call | load CPU ms / call |",
        "|---|---|---|---|---|",
    ]
    for backend in results:
        for kind, rounds in ((LEDGER, backend.ledger), (STRIPE, backend.stripe)):
            each = ", ".join(f"{r.per_second:,.0f}" for r in rounds)
            cpu = statistics.median(r.service_cpu_s * 1000 / r.calls for r in rounds)
            load_cpu = statistics.median(r.load_cpu_s * 1000 / r.calls for r in rounds)
            lines.append(
                f"| {backend.name} | {kind.name} | **{median_rate(rounds):,.0f}** ({each}) "
                f"| {cpu:.2f} | {load_cpu:.2f} |"
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


def about(seconds: float, load: tuple[float, ...]) -> list[str]:
    """The section's text: where and when, what was measured, how, what was checked."""
    return [
        f"Written by `bench/status_benchmarks.py` (`make bench` runs it). {machine()}, "
        f"{datetime.now(UTC):%B %Y}; load average at the start "
        + "/".join(f"{x:.2f}" for x in load)
        + ". The emulator, the service, PostgreSQL and the load generator share the cores.",
        "",
        "- What: `GetPaymentStatus` over gRPC through the whole service (`python -m service`, "
        "default logging to a file), loaded by `bench/grpc_load` (Go, "
        f"{tool_version(str(GRPC_LOAD))}; a process of its own, one HTTP/2 connection; its "
        f"CPU is the last column): {WORKERS} workers, each with one call in flight. **From the "
        "ledger**: a paid checkout per worker, its SUCCEEDED taken in from the emulator's "
        "webhook, so the service answers from its ledger alone. **Stripe-backed**: an OPEN "
        "checkout per worker, so each call reads the ledger, reads the session from the "
        "emulator (the Stripe SDK over HTTP), and writes nothing (an unchanged OPEN checkout "
        "is no news); each worker on its own ids, so no two calls in flight share an id and "
        "none shares another's Stripe read.",
        f"- Rounds of {seconds:g} s, alternating, {ROUNDS} of each kind per backend (after 1 s "
        "of warm-up each); the median round counts. Checked: every answer's status "
        f"(`--expect-status {LEDGER.expect_status}` from the ledger, "
        f"`{STRIPE.expect_status}` Stripe-backed: no round had an error); the emulator's "
        "session reads grew by 0 during ledger rounds and by exactly the calls during "
        "Stripe-backed ones. PostgreSQL: a local throwaway cluster (tools/postgres.sh: fsync "
        "off); SQLite: a file, WAL, synchronous=FULL.",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    require_grpc_load()
    load = os.getloadavg()
    try:
        results = run(args.seconds)
    except (BenchError, LoadFailed, StartError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    text = report(results, args.seconds, load)
    print(text)
    if not args.no_doc:
        rewrite_section(TITLE, text)
    return 0 if all(backend.ratio >= TARGET_RATIO for backend in results) else 1


if __name__ == "__main__":
    sys.exit(main())
