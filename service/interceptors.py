"""grpc.aio interceptors: everything every call goes through, in one place each.

Order, outermost first (see `server_interceptors`):
  RequestLogInterceptor     one line per call: method, code, ms, caller fingerprint
  ErrorMappingInterceptor   any exception → a status with rich details (never UNKNOWN)
  DrainInterceptor          counts calls in flight; refuses new ones once the server drains
  AuthInterceptor           API key → caller id; rejects before validation or any use case
  ValidationInterceptor     protovalidate on every request message
  CallContextInterceptor    the CallContext the servicer reads (caller, request_id, deadline)

The drain check is the first one a call meets: it refuses before the key is checked or any work
is done. Only logging and error mapping sit outside it, so a refusal is logged and carries rich
details like every other error.

Only unary-unary methods of our own services are wrapped; the health and reflection services pass
through untouched, so `grpcurl list` and health probes work without a key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import grpc
from grpc_status import rpc_status

from domain.errors import DomainError
from service import validation
from service.auth import ApiKeyAuthenticator, key_from_metadata
from service.call_context import build_call, current_call, current_caller
from service.draining import Drain
from service.status import new_reference, to_rpc_status

log = logging.getLogger("service.rpc")

if TYPE_CHECKING:  # the grpc classes are generic in the stubs only
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
    Behaviour: TypeAlias = Callable[[Any, Context], Awaitable[Any]]
    Handler: TypeAlias = grpc.RpcMethodHandler[Any, Any]
    Continuation: TypeAlias = Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]]

UNAUTHENTICATED_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
"""Infrastructure services callable without a key: they reveal no data, only the schema and
whether the process is up, and probes (load balancers, kubelet) do not hold API keys."""


def needs_api_key(method: str) -> bool:
    return not method.startswith(UNAUTHENTICATED_PREFIXES)


def _wrap(handler: Handler | None, wrap: Callable[[Behaviour], Behaviour]) -> Handler | None:
    """Replaces a unary-unary handler's behaviour with `wrap(behaviour)`; others unchanged."""
    if handler is None or handler.unary_unary is None:
        return handler
    behaviour = cast("Behaviour", handler.unary_unary)  # grpc.aio: an async function
    return grpc.unary_unary_rpc_method_handler(
        wrap(behaviour),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class _UnaryInterceptor(grpc.aio.ServerInterceptor):
    """Wraps the unary-unary calls of the services that need an API key."""

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if not needs_api_key(handler_call_details.method):
            return handler
        return _wrap(handler, lambda behaviour: self.wrap(handler_call_details, behaviour))

    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        raise NotImplementedError


class RequestLogInterceptor(_UnaryInterceptor):
    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        async def logged(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.INTERNAL  # stays so only if something escapes every layer
            try:
                response = await behaviour(request, context)
                code = grpc.StatusCode.OK
                return response
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            finally:
                log.info(
                    "rpc %s %s %.1fms caller=%s",
                    details.method,
                    code.name,
                    (time.perf_counter() - started) * 1000,
                    current_caller.get() or "-",
                )

        return logged


class ErrorMappingInterceptor(_UnaryInterceptor):
    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        async def mapped(request: Any, context: Context) -> Any:
            try:
                return await behaviour(request, context)
            except grpc.aio.AbortError:
                raise  # already a status
            except Exception as error:  # CancelledError is a BaseException: it passes through
                reference = new_reference()
                if not isinstance(error, DomainError):
                    log.error(
                        "unexpected error in %s; reference %s",
                        details.method,
                        reference,
                        exc_info=error,
                    )
                outcome = to_rpc_status(error, reference=reference)
                await context.abort_with_status(rpc_status.to_status(outcome.status))

        return mapped


class DrainInterceptor(_UnaryInterceptor):
    def __init__(self, drain: Drain) -> None:
        self._drain = drain

    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        async def admitted(request: Any, context: Context) -> Any:
            # grpc.aio's own stop() would CANCEL a new call on an open connection; refusing it
            # here instead tells the caller, with details, that another instance can serve it.
            with self._drain.admit():  # raises ShuttingDown once the drain has begun
                return await behaviour(request, context)

        return admitted


class AuthInterceptor(_UnaryInterceptor):
    def __init__(self, authenticator: ApiKeyAuthenticator) -> None:
        self._authenticator = authenticator

    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        async def authenticated(request: Any, context: Context) -> Any:
            presented = key_from_metadata(details.invocation_metadata or ())
            caller_id = self._authenticator.authenticate(presented)  # raises Unauthenticated
            current_caller.set(caller_id)
            return await behaviour(request, context)

        return authenticated


class ValidationInterceptor(_UnaryInterceptor):
    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        async def validated(request: Any, context: Context) -> Any:
            validation.validate(request)  # raises RequestInvalid listing every violation
            return await behaviour(request, context)

        return validated


class CallContextInterceptor(_UnaryInterceptor):
    def wrap(self, details: grpc.HandlerCallDetails, behaviour: Behaviour) -> Behaviour:
        async def with_call(request: Any, context: Context) -> Any:
            caller_id = current_caller.get()
            if caller_id is None:
                raise RuntimeError("CallContextInterceptor ran before authentication")
            request_id: str = getattr(request, "request_id", "")
            current_call.set(build_call(caller_id, request_id, context.time_remaining()))
            return await behaviour(request, context)

        return with_call


def server_interceptors(
    authenticator: ApiKeyAuthenticator, drain: Drain
) -> Sequence[grpc.aio.ServerInterceptor]:
    """The interceptors in the order grpc.aio applies them: the first is the outermost."""
    return (
        RequestLogInterceptor(),
        ErrorMappingInterceptor(),
        DrainInterceptor(drain),
        AuthInterceptor(authenticator),
        ValidationInterceptor(),
        CallContextInterceptor(),
    )
