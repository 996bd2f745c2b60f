"""`make profile`: the service under load, sampled by py-spy; where its CPU goes, by package.

    uv run python bench/profile_service.py [--seconds 20] [--rate 100] [--out build/profile]
        [--setting NAME=VALUE ...] [--in-flight 64] [--latency-ms 0]

The stack of bench/stripe_path_benchmarks.py (one emulator, one service, 512 open checkouts)
and its load: GetPaymentStatus over gRPC from bench/grpc_load (Go, built by `make go-client` when
missing), 64 in flight, each call one Stripe read. After a
warm-up, py-spy attaches to the running service (`py-spy record --pid`, as root: it reads the
process's memory through ptrace) for `--seconds` while the load runs. Writes to `--out`:

- service.speedscope.json: open it at speedscope.app (or any speedscope viewer);
- service.collapsed.txt: the same samples as collapsed stacks, for flamegraph.pl or inferno;
- summary.txt: own time by package and by function (also printed), from bench/profile_summary.py.

py-spy pauses the service for each sample (its default, for stacks that are consistent), which
costs a few percent of its throughput at 100 samples a second: compare calls/s across profiles,
not with the benchmark's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchlib import REPO, load_process, machine, require_grpc_load
from payment_stack import API_KEY
from profile_summary import collapsed, load, summary
from stripe_path_benchmarks import (
    IN_FLIGHT,
    SERVICE_SETTINGS,
    BenchError,
    Stack,
    client_run,
    injected_latency,
    open_checkouts,
    running_stack,
    watched,
)

WARM_UP_SECONDS = 2


def py_spy() -> str:
    """The py-spy of this venv (a dev dependency: its wheel holds the binary)."""
    return str(Path(sys.executable).parent / "py-spy")


def record(stack: Stack, out: Path, args: argparse.Namespace) -> str:
    """py-spy on the service while the load runs for a little longer; the load's line."""
    seconds, rate, in_flight = args.seconds, args.rate, args.in_flight
    speedscope = out / "service.speedscope.json"
    argv = [py_spy(), "record", "--pid", str(stack.service_pid), "--duration", str(seconds)]
    argv += ["--rate", str(rate), "--gil", "--native"]
    argv += ["--format", "speedscope", "--output", str(speedscope)]
    with watched(stack) as used:
        spy = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        length = ("--seconds", str(seconds + 1))
        outcome, _ = load_process(
            "grpc", stack.grpc_target, stack.ids_file, in_flight, length, API_KEY
        )
        said, _ = spy.communicate(timeout=60)
    if spy.returncode != 0 or not speedscope.exists():
        raise BenchError(f"py-spy failed ({spy.returncode}):\n{said}")
    if outcome.errors:
        raise BenchError(f"the load had {outcome.errors} errors: {outcome.first_errors}")
    cpu_ms = used.service_cpu_s * 1000 / max(1, outcome.calls)
    return (
        f"Load: GetPaymentStatus over gRPC, {in_flight} in flight, Stripe latency "
        f"{args.latency_ms} ms, {outcome.per_second:,.0f} "
        f"calls/s under the profiler, service CPU {cpu_ms:.2f} ms/call; {machine()}."
    )


def write_outputs(out: Path, load_line: str) -> str:
    profile = load(out / "service.speedscope.json")
    (out / "service.collapsed.txt").write_text(collapsed(profile))
    text = load_line + "\n\n" + summary(profile)
    (out / "summary.txt").write_text(text)
    return text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="how long py-spy samples")
    parser.add_argument("--rate", type=int, default=100, help="samples a second")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "profile")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="calls in flight")
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="Stripe latency injected into the emulator"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    require_grpc_load()
    settings = dict(SERVICE_SETTINGS) | dict(s.split("=", 1) for s in args.setting)
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="profile-") as directory,
        running_stack(Path(directory), settings) as stack,
    ):
        open_checkouts(stack)
        client_run("warm-up", "grpc", stack, length=("--seconds", str(WARM_UP_SECONDS)))
        with injected_latency(stack.emulator_url, args.latency_ms):
            load_line = record(stack, args.out, args)
    print(write_outputs(args.out, load_line))
    print(f"wrote {args.out}/service.speedscope.json, service.collapsed.txt, summary.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
