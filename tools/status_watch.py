"""WatchPaymentStatus read in a thread of its own, each update stamped the moment it arrived, so
that the demo can pay meanwhile and then tell how long after the payment the watcher knew."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

import grpc

from payments.v1 import payments_pb2, payments_pb2_grpc

Arrival = tuple[float, payments_pb2.PaymentStatusUpdate | grpc.RpcError | None]
"""(time.monotonic() when it arrived, the update; or the error the stream failed with; or None:
the stream ended OK)."""


class StatusWatch:
    """A watcher of one payment, until `close()` (or the stream's end)."""

    def __init__(
        self,
        stub: payments_pb2_grpc.PaymentServiceStub,
        payment_id: str,
        metadata: tuple[tuple[str, str], ...],
        timeout: float,
    ) -> None:
        request = payments_pb2.WatchPaymentStatusRequest(id=payment_id)
        self._call = stub.WatchPaymentStatus(request, metadata=metadata, timeout=timeout)
        self._arrivals: queue.Queue[Arrival] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="status-watch", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for update in self._call:
                self._arrivals.put((time.monotonic(), update))
        except grpc.RpcError as error:
            self._arrivals.put((time.monotonic(), error))
        else:
            self._arrivals.put((time.monotonic(), None))

    def updates(self, within: float) -> Iterator[tuple[float, payments_pb2.PaymentStatusUpdate]]:
        """Each update with its arrival time, as they come, until the stream ends OK; raises the
        stream's error, or TimeoutError when nothing came for `within` seconds."""
        while True:
            try:
                arrived, item = self._arrivals.get(timeout=within)
            except queue.Empty:
                raise TimeoutError(f"no update for {within:.0f}s") from None
            if item is None:
                return
            if isinstance(item, grpc.RpcError):
                raise item
            yield arrived, item

    def close(self) -> None:
        self._call.cancel()
        self._reader.join(timeout=5)
