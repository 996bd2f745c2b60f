"""`make run`: the service on 127.0.0.1:50051 (gRPC) and :8080 (HTTP/JSON) until Ctrl-C.

Against the local Stripe emulator, or real Stripe test mode when STRIPE_SECRET_KEY=sk_test_… is
set. PAYMENTS_API_KEYS may name the keys; otherwise a development key is used and printed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from tools.processes import StartError
from tools.stack import Stack, running_stack

DEV_API_KEY = "dev-key-change-me-0123456789"


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> int:
    try:
        serve()
    except StartError as error:  # the child said why on stderr, above
        print(f"run failed: {error}", file=sys.stderr)
        return 1
    return 0


def serve() -> None:
    api_key = os.environ.get("PAYMENTS_API_KEYS", DEV_API_KEY)
    first_key = api_key.split(",")[0].strip()
    grpc_addr = os.environ.get("PAYMENTS_LISTEN_ADDR", "127.0.0.1:50051")
    http_addr = os.environ.get("PAYMENTS_HTTP_ADDR", "127.0.0.1:8080")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with running_stack(api_key=api_key, grpc_addr=grpc_addr, http_addr=http_addr, say=say) as stack:
        print(banner(stack, first_key, shown_key=api_key == DEV_API_KEY), flush=True)
        stop.wait()


def banner(stack: Stack, key: str, *, shown_key: bool) -> str:
    body = '{"email": "ada@example.com", "name": "Ada"}'
    if not shown_key:  # never echo a real key; the dev key is no secret
        key = "$PAYMENTS_API_KEY"
    return "\n".join(
        [
            "",
            f"gRPC       {stack.grpc_address}",
            f"HTTP/JSON  http://{stack.http_address}  (OpenAPI at /openapi.json)",
            f"Stripe     {stack.emulator_url or 'api.stripe.com (test mode)'}",
            f"API key    {key if shown_key else 'one of PAYMENTS_API_KEYS'}",
            "",
            "Try:",
            f"  .venv/bin/grpcurl -plaintext -H 'x-api-key: {key}' {stack.grpc_address} list",
            f"  curl -s -H 'x-api-key: {key}' -H 'content-type: application/json' \\",
            f"    -d '{body}' http://{stack.http_address}/v1/customers",
            "",
            "Ctrl-C stops.",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
