"""The emulator and the service as child processes, for `make demo` and `make run`.

Against the emulator unless STRIPE_SECRET_KEY is set, in which case the service talks to real
Stripe test mode and no emulator starts (and refuses to start with a live or malformed key).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from tools.processes import start

EMULATOR_STRIPE_KEY = "sk_test_emulator_local"


@dataclass(frozen=True)
class Stack:
    grpc_address: str
    http_address: str | None
    emulator_url: str | None


@contextmanager
def running_stack(
    *,
    api_key: str,
    grpc_addr: str,
    http_addr: str | None,
    say: Callable[[str], None],
    emulator_port: int = 0,
    service_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Starts what is needed, yields where it listens, stops everything on leaving.

    `service_env` adds to the service's environment (the caller's own environment wins).
    """
    with ExitStack() as stack:
        env = {name: value for name, value in (service_env or {}).items() if name not in os.environ}
        env |= {"PAYMENTS_API_KEYS": api_key, "PAYMENTS_LISTEN_ADDR": grpc_addr}
        if http_addr:
            env["PAYMENTS_HTTP_ADDR"] = http_addr
        emulator_url = None
        stripe_key = os.environ.get("STRIPE_SECRET_KEY", "")
        if stripe_key:
            # Any key the caller set goes to the service, which refuses anything but a test key
            # (a live key above all) with one line: never fall back to the emulator silently.
            say("STRIPE_SECRET_KEY is set: the service talks to Stripe (test mode only)")
            env["STRIPE_SECRET_KEY"] = stripe_key
        else:
            say("Starting the Stripe emulator")
            emulator = stack.enter_context(
                start(
                    [
                        sys.executable,
                        "-m",
                        "stripe_emulator",
                        "--port",
                        str(emulator_port),
                        "--log-level",
                        "WARNING",
                    ],
                    ready="stripe-emulator listening on ",
                )
            )
            emulator_url = emulator.address
            env |= {"STRIPE_SECRET_KEY": EMULATOR_STRIPE_KEY, "STRIPE_API_BASE": emulator_url}
        say("Starting the payment service")
        service = stack.enter_context(
            start(
                [sys.executable, "-m", "service"],
                ready="listening on grpc://",
                also=("listening on http://",) if http_addr else (),
                env=env,
            )
        )
        yield Stack(
            grpc_address=service.address,
            http_address=service.extra.get("listening on http://"),
            emulator_url=emulator_url,
        )
        say("Stopping")


def pay_in_emulator(
    emulator_url: str, session_id: str, outcome: str = "succeed", timeout: float = 10.0
) -> dict[str, Any]:
    """The emulator-only route that stands for the customer paying on the hosted page; answers
    the session (its payment_intent expanded). urllib.error.HTTPError carries a refusal."""
    request = urllib.request.Request(
        f"{emulator_url}/_emulator/checkout/sessions/{urllib.parse.quote(session_id, safe='')}/pay",
        data=json.dumps({"outcome": outcome}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        session: dict[str, Any] = json.loads(response.read())
    return session
