"""The Stripe transport under load, this checkout against another one, rounds interleaved:

    uv run python bench/transport_benchmarks.py [--baseline DIR] [--pool N] [--seconds 3] \
        [--rounds 2]

GetPaymentStatus over gRPC of payments not final (OPEN checkouts: each call is one Stripe read),
each caller (grpc.aio, in this process) on ids of its own, in two loads:
- **instant**: the emulator answers at once; 64 calls in flight. Calls/s and the service's CPU
  per call: what the transport costs.
- **slow**: 250 ms of latency injected into the emulator; 256 calls in flight. Calls/s against
  Little's law's ideal, 256 / 0.25 s = 1,024: what the connection pool allows.

The services: this checkout with its defaults; this checkout with its pool sized for the slow
load (STRIPE_EXPECTED_REQUESTS_PER_SECOND=1024, STRIPE_EXPECTED_LATENCY_SECONDS=0.25); with
`--pool N`, this checkout with N connections (STRIPE_MAX_CONNECTIONS); and with `--baseline DIR`,
another checkout with its own defaults, run on its own .venv (e.g. `git worktree add
build/baseline <rev> && make -C build/baseline venv`). Each has its own emulator and SQLite
ledger; they run side by side and take their rounds in turn. Prints a table; writes no doc
(docs/benchmarks.md's "Stripe transport" section quotes a run). Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import grpc
from benchlib import cpu_seconds, emulator_requests, machine
from payment_stack import PaymentStack, payment_stack
from status_benchmarks import METADATA, OPEN, SESSION_ROUTE, BenchError, Round, checkouts

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError

if TYPE_CHECKING:  # the async stub exists only in the generated .pyi
    Stub: TypeAlias = payments_pb2_grpc.PaymentServiceAsyncStub

INSTANT_IN_FLIGHT = 64
SLOW_IN_FLIGHT = 256
SLOW_LATENCY_MS = 250
IDEAL = SLOW_IN_FLIGHT / (SLOW_LATENCY_MS / 1000)
SIZED = {"STRIPE_EXPECTED_REQUESTS_PER_SECOND": "1024", "STRIPE_EXPECTED_LATENCY_SECONDS": "0.25"}


@dataclass
class Variant:
    name: str
    settings: Mapping[str, str]
    source: Path | None = None  # None: this checkout
    instant: list[Round] = field(default_factory=list)
    slow: list[Round] = field(default_factory=list)


@contextmanager
def stacks(variants: Sequence[Variant], tmp: Path) -> Iterator[list[PaymentStack]]:
    with ExitStack() as running:
        started = []
        for n, variant in enumerate(variants):
            directory = tmp / f"variant-{n}"
            directory.mkdir()
            url = f"sqlite:///{directory}/ledger.db"
            started.append(
                running.enter_context(
                    payment_stack(directory, url, variant.settings, source=variant.source)
                )
            )
        yield started


def set_emulator_latency(emulator_url: str, latency_ms: int) -> None:
    """Every /v1 answer of the emulator `latency_ms` late (its faults route; docs/emulator.md)."""
    request = urllib.request.Request(
        f"{emulator_url}/_emulator/faults",
        data=json.dumps({"latency_ms": latency_ms}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


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
    stub: Stub, stack: PaymentStack, ids: Sequence[Sequence[str]], wanted: int, seconds: float
) -> Round:
    """Callers in this process (grpc.aio), one per `ids` item, each on its ids, for `seconds`;
    the load's CPU is this process's."""
    reads = emulator_requests(stack.emulator_url, SESSION_ROUTE)
    cpu, callers_cpu = cpu_seconds(stack.service_pid), time.process_time()
    start = time.perf_counter()
    counts = await asyncio.gather(*(calls_for(stub, own, wanted, start + seconds) for own in ids))
    took = time.perf_counter() - start
    return Round(
        calls=sum(counts),
        seconds=took,
        service_cpu_s=cpu_seconds(stack.service_pid) - cpu,
        session_reads=emulator_requests(stack.emulator_url, SESSION_ROUTE) - reads,
        load_cpu_s=time.process_time() - callers_cpu,
    )


async def a_round(
    stack: PaymentStack, ids: Sequence[str], in_flight: int, seconds: float, latency_ms: int
) -> Round:
    set_emulator_latency(stack.emulator_url, latency_ms)
    try:
        async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            own = [[session_id] for session_id in ids[:in_flight]]
            measured = await one_round(stub, stack, own, OPEN, seconds)
    finally:
        set_emulator_latency(stack.emulator_url, 0)
    if measured.session_reads != measured.calls:
        raise BenchError(f"{measured.calls} calls made {measured.session_reads} Stripe reads")
    return measured


async def measure(
    variants: Sequence[Variant], running: Sequence[PaymentStack], args: argparse.Namespace
) -> None:
    ids = [await checkouts(stack.grpc_target, SLOW_IN_FLIGHT) for stack in running]
    for warm_up in (True, *([False] * args.rounds)):
        seconds = 1.0 if warm_up else args.seconds
        for variant, stack, own in zip(variants, running, ids, strict=True):
            instant = await a_round(stack, own, INSTANT_IN_FLIGHT, seconds, 0)
            slow = await a_round(stack, own, SLOW_IN_FLIGHT, seconds, SLOW_LATENCY_MS)
            if not warm_up:
                variant.instant.append(instant)
                variant.slow.append(slow)
            print(f"  {variant.name}: {instant.per_second:,.0f} and {slow.per_second:,.0f} calls/s")


def table(variants: Sequence[Variant]) -> str:
    lines = [
        f"| service | instant, {INSTANT_IN_FLIGHT} in flight: calls/s | CPU ms / call | "
        f"slow ({SLOW_LATENCY_MS} ms), {SLOW_IN_FLIGHT} in flight: calls/s | of {IDEAL:,.0f} | "
        "CPU of one core: service, callers |",
        "|---|---|---|---|---|---|",
    ]
    for v in variants:
        cpu = statistics.median(r.service_cpu_s * 1000 / r.calls for r in v.instant)
        slow = statistics.median(r.per_second for r in v.slow)
        busy = statistics.median(r.service_cpu_s / r.seconds for r in v.slow)
        callers = statistics.median(r.load_cpu_s / r.seconds for r in v.slow)
        lines.append(
            f"| {v.name} | {rates(v.instant)} | {cpu:.2f} | {rates(v.slow)} | {slow / IDEAL:.0%} "
            f"| {busy:.0%}, {callers:.0%} |"
        )
    return "\n".join(lines)


def rates(rounds: Sequence[Round]) -> str:
    each = ", ".join(f"{r.per_second:,.0f}" for r in rounds)
    return f"**{statistics.median(r.per_second for r in rounds):,.0f}** ({each})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout, with its own .venv")
    parser.add_argument("--pool", type=int, help="also this checkout with this many connections")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each load per service")
    args = parser.parse_args(argv)
    variants = [Variant("this checkout", {}), Variant("this checkout, pool sized", SIZED)]
    if args.pool is not None:
        pool = {"STRIPE_MAX_CONNECTIONS": str(args.pool)}
        variants.insert(0, Variant(f"this checkout, {args.pool} connections", pool))
    if args.baseline is not None:
        variants.insert(0, Variant(f"baseline ({args.baseline})", {}, args.baseline.resolve()))
    load = os.getloadavg()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="transport-bench-") as tmp,
            stacks(variants, Path(tmp)) as running,
        ):
            asyncio.run(measure(variants, running, args))
    except (BenchError, StartError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(f"{machine()}; load average at the start {'/'.join(f'{x:.2f}' for x in load)}")
    print(table(variants))
    return 0


if __name__ == "__main__":
    sys.exit(main())
