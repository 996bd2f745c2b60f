"""`make run`: the service on 127.0.0.1:50051 (gRPC) and :8080 (HTTP/JSON) until Ctrl-C.

Against the local Stripe emulator (on 127.0.0.1:12111), or real Stripe test mode when
STRIPE_SECRET_KEY=sk_test_… is set. PAYMENTS_API_KEYS may name the keys; otherwise a
development key is used and printed. The return pages (tools/return_pages.py) serve on
127.0.0.1:8081 and are the service's default success and cancel URLs; a checkout is opened at
start-up and its hosted page stays open while this runs. The emulator delivers its events to the
service's webhook route (`POST /stripe/webhooks` on the HTTP port); the ledger is a SQLite file
under build/run-data (see `ledger_dir`). Every address can be changed from the environment:
PAYMENTS_LISTEN_ADDR, PAYMENTS_HTTP_ADDR, PAYMENTS_RUN_PAGES_ADDR and STRIPE_EMULATOR_PORT (0 picks
a free port); PAYMENTS_DATA_DIR or PAYMENTS_DATABASE_URL name another ledger.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sys
import threading
import uuid
from pathlib import Path

import grpc

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError
from tools.return_pages import CALL_TIMEOUT_SECONDS, Shop, serving_pages
from tools.run_banner import banner
from tools.run_state import REPO, RunState, remove_state, write_state
from tools.stack import Stack, running_stack

DEV_API_KEY = "dev-key-change-me-0123456789"
RUN_DATA = REPO / "build" / "run-data"
_ADDRESS = re.compile(r"^[^\s:]+:\d{1,5}$")


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> int:
    try:
        serve()
    except _Misconfigured as error:
        print(f"run: {error}", file=sys.stderr)
        return 2
    except StartError as error:  # the child said why on stderr, above
        print(f"run failed: {error}", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        print(f"run failed: opening the start-up checkout: {error}", file=sys.stderr)
        return 1
    return 0


class _Misconfigured(Exception):
    pass


def _setting(name: str, default: str, pattern: re.Pattern[str], shape: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if not pattern.match(value):
        raise _Misconfigured(f"{name} must be {shape}, not {value!r}")
    return value


def _free(name: str, host: str, port: int) -> None:
    """Says which setting to change when a port is taken (a second `make run`, most likely)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        why = str(error.strerror).split(" (")[0]  # asyncio-style details repeat the address
        raise _Misconfigured(
            f"{name}: {host}:{port} is not free ({why}); is another `make run` running? "
            f"Set {name} to a free one (port 0 picks one)"
        ) from None


def serve() -> None:
    api_keys = os.environ.get("PAYMENTS_API_KEYS", "").strip() or DEV_API_KEY
    pages_addr = _setting("PAYMENTS_RUN_PAGES_ADDR", "127.0.0.1:8081", _ADDRESS, "host:port")
    port = _setting("STRIPE_EMULATOR_PORT", "12111", re.compile(r"^\d{1,5}$"), "a port number")
    pages_host, _, pages_port = pages_addr.rpartition(":")
    _free("PAYMENTS_RUN_PAGES_ADDR", pages_host, int(pages_port))
    if not os.environ.get("STRIPE_SECRET_KEY"):
        _free("STRIPE_EMULATOR_PORT", "127.0.0.1", int(port))
    data_dir = ledger_dir()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    shop = Shop(api_key=first_key(api_keys))
    with (
        serving_pages(pages_addr, shop),
        running_stack(
            api_key=api_keys,
            grpc_addr=os.environ.get("PAYMENTS_LISTEN_ADDR", "127.0.0.1:50051"),
            http_addr=os.environ.get("PAYMENTS_HTTP_ADDR", "127.0.0.1:8080"),
            say=say,
            emulator_port=int(port),
            data_dir=data_dir,
            service_env={
                "PAYMENTS_SUCCESS_URL": shop.success_url,
                "PAYMENTS_CANCEL_URL": shop.cancel_url,
            },
        ) as stack,
        grpc.insecure_channel(stack.grpc_address) as channel,
    ):
        shop.stub = payments_pb2_grpc.PaymentServiceStub(channel)
        checkout = open_first_checkout(shop)
        write_state(_state(stack, shop))
        try:
            print(banner(stack, shop, checkout, dev_key=api_keys == DEV_API_KEY), flush=True)
            stop.wait()
        finally:
            remove_state()


def ledger_dir() -> Path:
    """The ledger's directory, unless the environment names another ledger.

    On the emulator, build/run-data/emulator, emptied at every start: the emulator starts empty,
    so a ledger kept from an earlier run would answer, from final statuses and with no Stripe
    call, for payments this emulator never had. Against Stripe test mode, build/run-data/
    stripe-test, kept across runs: Stripe keeps its payments too, and a kept ledger spares the
    start-up reconciliation re-reading up to 30 days of events.
    """
    if os.environ.get("STRIPE_SECRET_KEY"):
        return RUN_DATA / "stripe-test"
    directory = RUN_DATA / "emulator"
    if not (os.environ.get("PAYMENTS_DATA_DIR") or os.environ.get("PAYMENTS_DATABASE_URL")):
        shutil.rmtree(directory, ignore_errors=True)
    return directory


def first_key(api_keys: str) -> str:
    """The key of the first `name=key` or bare `key` entry (a bare key cannot contain `=`)."""
    entry = next((e.strip() for e in api_keys.split(",") if e.strip()), "")
    return entry.partition("=")[2].strip() if "=" in entry else entry


def open_first_checkout(shop: Shop) -> payments_pb2.CreateCheckoutResponse:
    """A customer, a product and a checkout, so there is a hosted page to open right away."""
    assert shop.stub is not None
    metadata = (("x-api-key", shop.api_key),)
    suffix = uuid.uuid4().hex[:8]
    shop.customer_id = shop.stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(email=f"ada.{suffix}@example.com", name="Ada Lovelace"),
        metadata=metadata,
        timeout=CALL_TIMEOUT_SECONDS,
    ).customer.id
    shop.product_id = shop.stub.CreateProduct(
        payments_pb2.CreateProductRequest(
            name="Analytical Engine manual",
            unit_amount=4200,
            currency="usd",
            external_product_id=f"make-run-{suffix}",
        ),
        metadata=metadata,
        timeout=CALL_TIMEOUT_SECONDS,
    ).product.id
    return shop.open_checkout()


def _state(stack: Stack, shop: Shop) -> RunState:
    return RunState(
        grpc_address=stack.grpc_address,
        http_address=stack.http_address,
        emulator_url=stack.emulator_url,
        pages_url=shop.base_url,
    )


if __name__ == "__main__":
    sys.exit(main())
