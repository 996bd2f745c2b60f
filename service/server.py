"""The gRPC door: PaymentService through the call gate, health and reflection, a graceful stop."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2
from grpc_status import rpc_status

from service.api import PAYMENT_SERVICE, Rpc
from service.auth import key_from_metadata
from service.config import split_address
from service.draining import Drain
from service.gate import CallFailed, CallGate
from service.grpc_logs import guard_grpc_log
from service.grpc_requests import first_message, tolerant_parser
from service.server_streams import add_health, add_reflection

if TYPE_CHECKING:  # the grpc classes are generic in the stubs only
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

log = logging.getLogger("service.server")

KEEPALIVE_TIMEOUT_MS = 20_000  # a ping unanswered this long: the connection is dead
MIN_CLIENT_PING_INTERVAL_MS = 10_000  # a client pinging more often than this gets GOAWAY
OVERALL_HEALTH = ""  # the empty service name: the whole server, as probes ask by default


class BindError(RuntimeError):
    """A listen address could not be bound (in use, or not an address of this host); `setting`
    names the Settings field that holds it."""

    def __init__(self, setting: str, address: str, problem: object) -> None:
        super().__init__(f"cannot listen on {address}: {problem}")
        self.setting = setting


class PaymentsServer:
    """A built server, its port bound (`address` has the real port for port 0)."""

    def __init__(self, server: grpc.aio.Server, health_servicer: health.aio.HealthServicer,
                 drain: Drain, address: str) -> None:  # fmt: skip
        self._server = server
        self._health = health_servicer
        self._drain = drain
        self.address = address
        self._started = False
        self._broken = False

    async def start(self) -> None:
        self._started = True
        await self._server.start()
        for service in (OVERALL_HEALTH, PAYMENT_SERVICE.full_name):
            await self._health.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving on %s", self.address)

    async def closed(self) -> None:
        """Returns once the port has closed: after `stop`, or by itself should grpcio's serving
        loop fail (grpcio 1.85 shuts its server down when a call's :path is not UTF-8, before
        any handler of ours could refuse it)."""
        try:
            await self._server.wait_for_termination()
        except Exception:  # grpcio's shutdown re-raises its serving loop's error
            # That shutdown stopped half-way: stopping this server again crashes the process
            # (SIGSEGV in grpcio 1.85), so `stop` leaves it to the process's exit.
            self._broken = True
            log.exception("the gRPC door's serving loop failed")

    async def refuse_new_calls(self, grace_seconds: float) -> None:
        """A stop's first step, starting its grace period: new calls are refused, every stream
        ends (health Watch and reflection too), health says NOT_SERVING (its Check answers until
        the port closes). Once only."""
        if not self._drain.begin(grace_seconds):
            return
        # Sets NOT_SERVING for every service and ignores later changes.
        await self._health.enter_graceful_shutdown()
        in_flight = self._drain.in_flight
        log.info("draining: refusing new calls, %d in flight (grace %ss)", in_flight, grace_seconds)

    async def stop(self, grace_seconds: float) -> None:
        """Drains: refuses new calls (unless `refuse_new_calls` already did), lets the calls in
        flight finish within what is left of the grace period, closes the port (cancelling any
        call still running). A server never started only releases its port."""
        if not self._started:
            await self._server.stop(None)
            return
        if self._broken:
            return
        await self.refuse_new_calls(grace_seconds)
        if not await self._drain.wait_idle():
            cut = self._drain.in_flight
            log.warning("grace period over with %d calls in flight; cancelling them", cut)
        # Nothing of ours is in flight (or the grace is spent): this only closes the connections.
        await self._server.stop(self._drain.remaining_seconds())
        log.info("stopped")


@dataclass(frozen=True, slots=True)
class Connections:
    """How the gRPC door keeps its long-lived connections (watch streams live on them); the
    values are the settings' (service.config holds their defaults)."""

    keepalive_seconds: float
    max_age_seconds: float
    age_grace_seconds: float
    max_idle_seconds: float
    handshake_timeout_seconds: float

    def options(self) -> list[tuple[str, int]]:
        """The gRPC server's channel arguments for them."""
        return [
            ("grpc.keepalive_time_ms", _ms(self.keepalive_seconds)),
            ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
            ("grpc.keepalive_permit_without_calls", 1),  # a client may keep an idle one alive
            # A client pinging more often than this without data gets GOAWAY (too_many_pings)
            # after gRPC's 2 strikes: pings cost the server, and a flood is an attack.
            ("grpc.http2.min_ping_interval_without_data_ms", MIN_CLIENT_PING_INTERVAL_MS),
            ("grpc.max_connection_idle_ms", _ms(self.max_idle_seconds)),
            ("grpc.max_connection_age_ms", _ms(self.max_age_seconds)),
            ("grpc.max_connection_age_grace_ms", _ms(self.age_grace_seconds)),
            # gRPC's default is 120 s: a connection that opens and never finishes its handshake
            # (TLS, the HTTP/2 preface and SETTINGS) holds a file descriptor that long.
            ("grpc.server_handshake_timeout_ms", _ms(self.handshake_timeout_seconds)),
        ]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


@dataclass(frozen=True, slots=True)
class _GrpcIncoming:
    """A gRPC call as the gate reads it; its request message is read from the call only when
    the gate asks (step 4), as the HTTP door reads its body, so under the call's deadline."""

    _method: MethodDescriptor
    _context: Context
    door: ClassVar[str] = "grpc"

    def api_key(self) -> str | None:
        return key_from_metadata(self.metadata())

    def metadata(self) -> Iterable[tuple[str, str | bytes]]:
        return self._context.invocation_metadata() or ()

    def certificate_name(self) -> str | None:
        names = list(self._context.auth_context().get("x509_common_name") or ())
        return names[0].decode("utf-8", "replace") if names else None

    def timeout_seconds(self) -> float | None:
        return self._context.time_remaining()

    async def request(self) -> Message:
        """The call's first message, read by the service (service.grpc_requests)."""
        return await first_message(self._context, self._method.input_type.name)


def _method_handler(gate: CallGate, rpc: Rpc) -> grpc.RpcMethodHandler[Any, Any]:
    """The handler of one method, request-streaming on the wire whatever the method
    (service.grpc_requests): gRPC's own unary reading would also wait for the message before
    the handler runs, where no deadline of ours bounds it; the gate reads it (step 4)."""

    async def serve(requests: object, context: Context) -> Message:
        try:
            return await gate.unary(rpc, _GrpcIncoming(rpc.method, context))
        except CallFailed as failed:
            await _abort(context, failed)
            raise  # abort_with_status raises; this line only tells the type checker

    parse = tolerant_parser(message_factory.GetMessageClass(rpc.method.input_type))
    serialize = message_factory.GetMessageClass(rpc.method.output_type).SerializeToString
    if rpc.streaming:
        return grpc.stream_stream_rpc_method_handler(
            _stream_serve(gate, rpc), request_deserializer=parse, response_serializer=serialize
        )
    return grpc.stream_unary_rpc_method_handler(
        serve, request_deserializer=parse, response_serializer=serialize
    )


def _stream_serve(gate: CallGate, rpc: Rpc) -> Callable[[object, Context], Any]:
    async def serve(requests: object, context: Context) -> None:
        try:
            await gate.stream(rpc, _GrpcIncoming(rpc.method, context), context.write)
        except CallFailed as failed:
            await _abort(context, failed)

    return serve


async def _abort(context: Context, failed: CallFailed) -> None:
    await context.abort_with_status(rpc_status.to_status(failed.failure.status))


def add_payment_service(rpcs: Sequence[Rpc], gate: CallGate, server: grpc.aio.Server) -> None:
    """Registers PaymentService, every method through the gate."""
    handlers = {rpc.method.name: _method_handler(gate, rpc) for rpc in rpcs}
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(PAYMENT_SERVICE.full_name, handlers),)
    )
    server.add_registered_method_handlers(PAYMENT_SERVICE.full_name, handlers)


def _probe_bind(listen_addr: str) -> None:
    """Raises BindError when no address `listen_addr` resolves to can be bound, before gRPC's core
    tries (it would print a multi-line error first); like gRPC, one bound address suffices."""
    try:
        host, port = split_address(listen_addr)
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, ValueError) as error:
        raise BindError("listen_addr", listen_addr, error) from None
    problem: OSError | None = None
    for family, kind, proto, _, address in found:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC binds
            try:
                probe.bind(address)
            except OSError as error:
                problem = problem or error
                continue
            return
    raise BindError("listen_addr", listen_addr, problem.strerror if problem else "no address")


def build_server(
    rpcs: Sequence[Rpc],
    gate: CallGate,
    listen_addr: str,
    drain: Drain,
    connections: Connections,
    credentials: grpc.ServerCredentials | None = None,
) -> PaymentsServer:
    """The server on `listen_addr`: TLS with `credentials`, else plaintext."""
    guard_grpc_log()
    server = grpc.aio.server(options=connections.options())
    add_payment_service(rpcs, gate, server)
    health_servicer = add_health(server, drain)
    add_reflection(server, drain, (PAYMENT_SERVICE.full_name, health.SERVICE_NAME))
    _probe_bind(listen_addr)
    try:
        if credentials is None:
            port = server.add_insecure_port(listen_addr)
        else:
            port = server.add_secure_port(listen_addr, credentials)
    except RuntimeError as error:
        raise BindError("listen_addr", listen_addr, error) from None
    if port == 0:
        raise BindError("listen_addr", listen_addr, "the address is in use or not local")
    address = f"{listen_addr.rpartition(':')[0]}:{port}"
    return PaymentsServer(server, health_servicer, drain, address)
