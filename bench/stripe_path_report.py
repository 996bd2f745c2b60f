"""The results of bench/stripe_path_benchmarks.py: what was measured, judged against the issue's
targets, and the section of docs/benchmarks.md that shows them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
from benchlib import GRPC_LOAD, REPO, WrkResult, machine, tool_version
from load_clients import Outcome
from service_benchmarks import Verdict, verdict_rows
from stripe_requests_per_rpc import RpcRequests, rpc_rows

MIN_GRPC_TO_PLAIN_CLIENT = 0.7
MIN_HTTP_TO_GRPC = 0.7
MIN_LATENCY_THROUGHPUT = 0.9  # of min(Little's-law ideal, the service's own at 64 in flight)
MAX_P99_TO_LITTLE = 1.5  # of in flight / that same throughput: the Little's-law latency
MAX_RSS_GROWTH = 1.2


@dataclass(frozen=True)
class Run:
    name: str
    command: str
    calls: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    service_cpu_ms: float | None  # per call; None: the service took no part
    emulator_cpu_ms: float
    load_cpu_ms: float | None  # the load process's; None: wrk (C, not measured)

    @classmethod
    def of_outcome(
        cls,
        name: str,
        command: str,
        outcome: Outcome,
        service_cpu_s: float | None,
        emulator_cpu_s: float,
    ) -> Run:
        per_call = 1000 / max(1, outcome.calls)
        return cls(
            name,
            command,
            outcome.calls,
            outcome.per_second,
            outcome.p50_ms,
            outcome.p99_ms,
            outcome.errors,
            None if service_cpu_s is None else service_cpu_s * per_call,
            emulator_cpu_s * per_call,
            outcome.cpu_seconds * per_call,
        )

    @classmethod
    def of_wrk(
        cls, name: str, result: WrkResult, service_cpu_s: float | None, emulator_cpu_s: float
    ) -> Run:
        per_call = 1000 / max(1, result.requests)
        return cls(
            name,
            result.command,
            result.requests,
            result.requests_per_second,
            result.p50_ms,
            result.p99_ms,
            result.non_2xx + result.socket_errors,
            None if service_cpu_s is None else service_cpu_s * per_call,
            emulator_cpu_s * per_call,
            None,
        )


@dataclass(frozen=True)
class Memory:
    rss_before_kib: int
    rss_after_kib: int
    run: Run

    @property
    def growth(self) -> float:
        return self.rss_after_kib / self.rss_before_kib


LoadAverage = tuple[float, float, float]  # 1/5/15 min


@dataclass
class Report:
    settings: Mapping[str, str]
    stripe_pool_size: int  # connections, as the service makes it of `settings`
    load_average: tuple[LoadAverage, LoadAverage]  # at the start, at the end
    floor: list[Run]  # (a) aiohttp, (b) the SDK, (c) the bare emulator, (d) the minimal gateway
    service: list[Run]  # gRPC, HTTP/JSON
    latency: Run
    memory: Memory
    per_rpc: list[RpcRequests]
    verdicts: list[Verdict] = field(default_factory=list)
    in_flight: int = 64
    latency_in_flight: int = 256
    latency_ms: int = 250

    @property
    def little_ideal(self) -> float:
        """Calls/s with `latency_in_flight` in flight, each taking the injected latency alone."""
        return self.latency_in_flight / (self.latency_ms / 1000)

    @property
    def latency_expected(self) -> float:
        """The calls/s the latency run is judged against: min(Little's-law ideal, the service's
        own throughput at `in_flight` without latency, its CPU limit)."""
        return min(self.little_ideal, self.service[0].per_second)

    @property
    def little_latency_ms(self) -> float:
        """The Little's-law latency of the latency run: `latency_in_flight` calls in flight at
        the expected throughput each take this long (250 ms when the CPU is no limit)."""
        return self.latency_in_flight / self.latency_expected * 1000


# --- verdicts --------------------------------------------------------------------------------


def judge(report: Report) -> list[Verdict]:
    plain, grpc_run, http_run = report.floor[0], report.service[0], report.service[1]
    return [
        ratio_verdict(
            f"gRPC GetPaymentStatus / (a) plain aiohttp client, calls/s at {report.in_flight}",
            grpc_run.per_second,
            plain.per_second,
            MIN_GRPC_TO_PLAIN_CLIENT,
        ),
        ratio_verdict(
            "HTTP/JSON door / gRPC, calls/s",
            http_run.per_second,
            grpc_run.per_second,
            MIN_HTTP_TO_GRPC,
        ),
        *latency_verdicts(report),
        Verdict(
            f"service RSS after {report.memory.run.calls:,} more calls / after warm-up",
            f"{report.memory.growth:.3f} ({report.memory.rss_after_kib / 1024:.1f} / "
            f"{report.memory.rss_before_kib / 1024:.1f} MiB)",
            f"<= {MAX_RSS_GROWTH}",
            report.memory.growth <= MAX_RSS_GROWTH,
        ),
        *request_verdicts(report.per_rpc),
    ]


def ratio_verdict(name: str, measured: float, base: float, at_least: float) -> Verdict:
    ratio = measured / base
    return Verdict(
        name, f"{ratio:.3f} ({measured:,.0f} / {base:,.0f})", f">= {at_least}", ratio >= at_least
    )


def latency_verdicts(report: Report) -> list[Verdict]:
    run, own = report.latency, report.service[0].per_second
    little_ms = report.little_latency_ms
    return [
        ratio_verdict(
            f"{report.latency_ms} ms Stripe latency, {report.latency_in_flight} in flight: calls/s"
            f" / min(Little's law {report.little_ideal:,.0f}, own at {report.in_flight} "
            f"{own:,.0f})",
            run.per_second,
            report.latency_expected,
            MIN_LATENCY_THROUGHPUT,
        ),
        Verdict(
            f"the same run: p99 / Little's-law latency ({report.latency_in_flight} / that min)",
            f"{run.p99_ms / little_ms:.2f} ({run.p99_ms:,.0f} / {little_ms:,.0f} ms)",
            f"<= {MAX_P99_TO_LITTLE}",
            run.p99_ms <= MAX_P99_TO_LITTLE * little_ms,
        ),
        Verdict("the same run: errors", str(run.errors), "0", run.errors == 0),
    ]


def request_verdicts(per_rpc: Sequence[RpcRequests]) -> list[Verdict]:
    checkout = [row for row in per_rpc if row.rpc.startswith("CreateCheckout")]
    others = [row for row in per_rpc if not row.rpc.startswith("CreateCheckout")]
    over = [f"{row.rpc}: {row.requests}" for row in others if not row.passed]
    return [
        *(
            Verdict(
                f"Stripe requests of {row.rpc}", str(row.requests), f"<= {row.target}", row.passed
            )
            for row in checkout
        ),
        Verdict(
            "Stripe requests of every other RPC (table below)",
            "; ".join(over) or "all at target",
            "each at its target",
            not over,
        ),
    ]


# --- the doc ---------------------------------------------------------------------------------


def run_rows(runs: Sequence[Run]) -> list[str]:
    rows = [
        "| run | load | calls | calls/s | p50 ms | p99 ms | CPU ms/call: service "
        "| emulator | load process |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        rows.append(
            f"| {run.name} | `{run.command}` | {run.calls:,} | {run.per_second:,.0f} "
            f"| {run.p50_ms:.1f} | {run.p99_ms:.1f} | {optional(run.service_cpu_ms)} "
            f"| {run.emulator_cpu_ms:.2f} | {optional(run.load_cpu_ms)} |"
        )
    return rows


def optional(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def gap_rows(report: Report) -> list[str]:
    """The issue's ratio, service / (a), split at (d): what grpc.aio alone costs, and what the
    service's own machinery costs on top of it. Measured, no target."""
    plain, gateway, grpc_run = report.floor[0], report.floor[3], report.service[0]

    def row(name: str, measured: Run, base: Run, what: str) -> str:
        ratio = measured.per_second / base.per_second
        rates = f"{measured.per_second:,.0f} / {base.per_second:,.0f}"
        return f"| {name} | {ratio:.3f} ({rates}) | {what} |"

    return [
        "| ratio of calls/s at 64 in flight (no target) | measured | what it shows |",
        "| --- | --- | --- |",
        row(
            "service gRPC / (a) plain aiohttp client",
            grpc_run,
            plain,
            "the issue's ratio (target >= 0.7, judged above)",
        ),
        row(
            "(d) minimal grpc.aio gateway / (a)",
            gateway,
            plain,
            "what grpc.aio alone costs: the best a grpc.aio gateway reaches",
        ),
        row(
            "service gRPC / (d) minimal grpc.aio gateway",
            grpc_run,
            gateway,
            "what the service's own machinery costs: gate, validation, SDK, ledger, logs, metrics",
        ),
        f"| CPU ms per call: service / (d) | {optional(grpc_run.service_cpu_ms)} / "
        f"{optional(gateway.service_cpu_ms)} | the same split, in the server process's CPU |",
        f"| CPU ms per call of every process (server, emulator, load): service / (d) / (a) "
        f"| {all_cpu_ms(grpc_run):.2f} / {all_cpu_ms(gateway):.2f} / {all_cpu_ms(plain):.2f} "
        f"| the cores are shared: {os.cpu_count()} x 1,000 / this bounds the calls/s of each |",
    ]


def all_cpu_ms(run: Run) -> float:
    """CPU per call of the server (if any), the emulator and the load process together."""
    return sum(ms for ms in (run.service_cpu_ms, run.emulator_cpu_ms, run.load_cpu_ms) if ms)


def other_ratios(report: Report) -> list[str]:
    (plain, sdk, bare, _), grpc_run = report.floor, report.service[0]
    latency = report.latency
    return [
        "Other ratios of this run (no target): gRPC / (b) the SDK's loop "
        f"{grpc_run.per_second / sdk.per_second:.2f}; gRPC / (c) the bare emulator "
        f"{grpc_run.per_second / bare.per_second:.2f}; (a) / (c) "
        f"{plain.per_second / bare.per_second:.2f} (how close the plain client gets to the "
        "emulator's own limit); (b) / (a) "
        f"{sdk.per_second / plain.per_second:.2f} (what the SDK's request stack costs); the "
        f"latency run's p99 / ({report.latency_in_flight} / its own calls/s) "
        f"{latency.p99_ms * latency.per_second / report.latency_in_flight / 1000:.2f} (its "
        "tail against its own mean latency).",
    ]


def setup_lines(report: Report) -> list[str]:
    settings = ", ".join(f"`{name}={value}`" for name, value in report.settings.items())
    start, end = ("/".join(f"{x:.2f}" for x in average) for average in report.load_average)
    return [
        "Written by `bench/stripe_path_benchmarks.py` (`make bench` runs it; rerun to refresh). "
        f"{datetime.now(UTC):%B %Y}.",
        "",
        f"- Machine: {machine()}. **The emulator, the service and the load share these "
        f"{os.cpu_count()} cores**, with whatever else runs: load average (1/5/15 min) {start} "
        f"at the start, {end} at the end (the run's own processes included). Every target is a "
        "ratio of two numbers of this one run; on a shared machine a ratio still moves by "
        "~10-20 % between runs.",
        f"- Tools: {tool_version('wrk')} (the HTTP runs); grpcio {grpc.__version__} (the "
        "service and (d)); the load processes (their own CPU is in the last column) are "
        "`bench/load_clients.py` (Python, asyncio) for (a) and (b), and for every gRPC run "
        f"`bench/grpc_load/main.go` (Go; {tool_version(str(GRPC_LOAD))}; one HTTP/2 "
        f"connection; built into `{GRPC_LOAD.relative_to(REPO)}`).",
        "- Processes: one `python -m stripe_emulator`, one `python -m service` (both doors on "
        "loopback, ledger a SQLite file, default logging to a file) serving every run with the "
        f"same settings, {settings}: configured for the heaviest load it is judged at, the "
        f"latency run ({report.latency_in_flight} / {report.latency_ms / 1000:g} s = "
        f"{report.little_ideal:,.0f} Stripe requests/s), so its Stripe pool is "
        f"{report.stripe_pool_size} connections (Little's law x 2); the runs at "
        f"{report.in_flight} in flight need {report.in_flight} at most, so the pool's size does "
        "not change them. (d) is `bench/minimal_grpc_gateway.py`, a process of its own started "
        "for its run alone.",
        "- The call: `GetPaymentStatus` of an OPEN Checkout Session, which the service answers "
        "with one read of the ledger and one Stripe read, `GET /v1/checkout/sessions/{id}` (no "
        "expand), the same GET the baselines make. 512 open checkouts; each caller asks about "
        "its own ids in turn, so no two calls in flight share an id (the service lets "
        "concurrent calls for one id share one Stripe read).",
    ]


def section(report: Report, title: str) -> str:
    memory = report.memory
    lines = [title, "", *setup_lines(report), ""]
    lines += run_rows([*report.floor, *report.service, report.latency, memory.run])
    lines += ["", *verdict_rows(report.verdicts), "", *gap_rows(report), ""]
    lines += [*GAP_TEXT, "", *other_ratios(report), ""]
    lines += [
        "Stripe requests per RPC (one call of each on a quiet service, counted by the "
        "emulator's `/_emulator/stats`):",
        "",
        *rpc_rows(report.per_rpc),
        "",
    ]
    lines += [*CHECKS_TEXT, "", *TARGETS_TEXT, ""]
    return "\n".join(lines)


def summary(report: Report) -> str:
    runs = [*report.floor, *report.service, report.latency, report.memory.run]
    lines = [*run_rows(runs), "", *verdict_rows(report.verdicts), "", *gap_rows(report)]
    lines += ["", *rpc_rows(report.per_rpc)]
    return "\n".join(lines)


CHECKS_TEXT = [
    "Checks (the run fails on any miss): every answer of the load processes is checked (HTTP "
    "200 or gRPC OK, status open) and none failed (the latency run's errors are judged "
    "instead); the emulator's count of `GET /v1/checkout/sessions/{session}` grew by exactly "
    "the calls made (wrk: by its count plus at most the 64 requests in flight when it stopped); "
    "wrk saw no non-2xx and no socket errors; the HTTP door answers the expected status "
    "before and after its run.",
]
TARGETS_TEXT = [
    "The targets are the issue's. (a) is the floor a Python gateway cannot beat: one async "
    "client process doing the GET and a JSON decode, nothing else. The latency run's throughput "
    "is judged against the smaller of Little's law (256 in flight / 0.25 s = 1,024 calls/s: "
    "every call waits for Stripe and nothing else) and what the service reaches at 64 in "
    "flight without latency (its CPU limit); its p99 against the Little's-law latency at that "
    "same throughput, 256 / that smaller one (250 ms when the CPU is no limit): a service that "
    "reaches the throughput it is judged at has a mean latency near it, and its p99 stays "
    "within 1.5x of it unless a queue serves some callers late. (Against 256 / the throughput "
    "the run reached instead, the p99 target would loosen as the service slows down; that "
    "ratio, the tail against the run's own mean, is among the other ratios.) RSS: after the "
    "runs above (the warm-up), then after the memory run's calls, all of them made however "
    "long they take (`--rss-calls`, 100,000 unless told); flat means no per-call leak.",
    "",
    "(b) is the SDK as it comes: `StripeClient` with its default async client, httpx on one "
    "shared httpcore pool. With 64 callers it costs ~3 ms of CPU a call in the client, with a "
    "p99 near a second, as the service's HTTP door did on that pool before the adapter got its "
    'own (see "Service: what changed the numbers", `stripe_adapter/transport.py`).',
]
GAP_TEXT = [
    "(d) is `bench/minimal_grpc_gateway.py`: a grpc.aio server with one generic handler, "
    "`payments.v1.PaymentService/GetPaymentStatus` on the contract's generated messages, that "
    "makes (a)'s aiohttp GET and JSON decode and answers the session's status mapped by a "
    "dict; no API-key gate, validation, Stripe SDK, ledger, logs or metrics. The same Go load "
    "process (`bench/grpc_load`) drives it as drives the service. The issue's ratio, service / "
    "(a), is the product of the two ratios under it: (d) / (a) is what serving over grpc.aio "
    "costs by itself (on these shared cores, with the CPU the load processes take: last "
    "column), a bound no grpc.aio gateway in one process gets past however "
    "little it does; service / (d) is what the service's own machinery costs on top, the part "
    "its own code can win back. The 0.7 x (a) target is judged as the issue states it; while "
    "(d) / (a) is below 0.7, no grpc.aio gateway in one process meets it, this service "
    "included.",
]
