"""Start a server as a child process and wait until it says where it listens.

Used by the demo, the benchmarks and `make run`'s helpers: the child prints one line starting with
a known prefix followed by its address once it accepts connections, so nobody has to guess a port
or sleep.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Started:
    process: subprocess.Popen[bytes]
    address: str
    extra: dict[str, str]
    """What followed each of the `also` prefixes."""


class StartError(RuntimeError):
    """The child exited or stayed silent instead of reporting its address."""


@contextmanager
def start(
    argv: Sequence[str],
    *,
    ready: str,
    also: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Iterator[Started]:
    """Runs `argv` until the block ends; yields once a stdout line contains `ready`.

    The address is what follows `ready` on that line; lines with the `also` prefixes are
    awaited too, and what follows each is collected in `extra`. On leaving, the child gets
    SIGTERM (its graceful stop) and, should it hang, SIGKILL.
    """
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        address, extra = _await_ready_line(process, ready, also, timeout)
        # Keep reading so that a chatty child never blocks on a full pipe.
        drain = threading.Thread(target=_drain, args=(process,), daemon=True)
        drain.start()
        yield Started(process=process, address=address, extra=extra)
    finally:
        _stop(process)


def _await_ready_line(
    process: subprocess.Popen[bytes], ready: str, also: Sequence[str], timeout: float
) -> tuple[str, dict[str, str]]:
    # Raw reads on the descriptor: a buffered readline could keep a second line in its buffer
    # while select() waits for more bytes that never come.
    assert process.stdout is not None
    fd = process.stdout.fileno()
    extra: dict[str, str] = {}
    pending = {ready, *also}
    buffered = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while pending and (remaining := deadline - time.monotonic()) > 0:
            if not selector.select(remaining):
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                raise StartError(
                    f"{process.args!r} exited with {process.wait()} before it was ready"
                )
            buffered += chunk
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                _collect(line.decode(errors="replace"), pending, extra)
    if pending:
        raise StartError(f"{process.args!r} did not report {sorted(pending)} within {timeout:.0f}s")
    return extra.pop(ready), extra


def _collect(line: str, pending: set[str], found: dict[str, str]) -> None:
    for prefix in list(pending):
        if prefix in line:
            found[prefix] = line.split(prefix, 1)[1].strip()
            pending.discard(prefix)


def _drain(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    while os.read(process.stdout.fileno(), 65536):
        pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
