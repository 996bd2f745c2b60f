"""`python -m service`: serve until SIGTERM/SIGINT, then drain and exit 0.

A misconfiguration prints one line to stderr and exits 2, without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from ledger import LedgerStartError
from service.config import ConfigError, Settings, load_settings, variable_of
from service.server import BindError

EXIT_CONFIG_ERROR = 2

log = logging.getLogger("service")


class OneLineFormatter(logging.Formatter):
    """One line per record, even with a traceback, so log shippers keep records whole."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    # httpx logs every HTTP exchange at INFO; the service's own request log already says what
    # happened. (The Stripe SDK's logger is held at WARNING by the adapter: its messages can
    # quote the end of the Stripe key.)
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(settings.httpx_log_level)
    # Alembic says at INFO how it migrates, five lines at every start even with nothing to do.
    logging.getLogger("alembic").setLevel(max(settings.log_level, logging.WARNING))


async def serve(settings: Settings) -> None:
    # Imported here so that a configuration error is reported before heavy imports run.
    from service.composition import running_service

    # Handlers first: a signal during start-up then stops the service gracefully too, instead
    # of killing the process with the default action.
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_requested.set)
    async with running_service(settings) as service:
        # Parents (tools/stack.py, tests) wait for these lines: they mean "ready, and here".
        print(f"payments service listening on grpc://{service.address}", flush=True)
        if service.http_address is not None:
            print(f"payments service listening on http://{service.http_address}", flush=True)
        await stop_requested.wait()
        log.info("stop requested; draining")


def main() -> int:
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        print(f"payments: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    configure_logging(settings)
    try:
        asyncio.run(serve(settings))
    except BindError as error:
        fix = f"set {variable_of(error.setting)} to a free address of this host"
        print(f"payments: {error}; {fix}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except LedgerStartError as error:
        where = variable_of("database_url")
        print(f"payments: the payment ledger cannot start: {error} ({where})", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    return 0


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
