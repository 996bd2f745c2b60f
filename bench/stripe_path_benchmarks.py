"""The Stripe path judged against its floor: GetPaymentStatus of a payment that is not final (one
Stripe read a call) through the service, against clients doing the same Stripe GET.

    uv run python bench/stripe_path_benchmarks.py [--seconds 5] [--rss-calls 100000]
        [--setting NAME=VALUE ...] [--no-doc]

One emulator (`python -m stripe_emulator`) and one service (`python -m service`, its ledger a
SQLite file, its settings SERVICE_SETTINGS for every run) as child processes; the load comes
from processes of its own: bench/load_clients.py (Python) for the baselines (a) and (b),
bench/grpc_load (Go, built by `make go-client` when missing) for every gRPC run, wrk for the
HTTP ones. In one run, each loaded run at IN_FLIGHT calls in flight unless said otherwise
(~5 minutes in all, 3 of them the memory run):

1. Baselines, `GET /v1/checkout/sessions/{id}` on the emulator: (a) a plain aiohttp client with
   one JSON decode; (b) the Stripe SDK's `raw_request_async` over its default async client;
   (c) the bare emulator under wrk (C load); (d) GetPaymentStatus over gRPC on the minimal
   grpc.aio gateway (bench/minimal_grpc_gateway.py, a process of its own for this run only),
   which makes (a)'s request and nothing else: the floor of any Python gRPC gateway.
2. The service: GetPaymentStatus over gRPC (the Go load process), and on the HTTP/JSON door
   (`GET /v1/payments/{id}` under wrk); ratios against (a) and (b); CPU per call of the service,
   the emulator and the load process, from /proc.
3. Latency: the emulator holds every `/v1` answer INJECTED_LATENCY_MS; LATENCY_IN_FLIGHT calls
   in flight on gRPC: throughput against min(Little's-law ideal, the service's own throughput
   of step 2), p99 against the Little's-law latency at that throughput, errors.
4. Memory: the service's RSS after the runs above (the warm-up) and after `--rss-calls` more
   calls (100,000 unless told; the run takes as long as they do).
5. Stripe requests per RPC (bench/stripe_requests_per_rpc.py).

Every loaded run is checked: no errors, every answer the expected status, and the emulator
served one session read per call (wrk: up to its connections more, the calls in flight when it
stopped). Rewrites its section of docs/benchmarks.md; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import (
    DOC,
    EMULATOR_STRIPE_KEY,
    REPO,
    LoadFailed,
    WrkResult,
    cpu_seconds,
    emulator_requests,
    http_json,
    load_process,
    require_grpc_load,
    require_tools,
    rewrite_section,
    run_wrk,
    start_logged,
    started_emulator,
)
from minimal_grpc_gateway import READY as MINIMAL_GATEWAY_READY
from payment_stack import API_KEY, start_service
from service_benchmarks import rss_kib, service_env
from status_benchmarks import checkouts
from stripe_path_report import Memory, Report, Run, judge, section, summary
from stripe_requests_per_rpc import count_requests_per_rpc

from service.config import load_settings
from tools.processes import StartError

IN_FLIGHT = 64
LATENCY_IN_FLIGHT = 256
INJECTED_LATENCY_MS = 250
SERVICE_SETTINGS: dict[str, str] = {
    # The service's environment beyond what every benchmark sets (service_benchmarks.service_env),
    # in this one place, for every run: `--setting NAME=VALUE` adds to it or overrides it.
    # The reconciler lists Stripe's events at start-up, then once an interval: not during a run,
    # whose Stripe requests are counted.
    "PAYMENTS_RECONCILE_INTERVAL_SECONDS": "86400",
    # Configured for the heaviest load it is judged at, as an operator would: the latency run,
    # LATENCY_IN_FLIGHT Stripe reads at INJECTED_LATENCY_MS each, is 256 / 0.25 s = 1,024
    # requests/s (Little's law), and the pool is sized from these two (x 2: 512 connections).
    # They size that pool alone, and the runs at IN_FLIGHT never fill it (nor the default 100),
    # so one service process serves every run.
    "STRIPE_EXPECTED_REQUESTS_PER_SECOND": f"{LATENCY_IN_FLIGHT * 1000 / INJECTED_LATENCY_MS:g}",
    "STRIPE_EXPECTED_LATENCY_SECONDS": f"{INJECTED_LATENCY_MS / 1000:g}",
}
OPEN_CHECKOUTS = 512  # more than LATENCY_IN_FLIGHT: every worker its own ids
SESSION_ROUTE = "GET /v1/checkout/sessions/{session}"
SESSIONS = "/v1/checkout/sessions/"  # + id: the GET the service makes for GetPaymentStatus
SECTION = "## Stripe path: the service against a plain client"
MINIMAL_GATEWAY = REPO / "bench" / "minimal_grpc_gateway.py"
WRK_IDS = REPO / "bench" / "wrk_payment_ids.lua"


class BenchError(RuntimeError):
    """A run measured something other than successful calls."""


@dataclass(frozen=True)
class Params:
    seconds: float
    latency_seconds: float
    rss_calls: int
    settings: Mapping[str, str]


@dataclass(frozen=True)
class Stack:
    emulator_url: str
    emulator_pid: int
    grpc_target: str
    http_url: str
    service_pid: int
    stripe_pool_size: int  # what the service makes of its settings
    ids_file: Path
    tmp: Path


# --- processes -------------------------------------------------------------------------------


@contextmanager
def running_stack(tmp: Path, settings: Mapping[str, str]) -> Iterator[Stack]:
    with started_emulator(tmp / "emulator.log") as emulator:
        env = service_env(emulator.address, tmp / "data") | dict(settings)
        with start_service(env, tmp / "service.log") as (grpc_target, http_address, pid):
            yield Stack(
                emulator.address,
                emulator.process.pid,
                grpc_target,
                f"http://{http_address}",
                pid,
                load_settings(env).stripe_pool_size,
                tmp / "open-checkouts.txt",
                tmp,
            )


@contextmanager
def minimal_gateway(stack: Stack) -> Iterator[tuple[str, int]]:
    """(host:port, pid) of bench/minimal_grpc_gateway.py over the stack's emulator."""
    argv = [sys.executable, str(MINIMAL_GATEWAY), "--emulator", stack.emulator_url]
    log_file = stack.tmp / "minimal-gateway.log"
    with start_logged(argv, ready=MINIMAL_GATEWAY_READY, log_file=log_file) as gateway:
        yield gateway.address, gateway.process.pid


def open_checkouts(stack: Stack) -> list[str]:
    """OPEN_CHECKOUTS open Checkout Sessions made through the service, their ids in a file."""
    ids = asyncio.run(checkouts(stack.grpc_target, OPEN_CHECKOUTS))
    stack.ids_file.write_text("\n".join(ids) + "\n")
    return ids


@dataclass
class Used:
    """What the processes used during a block: filled in when it ends."""

    service_cpu_s: float = 0.0
    emulator_cpu_s: float = 0.0
    session_reads: int = 0


@contextmanager
def watched(stack: Stack, server_pid: int | None = None) -> Iterator[Used]:
    """`server_pid`: the process serving the run, when not the service (the minimal gateway)."""
    server_pid = stack.service_pid if server_pid is None else server_pid
    used = Used()
    service, emulator = cpu_seconds(server_pid), cpu_seconds(stack.emulator_pid)
    reads = emulator_requests(stack.emulator_url, SESSION_ROUTE)
    yield used
    used.service_cpu_s = cpu_seconds(server_pid) - service
    used.emulator_cpu_s = cpu_seconds(stack.emulator_pid) - emulator
    used.session_reads = emulator_requests(stack.emulator_url, SESSION_ROUTE) - reads


# --- runs ------------------------------------------------------------------------------------


def client_run(
    name: str,
    kind: str,
    stack: Stack,
    *,
    in_flight: int = IN_FLIGHT,
    length: Sequence[str],
    errors_allowed: bool = False,
    server: tuple[str, int] | None = None,
) -> Run:
    """A load process's run, checked: no errors (unless allowed: then judged), one session read
    per call. gRPC goes to the service, or to `server` ((host:port, pid): the minimal gateway)."""
    grpc_target, server_pid = server or (stack.grpc_target, stack.service_pid)
    target = grpc_target if kind == "grpc" else stack.emulator_url
    with watched(stack, server_pid) as used:
        outcome, shown = load_process(kind, target, stack.ids_file, in_flight, length, API_KEY)
    if outcome.errors and not errors_allowed:
        raise BenchError(f"{name}: {outcome.errors} errors, first: {outcome.first_errors}")
    if used.session_reads != outcome.calls and not outcome.errors:
        raise BenchError(f"{name}: {outcome.calls} calls, {used.session_reads} session reads")
    return Run.of_outcome(
        name, shown, outcome, used.service_cpu_s if kind == "grpc" else None, used.emulator_cpu_s
    )


def wrk_run(
    name: str, stack: Stack, url: str, prefix: str, headers: Mapping[str, str], seconds: float
) -> Run:
    """wrk at IN_FLIGHT connections over the open checkouts' ids (`url` + `prefix` + id),
    checked like client_run."""
    with watched(stack) as used:
        result = run_wrk(
            url,
            duration=f"{round(seconds)}s",
            connections=IN_FLIGHT,
            headers=headers,
            script=WRK_IDS,
            script_args=(str(stack.ids_file), prefix, "2"),
        )
    check_wrk(name, result, used.session_reads)
    service_cpu = used.service_cpu_s if prefix.startswith("/v1/payments") else None
    return Run.of_wrk(name, result, service_cpu, used.emulator_cpu_s)


def check_wrk(name: str, result: WrkResult, reads: int) -> None:
    if result.non_2xx or result.socket_errors:
        raise BenchError(f"{name}: errors\n{result.output}")
    if not result.requests <= reads <= result.requests + IN_FLIGHT:
        raise BenchError(f"{name}: {result.requests} requests, {reads} session reads")


def check_http_door(stack: Stack, session_id: str) -> None:
    body = http_json(f"{stack.http_url}/v1/payments/{session_id}", headers={"x-api-key": API_KEY})
    if not isinstance(body, dict) or body.get("status") != "PAYMENT_STATUS_OPEN":
        raise BenchError(f"GET /v1/payments/{session_id} answered {body!r}")


def baselines(stack: Stack, seconds: float) -> list[Run]:
    length = ("--seconds", f"{seconds:g}")
    auth = {"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"}
    plain = client_run(
        "(a) plain aiohttp client, GET + JSON decode", "aiohttp", stack, length=length
    )
    sdk = client_run("(b) Stripe SDK `raw_request_async` loop", "sdk", stack, length=length)
    bare = wrk_run(
        "(c) bare emulator under wrk", stack, stack.emulator_url, SESSIONS, auth, seconds
    )
    with minimal_gateway(stack) as gateway:
        client_run("(d) warm-up", "grpc", stack, length=("--seconds", "1"), server=gateway)
        floor = client_run(
            "(d) minimal grpc.aio gateway, `GetPaymentStatus` (CPU: the gateway's)",
            "grpc",
            stack,
            length=length,
            server=gateway,
        )
    return [plain, sdk, bare, floor]


def service_runs(stack: Stack, session_id: str, seconds: float) -> list[Run]:
    check_http_door(stack, session_id)
    length = ("--seconds", f"{seconds:g}")
    grpc_run = client_run("service, gRPC `GetPaymentStatus`", "grpc", stack, length=length)
    http_run = wrk_run(
        "service, HTTP/JSON `GET /v1/payments/{id}`",
        stack,
        stack.http_url,
        "/v1/payments/",
        {"x-api-key": API_KEY},
        seconds,
    )
    check_http_door(stack, session_id)
    return [grpc_run, http_run]


@contextmanager
def injected_latency(emulator_url: str, milliseconds: int) -> Iterator[None]:
    body = json.dumps({"latency_ms": milliseconds}).encode()
    post = urllib.request.Request(
        f"{emulator_url}/_emulator/faults",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(post, timeout=10):
        pass
    try:
        yield
    finally:
        clear = urllib.request.Request(f"{emulator_url}/_emulator/faults", method="DELETE")
        with urllib.request.urlopen(clear, timeout=10):
            pass


def latency_run(stack: Stack, seconds: float) -> Run:
    """LATENCY_IN_FLIGHT calls in flight while every Stripe answer takes INJECTED_LATENCY_MS,
    after a 2 s warm-up that opens the service's Stripe connections; errors are judged."""
    with injected_latency(stack.emulator_url, INJECTED_LATENCY_MS):
        wide_run(stack, "latency warm-up", 2)
        return wide_run(stack, f"service, gRPC, {INJECTED_LATENCY_MS} ms Stripe latency", seconds)


def wide_run(stack: Stack, name: str, seconds: float) -> Run:
    length = ("--seconds", f"{seconds:g}")
    return client_run(
        name, "grpc", stack, in_flight=LATENCY_IN_FLIGHT, length=length, errors_allowed=True
    )


def memory_run(stack: Stack, calls: int) -> Memory:
    """Exactly `calls` more calls, however long they take (100,000: ~3 minutes at ~550/s)."""
    before, _ = rss_kib(stack.service_pid)
    run = client_run("service, gRPC, memory", "grpc", stack, length=("--calls", str(calls)))
    after, _ = rss_kib(stack.service_pid)
    if run.calls != calls:
        raise BenchError(f"memory run: {run.calls} calls made of {calls}")
    return Memory(before, after, run)


# --- main ------------------------------------------------------------------------------------


def run(params: Params) -> Report:
    load_average = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="stripe-path-bench-") as directory,
        running_stack(Path(directory), params.settings) as stack,
    ):
        ids = open_checkouts(stack)
        client_run("warm-up", "grpc", stack, length=("--seconds", "1"))
        floor = baselines(stack, params.seconds)
        service = service_runs(stack, ids[0], params.seconds)
        latency = latency_run(stack, params.latency_seconds)
        memory = memory_run(stack, params.rss_calls)
        per_rpc = count_requests_per_rpc(stack.grpc_target, stack.emulator_url, API_KEY)
    report = Report(
        params.settings,
        stack.stripe_pool_size,
        (load_average, os.getloadavg()),
        floor,
        service,
        latency,
        memory,
        per_rpc,
        in_flight=IN_FLIGHT,
        latency_in_flight=LATENCY_IN_FLIGHT,
        latency_ms=INJECTED_LATENCY_MS,
    )
    report.verdicts.extend(judge(report))
    return report


def parse_args(argv: Sequence[str] | None) -> tuple[Params, bool]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per loaded run")
    parser.add_argument("--latency-seconds", type=float, default=8.0)
    parser.add_argument(
        "--rss-calls",
        type=int,
        default=100_000,
        help="calls of the memory run, all made however long they take (fewer: a quick run)",
    )
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    settings = dict(SERVICE_SETTINGS)
    for setting in args.setting:
        name, equals, value = setting.partition("=")
        if not equals:
            parser.error(f"--setting {setting}: NAME=VALUE")
        settings[name] = value
    if args.rss_calls < 1:
        parser.error("--rss-calls: 1 at least")
    params = Params(args.seconds, args.latency_seconds, args.rss_calls, settings)
    return params, args.no_doc


def main(argv: Sequence[str] | None = None) -> int:
    params, no_doc = parse_args(argv)
    require_tools("wrk")
    require_grpc_load()
    try:
        report = run(params)
    except (BenchError, LoadFailed, StartError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(summary(report))
    if not no_doc:
        rewrite_section(SECTION, section(report, SECTION))
        print(f"updated {DOC.relative_to(REPO)}")
    return 0 if all(verdict.passed for verdict in report.verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
