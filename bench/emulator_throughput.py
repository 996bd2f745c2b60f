"""Measure the Stripe emulator's throughput with wrk and record it in docs/benchmarks.md.

    .venv/bin/python bench/emulator_throughput.py [--duration 10s] [--connections 64]

Starts ``python -m stripe_emulator --port 0`` (request logging on, as in normal use, written
to a file), runs ``wrk -t2 -c64 -d10s -s bench/wrk_post_customers.lua URL/v1/customers``,
parses Requests/sec and replaces the "Stripe emulator throughput" section of the doc.
wrk is Debian's package: ``apt-get update && apt-get install -y wrk``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LUA_SCRIPT = REPO / "bench" / "wrk_post_customers.lua"
DOC = REPO / "docs" / "benchmarks.md"
SECTION_TITLE = "## Stripe emulator throughput"
TARGET_RPS = 2000


@dataclass(frozen=True)
class Result:
    command: str
    requests_per_second: float
    non_2xx: int
    created: int
    wrk_output: str


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def start_emulator(log_file: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log_file.open("w"),
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # printed once the port is listening
    if not line.startswith("stripe-emulator listening on "):
        process.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return process, line.split()[-1]


def object_count(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=10) as response:
        count: int = json.load(response)["objects"]["customer"]
        return count


def run_wrk(url: str, duration: str, connections: int, threads: int) -> Result:
    target = f"{url}/v1/customers"
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}",
        "-s", str(LUA_SCRIPT.relative_to(REPO)), target,
    ]  # fmt: skip
    output = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise SystemExit(f"could not parse wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    shown = " ".join(command).replace(url, "http://127.0.0.1:PORT")
    return Result(
        command=shown,
        requests_per_second=float(rps.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        created=object_count(url),
        wrk_output=output,
    )


def section(result: Result) -> str:
    verdict = "meets" if result.requests_per_second >= TARGET_RPS else "MISSES"
    return "\n".join(
        [
            SECTION_TITLE,
            "",
            "Written by `bench/emulator_throughput.py` (rerun it to refresh this section).",
            "",
            f"- Command: `{result.command}` against `python -m stripe_emulator --port 0`"
            " (one process, per-request log line on, written to a file)",
            f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}",
            f"- Result: **{result.requests_per_second:,.0f} requests/s** "
            f"({result.non_2xx} non-2xx; {result.created:,} customers created)",
            f"- Target: >= {TARGET_RPS:,} requests/s — {verdict} the target",
            "",
            "```",
            result.wrk_output.strip(),
            "```",
            "",
        ]
    )


def update_doc(text: str) -> None:
    existing = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(existing):
        updated = pattern.sub(lambda _: text + "\n", existing).rstrip() + "\n"
    else:
        updated = existing.rstrip() + "\n\n" + text
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(updated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get update && apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_emulator(Path(tmp) / "emulator.log")
        try:
            result = run_wrk(url, args.duration, args.connections, args.threads)
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(result.wrk_output)
    print(f"{result.requests_per_second:,.0f} requests/s (target {TARGET_RPS:,})")
    if not args.no_doc:
        update_doc(section(result))
        print(f"updated {DOC.relative_to(REPO)}")
    if result.requests_per_second < TARGET_RPS or result.non_2xx:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
