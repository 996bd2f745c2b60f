"""`python -m service`: serve until SIGTERM/SIGINT, then drain and exit 0.

A misconfiguration prints one line to stderr and exits 2, without a traceback. Should the gRPC
port close by itself, the process drains what is left and exits 1, to be restarted.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from ledger import LedgerStartError
from service.auth import ApiKeyAuthenticator
from service.config import ConfigError, Settings, load_settings, read_keys, variable_of
from service.logs import formatter
from service.server import BindError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

EXIT_CONFIG_ERROR = 2
EXIT_DOOR_LOST = 1
GC_YOUNG_THRESHOLD = 10_000

log = logging.getLogger("service")


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings.log_format))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # The Stripe SDK's logger is held at WARNING by the adapter (its messages can quote the end
    # of the Stripe key); its HTTP client, aiohttp's, logs nothing per request.
    # Alembic says at INFO how it migrates, five lines at every start even with nothing to do.
    logging.getLogger("alembic").setLevel(max(settings.log_level, logging.WARNING))


async def serve(settings: Settings, tracer_provider: TracerProvider | None = None) -> None:
    # Imported here so that a configuration error is reported before heavy imports run.
    from service.composition import running_service

    # Handlers first: a signal during start-up then stops the service gracefully too, instead
    # of killing the process with the default action.
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_requested.set)
    async with running_service(settings, tracer_provider=tracer_provider) as service:
        loop.add_signal_handler(signal.SIGHUP, reload_api_keys, settings, service.authenticator)
        frozen = settle_garbage_collection()
        loop_name = type(loop).__module__.partition(".")[0]  # uvloop or asyncio
        log.info(
            "event loop: %s; %d start-up objects out of the collector's way", loop_name, frozen
        )
        # Parents (tools/stack.py, tests) wait for these lines: they mean "ready, and here".
        print(f"payments service listening on grpc://{service.address}", flush=True)
        if service.http_address is not None:
            print(f"payments service listening on http://{service.http_address}", flush=True)
        if not await _stop_or_door_lost(stop_requested, service.server.closed()):
            raise GrpcDoorLost()
        log.info("stop requested; draining")


class GrpcDoorLost(Exception):
    """The gRPC port closed with no stop asked for: the process exits for its supervisor to
    start a new one, rather than serve on with half its doors."""


async def _stop_or_door_lost(stop_requested: asyncio.Event, door_closed: Awaitable[None]) -> bool:
    """True once a stop is asked for; False should the gRPC door close by itself first."""
    stop = asyncio.ensure_future(stop_requested.wait())
    # Left running: cancelling grpcio's wait for its termination would cancel the termination
    # itself, which the stop still awaits; it returns once that stop closes the port.
    closed = asyncio.ensure_future(door_closed)
    await asyncio.wait((stop, closed), return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    return stop_requested.is_set()


def settle_garbage_collection() -> int:
    """Once started: what start-up built (modules, descriptors, the SDK, the servers) lives as
    long as the process, so it leaves the collector's generations (`gc.freeze`), and the
    youngest generation is collected after GC_YOUNG_THRESHOLD allocations instead of 700.
    Each call allocates a few hundred objects; with hundreds of calls in flight, the default
    collected several times per call and rescanned the whole start-up heap in every full
    collection: 12 % of the CPU at 256 calls in flight (make profile); 3 % since, and 1.2-1.35x
    the calls/s (bench/transport_benchmarks.py, the pool sized). Returns how many were frozen."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    return gc.get_freeze_count()


def reload_api_keys(settings: Settings, authenticator: ApiKeyAuthenticator) -> None:
    """SIGHUP: the keys of PAYMENTS_API_KEYS_FILE replace those in use, all at once; keys that
    cannot be used keep the old ones in use (and say why)."""
    if settings.api_keys_file is None:
        where = variable_of("api_keys")
        log.warning("SIGHUP: the API keys come from %s, which cannot change: none reloaded", where)
        return
    try:
        keys = read_keys(settings.api_keys_file)
    except ConfigError as error:
        log.error("SIGHUP: the API keys in use are kept: %s", error)
        return
    authenticator.replace(keys)
    callers = sorted({key.caller_id for key in keys})
    log.info("SIGHUP: %d API keys reloaded, callers %s", len(keys), ", ".join(callers))


def main() -> int:
    try:
        settings = load_settings(os.environ)
        tracer_provider = _tracer_provider(os.environ)
    except ConfigError as error:
        print(f"payments: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    configure_logging(settings)
    try:
        with asyncio.Runner(loop_factory=_loop_factory(settings.event_loop)) as runner:
            runner.run(serve(settings, tracer_provider))
    except BindError as error:
        fix = f"set {variable_of(error.setting)} to a free address of this host"
        print(f"payments: {error}; {fix}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except GrpcDoorLost:
        log.critical(
            "the gRPC door closed by itself (grpcio's serving loop failed, see above): "
            "exiting %d for the process to be restarted",
            EXIT_DOOR_LOST,
        )
        return EXIT_DOOR_LOST
    except LedgerStartError as error:
        where = variable_of("database_url")
        print(f"payments: the payment ledger cannot start: {error} ({where})", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    finally:
        if tracer_provider is not None:
            tracer_provider.shutdown()  # exports the spans still batched
    return 0


def _loop_factory(event_loop: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """PAYMENTS_EVENT_LOOP's loop; None: asyncio's own."""
    if event_loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def _tracer_provider(environ: Mapping[str, str]) -> TracerProvider | None:
    """The traces' provider the OTEL_* variables ask for (service.tracing), or None."""
    from service.tracing import TracingConfigError, tracer_provider_from_env

    try:
        return tracer_provider_from_env(environ)
    except TracingConfigError as error:
        raise ConfigError(str(error)) from None


def exit_now(code: int) -> None:
    """Ends the process once `main` is done: everything is closed by then (calls ended, the
    ledger and the Stripe client closed, the log flushed here), so the interpreter's own
    teardown, a second or more of garbage collection over every imported module on a loaded
    machine, would only delay the exit an orchestrator waits for."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
