"""What bench/stream_benchmarks.py measures (its sizes, its results) and the sections of
docs/benchmarks.md it writes: each `*_section` gives (title, text, target met)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from benchlib import machine, percentile

STREAMS = 1000
MORE_STREAMS = 2000
WARM_UP_STREAMS = 50  # opened and cancelled before the memory's baseline
CLIENT_PROCESSES = (1, 2, 4)  # watcher processes holding the streams, in turn
PUSH_ROUNDS = 3
BACKLOG = 10_000
PAGE_SIZE = 1000
CATCH_UP_ROUNDS = 3
TARGET_P99_MS = 250.0
TARGET_KIB_PER_STREAM = 50.0
TARGET_CATCH_UP_RATIO = 0.5
COMMAND = "uv run python bench/stream_benchmarks.py"
Section = tuple[str, str, bool]
Load = tuple[float, float, float]


@dataclass(frozen=True)
class Push:
    processes: int
    delays_ms: list[float]  # sorted: arrival - record_time, one per stream
    from_pay_ms: list[float]  # sorted: arrival - the start of the pay request
    service_cpu_s: float

    def p(self, percent: float) -> float:
        return percentile(self.delays_ms, percent)


@dataclass(frozen=True)
class Memory:
    rss_kib: dict[int, int]  # open streams -> the service's VmRSS

    def per_stream_kib(self, streams: int, since: int = 0) -> float:
        return (self.rss_kib[streams] - self.rss_kib[since]) / (streams - since)


@dataclass(frozen=True)
class CatchUp:
    backend: str
    watch_s: list[float]
    list_s: list[float]
    watch_cpu_s: list[float]  # the service's CPU in each round
    list_cpu_s: list[float]
    watch_client_cpu_s: list[float]  # the consumer's (this process's) CPU in each round
    list_client_cpu_s: list[float]

    @property
    def watch_rate(self) -> float:
        return BACKLOG / statistics.median(self.watch_s)

    @property
    def list_rate(self) -> float:
        return BACKLOG / statistics.median(self.list_s)

    @property
    def ratio(self) -> float:
        return self.watch_rate / self.list_rate


def _header(title: str, load: Load, sharing: str) -> list[str]:
    return [
        title,
        "",
        f"Written by `{COMMAND}` (`make bench` runs it). {machine()}, "
        f"{datetime.now(UTC):%B %Y}; load average at the start "
        + "/".join(f"{x:.2f}" for x in load)
        + f". {sharing} share the cores.",
        "",
    ]


def _verdict(met: bool) -> str:
    return "PASS" if met else "**FAIL**"


def median_p99(pushes: Sequence[Push], processes: int) -> float:
    return statistics.median(push.p(99) for push in pushes if push.processes == processes)


def push_section(pushes: Sequence[Push], load: Load) -> Section:
    title = f"## Service: one change pushed to {STREAMS:,} WatchPaymentStatus streams"
    p99s = {processes: median_p99(pushes, processes) for processes in CLIENT_PROCESSES}
    judged = min(p99s, key=lambda processes: p99s[processes])
    met = p99s[judged] <= TARGET_P99_MS
    lines = _header(title, load, "The emulator, the service and the watcher processes")
    lines += [
        f"- What: {STREAMS:,} `WatchPaymentStatus` streams on one open checkout, on one "
        "`python -m service` (SQLite ledger, default logging to a file), each past its first "
        "update (OPEN). Then the checkout is paid in the emulator, the emulator's signed "
        "webhook reaches `POST /stripe/webhooks`, the service records SUCCEEDED, its live feed "
        "(one ledger reader per process) hands the event to every watcher, and each stream "
        "sends SUCCEEDED and ends OK (checked for every stream).",
        "- Delay of a stream: when its update arrived at the client (`time.time()` as its "
        "read returned) - the event's `record_time` (the ledger's clock, same machine; read "
        "back with ListPaymentEvents). Also shown: from the start of the emulator's pay "
        "request (adds the emulator's webhook batching and the intake's own work).",
        "- The client: the streams are held by watcher processes apart from the service "
        "(bench/stream_watchers.py, one grpc.aio channel each, the streams split evenly). "
        "After a warm-up push (not shown), rounds in which "
        + ", ".join(map(str, CLIENT_PROCESSES))
        + " processes hold them in turn, each round on a new checkout: fewer processes "
        "stamp arrivals one after another on one event loop, more take CPU from the service "
        "on 2 cores. The target is judged on the number of processes with the lowest median "
        "p99 (the least client distortion).",
        "",
        "| round | watcher processes | p50 ms | p99 ms | max ms | from the pay request, "
        "p50 / p99 ms | service CPU, whole push, ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, push in enumerate(pushes, 1):
        lines.append(
            f"| {number} | {push.processes} | {push.p(50):.0f} | {push.p(99):.0f} | "
            f"{push.delays_ms[-1]:.0f} | {percentile(push.from_pay_ms, 50):.0f} / "
            f"{percentile(push.from_pay_ms, 99):.0f} | {push.service_cpu_s * 1000:.0f} |"
        )
    shown = ", ".join(f"{processes}: {p99:.0f} ms" for processes, p99 in p99s.items())
    lines += [
        "",
        f"Median p99 by watcher processes: {shown}.",
        "",
        "| measure | measured | target | result |",
        "| --- | --- | --- | --- |",
        f"| p99 delay, record → arrival, {STREAMS:,} streams, {judged} watcher "
        f"process(es) (median of {PUSH_ROUNDS} rounds) | {p99s[judged]:.0f} ms | "
        f"<= {TARGET_P99_MS:.0f} ms | {_verdict(met)} |",
    ]
    return title, "\n".join(lines) + "\n", met


def memory_section(found: Memory, load: Load) -> Section:
    title = "## Service: memory per open WatchPaymentStatus stream"
    per_stream = found.per_stream_kib(STREAMS)
    met = per_stream <= TARGET_KIB_PER_STREAM
    lines = _header(title, load, "The emulator, the service and the watcher processes")
    lines += [
        "- What: VmRSS (`/proc/PID/status`) of the `python -m service` process of the section "
        f"above, before its push rounds: after {WARM_UP_STREAMS} streams opened and cancelled "
        "(warm: code paths, connections, the Stripe SDK), with 0 streams open; then with "
        f"{STREAMS:,} idle streams open on one open checkout (each past its first update, "
        "OPEN); then with "
        f"{MORE_STREAMS:,} ({MORE_STREAMS - STREAMS:,} more on another checkout; "
        f"PAYMENTS_MAX_STREAMS_PER_CALLER={MORE_STREAMS}, as every stream has the same "
        f"caller), held by {max(CLIENT_PROCESSES)} watcher processes. Each stream's first update "
        "reads the checkout from the emulator (OPEN is not final), so the figure includes "
        "whatever those reads leave allocated.",
        "",
        "| open streams | service VmRSS, MiB | (RSS - RSS with 0) / streams, KiB |",
        "|---:|---:|---:|",
    ]
    for streams, kib in found.rss_kib.items():
        each = f"{found.per_stream_kib(streams):.1f}" if streams else "-"
        lines.append(f"| {streams:,} | {kib / 1024:.1f} | {each} |")
    lines += [
        "",
        f"From {STREAMS:,} to {MORE_STREAMS:,} streams: "
        f"{found.per_stream_kib(MORE_STREAMS, STREAMS):.1f} KiB per stream.",
        "",
        "| measure | measured | target | result |",
        "| --- | --- | --- | --- |",
        f"| service RSS per open stream, {STREAMS:,} streams | {per_stream:.1f} KiB | "
        f"<= {TARGET_KIB_PER_STREAM:.0f} KiB | {_verdict(met)} |",
    ]
    return title, "\n".join(lines) + "\n", met


def _per_event_us(cpu_s: Sequence[float]) -> float:
    return statistics.median(cpu_s) / BACKLOG * 1e6


def catch_up_section(results: Sequence[CatchUp], load: Load) -> Section:
    title = "## Service: catching up through WatchPaymentEvents"
    met = all(found.ratio >= TARGET_CATCH_UP_RATIO for found in results)
    lines = _header(title, load, "The service, PostgreSQL and the consumer")
    lines += [
        f"- What: a ledger holding {BACKLOG:,} payment events (new payments recorded SUCCEEDED "
        "straight into it before the service starts), then one consumer (grpc.aio, one "
        "channel, this process) reading all of them through the whole service: "
        "**WatchPaymentEvents** from the empty cursor until it has received the "
        f"{BACKLOG:,}th event (then it cancels the stream), against **ListPaymentEvents** "
        f"pages of {PAGE_SIZE:,}, each from the last page's `next_cursor`. Checked: "
        f"{BACKLOG:,} distinct cursors, in ledger order, each way.",
        f"- One warm-up read each way, then {CATCH_UP_ROUNDS} rounds in which the two take "
        "turns; the median round counts. SQLite: a file, WAL, synchronous=FULL (filled with "
        "synchronous=OFF); PostgreSQL: a local throwaway cluster (tools/postgres.sh: fsync off).",
        "",
        "| backend | read | seconds (each round) | events/s | CPU µs / event: service "
        "| CPU µs / event: consumer |",
        "|---|---|---|---:|---:|---:|",
    ]
    for found in results:
        for name, seconds, cpu, client_cpu in (
            ("WatchPaymentEvents", found.watch_s, found.watch_cpu_s, found.watch_client_cpu_s),
            (
                f"ListPaymentEvents, pages of {PAGE_SIZE:,}",
                found.list_s,
                found.list_cpu_s,
                found.list_client_cpu_s,
            ),
        ):
            each = ", ".join(f"{s:.2f}" for s in seconds)
            rate = BACKLOG / statistics.median(seconds)
            lines.append(
                f"| {found.backend} | {name} | {each} | **{rate:,.0f}** | "
                f"{_per_event_us(cpu):.0f} | {_per_event_us(client_cpu):.0f} |"
            )
    lines += ["", "| measure | measured | target | result |", "| --- | --- | --- | --- |"]
    for found in results:
        lines.append(
            f"| WatchPaymentEvents / ListPaymentEvents, events/s, {found.backend} | "
            f"{found.ratio:.2f} ({found.watch_rate:,.0f} / {found.list_rate:,.0f}) | "
            f">= {TARGET_CATCH_UP_RATIO:g} | {_verdict(found.ratio >= TARGET_CATCH_UP_RATIO)} |"
        )
    return title, "\n".join(lines) + "\n", met
