"""The grpc.aio server: interceptors, the servicer, health and reflection, and a graceful stop."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable

import grpc
from google.protobuf.message import DecodeError, Message
from grpc_health.v1 import (
    health,
    health_pb2,
    health_pb2_grpc,
)
from grpc_reflection.v1alpha import reflection

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.auth import ApiKeyAuthenticator
from service.draining import Drain
from service.interceptors import server_interceptors
from service.validation import MalformedRequest

log = logging.getLogger("service.server")

PAYMENT_SERVICE_NAME: str = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"].full_name
OVERALL_HEALTH = ""  # the empty service name: the whole server, as probes ask by default


class BindError(RuntimeError):
    """The listen address could not be bound (in use, or not an address of this host)."""


class PaymentsServer:
    """A built, not yet started server. `port` is the bound port (the real one for port 0)."""

    def __init__(
        self,
        server: grpc.aio.Server,
        health_servicer: health.aio.HealthServicer,
        drain: Drain,
        host: str,
        port: int,
    ) -> None:
        self._server = server
        self._health = health_servicer
        self._drain = drain
        self.host = host
        self.port = port
        self._on_stopped: list[Callable[[], Awaitable[None]]] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def on_stopped(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Runs `callback` once every call has finished (to close clients the calls used)."""
        self._on_stopped.append(callback)

    async def start(self) -> None:
        await self._server.start()
        for service in (OVERALL_HEALTH, PAYMENT_SERVICE_NAME):
            await self._health.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving on %s", self.address)

    async def refuse_new_calls(self, grace_seconds: float) -> None:
        """The first step of a stop, and the start of its grace period: new PaymentService calls
        are refused (UNAVAILABLE, SHUTTING_DOWN) and health says NOT_SERVING. Health and
        reflection keep answering until `stop` closes the port. Only the first call counts."""
        if not self._drain.begin(grace_seconds):
            return
        # Sets NOT_SERVING for every service and ignores later changes.
        await self._health.enter_graceful_shutdown()
        log.info(
            "draining: refusing new calls, %d in flight (grace %ss)",
            self._drain.in_flight,
            grace_seconds,
        )

    async def stop(self, grace_seconds: float) -> None:
        """Drains: refuses new calls (unless `refuse_new_calls` already did), lets the calls in
        flight finish within what is left of the grace period, closes the port (cancelling any
        call still running), then runs the on_stopped callbacks."""
        await self.refuse_new_calls(grace_seconds)
        if not await self._drain.wait_idle():
            log.warning(
                "grace period over with %d calls in flight; cancelling them",
                self._drain.in_flight,
            )
        # Nothing of ours is in flight any more (or the grace is spent): grpc.aio's stop now only
        # closes the port and connections, bounded by whatever grace is left.
        await self._server.stop(self._drain.remaining_seconds())
        for callback in self._on_stopped:
            await callback()
        self._on_stopped.clear()
        log.info("stopped")

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()


def _tolerant_parser(
    message_type: type[Message],
) -> Callable[[bytes], Message | MalformedRequest]:
    """`message_type.FromString`, except that undecodable bytes give a MalformedRequest (which
    validation refuses as INVALID_ARGUMENT) instead of an exception (which gRPC answers with
    UNKNOWN and the parser's message)."""

    def parse(data: bytes) -> Message | MalformedRequest:
        try:
            return message_type.FromString(data)
        except DecodeError:
            return MalformedRequest(message_type.DESCRIPTOR.name)

    return parse


def add_payment_service(
    servicer: payments_pb2_grpc.PaymentServiceServicer, server: grpc.aio.Server
) -> None:
    """Registers PaymentService as the generated `add_PaymentServiceServicer_to_server` does,
    but with request parsers that never raise (see `_tolerant_parser`)."""
    service = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]
    handlers = {
        method.name: grpc.unary_unary_rpc_method_handler(
            getattr(servicer, method.name),
            request_deserializer=_tolerant_parser(getattr(payments_pb2, method.input_type.name)),
            response_serializer=getattr(payments_pb2, method.output_type.name).SerializeToString,
        )
        for method in service.methods
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),)
    )
    server.add_registered_method_handlers(service.full_name, handlers)


def _probe_bind(listen_addr: str) -> None:
    """Raises BindError when no address `listen_addr` resolves to can be bound, before gRPC's
    core tries: it would log its own multi-line error to stderr first, and a misconfiguration
    must be one line. gRPC serves when at least one resolved address binds, and so does this."""
    host, _, port = listen_addr.rpartition(":")
    try:
        found = socket.getaddrinfo(
            host.strip("[]") or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, ValueError) as error:
        raise BindError(f"cannot listen on {listen_addr}: {error}") from None
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
    raise BindError(
        f"cannot listen on {listen_addr}: {problem.strerror if problem else 'no address'}"
    )


def build_server(
    servicer: payments_pb2_grpc.PaymentServiceServicer,
    authenticator: ApiKeyAuthenticator,
    listen_addr: str,
    drain: Drain,
    default_deadline_seconds: float | None = None,
) -> PaymentsServer:
    server = grpc.aio.server(
        interceptors=server_interceptors(authenticator, drain, default_deadline_seconds)
    )
    add_payment_service(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (PAYMENT_SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    _probe_bind(listen_addr)
    try:
        port = server.add_insecure_port(listen_addr)
    except RuntimeError as error:
        raise BindError(f"cannot listen on {listen_addr}: {error}") from None
    if port == 0:
        raise BindError(f"cannot listen on {listen_addr}: the address is in use or not local")
    host = listen_addr.rpartition(":")[0]
    return PaymentsServer(server, health_servicer, drain, host, port)
