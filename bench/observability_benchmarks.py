"""What metrics and JSON logs cost per call: service CPU per GetProduct with them off and on.

    uv run python bench/observability_benchmarks.py [--requests 6000] [--rounds 5] [--no-doc]

One emulator, two service processes over it: one as a developer runs it (text log, no metrics
listener), one as the manifests run it (PAYMENTS_LOG_FORMAT=json, PAYMENTS_METRICS_ADDR set).
Both count and time every call in their metrics (the service always keeps them; the setting
only serves them), so what differs is the JSON log line and the listener; the counting itself
is a counter and a histogram per call and per Stripe request. h2load
sends the same number of GetProduct calls (one Stripe read each) to each, in turns; the
service's CPU (user + system) per call is read from /proc. The median round's ratio is judged:
target on <= 1.10 (metrics and JSON logs add at most 10 % of CPU per call). Traces are off in
both: they are opt-in, and their cost is the exporter's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import (
    cpu_seconds,
    machine,
    require_tools,
    rewrite_section,
    running_emulator,
)
from payment_stack import start_service
from service_benchmarks import Fixture, Stack, create_fixture, h2load_grpc, service_env

TITLE = "## Service: the CPU cost of metrics and JSON logs"
TARGET = 1.10
CLIENTS, STREAMS = 4, 16


@dataclass(frozen=True)
class Round:
    plain_ms: float
    observed_ms: float

    @property
    def ratio(self) -> float:
        return self.observed_ms / self.plain_ms


@contextmanager
def service(emulator_url: str, tmp: Path, name: str, observed: bool) -> Iterator[Stack]:
    env = service_env(emulator_url, tmp / f"data-{name}")
    if observed:
        env |= {"PAYMENTS_LOG_FORMAT": "json", "PAYMENTS_METRICS_ADDR": "127.0.0.1:0"}
    with start_service(env, tmp / f"service-{name}.log") as (grpc_target, http, pid):
        yield Stack(emulator_url, grpc_target, f"http://{http}", pid, tmp)


def cpu_ms_per_call(stack: Stack, fixture: Fixture, requests: int, name: str) -> float:
    before = cpu_seconds(stack.service_pid)
    h2load_grpc(stack, fixture, requests=requests, clients=CLIENTS, streams=STREAMS, name=name)
    return (cpu_seconds(stack.service_pid) - before) * 1000 / requests


def measure(requests: int, rounds: int) -> list[Round]:
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        with (
            running_emulator(tmp / "emulator.log") as emulator_url,
            service(emulator_url, tmp, "plain", observed=False) as plain,
            service(emulator_url, tmp, "observed", observed=True) as observed,
        ):
            fixture = create_fixture(plain)
            for stack in (plain, observed):  # warm-up: connections, caches, first imports
                cpu_ms_per_call(stack, fixture, 500, "warm-up")
            measured = []
            for number in range(rounds):
                plain_ms = cpu_ms_per_call(plain, fixture, requests, f"plain-{number}")
                observed_ms = cpu_ms_per_call(observed, fixture, requests, f"observed-{number}")
                measured.append(Round(plain_ms, observed_ms))
            check_metrics_served(observed, tmp)
    return measured


def check_metrics_served(stack: Stack, tmp: Path) -> None:
    """The observed service really counted the calls (its log names the metrics address)."""
    log = (tmp / "service-observed.log").read_text()
    address = log.split("metrics on http://", 1)[1].split("/metrics", 1)[0]
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    if "payments_rpc_calls_total{caller=" not in text:
        raise SystemExit("the observed service's /metrics counted no call")


def report(rounds: list[Round], requests: int) -> tuple[str, bool]:
    median = statistics.median(r.ratio for r in rounds)
    passed = median <= TARGET
    verdict = "PASS" if passed else "FAIL"
    rows = "\n".join(
        f"| {n + 1} | {r.plain_ms:.3f} | {r.observed_ms:.3f} | {r.ratio:.2f} |"
        for n, r in enumerate(rounds)
    )
    text = f"""{TITLE}

Written by `uv run python bench/observability_benchmarks.py` (`make bench` runs it). {machine()}.

- What: two service processes over one emulator, one plain (text log, no metrics listener), one
  as deployed (`PAYMENTS_LOG_FORMAT=json`, `PAYMENTS_METRICS_ADDR`); h2load sends {requests:,}
  GetProduct calls (one Stripe read each; {CLIENTS} connections x {STREAMS} streams) to each, in
  turns, after a warm-up; the service's CPU (user + system, /proc) per call. Both keep the
  metrics (a counter and a histogram per call and per Stripe request): the service always
  counts; the setting only serves them. The machine is shared: rounds vary by ~15 %.

| round | plain, CPU ms / call | metrics + JSON logs, CPU ms / call | ratio |
|---:|---:|---:|---:|
{rows}

| measure | measured | target | result |
| --- | --- | --- | --- |
| CPU per call, metrics + JSON logs on / off (median) | {median:.2f} | <= {TARGET:.2f} | {verdict} |
"""
    return text, passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    require_tools("h2load")
    text, passed = report(measure(args.requests, args.rounds), args.requests)
    print(text)
    if not args.no_doc:
        rewrite_section(TITLE, text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
