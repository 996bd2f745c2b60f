"""Closed-loop load from a process of its own: `in_flight` workers each calling in a loop, for
a time or a number of calls, then one JSON line on stdout (calls, errors, latencies, own CPU).

    python bench/load_clients.py KIND --target T --ids-file F [--in-flight 64]
                                 [--seconds S] [--calls N]   (one at least: whichever ends first)

KIND is what makes each call, all reading an OPEN Checkout Session from the emulator (T, its
base URL): the Python baselines the service is judged against (bench/stripe_path_benchmarks.py).

- `aiohttp`: a plain async HTTP client doing `GET /v1/checkout/sessions/{id}` and one JSON
  decode: what a Python gateway cannot beat;
- `sdk`: the Stripe SDK doing the same GET, `StripeClient.raw_request_async` over the SDK's
  default async HTTP client (httpx).

The gRPC load, GetPaymentStatus on the service, is bench/grpc_load (Go: a Python grpc.aio client
cost ~0.4 ms of CPU a call on the cores the service shares); it takes the same arguments and
prints the same line, read here by `outcome_of`.

Worker `w` asks about ids[w], ids[w + in_flight], … in turn, so no two calls in flight share an
id. Every answer is checked (HTTP 200, status open); a wrong one counts as an error, never as a
call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

EMULATOR_STRIPE_KEY = "sk_test_bench_0000000000000000"  # benchlib's: this file imports no bench

Call = Callable[[str], Awaitable[None]]
"""One call about a payment id; raises WrongAnswer (or the client's error) when it fails."""


class WrongAnswer(Exception):
    """An answer that is not the expected one."""


@dataclass
class Tally:
    calls: int = 0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def failed(self, error: BaseException) -> None:
        self.errors += 1
        if len(self.first_errors) < 3:
            self.first_errors.append(f"{type(error).__name__}: {error}"[:300])


@dataclass(frozen=True)
class Outcome:
    """What the parent reads: one JSON object (bench/grpc_load prints the same)."""

    calls: int
    errors: int
    first_errors: list[str]
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_seconds: float  # this process's user + system time while it called

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds


# --- the two kinds of client -----------------------------------------------------------------


@asynccontextmanager
async def aiohttp_calls(target: str) -> AsyncIterator[Call]:
    import aiohttp

    headers = {"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"}
    connector = aiohttp.TCPConnector(limit=0)  # one connection per worker, as many as in flight
    async with aiohttp.ClientSession(target, headers=headers, connector=connector) as session:

        async def call(payment_id: str) -> None:
            async with session.get(f"/v1/checkout/sessions/{payment_id}") as response:
                body = await response.read()
            if response.status != 200 or json.loads(body).get("status") != "open":
                raise WrongAnswer(f"HTTP {response.status}: {body[:200]!r}")

        yield call


@asynccontextmanager
async def sdk_calls(target: str) -> AsyncIterator[Call]:
    import stripe

    client = stripe.StripeClient(EMULATOR_STRIPE_KEY, base_addresses={"api": target})

    async def call(payment_id: str) -> None:
        response = await client.raw_request_async("get", f"/v1/checkout/sessions/{payment_id}")
        if response.data.get("status") != "open":
            raise WrongAnswer(f"session {payment_id}: {response.data.get('status')!r}")

    yield call


CLIENTS: dict[str, Callable[[str], AbstractAsyncContextManager[Call]]] = {
    "aiohttp": aiohttp_calls,
    "sdk": sdk_calls,
}


# --- the loop --------------------------------------------------------------------------------


async def worker(call: Call, ids: Sequence[str], tally: Tally, more: Callable[[], bool]) -> None:
    turn = 0
    while more():
        started = time.perf_counter()
        try:
            await call(ids[turn % len(ids)])
        except Exception as error:  # counted and shown by the parent, which fails the run
            tally.failed(error)
        else:
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            tally.calls += 1
        turn += 1


async def run(kind: str, target: str, ids: Sequence[str], args: argparse.Namespace) -> Outcome:
    tally = Tally()
    own = [list(ids[w :: args.in_flight]) for w in range(args.in_flight)]
    if not all(own):
        raise SystemExit(f"{len(ids)} ids for {args.in_flight} workers: one each at least")
    async with CLIENTS[kind](target) as call:
        cpu_before, started = own_cpu_seconds(), time.perf_counter()
        more = bounded(started, args.seconds, args.calls)
        await asyncio.gather(*(worker(call, mine, tally, more) for mine in own))
        seconds = time.perf_counter() - started
    tally.latencies_ms.sort()
    return Outcome(
        calls=tally.calls,
        errors=tally.errors,
        first_errors=tally.first_errors,
        seconds=seconds,
        p50_ms=nearest_rank(tally.latencies_ms, 50),
        p99_ms=nearest_rank(tally.latencies_ms, 99),
        cpu_seconds=own_cpu_seconds() - cpu_before,
    )


def bounded(started: float, seconds: float | None, calls: int | None) -> Callable[[], bool]:
    """Whether a worker makes one more call: True `calls` times in all (exactly that many calls
    are made), and only until `seconds` have passed since `started`."""
    deadline = started + seconds if seconds is not None else float("inf")
    left = calls if calls is not None else -1  # -1: no count

    def more() -> bool:
        nonlocal left
        if left == 0 or time.perf_counter() >= deadline:
            return False
        left -= 1
        return True

    return more


def nearest_rank(sorted_values: Sequence[float], percent: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[max(1, math.ceil(percent / 100 * len(sorted_values))) - 1]


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the parent's side -----------------------------------------------------------------------


def outcome_of(line: str) -> Outcome:
    fields: dict[str, Any] = json.loads(line)
    return Outcome(**fields)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("kind", choices=sorted(CLIENTS))
    parser.add_argument("--target", required=True)
    parser.add_argument("--ids-file", type=Path, required=True)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("--calls", type=int, help="stop after this many calls")
    args = parser.parse_args(argv)
    if args.seconds is None and args.calls is None:
        parser.error("give --seconds, --calls or both")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ids = args.ids_file.read_text().split()
    outcome = asyncio.run(run(args.kind, args.target, ids, args))
    print(json.dumps(asdict(outcome)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
