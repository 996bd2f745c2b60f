"""What each part of the service's GetPaymentStatus costs, by taking it away: the service as it
is and copies of it each with one part replaced by a stand-in (bench/stand_ins), side by side on
one emulator, their runs interleaved; a part's cost is the CPU per call it adds.

    uv run python bench/part_costs.py [--rounds 3] [--seconds 4] [--part NAME ...]

`make profile` (py-spy) samples the thread holding the GIL: work off the event loop (a thread
hand-off, the GIL passed back and forth) is missed or charged elsewhere. This measures the
service's process CPU (every thread) per call instead, in the judge's load
(bench/stripe_path_benchmarks.py: GetPaymentStatus over gRPC of OPEN checkouts, one Stripe read
a call, IN_FLIGHT in flight from bench/grpc_load, the same settings). Every service shares one
SQLite ledger and the emulator. Prints a table of medians over the rounds; writes no doc; not
part of `make bench`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from benchlib import REPO, machine, require_grpc_load, started_emulator
from payment_stack import start_service
from service_benchmarks import service_env
from stripe_path_benchmarks import IN_FLIGHT, SERVICE_SETTINGS, Stack, client_run, open_checkouts

STAND_INS = REPO / "bench" / "stand_ins"
PARTS = ("access-log", "ledger-read", "stripe-read", "metrics")  # stand_ins/sitecustomize.py
AS_IS = "as is"


def started(es: ExitStack, tmp: Path, parts: Sequence[str]) -> dict[str, Stack]:
    """The service as is and one per part, each a Stack over the one emulator."""
    emulator = es.enter_context(started_emulator(tmp / "emulator.log"))
    stacks: dict[str, Stack] = {}
    for name in (AS_IS, *parts):
        env = service_env(emulator.address, tmp / "data") | SERVICE_SETTINGS
        if name != AS_IS:
            env |= {"PYTHONPATH": str(STAND_INS), "BENCH_STAND_IN": name}
        log = tmp / f"service-{len(stacks)}.log"
        grpc_target, http, pid = es.enter_context(start_service(env, log))
        stacks[name] = Stack(
            emulator.address, emulator.process.pid, grpc_target, f"http://{http}", pid, 0,
            tmp / "open-checkouts.txt", tmp,
        )  # fmt: skip
    return stacks


def measure(stacks: Mapping[str, Stack], rounds: int, seconds: float) -> dict[str, list[float]]:
    """CPU ms per call of each service, a run of each per round, in turn."""
    open_checkouts(next(iter(stacks.values())))
    cpu: dict[str, list[float]] = {name: [] for name in stacks}
    for round_ in range(rounds):
        for name, stack in stacks.items():
            client_run("warm-up", "grpc", stack, length=("--seconds", "1"))
            run = client_run(name, "grpc", stack, length=("--seconds", f"{seconds:g}"))
            assert run.service_cpu_ms is not None
            cpu[name].append(run.service_cpu_ms)
            print(f"round {round_ + 1}: {name}: {run.per_second:,.0f} calls/s, "
                  f"{run.service_cpu_ms:.3f} ms CPU a call", file=sys.stderr)  # fmt: skip
    return cpu


def table(cpu: Mapping[str, list[float]]) -> str:
    whole = statistics.median(cpu[AS_IS])
    lines = [
        "| service | CPU ms a call (median) | rounds | the part's cost | share |",
        "| --- | ---: | --- | ---: | ---: |",
        f"| {AS_IS} | {whole:.3f} | {_spread(cpu[AS_IS])} | | |",
    ]
    for name, values in cpu.items():
        if name != AS_IS:
            cost = whole - statistics.median(values)
            lines.append(
                f"| without {name} | {statistics.median(values):.3f} | {_spread(values)} "
                f"| {cost:.3f} | {cost / whole:.0%} |"
            )
    return "\n".join(lines)


def _spread(values: Sequence[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--part", action="append", choices=PARTS, help="default: every part")
    args = parser.parse_args(argv)
    require_grpc_load()
    with tempfile.TemporaryDirectory(prefix="part-costs-") as tmp, ExitStack() as es:
        stacks = started(es, Path(tmp), args.part or PARTS)
        cpu = measure(stacks, args.rounds, args.seconds)
    print(f"GetPaymentStatus over gRPC, {IN_FLIGHT} in flight; {machine()}\n")
    print(table(cpu))
    return 0


if __name__ == "__main__":
    sys.exit(main())
