"""WatchPaymentStatus callers in a process of their own, driven over a pipe by
bench/stream_benchmarks.py: with several of them the cost of receiving a thousand updates is
spread over processes instead of queued behind one event loop, so an update's arrival is stamped
(`time.time()`, the clock the service's ledger stamps with) close to when it reached the client.

    process = spawn(target)        # one grpc.aio channel (one HTTP/2 connection) per process
    process.ask("open", payment_id, 250)   # 250 streams, each past its first update (OPEN)
    process.ask("arm")             # each stream awaits its next update from now on
    ... the change ...
    process.ask("collect")         # each stream's arrival time; each stream ended OK
    process.ask("cancel")          # cancel the streams still open
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc

from payments.v1 import payments_pb2, payments_pb2_grpc

if TYPE_CHECKING:
    Call: TypeAlias = grpc.aio.UnaryStreamCall[
        payments_pb2.WatchPaymentStatusRequest, payments_pb2.PaymentStatusUpdate
    ]

OPEN, SUCCEEDED = payments_pb2.PAYMENT_STATUS_OPEN, payments_pb2.PAYMENT_STATUS_SUCCEEDED
STREAM_TIMEOUT_S = 300.0
OPEN_AT_ONCE = 50  # streams opened concurrently: their first reads share Stripe reads


@dataclass
class WatcherProcess:
    process: BaseProcess
    connection: Connection

    def ask(self, *command: Any) -> Any:
        """Sends a command; its answer, or the child's failure raised here."""
        self.connection.send(command)
        kind, answer = self.connection.recv()
        if kind == "error":
            raise RuntimeError(f"watcher process: {answer}")
        return answer

    def stop(self) -> None:
        if self.process.is_alive():
            self.connection.send(("stop",))
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def spawn(target: str, metadata: tuple[tuple[str, str], ...]) -> WatcherProcess:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs, target, metadata), daemon=True)
    process.start()
    theirs.close()
    return WatcherProcess(process, ours)


def serve(connection: Connection, target: str, metadata: tuple[tuple[str, str], ...]) -> None:
    asyncio.run(_serve(connection, target, metadata))


@dataclass
class _Streams:
    stub: payments_pb2_grpc.PaymentServiceAsyncStub
    metadata: tuple[tuple[str, str], ...]
    calls: list[Call] = field(default_factory=list)
    armed: list[asyncio.Task[float]] = field(default_factory=list)

    async def open(self, payment_id: str, count: int) -> int:
        request = payments_pb2.WatchPaymentStatusRequest(id=payment_id)

        async def one() -> Call:
            call = self.stub.WatchPaymentStatus(
                request, metadata=self.metadata, timeout=STREAM_TIMEOUT_S
            )
            first = await call.read()
            if not isinstance(first, payments_pb2.PaymentStatusUpdate) or first.status != OPEN:
                raise RuntimeError(f"first update of {payment_id}: {first}, not OPEN")
            return call

        for start in range(0, count, OPEN_AT_ONCE):
            batch = min(OPEN_AT_ONCE, count - start)
            self.calls += await asyncio.gather(*(one() for _ in range(batch)))
        return len(self.calls)

    def arm(self) -> int:
        self.armed = [asyncio.create_task(_next_arrival(call)) for call in self.calls]
        return len(self.armed)

    async def collect(self) -> list[float]:
        arrivals = await asyncio.gather(*self.armed)
        self.calls, self.armed = [], []
        return list(arrivals)

    def cancel(self) -> int:
        for call in self.calls:
            call.cancel()
        cancelled, self.calls = len(self.calls), []
        return cancelled


async def _next_arrival(call: Call) -> float:
    """When the next update arrived; it must be SUCCEEDED and end the stream OK."""
    update = await call.read()
    arrived = time.time()
    if not isinstance(update, payments_pb2.PaymentStatusUpdate) or update.status != SUCCEEDED:
        raise RuntimeError(f"update {update}, not SUCCEEDED")
    if await call.read() is not grpc.aio.EOF or await call.code() != grpc.StatusCode.OK:
        raise RuntimeError(f"the stream did not end OK after SUCCEEDED: {await call.code()}")
    return arrived


async def _serve(
    connection: Connection, target: str, metadata: tuple[tuple[str, str], ...]
) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        streams = _Streams(payments_pb2_grpc.PaymentServiceStub(channel), metadata)
        while True:
            command = await asyncio.to_thread(connection.recv)
            try:
                match command:
                    case ("open", str(payment_id), int(count)):
                        answer: object = await streams.open(payment_id, count)
                    case ("arm",):
                        answer = streams.arm()
                    case ("collect",):
                        answer = await streams.collect()
                    case ("cancel",):
                        answer = streams.cancel()
                    case ("stop",):
                        streams.cancel()
                        return
                    case _:
                        raise RuntimeError(f"unknown command {command!r}")
            except Exception as error:  # told to the parent, which stops the run
                connection.send(("error", f"{type(error).__name__}: {error}"))
            else:
                connection.send(("ok", answer))
