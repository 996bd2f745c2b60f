"""Service benchmarks: gRPC overhead over the bare emulator, HTTP/JSON vs gRPC, memory growth.

    .venv/bin/python bench/service_benchmarks.py [--duration 6] [--mixed-calls 20000] [--no-doc]

Starts ``python -m stripe_emulator`` and ``python -m service`` (gRPC and HTTP/JSON listeners on
127.0.0.1:0) as child processes, then in one run:

1. GetProduct through the service under h2load (gRPC over h2c) vs the Stripe call it wraps,
   GET /v1/products/{id}, on the bare emulator under wrk: throughput ratio, latency at the same
   concurrency, and latency of single calls one at a time (what the service adds). GetProduct is
   the RPC that is one Stripe read and nothing more: GetPaymentStatus answers a final payment
   from the ledger, and concurrent calls for one id share a read (bench/status_benchmarks.py).
2. The same read on the HTTP/JSON door, GET /v1/products/{id}, under wrk: ratio HTTP/gRPC.
3. The service's RSS after a warm-up vs after N more mixed calls (CreateCustomer with
   request_ids, some retried; GetPaymentStatus of a paid checkout, from the ledger): growth
   ratio.

Every run is checked: h2load's succeeded = 2xx = requests, the DATA bytes equal requests x the
framed response (a non-OK grpc-status is a trailers-only response with no DATA), the emulator
served exactly as many product reads, and a real client call before and after returns the
expected answer. Rewrites its sections of docs/benchmarks.md; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import struct
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from benchlib import (
    DOC,
    EMULATOR_STRIPE_KEY,
    REPO,
    H2loadResult,
    WrkResult,
    cpu_seconds,
    emulator_requests,
    http_json,
    machine,
    require_tools,
    rewrite_section,
    run_h2load,
    run_wrk,
    running_emulator,
    tool_version,
)
from google.protobuf.message import Message
from payment_stack import API_KEY, start_service

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError
from tools.stack import pay_in_emulator

GRPC_METHOD = "/payments.v1.PaymentService/GetProduct"
PRODUCT_ROUTE = "GET /v1/products/{id}"
# The adapter's read: the product with its default price expanded.
PRODUCT_QUERY = "?expand%5B%5D=default_price"
GRPC_HEADERS = {"content-type": "application/grpc", "te": "trailers", "x-api-key": API_KEY}
CALL_TIMEOUT = 10.0

THROUGHPUT_SECTION = "## Service: gRPC overhead and the HTTP/JSON door"
MEMORY_SECTION = "## Service: memory under load"

# Targets; why each is what it is: see `targets_text`.
MIN_SERVICE_TO_EMULATOR = 0.05
MAX_ADDED_LATENCY_MS = 5.0
MIN_HTTP_TO_GRPC = 0.7
MAX_HTTP_P99_TO_GRPC = 2.0
MAX_RSS_GROWTH = 1.2


class BenchError(RuntimeError):
    """A benchmark measured something other than successful calls."""


@dataclass(frozen=True)
class Params:
    duration_s: int
    connections: int
    h2_clients: int
    h2_streams: int
    serial_calls: int
    warmup_calls: int
    mixed_calls: int
    mixed_concurrency: int


@dataclass(frozen=True)
class Stack:
    emulator_url: str
    grpc_target: str
    http_url: str
    service_pid: int
    tmp: Path


@dataclass(frozen=True)
class Fixture:
    product_id: str
    expected: payments_pb2.GetProductResponse
    session_id: str
    """A paid checkout, SUCCEEDED in the ledger."""
    expected_status: payments_pb2.GetPaymentStatusResponse


@dataclass(frozen=True)
class Throughput:
    grpc: H2loadResult
    emulator: WrkResult
    grpc_serial: H2loadResult
    emulator_serial: WrkResult
    http: WrkResult
    grpc_cpu_ms: float  # service CPU (user + system) per GetProduct, under the loaded run
    http_cpu_ms: float  # the same over the HTTP/JSON door


@dataclass(frozen=True)
class Memory:
    warmup_calls: int
    calls: int
    creates: int
    replays: int
    rss_before_kib: int
    rss_after_kib: int
    hwm_after_kib: int
    seconds: float


@dataclass
class Verdict:
    name: str
    measured: str
    target: str
    passed: bool


@dataclass
class Report:
    params: Params
    throughput: Throughput
    memory: Memory
    verdicts: list[Verdict] = field(default_factory=list)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # 1/5/15 min, at the start


# --- processes -------------------------------------------------------------------------------


def service_env(emulator_url: str, data_dir: Path) -> dict[str, str]:
    """A service over the emulator, both doors on loopback port 0."""
    return {
        "PAYMENTS_API_KEYS": API_KEY,
        "STRIPE_SECRET_KEY": EMULATOR_STRIPE_KEY,
        "STRIPE_API_BASE": emulator_url,
        "PAYMENTS_LISTEN_ADDR": "127.0.0.1:0",
        "PAYMENTS_HTTP_ADDR": "127.0.0.1:0",
        "PAYMENTS_DATA_DIR": str(data_dir),
    }


@contextmanager
def running_stack(tmp: Path) -> Iterator[Stack]:
    with running_emulator(tmp / "emulator.log") as emulator_url:
        env = service_env(emulator_url, tmp / "data")
        with start_service(env, tmp / "service.log") as (grpc_target, http_address, pid):
            yield Stack(emulator_url, grpc_target, f"http://{http_address}", pid, tmp)


@contextmanager
def cpu_per_read(stack: Stack) -> Iterator[list[float]]:
    """Yields a list that holds, after the block, the service's CPU ms per product read the
    emulator served during it (every call of the block reads the product once)."""
    out: list[float] = []
    cpu_before = cpu_seconds(stack.service_pid)
    reads_before = emulator_requests(stack.emulator_url, PRODUCT_ROUTE)
    yield out
    reads = emulator_requests(stack.emulator_url, PRODUCT_ROUTE) - reads_before
    out.append((cpu_seconds(stack.service_pid) - cpu_before) * 1000 / max(1, reads))


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


# --- the object read under load --------------------------------------------------------------


def create_fixture(stack: Stack) -> Fixture:
    """A customer, a product, a Checkout Session for them, paid in the emulator (and its status
    read, so the ledger holds it SUCCEEDED)."""
    with grpc.insecure_channel(stack.grpc_target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        meta = (("x-api-key", API_KEY),)
        customer = stub.CreateCustomer(
            payments_pb2.CreateCustomerRequest(
                email="bench@example.com", name="Bench", request_id=str(uuid.uuid4())
            ),
            metadata=meta,
            timeout=CALL_TIMEOUT,
        ).customer
        product = stub.CreateProduct(
            payments_pb2.CreateProductRequest(
                name="Bench product",
                unit_amount=1234,
                currency="usd",
                external_product_id=f"bench-{uuid.uuid4().hex[:12]}",
                request_id=str(uuid.uuid4()),
            ),
            metadata=meta,
            timeout=CALL_TIMEOUT,
        ).product
        session_id = stub.CreateCheckout(
            payments_pb2.CreateCheckoutRequest(
                product_id=product.id,
                customer_id=customer.id,
                quantity=1,
                request_id=str(uuid.uuid4()),
            ),
            metadata=meta,
            timeout=CALL_TIMEOUT,
        ).checkout_session_id
        pay_in_emulator(stack.emulator_url, session_id, timeout=CALL_TIMEOUT)
        get_status(stub, session_id)  # read from Stripe, and recorded: then from the ledger
        status = get_status(stub, session_id)
        expected = get_product(stub, product.id)
    if status.status != payments_pb2.PAYMENT_STATUS_SUCCEEDED:
        raise BenchError(f"the paid session reads as {status}")
    return Fixture(product.id, expected, session_id, status)


def get_product(
    stub: payments_pb2_grpc.PaymentServiceStub, product_id: str
) -> payments_pb2.GetProductResponse:
    response: payments_pb2.GetProductResponse = stub.GetProduct(
        payments_pb2.GetProductRequest(product_id=product_id),
        metadata=(("x-api-key", API_KEY),),
        timeout=CALL_TIMEOUT,
    )
    return response


def get_status(
    stub: payments_pb2_grpc.PaymentServiceStub, session_id: str
) -> payments_pb2.GetPaymentStatusResponse:
    response: payments_pb2.GetPaymentStatusResponse = stub.GetPaymentStatus(
        payments_pb2.GetPaymentStatusRequest(id=session_id),
        metadata=(("x-api-key", API_KEY),),
        timeout=CALL_TIMEOUT,
    )
    return response


def check_grpc_answer(stack: Stack, fixture: Fixture) -> None:
    """A real client call: grpc-status OK and the expected message."""
    with grpc.insecure_channel(stack.grpc_target) as channel:
        answer = get_product(payments_pb2_grpc.PaymentServiceStub(channel), fixture.product_id)
    if answer != fixture.expected:
        raise BenchError(f"GetProduct answered {answer}, expected {fixture.expected}")


def check_http_answer(http_url: str, fixture: Fixture) -> None:
    body = http_json(f"{http_url}/v1/products/{fixture.product_id}", headers={"x-api-key": API_KEY})
    product = body.get("product") if isinstance(body, dict) else None
    if not isinstance(product, dict) or product.get("id") != fixture.product_id:
        raise BenchError(f"GET /v1/products/{{id}} answered {body!r}")
    if product.get("priceId") != fixture.expected.product.price_id:
        raise BenchError(f"GET /v1/products/{{id}} answered price {product.get('priceId')!r}")


def grpc_frame(message: Message) -> bytes:
    """The length-prefixed message of a gRPC body: not compressed (0), length, bytes."""
    payload = message.SerializeToString()
    return struct.pack(">BI", 0, len(payload)) + payload


# --- 1 and 2: throughput ---------------------------------------------------------------------


def h2load_grpc(
    stack: Stack, fixture: Fixture, *, requests: int, clients: int, streams: int, name: str
) -> H2loadResult:
    """h2load on GetProduct, checked against the emulator's count and the response bytes."""
    data = stack.tmp / "get_product.bin"
    data.write_bytes(grpc_frame(payments_pb2.GetProductRequest(product_id=fixture.product_id)))
    check_grpc_answer(stack, fixture)
    before = emulator_requests(stack.emulator_url, PRODUCT_ROUTE)
    result = run_h2load(
        f"http://{stack.grpc_target}/{GRPC_METHOD.lstrip('/')}",
        requests=requests,
        clients=clients,
        streams=streams,
        data=data,
        headers=GRPC_HEADERS,
        log_file=stack.tmp / f"h2load-{name}.log",
    )
    served = emulator_requests(stack.emulator_url, PRODUCT_ROUTE) - before
    check_grpc_answer(stack, fixture)
    response_bytes = len(fixture.expected.SerializeToString()) + 5
    expect(result.succeeded == result.status_2xx == requests, f"h2load {name}: {result.output}")
    expect(result.failed == 0, f"h2load {name}: failed requests\n{result.output}")
    expect(
        result.data_bytes == requests * response_bytes,
        f"h2load {name}: {result.data_bytes} DATA bytes, expected {requests} x {response_bytes}"
        " (some calls ended without a message: grpc-status != 0)",
    )
    expect(served == requests, f"h2load {name}: emulator served {served} of {requests} reads")
    return result


def wrk_checked(
    stack: Stack, url: str, headers: dict[str, str], *, duration: str, connections: int
) -> WrkResult:
    """wrk on a GET, checked: no errors, and every request read the product from the emulator
    (up to `connections` more: wrk does not count the calls in flight when it stops)."""
    before = emulator_requests(stack.emulator_url, PRODUCT_ROUTE)
    threads = min(2, connections)
    result = run_wrk(
        url, duration=duration, connections=connections, threads=threads, headers=headers
    )
    served = emulator_requests(stack.emulator_url, PRODUCT_ROUTE) - before
    expect(result.non_2xx == 0, f"wrk {url}: {result.non_2xx} non-2xx\n{result.output}")
    expect(result.socket_errors == 0, f"wrk {url}: socket errors\n{result.output}")
    expect(
        result.requests <= served <= result.requests + connections,
        f"wrk {url}: {result.requests} requests but the emulator served {served} reads",
    )
    return result


def measure_throughput(stack: Stack, fixture: Fixture, params: Params) -> Throughput:
    emulator_url = f"{stack.emulator_url}/v1/products/{fixture.product_id}{PRODUCT_QUERY}"
    stripe_auth = {"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"}
    loaded = {"clients": params.h2_clients, "streams": params.h2_streams}
    # Calibration (and warm-up of the h2c connections): size the measured run to ~duration.
    probe = h2load_grpc(stack, fixture, requests=500, name="calibration", **loaded)
    requests = max(1000, round(probe.requests_per_second * params.duration_s, -2))
    with cpu_per_read(stack) as grpc_cpu:
        grpc_run = h2load_grpc(stack, fixture, requests=int(requests), name="loaded", **loaded)
    emulator_run = wrk_checked(
        stack,
        emulator_url,
        stripe_auth,
        duration=f"{params.duration_s}s",
        connections=params.connections,
    )
    grpc_serial = h2load_grpc(
        stack, fixture, requests=params.serial_calls, clients=1, streams=1, name="serial"
    )
    emulator_serial = wrk_checked(stack, emulator_url, stripe_auth, duration="2s", connections=1)
    with cpu_per_read(stack) as http_cpu:
        http_run = measure_http(stack, fixture, params)
    return Throughput(
        grpc_run,
        emulator_run,
        grpc_serial,
        emulator_serial,
        http_run,
        grpc_cpu_ms=grpc_cpu[0],
        http_cpu_ms=http_cpu[0],
    )


def measure_http(stack: Stack, fixture: Fixture, params: Params) -> WrkResult:
    url = f"{stack.http_url}/v1/products/{fixture.product_id}"
    check_http_answer(stack.http_url, fixture)
    result = wrk_checked(
        stack,
        url,
        {"x-api-key": API_KEY},
        duration=f"{params.duration_s}s",
        connections=params.connections,
    )
    check_http_answer(stack.http_url, fixture)
    return result


# --- 3: memory -------------------------------------------------------------------------------


@dataclass
class MixedCounts:
    calls: int = 0
    creates: int = 0
    replays: int = 0
    errors: list[str] = field(default_factory=list)


async def mixed_calls(target: str, fixture: Fixture, calls: int, concurrency: int) -> MixedCounts:
    """`calls` calls, `concurrency` at a time: 1 in 10 CreateCustomer with a new request_id,
    1 in 10 a retry of a worker's last CreateCustomer (must return the same customer), the
    rest GetPaymentStatus (must return the expected answer)."""
    counts = MixedCounts()
    async with grpc.aio.insecure_channel(target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        workers = [
            mixed_worker(stub, fixture, range(w, calls, concurrency), counts)
            for w in range(concurrency)
        ]
        await asyncio.gather(*workers)
    return counts


async def mixed_worker(
    stub: payments_pb2_grpc.PaymentServiceAsyncStub,
    fixture: Fixture,
    indexes: range,
    counts: MixedCounts,
) -> None:
    meta = (("x-api-key", API_KEY),)
    last: tuple[payments_pb2.CreateCustomerRequest, str] | None = None
    for index in indexes:
        try:
            if index % 10 == 0 or (index % 10 == 5 and last is None):
                request = payments_pb2.CreateCustomerRequest(
                    email=f"mixed.{index}@example.com",
                    name="Mixed Load",
                    request_id=str(uuid.uuid4()),
                )
                created = await stub.CreateCustomer(request, metadata=meta, timeout=CALL_TIMEOUT)
                last = (request, created.customer.id)
                counts.creates += 1
            elif index % 10 == 5 and last is not None:
                again = await stub.CreateCustomer(last[0], metadata=meta, timeout=CALL_TIMEOUT)
                if again.customer.id != last[1]:
                    counts.errors.append(f"replay gave {again.customer.id}, not {last[1]}")
                counts.replays += 1
            else:
                answer = await stub.GetPaymentStatus(
                    payments_pb2.GetPaymentStatusRequest(id=fixture.session_id),
                    metadata=meta,
                    timeout=CALL_TIMEOUT,
                )
                if answer != fixture.expected_status:
                    counts.errors.append(f"GetPaymentStatus gave {answer}")
        except grpc.aio.AioRpcError as error:
            counts.errors.append(f"{error.code().name}: {error.details()}")
        counts.calls += 1


def run_mixed(stack: Stack, fixture: Fixture, calls: int, concurrency: int) -> MixedCounts:
    counts = asyncio.run(mixed_calls(stack.grpc_target, fixture, calls, concurrency))
    expect(counts.calls == calls, f"mixed load made {counts.calls} of {calls} calls")
    expect(
        not counts.errors, f"mixed load: {len(counts.errors)} errors, first: {counts.errors[:3]}"
    )
    return counts


def measure_memory(stack: Stack, fixture: Fixture, params: Params) -> Memory:
    run_mixed(stack, fixture, params.warmup_calls, params.mixed_concurrency)
    rss_before, _ = rss_kib(stack.service_pid)
    started = time.monotonic()
    counts = run_mixed(stack, fixture, params.mixed_calls, params.mixed_concurrency)
    seconds = time.monotonic() - started
    rss_after, hwm_after = rss_kib(stack.service_pid)
    return Memory(
        warmup_calls=params.warmup_calls,
        calls=counts.calls,
        creates=counts.creates,
        replays=counts.replays,
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
        hwm_after_kib=hwm_after,
        seconds=seconds,
    )


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


# --- verdicts and the doc --------------------------------------------------------------------


def judge(throughput: Throughput, memory: Memory) -> list[Verdict]:
    grpc_run, emulator_run = throughput.grpc, throughput.emulator
    ratio = grpc_run.requests_per_second / emulator_run.requests_per_second
    added = throughput.grpc_serial.p50_ms - throughput.emulator_serial.p50_ms
    growth = memory.rss_after_kib / memory.rss_before_kib
    return [
        Verdict(
            "gRPC service / bare emulator, req/s",
            f"{ratio:.3f} ({grpc_run.requests_per_second:,.0f} / "
            f"{emulator_run.requests_per_second:,.0f})",
            f">= {MIN_SERVICE_TO_EMULATOR}",
            ratio >= MIN_SERVICE_TO_EMULATOR,
        ),
        Verdict(
            "latency the service adds to one call (p50, one at a time)",
            f"{added:.2f} ms ({throughput.grpc_serial.p50_ms:.2f} - "
            f"{throughput.emulator_serial.p50_ms:.2f})",
            f"<= {MAX_ADDED_LATENCY_MS:.0f} ms",
            added <= MAX_ADDED_LATENCY_MS,
        ),
        *http_verdicts(throughput),
        Verdict(
            f"service RSS after {memory.calls:,} more mixed calls / after warm-up",
            f"{growth:.3f} ({memory.rss_after_kib / 1024:.1f} / "
            f"{memory.rss_before_kib / 1024:.1f} MiB)",
            f"< {MAX_RSS_GROWTH}",
            growth < MAX_RSS_GROWTH,
        ),
    ]


def http_verdicts(throughput: Throughput) -> list[Verdict]:
    names = ("HTTP/JSON door / gRPC, req/s", "HTTP/JSON door p99 / gRPC p99, under load")
    targets = (f">= {MIN_HTTP_TO_GRPC}", f"<= {MAX_HTTP_P99_TO_GRPC}")
    http, grpc_run = throughput.http, throughput.grpc
    ratio = http.requests_per_second / grpc_run.requests_per_second
    tail = http.p99_ms / grpc_run.p99_ms
    return [
        Verdict(
            names[0],
            f"{ratio:.3f} ({http.requests_per_second:,.0f} / {grpc_run.requests_per_second:,.0f})",
            targets[0],
            ratio >= MIN_HTTP_TO_GRPC,
        ),
        Verdict(
            names[1],
            f"{tail:.2f} ({http.p99_ms:,.0f} / {grpc_run.p99_ms:,.0f} ms)",
            targets[1],
            tail <= MAX_HTTP_P99_TO_GRPC,
        ),
    ]


def verdict_rows(verdicts: Sequence[Verdict]) -> list[str]:
    rows = ["| measure | measured | target | result |", "| --- | --- | --- | --- |"]
    for verdict in verdicts:
        result = "PASS" if verdict.passed else "**FAIL**"
        rows.append(f"| {verdict.name} | {verdict.measured} | {verdict.target} | {result} |")
    return rows


def run_rows(throughput: Throughput) -> list[str]:
    rows = [
        "| run | command | requests | req/s | p50 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    runs: list[tuple[str, H2loadResult | WrkResult]] = [
        ("gRPC `GetProduct` via the service", throughput.grpc),
        ("bare emulator `GET /v1/products/{id}`", throughput.emulator),
        ("HTTP/JSON `GET /v1/products/{id}` via the service", throughput.http),
        ("gRPC, one call at a time", throughput.grpc_serial),
        ("bare emulator, one call at a time", throughput.emulator_serial),
    ]
    for name, run in runs:
        rows.append(
            f"| {name} | `{run.command}` | {run.requests:,} | {run.requests_per_second:,.0f} "
            f"| {run.p50_ms:.2f} | {run.p99_ms:.2f} |"
        )
    return rows


def setup_lines(report: Report) -> list[str]:
    params = report.params
    return [
        "Written by `bench/service_benchmarks.py` (`make bench` runs it; rerun to refresh).",
        "",
        f"- Machine: {machine()}. **The emulator, the service and the load generator share "
        f"these {os.cpu_count()} cores**, so every number is a ratio measured in this one run, "
        "not a capacity figure. Load average when the run started (1/5/15 min): "
        + "/".join(f"{load:.2f}" for load in report.load_average)
        + " (above 0 means other work shared the cores too).",
        f"- Tools: {tool_version('wrk')}; {tool_version('h2load')}; grpcio {grpc.__version__}.",
        "- Processes: `python -m stripe_emulator --port 0 --log-level WARNING`; "
        "`python -m service` with `PAYMENTS_LISTEN_ADDR=127.0.0.1:0`, "
        "`PAYMENTS_HTTP_ADDR=127.0.0.1:0`, default logging (one INFO line per call, to a file), "
        "its ledger a SQLite file.",
        "- The call: `GetProduct`, the RPC that is one Stripe read (`GET /v1/products/{id}` "
        "with its price expanded) and nothing more. (`GetPaymentStatus` answers a final payment "
        "from the ledger, and concurrent calls for one id share one read: see "
        '"Service: GetPaymentStatus from the ledger".)',
        f"- Parameters: {params.duration_s} s per loaded run (the h2load request count is sized "
        f"from a 500-request calibration run), {params.connections} concurrent requests "
        f"(wrk: {params.connections} connections; h2load: {params.h2_clients} h2c connections x "
        f"{params.h2_streams} streams), {params.serial_calls} serial gRPC calls.",
    ]


def throughput_section(report: Report) -> str:
    lines = [THROUGHPUT_SECTION, "", *setup_lines(report), "", *run_rows(report.throughput), ""]
    lines += [*cpu_lines(report.throughput), ""]
    lines += verdict_rows(report.verdicts[:4])
    lines += ["", *CHECKS_TEXT, "", *THROUGHPUT_TARGETS_TEXT, ""]
    return "\n".join(lines)


def cpu_lines(throughput: Throughput) -> list[str]:
    return [
        "Service CPU per call (user + system time of the service process from /proc/PID/stat, "
        "divided by the product reads the emulator served meanwhile): loaded gRPC run "
        f"{throughput.grpc_cpu_ms:.2f} ms; HTTP/JSON run {throughput.http_cpu_ms:.2f} ms.",
    ]


def memory_section(report: Report) -> str:
    memory = report.memory
    lines = [
        MEMORY_SECTION,
        "",
        "Written by `bench/service_benchmarks.py`, in the same run as the section above.",
        "",
        f"- Load: {memory.warmup_calls:,} mixed gRPC calls of warm-up, then {memory.calls:,} more "
        f"({memory.creates:,} CreateCustomer with a new `request_id`, {memory.replays:,} retries "
        "of one with the same `request_id` — checked to return the same customer — and the rest "
        "GetPaymentStatus of a paid checkout, from the ledger), "
        f"{report.params.mixed_concurrency} at a time from one grpc.aio channel; "
        f"{memory.calls / memory.seconds:,.0f} calls/s, no errors.",
        "- Measured: VmRSS of the service process (`/proc/PID/status`) only; the emulator keeps "
        "every object and idempotency key by design and is not measured. "
        f"Peak (VmHWM) after the load: {memory.hwm_after_kib / 1024:.1f} MiB.",
        "",
        *verdict_rows(report.verdicts[4:]),
        "",
        *MEMORY_TARGET_TEXT,
        "",
    ]
    return "\n".join(lines)


CHECKS_TEXT = [
    "Checks (the run fails on any miss): h2load's `succeeded` = 2xx = requests with 0 failed, "
    "errored or timed out; its DATA bytes = requests x the framed response (h2load counts HTTP "
    "200 even when grpc-status != 0, but a failed call is a trailers-only response with no DATA); "
    "the emulator's `/_emulator/stats` count of `GET /v1/products/{id}` grew by "
    "exactly the number of calls (wrk: by its count plus at most the requests in flight when it "
    "stopped); wrk saw no non-2xx and no socket errors; a real gRPC client call (and, for the "
    "HTTP door, a real GET) before and after each run returns the expected answer.",
]
THROUGHPUT_TARGETS_TEXT = [
    "Why these targets (each a ratio of two numbers measured in this one run, so that the "
    "machine's speed and whatever else shares its cores cancel out as far as they can):",
    "",
    f"- **Service / bare emulator >= {MIN_SERVICE_TO_EMULATOR}** is a regression floor, about "
    "30 % below what this machine measures (0.065-0.075). It compares a whole service call "
    "with the bare GET it makes: the bare emulator answers with ~0.1 ms of CPU (an aiohttp "
    "handler, a dict lookup, a JSON dump), while one service call costs ~1.1-1.4 ms of CPU in "
    "one Python process (the CPU line above): the Stripe SDK's request stack (headers, "
    "telemetry, retries logic), aiohttp's client, then grpc.aio or aiohttp's server, the "
    "interceptors, protovalidate and the JSON or protobuf answer. So ~0.07 is what a Python "
    "service on the SDK can reach; a floor near it catches a regression that adds even "
    "~0.5 ms of CPU per call (the StripeObject round trip this service used to make cost "
    "~0.4 ms).",
    f'- **Added latency <= {MAX_ADDED_LATENCY_MS:.0f} ms** carries "the service adds little over '
    'the Stripe call it wraps": calls one at a time, service p50 minus bare-emulator p50. A real '
    "Stripe call crosses the internet (tens to hundreds of ms), so a few ms is a few percent. "
    "Measured at ~1.5 ms, so it holds with room even on a busy machine.",
    f"- **HTTP/JSON / gRPC >= {MIN_HTTP_TO_GRPC}**: both doors run the same servicer, use cases "
    "and Stripe call; the HTTP door only adds HTTP/1.1 and JSON transcoding, which should cost "
    "a fraction of a call, not a multiple. (It measures at or above 1: aiohttp's HTTP/1.1 costs "
    "less CPU per call than grpc.aio's HTTP/2.)",
    f"- **HTTP/JSON p99 / gRPC p99 <= {MAX_HTTP_P99_TO_GRPC}** under the same 64 concurrent "
    "requests: the tail must be in line with gRPC's, not just the throughput. wrk corrects for "
    "coordinated omission, so a single call stalled for seconds shows up as a p99 of seconds: "
    "this is what caught the stalls in httpcore's shared pool (see `stripe_adapter/transport.py`"
    "), where the ratio was 10-30.",
]
MEMORY_TARGET_TEXT = [
    f"Why: **< {MAX_RSS_GROWTH}x** means no leak: the service keeps no per-call state (no "
    "idempotency store or cache of its own: `request_id` becomes Stripe's Idempotency-Key, "
    "which Stripe, here the emulator, stores), so its RSS should be flat once warm; 20 % allows "
    "for allocator and gRPC buffer growth without hiding a per-call leak (20,000 calls x 100 "
    "bytes leaked would already be ~2 MiB).",
]


def summary(report: Report) -> str:
    lines = [*run_rows(report.throughput), "", *verdict_rows(report.verdicts)]
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> tuple[Params, bool]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds per loaded run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--mixed-calls", type=int, default=20_000)
    parser.add_argument("--warmup-calls", type=int, default=2_000)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    streams = 4
    params = Params(
        duration_s=args.duration,
        connections=args.connections,
        h2_clients=max(1, args.connections // streams),
        h2_streams=streams,
        serial_calls=300,
        warmup_calls=args.warmup_calls,
        mixed_calls=args.mixed_calls,
        mixed_concurrency=16,
    )
    return params, args.no_doc


def run(params: Params) -> Report:
    load_average = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="service-bench-") as tmp,
        running_stack(Path(tmp)) as stack,
    ):
        fixture = create_fixture(stack)
        memory = measure_memory(stack, fixture, params)
        throughput = measure_throughput(stack, fixture, params)
    return Report(params, throughput, memory, judge(throughput, memory), load_average)


def main(argv: Sequence[str] | None = None) -> int:
    params, no_doc = parse_args(argv)
    require_tools("wrk", "h2load")
    try:
        report = run(params)
    except (BenchError, StartError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(summary(report))
    if not no_doc:
        rewrite_section(THROUGHPUT_SECTION, throughput_section(report))
        rewrite_section(MEMORY_SECTION, memory_section(report))
        print(f"updated {DOC.relative_to(REPO)}")
    return 0 if all(verdict.passed for verdict in report.verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
