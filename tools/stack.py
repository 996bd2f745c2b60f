"""The emulator and the service as child processes, for `make demo` and `make run`.

Against the emulator unless STRIPE_SECRET_KEY is set, in which case the service talks to real
Stripe test mode and no emulator starts (and refuses to start with a live or malformed key).
With the emulator and an HTTP listener, the emulator delivers every event, signed with a secret
made up for the run, to the service's `POST /stripe/webhooks`, as `stripe listen --forward-to`
would; with real Stripe that is the Stripe CLI's job (docs/stripe-test-mode.md).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.urls import parse
from service.config import SQLITE_FILE
from tools.processes import Started, start

EMULATOR_STRIPE_KEY = "sk_test_emulator_local"
EMULATOR_READY = "stripe-emulator listening on "
ENDPOINT_READY = "stripe-emulator webhook endpoint "
WEBHOOK_PATH = "/stripe/webhooks"
# Where the emulator's endpoint points until the service has its port (when that is 0): nothing
# happens in the emulator before the endpoint is pointed at the service, so nothing goes there.
PLACEHOLDER_WEBHOOK_URL = f"http://127.0.0.1:9{WEBHOOK_PATH}"
_WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")


@dataclass(frozen=True)
class Stack:
    grpc_address: str
    http_address: str | None
    emulator_url: str | None
    webhook_url: str | None
    """Where the emulator delivers every event; None when it does not (real Stripe, no HTTP)."""
    ledger: str
    """The service's ledger: its SQLite file, or the database PAYMENTS_DATABASE_URL names."""


@contextmanager
def running_stack(
    *,
    api_key: str,
    grpc_addr: str,
    http_addr: str | None,
    say: Callable[[str], None],
    data_dir: Path,
    emulator_port: int = 0,
    service_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Starts what is needed, yields where it listens, stops everything on leaving.

    `data_dir` holds the ledger (PAYMENTS_DATA_DIR) unless the caller's environment names
    another. `service_env` adds to the service's environment (the caller's own environment wins).
    """
    with ExitStack() as stack:
        defaults = {"PAYMENTS_DATA_DIR": str(data_dir), **(service_env or {})}
        env = {name: value for name, value in defaults.items() if name not in os.environ}
        env |= {"PAYMENTS_API_KEYS": api_key, "PAYMENTS_LISTEN_ADDR": grpc_addr}
        if http_addr:
            env["PAYMENTS_HTTP_ADDR"] = http_addr
        emulator: Started | None = None
        stripe_key = os.environ.get("STRIPE_SECRET_KEY", "")
        if stripe_key:
            # Any key the caller set goes to the service, which refuses anything but a test key
            # (a live key above all) with one line: never fall back to the emulator silently.
            say("STRIPE_SECRET_KEY is set: the service talks to Stripe (test mode only)")
            env["STRIPE_SECRET_KEY"] = stripe_key
        else:
            say("Starting the Stripe emulator")
            emulator, webhook_env = _start_emulator(stack, emulator_port, http_addr)
            env |= webhook_env | {
                "STRIPE_SECRET_KEY": EMULATOR_STRIPE_KEY,
                "STRIPE_API_BASE": emulator.address,
            }
        say("Starting the payment service")
        service = stack.enter_context(
            start(
                [sys.executable, "-m", "service"],
                ready="listening on grpc://",
                also=("listening on http://",) if http_addr else (),
                env=env,
            )
        )
        http_address = service.extra.get("listening on http://")
        yield Stack(
            grpc_address=service.address,
            http_address=http_address,
            emulator_url=emulator.address if emulator else None,
            webhook_url=_deliver_to_service(emulator, http_address),
            ledger=ledger_of({**env, **os.environ}),
        )
        say("Stopping")


def _start_emulator(
    stack: ExitStack, port: int, http_addr: str | None
) -> tuple[Started, dict[str, str]]:
    """The emulator, with an endpoint for the service's webhooks when it has an HTTP listener;
    and the service's settings that take them in."""
    argv = [sys.executable, "-m", "stripe_emulator", "--port", str(port), "--log-level", "WARNING"]
    if not http_addr:
        return stack.enter_context(start(argv, ready=EMULATOR_READY)), {}
    secret = new_webhook_secret()
    argv += ["--webhook-url", webhook_url_of(http_addr), "--webhook-secret", secret]
    emulator = stack.enter_context(start(argv, ready=EMULATOR_READY, also=(ENDPOINT_READY,)))
    return emulator, {"PAYMENTS_WEBHOOK_INTAKE": "true", "STRIPE_WEBHOOK_SECRETS": secret}


def _deliver_to_service(emulator: Started | None, http_address: str | None) -> str | None:
    """Points the emulator's endpoint at the service's real port (it may have been 0)."""
    if emulator is None or http_address is None or ENDPOINT_READY not in emulator.extra:
        return None
    endpoint_id, _, given_url = emulator.extra[ENDPOINT_READY].split()[:3]
    url = webhook_url_of(http_address)
    if url != given_url:
        point_webhooks(emulator.address, endpoint_id, url)
    return url


def new_webhook_secret() -> str:
    """A signing secret for one run: the emulator signs with it, the service checks it."""
    return f"whsec_{secrets.token_urlsafe(24)}"


def webhook_url_of(http_addr: str) -> str:
    """The webhook route of the service listening on `http_addr` (a port 0 cannot be reached:
    it is the placeholder, until the real port is known)."""
    host, _, port = http_addr.rpartition(":")
    if port == "0":
        return PLACEHOLDER_WEBHOOK_URL
    return f"http://{'127.0.0.1' if host in _WILDCARD_HOSTS else host}:{port}{WEBHOOK_PATH}"


def point_webhooks(emulator_url: str, endpoint_id: str, url: str) -> None:
    """Sends the emulator's endpoint `endpoint_id` to `url` (Stripe's endpoint update)."""
    request = urllib.request.Request(
        f"{emulator_url}/v1/webhook_endpoints/{urllib.parse.quote(endpoint_id, safe='')}",
        data=urllib.parse.urlencode({"url": url}).encode(),
        headers={"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def ledger_of(env: Mapping[str, str]) -> str:
    """The ledger a service with this environment keeps, as the banner shows it (a PostgreSQL
    URL without its password)."""
    url = env.get("PAYMENTS_DATABASE_URL", "").strip()
    if url:
        return parse(url).shown
    return str(Path(env.get("PAYMENTS_DATA_DIR", "").strip() or "data").absolute() / SQLITE_FILE)


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
