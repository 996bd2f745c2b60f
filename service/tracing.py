"""Traces (OpenTelemetry), when the standard OTEL_* variables ask for them: a server span per
call (either door), joined to the caller's trace when it sends W3C `traceparent`, and a client
span per Stripe request attempt under it.

`tracer_provider_from_env` reads the variables the OpenTelemetry SDK documents (the exporter's
own, such as OTEL_EXPORTER_OTLP_ENDPOINT, are read by the exporter): traces are on when
OTEL_TRACES_EXPORTER is `otlp` or `console`, or unset with an OTLP endpoint given; off with
`none`, OTEL_SDK_DISABLED=true, or nothing set. The provider is the service's own (not the
global one), passed to `running_service`, so tests can pass one that keeps spans in memory.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from service.call_record import CallRecord

SERVICE_NAME = "payments-service"
_PROPAGATOR = TraceContextTextMapPropagator()  # W3C traceparent / tracestate
# Codes that say the server failed (OpenTelemetry's semantic conventions for gRPC servers).
_C = grpc.StatusCode
_SERVER_ERRORS = frozenset(
    {_C.UNKNOWN, _C.DEADLINE_EXCEEDED, _C.UNIMPLEMENTED, _C.INTERNAL, _C.UNAVAILABLE, _C.DATA_LOSS}
)


class TracingConfigError(ValueError):
    """The OTEL_* variables ask for something this service does not do."""


def tracer_provider_from_env(environ: Mapping[str, str]) -> TracerProvider | None:
    """The provider the variables ask for, exporting in batches; None when traces are off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporter = _exporter(environ)
    if exporter is None:
        return None
    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)  # the sampler: OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _exporter(environ: Mapping[str, str]) -> SpanExporter | None:
    name = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if name == "none" or (not name and not endpoint):
        return None
    if name in ("", "otlp"):
        return OTLPSpanExporter()  # OTLP over gRPC; endpoint, headers, TLS from OTEL_EXPORTER_*
    if name == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    raise TracingConfigError("OTEL_TRACES_EXPORTER must be otlp, console or none")


class Tracing:
    """The spans of one service; also a StripeObserver (a span per Stripe request attempt)."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._tracer = provider.get_tracer("payments-service")

    @contextmanager
    def call_span(
        self, record: CallRecord, metadata: Iterable[tuple[str, str | bytes]]
    ) -> Iterator[None]:
        """The call's server span, current while the block runs (Stripe spans go under it)."""
        carrier = {key.lower(): value for key, value in metadata if isinstance(value, str)}
        parent = _PROPAGATOR.extract(carrier)
        service, _, method = record.rpc.strip("/").partition("/")
        span = self._tracer.start_span(
            record.rpc.strip("/"),
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": method,
                        "payments.door": record.door},
        )  # fmt: skip
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            yield
        finally:
            otel_context.detach(token)
            _end_call_span(span, record)

    def stripe_request(
        self, method: str, endpoint: str, outcome: str, seconds: float, request_id: str
    ) -> None:
        ended = time.time_ns()
        span = self._tracer.start_span(
            f"{method} {endpoint}",
            kind=trace.SpanKind.CLIENT,
            start_time=ended - int(seconds * 1e9),
            attributes={"http.request.method": method, "url.template": endpoint,
                        "server.address": "stripe", "stripe.request_id": request_id},
        )  # fmt: skip
        if outcome.isdigit():
            span.set_attribute("http.response.status_code", int(outcome))
        if not outcome.isdigit() or int(outcome) >= 500:
            span.set_status(trace.StatusCode.ERROR, outcome)
        span.end(end_time=ended)

    def stripe_retry(self, reason: str) -> None:
        trace.get_current_span().add_event("stripe.retry", {"reason": reason})


def _end_call_span(span: trace.Span, record: CallRecord) -> None:
    span.set_attribute("rpc.grpc.status_code", record.code.value[0])
    span.set_attribute("payments.caller", record.caller)
    if record.reason:
        span.set_attribute("error.type", record.reason)
    if record.request_id:
        span.set_attribute("payments.request_id", record.request_id)
    if record.code in _SERVER_ERRORS:
        span.set_status(trace.StatusCode.ERROR, record.reason or record.code.name)
    span.end()
