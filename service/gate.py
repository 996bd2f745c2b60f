"""The call gate: what every call goes through, in this order, once, whichever door it came in by.

1. drain      refused with SHUTTING_DOWN once the service drains; else counted as in flight
2. API key    the caller's identity, or API_KEY_MISSING / API_KEY_INVALID
3. deadline   the caller's timeout, or the service's default; the rest of the call runs under it
   (and a unary call counts against its caller's limit of calls in flight: TOO_MANY_CALLS)
4. request    read by the door (its `Incoming`; HTTP reads its body only now) and validated
5. handler    the RPC (service.api), given the request and a CallContext with its request_id

A stream (`stream`) is admitted the same way, then also counted against the stream limits; its
deadline bounds the reads that start it (its request; the status now, say), while the stream
itself runs until it ends, the caller's own timeout passes or the caller goes away, or the
service drains.

Every failure becomes one `errors.Failure`, raised as `CallFailed` for the door to write, and
every call writes one `service.rpc` log line (method, code, duration, caller, door, request_id,
the Stripe request ids; as JSON fields too) and counts in the metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from typing import ClassVar, Protocol

import grpc
from google.protobuf.message import Message

from domain.call import CallContext, Deadline
from domain.errors import DeadlineExceeded
from service.api import Rpc
from service.auth import ApiKeyAuthenticator
from service.call_record import CallObserver, CallRecord, recording
from service.caller_limits import CallerLimits
from service.draining import Drain
from service.errors import Failure, failure_of
from service.tracing import Tracing
from service.validation import validate

log = logging.getLogger("service.rpc")

CUT_OFF_MESSAGE = "the call did not finish within its deadline"


class Incoming(Protocol):
    """One call as a door received it."""

    door: ClassVar[str]

    def api_key(self) -> str | None: ...  # the key presented, if any

    def metadata(self) -> Iterable[tuple[str, str | bytes]]: ...  # headers: traceparent, …

    def certificate_name(self) -> str | None: ...  # the client certificate's CN (mTLS)

    def timeout_seconds(self) -> float | None: ...  # None: the default; may be INVALID_TIMEOUT

    async def request(self) -> Message: ...  # may raise an EdgeError (MALFORMED_REQUEST, …)


class CallFailed(Exception):
    """A call's failure, already translated: the door writes `failure` as its answer."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.status.message)
        self.failure = failure


class CallGate:
    def __init__(
        self,
        authenticator: ApiKeyAuthenticator,
        drain: Drain,
        default_deadline_seconds: float,
        caller_limits: CallerLimits,
        metrics: CallObserver | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._drain = drain
        self._default_timeout = default_deadline_seconds
        self._caller_limits = caller_limits
        self._metrics = metrics
        self._tracing = tracing

    async def unary(self, rpc: Rpc, incoming: Incoming) -> Message:
        """Runs one unary call through every step; raises CallFailed for any failure."""
        async with self._admitted(rpc, incoming) as (call, record):
            with self._caller_limits.admit(call.caller_id):
                async with _cut_off_after(call.deadline.seconds_left()):
                    request = validate(await incoming.request())
                    record.request_id = _request_id_of(request)
                    call = CallContext(call.caller_id, call.deadline, record.request_id)
                    return await rpc.unary_handler(request, call)
        raise AssertionError("unreachable: _admitted re-raises every failure")

    async def stream(
        self, rpc: Rpc, incoming: Incoming, send: Callable[[Message], Awaitable[None]]
    ) -> None:
        """Runs one server-streaming call through every step, each message the RPC yields given
        to `send`; returns when the stream ends OK, raises CallFailed for any failure."""
        async with self._admitted(rpc, incoming) as (call, _):
            with self._drain.admit_stream(call.caller_id):
                async with _cut_off_after(call.deadline.seconds_left()):
                    request = validate(await incoming.request())
                async with _cut_off_after(incoming.timeout_seconds()):
                    async for message in rpc.stream_handler(request, call):
                        await send(message)

    @asynccontextmanager
    async def _admitted(
        self, rpc: Rpc, incoming: Incoming
    ) -> AsyncIterator[tuple[CallContext, CallRecord]]:
        """Steps 1-3 around the block, and the translation, log line and metrics of everything
        in it; a server-streaming RPC runs its whole stream inside the same block."""
        deadline: Deadline | None = None
        with (
            recording(CallRecord(rpc.path, incoming.door)) as record,
            self._traced(record, incoming),
        ):
            try:
                with self._drain.admit():
                    record.caller = self._authenticator.authenticate(
                        incoming.api_key(), incoming.certificate_name()
                    )
                    timeout = incoming.timeout_seconds()
                    deadline = Deadline.after(self._default_timeout if timeout is None else timeout)
                    deadline.check("before the request was read")
                    yield CallContext(record.caller, deadline), record
            except asyncio.CancelledError:
                # The door cancelled the call: its deadline passed, or its caller went away.
                expired = deadline is not None and deadline.expired
                record.code = (
                    grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED
                )
                raise
            except Exception as error:
                failure = failure_of(error)
                record.code, record.reason = failure.problem.code, failure.problem.reason
                raise CallFailed(failure) from None
            finally:
                self._ended(record)

    def _traced(self, record: CallRecord, incoming: Incoming) -> AbstractContextManager[None]:
        if self._tracing is None:
            return nullcontext()
        return self._tracing.call_span(record, incoming.metadata())

    def _ended(self, record: CallRecord) -> None:
        if self._metrics is not None:
            self._metrics.call_ended(record)
        fields = record.fields()
        log.info(
            "rpc %s %s %.1fms caller=%s door=%s request_id=%s stripe=%s",
            record.rpc, record.code.name, fields["duration_ms"], record.caller, record.door,
            record.request_id or "-", ",".join(record.stripe_request_ids) or "-",
            extra={"fields": fields},
        )  # fmt: skip


@asynccontextmanager
async def _cut_off_after(seconds: float | None) -> AsyncIterator[None]:
    """The block, cut off with DeadlineExceeded once `seconds` pass (None: never)."""
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            yield
    except TimeoutError:
        if scope.expired():
            raise DeadlineExceeded(CUT_OFF_MESSAGE) from None
        raise


def _request_id_of(request: Message) -> str:
    """The request's `request_id` (AIP-155), or "" for a request that has none (reads)."""
    value = getattr(request, "request_id", "")
    return value if isinstance(value, str) else ""
