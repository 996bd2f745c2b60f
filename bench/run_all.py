"""Every benchmark, one after the other (`make bench`); exits 1 if any missed a target.

    uv run python bench/run_all.py [--no-doc]

Each script rewrites only its own sections of docs/benchmarks.md.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import emulator_throughput
import feed_benchmarks
import ledger_benchmarks
import observability_benchmarks
import service_benchmarks
import status_benchmarks
import stream_benchmarks
import stripe_path_benchmarks
import webhook_benchmarks

BENCHMARKS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "bench/emulator_throughput.py": lambda argv: emulator_throughput.main(list(argv or [])),
    "bench/service_benchmarks.py": service_benchmarks.main,
    "bench/ledger_benchmarks.py": ledger_benchmarks.main,
    "bench/feed_benchmarks.py": feed_benchmarks.main,
    "bench/status_benchmarks.py": status_benchmarks.main,
    "bench/stream_benchmarks.py": stream_benchmarks.main,
    "bench/observability_benchmarks.py": observability_benchmarks.main,
    "bench/stripe_path_benchmarks.py": stripe_path_benchmarks.main,
    # One run per backend: 10,000 events on each would take a single run past a minute.
    "bench/webhook_benchmarks.py --backend sqlite": lambda argv: webhook_benchmarks.main(
        ["--backend", "sqlite", *(argv or [])]
    ),
    "bench/webhook_benchmarks.py --backend postgresql": lambda argv: webhook_benchmarks.main(
        ["--backend", "postgresql", *(argv or [])]
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    passthrough = [arg for arg in (sys.argv[1:] if argv is None else argv) if arg == "--no-doc"]
    failed = []
    for name, run in BENCHMARKS.items():
        print(f"=== {name}", flush=True)
        started = time.monotonic()
        code = run(passthrough)
        print(f"=== {name}: {'ok' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f}s")
        if code != 0:
            failed.append(name)
    if failed:
        print(f"missed targets or failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
