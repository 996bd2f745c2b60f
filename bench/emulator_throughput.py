"""Measure the Stripe emulator's throughput with wrk and record it in docs/benchmarks.md.

    .venv/bin/python bench/emulator_throughput.py [--duration 8s] [--rounds 3] [--no-doc]

Runs ``wrk -t2 -c64 --latency -s bench/wrk_post_customers.lua URL/v1/customers`` against two
emulators, alternately, in one run (so the machine's speed and load cancel out in the ratio):

- the *baseline*: the emulator as it was before events and webhooks (commit BASELINE_COMMIT,
  taken from git into a temporary folder);
- this checkout's emulator with one webhook endpoint (``--webhook-url``) taking every event,
  so each customer created is also a signed delivery to ``bench/webhook_sink.py``.

Both log one line per request to a file, as in normal use. wrk is Debian's package:
``make bench-tools``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import (
    DOC,
    REPO,
    WrkResult,
    child_pids,
    cpu_seconds,
    fenced,
    machine,
    require_tools,
    rewrite_section,
    run_wrk,
    started_emulator,
)

from tools.processes import start

LUA_SCRIPT = REPO / "bench" / "wrk_post_customers.lua"
SECTION_TITLE = "## Stripe emulator throughput"
TARGET_RPS = 2000
TARGET_RATIO = 0.8
BASELINE_COMMIT = "e8953df"  # the last emulator without events and webhook deliveries
SINK_READY = "webhook-sink listening on "


@dataclass(frozen=True)
class Run:
    wrk: WrkResult
    created: int
    delivered: int  # deliveries the sink received (all of them: checked to equal `created`)
    behind: int  # deliveries still in progress when wrk stopped
    drain_seconds: float  # from wrk's end until the last of them was answered
    cpu_ms: float  # the emulator process's CPU per request served during the wrk run
    sender_cpu_ms: float  # its delivery process's CPU per delivery (0: none)


@dataclass(frozen=True)
class Result:
    baseline: list[Run]
    webhooks: list[Run]
    load_average: tuple[float, float, float]  # when the run started

    @staticmethod
    def median(runs: list[Run]) -> float:
        return statistics.median(run.wrk.requests_per_second for run in runs)

    @property
    def ratio(self) -> float:
        return self.median(self.webhooks) / self.median(self.baseline)

    @staticmethod
    def median_cpu(runs: list[Run]) -> float:
        return statistics.median(run.cpu_ms for run in runs)

    @property
    def passed(self) -> bool:
        runs = self.baseline + self.webhooks
        return (
            self.ratio >= TARGET_RATIO
            and self.median(self.webhooks) >= TARGET_RPS
            and not any(run.wrk.non_2xx or run.wrk.socket_errors for run in runs)
            and all(run.delivered == run.created for run in self.webhooks)
        )


def _json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as response:
        answer: dict[str, object] = json.load(response)
        return answer


def _stats(url: str) -> dict[str, object]:
    return _json(f"{url}/_emulator/stats")


def _customers(url: str) -> int:
    objects = _stats(url)["objects"]
    assert isinstance(objects, dict)
    return int(objects["customer"])


def _in_progress(url: str) -> int:
    deliveries = _stats(url).get("deliveries", {})
    assert isinstance(deliveries, dict)
    return int(deliveries.get("in_progress", 0))


def _received(sink: str) -> int:
    return int(str(_json(sink.replace("/webhooks", "/count"))["received"]))


def _drained(url: str, within: float = 120.0) -> float:
    """Polls until the emulator has no delivery in progress (the load is over by then);
    answers how long that took."""
    started = time.monotonic()
    while _in_progress(url) and time.monotonic() < started + within:
        time.sleep(0.1)
    return time.monotonic() - started


@contextmanager
def baseline_source() -> Iterator[Path]:
    """The baseline's ``stripe_emulator`` package, from git, in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", BASELINE_COMMIT, "stripe_emulator"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Path(tmp)


def measure(duration: str, connections: int, threads: int, rounds: int) -> Result:
    load_average = os.getloadavg()
    baseline: list[Run] = []
    webhooks: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp, baseline_source() as source:
        sink_argv = [sys.executable, str(REPO / "bench" / "webhook_sink.py")]
        # The sink imports the emulator's package, which is not installed (not in the wheel).
        with start(sink_argv, ready=SINK_READY, env={"PYTHONPATH": str(REPO)}) as sink:
            for number in range(rounds):
                log = Path(tmp) / f"emulator-{number}.log"
                baseline.append(_measured(log, duration, connections, threads, source=source))
                before = _received(sink.address)
                extra = ["--webhook-url", sink.address, "--webhook-secret", "whsec_bench"]
                run = _measured(log, duration, connections, threads, extra_args=extra)
                delivered = _received(sink.address) - before
                webhooks.append(dataclasses.replace(run, delivered=delivered))
    return Result(baseline, webhooks, load_average)


def _measured(
    log: Path,
    duration: str,
    connections: int,
    threads: int,
    *,
    source: Path | None = None,
    extra_args: list[str] | None = None,
) -> Run:
    """One wrk run against a fresh emulator, with its CPU use; waits for its deliveries."""
    emulator = started_emulator(log, log_level="INFO", source=source, extra_args=extra_args or [])
    with emulator as started:
        url, pid = started.address, started.process.pid
        cpu_before = cpu_seconds(pid)
        wrk = _wrk(url, duration, connections, threads)
        cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(wrk.requests, 1)
        behind = _in_progress(url)
        drain = _drained(url)
        created = _customers(url)
        senders = child_pids(pid)
        sender_ms = sum(cpu_seconds(child) for child in senders) * 1000 / max(created, 1)
        return Run(wrk, created, 0, behind, drain, cpu_ms, sender_ms if senders else 0.0)


def _wrk(url: str, duration: str, connections: int, threads: int) -> WrkResult:
    return run_wrk(
        f"{url}/v1/customers",
        duration=duration,
        connections=connections,
        threads=threads,
        script=LUA_SCRIPT,
    )


def _row(name: str, run: Run, *, hooked: bool) -> str:
    wrk = run.wrk
    deliveries = (
        f"{run.delivered:,} ({run.behind:,} queued as wrk ended, all in {run.drain_seconds:.1f} s)"
        if hooked
        else "-"
    )
    sender = f"{run.sender_cpu_ms:.3f}" if hooked else "-"
    return (
        f"| {name} | {wrk.requests:,} | {wrk.requests_per_second:,.0f} | {wrk.p50_ms:.2f} | "
        f"{wrk.p99_ms:.2f} | {wrk.non_2xx} | {run.cpu_ms:.3f} | {sender} | {deliveries} |"
    )


def section(result: Result) -> str:
    verdict = "meets" if result.passed else "MISSES"
    rows = []
    for base, hooked in zip(result.baseline, result.webhooks, strict=True):
        rows += [
            _row("baseline", base, hooked=False),
            _row("one webhook endpoint", hooked, hooked=True),
        ]
    last = result.webhooks[-1].wrk
    return "\n".join(
        [
            SECTION_TITLE,
            "",
            "Written by `bench/emulator_throughput.py` (rerun it to refresh this section).",
            "",
            f"- Command: `{last.command}`, alternately against the baseline emulator (commit "
            f"`{BASELINE_COMMIT}`, before events and webhooks) and this one with one webhook "
            "endpoint taking every event (`--webhook-url` to `bench/webhook_sink.py`, a separate "
            "process answering 200), each `python -m stripe_emulator --port 0` with its "
            "per-request log line on, written to a file",
            f"- Machine: {machine()}; wrk, the emulators, the delivery process and the sink share "
            "these cores. Load average when the run started (1/5/15 min): "
            + "/".join(f"{value:.2f}" for value in result.load_average)
            + " (above 0: other work shared the cores too)",
            f"- Result: baseline **{Result.median(result.baseline):,.0f} requests/s**, with one "
            f"webhook endpoint **{Result.median(result.webhooks):,.0f} requests/s** (medians of "
            f"{len(result.baseline)} runs each): ratio **{result.ratio:.2f}**. The emulator "
            f"process's CPU per request: {Result.median_cpu(result.baseline):.3f} ms baseline, "
            f"{Result.median_cpu(result.webhooks):.3f} ms with the endpoint (ratio "
            f"{Result.median_cpu(result.baseline) / Result.median_cpu(result.webhooks):.2f}; "
            "less sensitive to other work on the machine than requests/s)",
            f"- Targets: with webhooks >= {TARGET_RATIO} x the baseline and >= {TARGET_RPS:,} "
            f"requests/s, no errors, every customer's event delivered — {verdict} them",
            "",
            'Deliveries give way to the API (docs/emulator.md, "Webhook endpoints and '
            'deliveries"): they start once the API has had no request for 50 ms (or after 30 s), '
            "from a child process at `nice 19`; the sink runs at `nice 19` too, as a consumer "
            "would run elsewhere. So while wrk keeps the API busy, deliveries queue up instead "
            "of slowing it down, and catch up once the load stops (the last column: how many "
            "were queued or in flight when wrk stopped, and how long until the last was "
            "answered).",
            "",
            "| emulator | requests | req/s | p50 ms | p99 ms | non-2xx | CPU ms / request | "
            "delivery process CPU ms / delivery | deliveries received |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            *fenced(last.output),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    require_tools("wrk")
    result = measure(args.duration, args.connections, args.threads, args.rounds)
    print(section(result))
    if not args.no_doc:
        rewrite_section(SECTION_TITLE, section(result))
        print(f"updated {DOC.relative_to(REPO)}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
