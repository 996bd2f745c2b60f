"""grpc.aio interceptors: everything every call goes through, in one place each.

Order, outermost first (see `server_interceptors`):
  RequestLogInterceptor     one line per call: method, code, ms, caller id (name or fingerprint)
  ErrorMappingInterceptor   any exception → a status with rich details (never UNKNOWN)
  DrainInterceptor          counts calls in flight; refuses new ones once the server drains
  AuthInterceptor           API key → caller id; rejects before validation or any use case
  ValidationInterceptor     protovalidate on every request message
  CallContextInterceptor    the CallContext the servicer reads (caller, request_id, deadline,
                            the default deadline when the caller set none)

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
from service.call_context import build_call, current_call, current_caller, request_id_of
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


def _wrap(handler: Handler, behaviour: Behaviour) -> Handler:
    """A unary-unary handler like `handler`, with `behaviour` in place of its own."""
    return grpc.unary_unary_rpc_method_handler(
        behaviour,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class _UnaryInterceptor(grpc.aio.ServerInterceptor):
    """Wraps the unary-unary calls of the services that need an API key.

    The wrapped handler depends only on the method (and the handler beneath it, itself cached
    by the inner interceptors), so it is built once per method and reused: everything that
    varies per call (metadata, deadline) is read from the call's context inside the behaviour.
    """

    def __init__(self) -> None:
        # method → (the handler beneath, the wrapped one); only methods the server has, since
        # an unknown method's continuation is None and is never cached.
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or handler.unary_unary is None or not needs_api_key(method):
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        behaviour = cast("Behaviour", handler.unary_unary)  # grpc.aio: an async function
        wrapped = _wrap(handler, self.wrap(method, behaviour))
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
        raise NotImplementedError


class RequestLogInterceptor(_UnaryInterceptor):
    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
        async def logged(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.INTERNAL  # every way out below says what it really was
            try:
                response = await behaviour(request, context)
                code = grpc.StatusCode.OK
                return response
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except BaseException:
                # Cancelled, or its status could not be sent any more: the call had ended.
                code = _code_of_ended_call(context)
                raise
            finally:
                log.info(
                    "rpc %s %s %.1fms caller=%s",
                    method,
                    code.name,
                    (time.perf_counter() - started) * 1000,
                    current_caller.get() or "-",
                )

        return logged


def _code_of_ended_call(context: Context) -> grpc.StatusCode:
    """What the caller saw of a call that failed outside the error mapping.

    When the deadline passes, gRPC ends the call at once: the handler is cancelled, or the
    status it then tries to send is refused. The caller saw DEADLINE_EXCEEDED (or, when it gave
    up itself, CANCELLED); anything else is a failure of ours.
    """
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    if context.cancelled():
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.INTERNAL


class ErrorMappingInterceptor(_UnaryInterceptor):
    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
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
                        method,
                        reference,
                        exc_info=error,
                    )
                outcome = to_rpc_status(error, reference=reference)
                await context.abort_with_status(rpc_status.to_status(outcome.status))

        return mapped


class DrainInterceptor(_UnaryInterceptor):
    def __init__(self, drain: Drain) -> None:
        super().__init__()
        self._drain = drain

    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
        async def admitted(request: Any, context: Context) -> Any:
            # grpc.aio's own stop() would CANCEL a new call on an open connection; refusing it
            # here instead tells the caller, with details, that another instance can serve it.
            with self._drain.admit():  # raises ShuttingDown once the drain has begun
                return await behaviour(request, context)

        return admitted


class AuthInterceptor(_UnaryInterceptor):
    def __init__(self, authenticator: ApiKeyAuthenticator) -> None:
        super().__init__()
        self._authenticator = authenticator

    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
        async def authenticated(request: Any, context: Context) -> Any:
            presented = key_from_metadata(context.invocation_metadata() or ())
            caller_id = self._authenticator.authenticate(presented)  # raises Unauthenticated
            current_caller.set(caller_id)
            return await behaviour(request, context)

        return authenticated


class ValidationInterceptor(_UnaryInterceptor):
    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
        async def validated(request: Any, context: Context) -> Any:
            validation.validate(request)  # raises RequestInvalid listing every violation
            return await behaviour(request, context)

        return validated


class CallContextInterceptor(_UnaryInterceptor):
    def __init__(self, default_deadline_seconds: float | None = None) -> None:
        super().__init__()
        self._default_deadline = default_deadline_seconds

    def wrap(self, method: str, behaviour: Behaviour) -> Behaviour:
        async def with_call(request: Any, context: Context) -> Any:
            caller_id = current_caller.get()
            if caller_id is None:
                raise RuntimeError("CallContextInterceptor ran before authentication")
            current_call.set(
                build_call(
                    caller_id,
                    request_id_of(request),
                    context.time_remaining(),
                    default_deadline_seconds=self._default_deadline,
                )
            )
            return await behaviour(request, context)

        return with_call


def server_interceptors(
    authenticator: ApiKeyAuthenticator, drain: Drain, default_deadline_seconds: float | None = None
) -> Sequence[grpc.aio.ServerInterceptor]:
    """The interceptors in the order grpc.aio applies them: the first is the outermost."""
    return (
        RequestLogInterceptor(),
        ErrorMappingInterceptor(),
        DrainInterceptor(drain),
        AuthInterceptor(authenticator),
        ValidationInterceptor(),
        CallContextInterceptor(default_deadline_seconds),
    )
