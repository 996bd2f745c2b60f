"""The grpc.aio server: interceptors, the servicer, health and reflection, and a graceful stop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import grpc
from grpc_health.v1 import (  # type: ignore[import-untyped]
    health,
    health_pb2,
    health_pb2_grpc,
)
from grpc_reflection.v1alpha import reflection  # type: ignore[import-untyped]

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.auth import ApiKeyAuthenticator
from service.interceptors import server_interceptors

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
        host: str,
        port: int,
    ) -> None:
        self._server = server
        self._health = health_servicer
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

    async def stop(self, grace_seconds: float | None) -> None:
        """Drains: NOT_SERVING, refuse new calls, let calls in flight finish within the grace
        period (then cancel them), then run the on_stopped callbacks."""
        # Sets NOT_SERVING for every service and ignores later changes.
        await self._health.enter_graceful_shutdown()
        log.info("draining (grace %ss)", grace_seconds)
        await self._server.stop(grace_seconds)
        for callback in self._on_stopped:
            await callback()
        self._on_stopped.clear()
        log.info("stopped")

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()


def build_server(
    servicer: payments_pb2_grpc.PaymentServiceServicer,
    authenticator: ApiKeyAuthenticator,
    listen_addr: str,
) -> PaymentsServer:
    server = grpc.aio.server(interceptors=server_interceptors(authenticator))
    payments_pb2_grpc.add_PaymentServiceServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (PAYMENT_SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    try:
        port = server.add_insecure_port(listen_addr)
    except RuntimeError as error:
        raise BindError(f"cannot listen on {listen_addr}: {error}") from None
    if port == 0:
        raise BindError(f"cannot listen on {listen_addr}: the address is in use or not local")
    host = listen_addr.rpartition(":")[0]
    return PaymentsServer(server, health_servicer, host, port)
