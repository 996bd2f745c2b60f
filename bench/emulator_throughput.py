"""Measure the Stripe emulator's throughput with wrk and record it in docs/benchmarks.md.

    .venv/bin/python bench/emulator_throughput.py [--duration 10s] [--connections 64]

Starts ``python -m stripe_emulator --port 0`` (request logging on, as in normal use, written
to a file), runs ``wrk -t2 -c64 -d10s --latency -s bench/wrk_post_customers.lua URL/v1/customers``,
parses Requests/sec and replaces the "Stripe emulator throughput" section of the doc.
wrk is Debian's package: ``make bench-tools`` (or ``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchlib import DOC, REPO, WrkResult, fenced, machine, require_tools, rewrite_section, run_wrk
from benchlib import running_emulator as start_emulator

LUA_SCRIPT = REPO / "bench" / "wrk_post_customers.lua"
SECTION_TITLE = "## Stripe emulator throughput"
TARGET_RPS = 2000


@dataclass(frozen=True)
class Result:
    wrk: WrkResult
    created: int

    @property
    def passed(self) -> bool:
        return self.wrk.requests_per_second >= TARGET_RPS and not self.wrk.non_2xx


def object_count(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=10) as response:
        count: int = json.load(response)["objects"]["customer"]
        return count


def measure(duration: str, connections: int, threads: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "emulator.log"
        with start_emulator(log, log_level="INFO") as url:
            wrk = run_wrk(
                f"{url}/v1/customers",
                duration=duration,
                connections=connections,
                threads=threads,
                script=LUA_SCRIPT,
            )
            return Result(wrk=wrk, created=object_count(url))


def section(result: Result) -> str:
    wrk = result.wrk
    verdict = "meets" if result.passed else "MISSES"
    return "\n".join(
        [
            SECTION_TITLE,
            "",
            "Written by `bench/emulator_throughput.py` (rerun it to refresh this section).",
            "",
            f"- Command: `{wrk.command}` against `python -m stripe_emulator --port 0`"
            " (one process, per-request log line on, written to a file)",
            f"- Machine: {machine()}",
            f"- Result: **{wrk.requests_per_second:,.0f} requests/s**, latency p50 "
            f"{wrk.p50_ms:.2f} ms, p99 {wrk.p99_ms:.2f} ms ({wrk.non_2xx} non-2xx; "
            f"{result.created:,} customers created)",
            f"- Target: >= {TARGET_RPS:,} requests/s — {verdict} the target",
            "",
            *fenced(wrk.output),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    require_tools("wrk")
    result = measure(args.duration, args.connections, args.threads)
    print(result.wrk.output)
    print(f"{result.wrk.requests_per_second:,.0f} requests/s (target {TARGET_RPS:,})")
    if not args.no_doc:
        rewrite_section(SECTION_TITLE, section(result))
        print(f"updated {DOC.relative_to(REPO)}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
