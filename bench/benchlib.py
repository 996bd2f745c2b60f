"""What the benchmarks share: machine facts, wrk and h2load runs, child processes and load
processes, the doc.

Each benchmark owns one or more ``## `` sections of docs/benchmarks.md and rewrites only those
(`rewrite_section`), so the scripts can run alone or together (bench/run_all.py) in any order.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
if str(REPO) not in sys.path:  # tools/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(REPO))

from load_clients import Outcome, outcome_of  # noqa: E402

from tools.processes import Started, start  # noqa: E402

EMULATOR_READY = "stripe-emulator listening on "
EMULATOR_STRIPE_KEY = "sk_test_bench_0000000000000000"
TOOL_PACKAGES = {"wrk": "wrk", "h2load": "nghttp2-client"}
# The gRPC load generator (bench/grpc_load/main.go, built by `make go-client`); it reads the
# service's API key from GRPC_LOAD_KEY_VARIABLE (its apiKeyVariable), not from argv, which ps shows.
GRPC_LOAD = REPO / "build" / "go" / "bin" / "grpc_load"
GRPC_LOAD_SOURCE = REPO / "bench" / "grpc_load" / "main.go"
GRPC_LOAD_KEY_VARIABLE = "BENCH_PAYMENTS_API_KEY"
LOAD_CLIENTS = REPO / "bench" / "load_clients.py"


# --- the machine and the tools ---------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu_model()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def require_tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        packages = " ".join(TOOL_PACKAGES.get(name, name) for name in missing)
        raise SystemExit(
            f"missing {', '.join(missing)}: `make bench-tools` "
            f"(or apt-get update && apt-get install -y {packages})"
        )


def require_grpc_load() -> Path:
    """GRPC_LOAD, built first by `make go-client` (Debian's Go, offline) when it is missing or
    older than its source; before any run, so that no build shares the cores with one."""
    if GRPC_LOAD.exists() and GRPC_LOAD.stat().st_mtime >= GRPC_LOAD_SOURCE.stat().st_mtime:
        return GRPC_LOAD
    print(f"building {GRPC_LOAD.relative_to(REPO)}: make go-client", file=sys.stderr, flush=True)
    built = subprocess.run(["make", "go-client"], cwd=REPO, check=False)
    if built.returncode != 0 or not GRPC_LOAD.exists():
        raise SystemExit(f"`make go-client` failed ({built.returncode}): no {GRPC_LOAD}")
    return GRPC_LOAD


def tool_version(name: str) -> str:
    """The first line a tool prints about its version (wrk only prints it with -v)."""
    flag = "-v" if name == "wrk" else "--version"
    done = subprocess.run([name, flag], capture_output=True, text=True, check=False)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0].strip() if lines else "unknown"


# --- the doc ---------------------------------------------------------------------------------


def rewrite_section(title: str, text: str, doc: Path = DOC) -> None:
    """Replaces the section that starts with the heading `title` (up to the next ``## ``) with
    `text`, or appends it; the rest of the doc is left as it is."""
    existing = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(existing):
        updated = pattern.sub(lambda _: text.rstrip() + "\n\n", existing).rstrip() + "\n"
    else:
        updated = existing.rstrip() + "\n\n" + text.rstrip() + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(updated)


def fenced(text: str) -> list[str]:
    return ["```", text.strip(), "```"]


# --- child processes -------------------------------------------------------------------------


@contextmanager
def start_logged(
    argv: Sequence[str],
    *,
    ready: str,
    log_file: Path,
    also: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[Started]:
    """tools.processes.start, with the child's stderr (its log) in `log_file`. The shell only
    redirects and then execs the child, so the pid is the child's own and SIGTERM reaches it."""
    wrapped = ["sh", "-c", 'exec "$@" 2>"$0"', str(log_file), *argv]
    with start(wrapped, ready=ready, also=also, env=env, timeout=20.0) as started:
        yield started


@contextmanager
def started_emulator(
    log_file: Path,
    *,
    log_level: str = "WARNING",
    extra_args: Sequence[str] = (),
    source: Path | None = None,
    also: Sequence[str] = (),
) -> Iterator[Started]:
    """`python -m stripe_emulator --port 0` until the block ends (`.address` is its URL).

    `source`: a folder holding another copy of the `stripe_emulator` package to run instead
    of this checkout's (`-P` keeps the working directory off `sys.path`); `also`: other lines
    to await, as tools.processes.start does."""
    argv = [sys.executable, "-P", "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", "0"]
    argv += ["--log-level", log_level, *extra_args]
    env = {"PYTHONPATH": str(source if source is not None else REPO)}
    with start_logged(
        argv, ready=EMULATOR_READY, also=also, log_file=log_file, env=env
    ) as emulator:
        yield emulator


@contextmanager
def running_emulator(log_file: Path, *, log_level: str = "WARNING") -> Iterator[str]:
    """`started_emulator`, yielding only its base URL."""
    with started_emulator(log_file, log_level=log_level) as emulator:
        yield emulator.address


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat), its children's not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


class LoadFailed(RuntimeError):
    """A load process that failed as a process (it exited non-zero): not wrong answers, which
    it counts as errors in its outcome."""


def load_process(
    kind: str,
    target: str,
    ids_file: Path,
    in_flight: int,
    options: Sequence[str],
    api_key: str,
) -> tuple[Outcome, str]:
    """The load of `kind` in a process of its own, `in_flight` workers over the ids in `ids_file`:
    `grpc` is GRPC_LOAD (require_grpc_load builds it), sending `api_key` (the service's); the
    others bench/load_clients.py KIND, which print the same line. `options`: its length
    (--seconds S, --calls N) and any other (grpc_load's --expect-status). Its outcome and the
    command, as shown."""
    env = dict(os.environ)
    if kind == "grpc":
        command, shown = [str(GRPC_LOAD)], str(GRPC_LOAD.relative_to(REPO))
        env[GRPC_LOAD_KEY_VARIABLE] = api_key
    else:
        command = [sys.executable, str(LOAD_CLIENTS), kind]
        shown = f"bench/load_clients.py {kind}"
    argv = [*command, "--target", target, "--ids-file", str(ids_file)]
    argv += ["--in-flight", str(in_flight), *options]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LoadFailed(f"{kind} load failed ({done.returncode}):\n{done.stderr[-2000:]}")
    shown += f" --in-flight {in_flight} {' '.join(options)}"
    return outcome_of(done.stdout.strip().splitlines()[-1]), shown


def http_json(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> object:
    request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def emulator_requests(url: str, route: str) -> int:
    """How many requests the emulator has served on `route` ("GET /v1/customers/{customer}")."""
    stats = http_json(f"{url}/_emulator/stats")
    assert isinstance(stats, dict)
    count = stats["requests"].get(route, 0)
    assert isinstance(count, int)
    return count


# --- wrk -------------------------------------------------------------------------------------

_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    command: str
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    output: str


def run_wrk(
    url: str,
    *,
    duration: str,
    connections: int,
    threads: int = 2,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
    script_args: Sequence[str] = (),
) -> WrkResult:
    """wrk --latency against `url` (`script_args` go to the script's init); the command is
    recorded with the port replaced by PORT."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    command += ["--timeout", "10s"]  # slow answers count in the latency, not as errors
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script.relative_to(REPO))]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout
    return parse_wrk(output, shown_command(command))


def parse_wrk(output: str, command: str) -> WrkResult:
    def number(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.M)
        if match is None:
            if default is None:
                raise SystemExit(f"could not parse wrk output ({pattern}):\n{output}")
            return default
        return match.group(1)

    socket_errors = re.search(r"Socket errors: (.*)", output)
    return WrkResult(
        command=command,
        requests=int(number(r"(\d+) requests in")),
        requests_per_second=float(number(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_wrk_latency(output, "50"),
        p99_ms=_wrk_latency(output, "99"),
        non_2xx=int(number(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        socket_errors=sum(map(int, re.findall(r"\d+", socket_errors.group(1))))
        if socket_errors
        else 0,
        output=output,
    )


def _wrk_latency(output: str, percent: str) -> float:
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    if match is None:
        raise SystemExit(f"wrk printed no {percent}% latency (needs --latency):\n{output}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


# --- h2load ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class H2loadResult:
    command: str
    requests: int
    succeeded: int
    failed: int  # failed + errored + timeout, as h2load counts them
    status_2xx: int
    data_bytes: int  # DATA frame payload received: the gRPC messages, without trailers
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    output: str


def run_h2load(
    url: str,
    *,
    requests: int,
    clients: int,
    streams: int,
    data: Path,
    headers: Mapping[str, str],
    log_file: Path,
) -> H2loadResult:
    """h2load over h2c, POSTing the file `data` on every stream; latency percentiles come from
    its per-request log (the summary has only min/mean/max)."""
    command = ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams)]
    command += [f"--data={data}", f"--log-file={log_file}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    latencies_ms = sorted(
        int(line.split("\t")[2]) / 1000 for line in log_file.read_text().splitlines() if line
    )
    return parse_h2load(output, shown_command(command), latencies_ms)


def parse_h2load(output: str, command: str, latencies_ms: Sequence[float]) -> H2loadResult:
    def number(pattern: str) -> str:
        match = re.search(pattern, output)
        if match is None:
            raise SystemExit(f"could not parse h2load output ({pattern}):\n{output}")
        return match.group(1)

    failed = sum(int(number(rf"(\d+) {kind}")) for kind in ("failed", "errored", "timeout"))
    return H2loadResult(
        command=command,
        requests=int(number(r"requests: (\d+) total")),
        succeeded=int(number(r"(\d+) succeeded")),
        failed=failed,
        status_2xx=int(number(r"status codes: (\d+) 2xx")),
        data_bytes=int(number(r"\((\d+)\) data")),
        requests_per_second=float(number(r"finished in [\d.]+\w+, ([\d.]+) req/s")),
        p50_ms=percentile(latencies_ms, 50),
        p99_ms=percentile(latencies_ms, 99),
        output=output,
    )


def percentile(sorted_values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def shown_command(command: Sequence[str]) -> str:
    """The command as the doc shows it: ports and temporary paths vary per run."""
    shown = [
        f"{part.split('=')[0]}={Path(part.split('=', 1)[1]).name}"
        if part.startswith(("--data=", "--log-file="))
        else Path(part).name
        if part.startswith(tempfile.gettempdir())
        else part
        for part in command
    ]
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", shlex.join(shown))
