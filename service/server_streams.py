"""The server's own streams, health Watch and reflection's ServerReflectionInfo, ended when the
drain begins like every other stream: UNAVAILABLE `SHUTTING_DOWN` with a RetryInfo, not left
open until the port closes. grpc's servicers answer; each stream of theirs runs inside
`Drain.admit_stream(None)` (not limited, cut by task cancellation at the drain's start).
Health's unary Check is not a stream: it answers (NOT_SERVING) until the port closes.

Health's two methods read their request message themselves, as PaymentService's do
(service.grpc_requests): a Check or Watch that ends without a whole message, or whose bytes are
no HealthCheckRequest, is refused as MALFORMED_REQUEST; grpcio's own reading answered the first
never, and the second with UNKNOWN.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc
from grpc_status import rpc_status

from service.draining import Drain
from service.errors import EdgeError, failure_of
from service.grpc_requests import first_message, tolerant_parser

if TYPE_CHECKING:  # the grpc classes are generic in the stubs only
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

StreamMethod: TypeAlias = Callable[[Any, "Context"], Awaitable[None]]
T = TypeVar("T")
_REQUEST_NAME = health_pb2.HealthCheckRequest.DESCRIPTOR.name


def ended_at_drain(drain: Drain, method: StreamMethod) -> StreamMethod:
    """`method` (a stream written with `context.write`) run as one of the server's own streams:
    refused, or ended, with SHUTTING_DOWN once the drain has begun."""

    async def serve(request: Any, context: Context) -> None:
        with drain.admit_stream(None):
            await method(request, context)

    return refusing(serve)


def refusing(method: Callable[[Any, Context], Awaitable[T]]) -> Callable[[Any, Context], Any]:
    """`method`, an EdgeError it raises answered with the service's status for it."""

    async def serve(request: Any, context: Context) -> T:
        try:
            return await method(request, context)
        except EdgeError as error:
            await context.abort_with_status(rpc_status.to_status(failure_of(error).status))
            raise  # abort_with_status raises; this line only tells the type checker

    return serve


# grpc_health and grpc_reflection have no type information: their classes are Any to mypy.
class DrainedHealth(health.aio.HealthServicer):  # type: ignore[misc]
    """grpc's health servicer (statuses set on it as usual), its Watch streams ended at the
    drain; every other method is grpc's."""

    def __init__(self, drain: Drain) -> None:
        super().__init__()
        self._watch = ended_at_drain(drain, super().Watch)

    async def Watch(self, request: Any, context: Context) -> None:  # noqa: N802 (gRPC's name)
        await self._watch(request, context)


class DrainedReflection(reflection.aio.ReflectionServicer):  # type: ignore[misc]
    """grpc's reflection servicer, its answers written here rather than yielded, so that the
    drain can end the stream with a status of ours."""

    def __init__(self, service_names: Iterable[str], drain: Drain) -> None:
        super().__init__(tuple(service_names))
        self._info = ended_at_drain(drain, self._write_answers)

    async def ServerReflectionInfo(  # noqa: N802 (gRPC's name)
        self, requests: AsyncIterable[Any], context: Context
    ) -> None:
        await self._info(requests, context)

    async def _write_answers(self, requests: AsyncIterable[Any], context: Context) -> None:
        async with aclosing(super().ServerReflectionInfo(requests, context)) as answers:
            async for answer in answers:
                await context.write(answer)


def add_health(server: grpc.aio.Server, drain: Drain) -> health.aio.HealthServicer:
    """Registers grpc.health.v1.Health, each method reading its request itself; returns the
    servicer that holds the statuses."""
    servicer = DrainedHealth(drain)

    async def check(_: object, context: Context) -> Any:
        return await servicer.Check(await first_message(context, _REQUEST_NAME), context)

    async def watch(_: object, context: Context) -> None:
        await servicer.Watch(await first_message(context, _REQUEST_NAME), context)

    options = {
        "request_deserializer": tolerant_parser(health_pb2.HealthCheckRequest),
        "response_serializer": health_pb2.HealthCheckResponse.SerializeToString,
    }
    handlers = {
        "Check": grpc.stream_unary_rpc_method_handler(refusing(check), **options),
        "Watch": grpc.stream_stream_rpc_method_handler(refusing(watch), **options),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(health.SERVICE_NAME, handlers),)
    )
    server.add_registered_method_handlers(health.SERVICE_NAME, handlers)
    return servicer


def add_reflection(server: grpc.aio.Server, drain: Drain, service_names: Iterable[str]) -> None:
    """Registers server reflection for `service_names` (and for itself)."""
    names = (*service_names, reflection.SERVICE_NAME)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
        DrainedReflection(names, drain), server
    )
