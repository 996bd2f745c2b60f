"""Webhook POSTs sent from a child process, so the API's own process stays free for requests.

Each delivery costs the sender a ``send`` and a ``recv`` on its own connection plus the wake-ups
between them: on a small machine that is about as much as answering an API request, and in the
emulator's process it cut the API's throughput by half (docs/benchmarks.md). The parent hands
jobs over a pipe, many per write, and the child (``python -m stripe_emulator.webhooks.sender
TIMEOUT``) runs them concurrently with :class:`WebhookClient`, answering ``(status, error)``.
Retries, faults and records stay in the parent (``delivery.py``); only the HTTP exchange moves.

Frames on both pipes: a 4-byte big-endian length, then ``marshal`` of a tuple
(job: ``(id, url, headers, body)``; result: ``(id, status or None, error or None)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import marshal
import os
import signal
import struct
import sys
from collections.abc import Callable
from typing import Any

from stripe_emulator.webhooks.http_client import BadResponse, WebhookClient

_LENGTH = struct.Struct(">I")
NICENESS = 19
BATCH_SECONDS = 0.005  # results go back in batches: fewer system calls on both sides
Outcome = tuple[int | None, str | None]


def frame(message: tuple[Any, ...]) -> bytes:
    data = marshal.dumps(message)
    return _LENGTH.pack(len(data)) + data


def split_frames(data: bytes) -> tuple[list[tuple[Any, ...]], bytes]:
    """The whole frames at the start of ``data``, and the incomplete rest."""
    messages = []
    offset = 0
    while len(data) - offset >= _LENGTH.size:
        size = _LENGTH.unpack_from(data, offset)[0]
        end = offset + _LENGTH.size + size
        if end > len(data):
            break
        messages.append(marshal.loads(data[offset + _LENGTH.size : end]))
        offset = end
    return messages, data[offset:]


async def read_frame(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next message, or ``None`` at the end of the stream."""
    try:
        size = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))[0]
        message: tuple[Any, ...] = marshal.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None
    return message


class _Batcher:
    """Collects frames and writes them with one call every ``BATCH_SECONDS``."""

    def __init__(self, write: Any) -> None:
        self._write = write
        self._pending: list[bytes] = []

    def add(self, data: bytes) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_later(BATCH_SECONDS, self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        data, self._pending = b"".join(self._pending), []
        with contextlib.suppress(ConnectionError, RuntimeError):  # the other side has gone
            self._write(data)


Callback = Callable[[Outcome], None]


class SenderProcess:
    """The parent's side: ``submit(...)`` a POST; ``callback`` gets ``(status, error)``."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._queued: list[bytes] = []  # frames written once the child runs
        self._callbacks: dict[int, Callback] = {}
        self._next_id = 0

    def submit(self, url: str, body: bytes, headers: dict[str, str], callback: Callback) -> None:
        self._next_id += 1
        self._callbacks[self._next_id] = callback
        message = frame((self._next_id, url, tuple(headers.items()), body))
        if not self._queued:
            asyncio.get_running_loop().call_soon(self._flush)
        self._queued.append(message)

    def _flush(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            if self._starting is None or self._starting.done():
                self._starting = asyncio.get_running_loop().create_task(self._start())
            return  # _start flushes once the child runs
        assert process.stdin is not None
        data, self._queued = b"".join(self._queued), []
        try:
            process.stdin.write(data)
        except (ConnectionError, RuntimeError):
            self._answer_all("the delivery process is gone")

    async def _start(self) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "stripe_emulator.webhooks.sender",
                str(self._timeout),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            self._queued.clear()
            self._answer_all(f"cannot start the delivery process: {exc}")
            return
        assert process.stdout is not None
        self._process = process
        self._reader = asyncio.get_running_loop().create_task(self._read(process.stdout))
        if self._queued:
            self._flush()

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        buffer = b""
        while chunk := await stdout.read(2**16):  # many results per read
            messages, buffer = split_frames(buffer + chunk)
            for job_id, status, error in messages:
                callback = self._callbacks.pop(job_id, None)
                if callback is not None:
                    callback((status, error))
        self._answer_all("the delivery process exited")

    def _answer_all(self, error: str) -> None:
        callbacks, self._callbacks = self._callbacks, {}
        for callback in callbacks.values():
            callback((None, error))

    async def close(self) -> None:
        """Stop the child; what it had not answered yet is dropped (no callbacks)."""
        self._callbacks.clear()
        self._queued.clear()
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()  # the child stops at the end of its input
        try:
            async with asyncio.timeout(5):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader


async def _serve(timeout_seconds: float) -> None:
    """The child: read jobs from stdin, answer results on stdout, until stdin ends."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, sys.stdout)
    results = _Batcher(transport.write)
    client = WebhookClient(timeout_seconds)
    tasks: set[asyncio.Task[None]] = set()

    async def run(job_id: int, url: str, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
        results.add(frame((job_id, *await _exchange(client, url, dict(headers), body))))

    while (job := await read_frame(reader)) is not None:
        task = loop.create_task(run(*job))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for task in tasks:
        task.cancel()
    client.close()
    transport.close()


async def _exchange(
    client: WebhookClient, url: str, headers: dict[str, str], body: bytes
) -> Outcome:
    try:
        return await client.post(url, body, headers), None
    except TimeoutError:
        return None, "timed out"
    except (OSError, BadResponse) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def lowest_priority() -> None:
    """``nice 19``: Stripe's deliveries run apart from its API, so under a load that takes
    every core they fall behind rather than slow the API down. (Not ``SCHED_IDLE``: on a
    machine busy with other work that could starve deliveries for seconds.)"""
    os.nice(NICENESS)


if __name__ == "__main__":
    lowest_priority()
    # A Ctrl-C in a terminal reaches the whole process group, this child too; the emulator
    # stops it by closing its input, after its own graceful stop (no KeyboardInterrupt here).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(float(sys.argv[1])))
