"""What `make run` prints once everything is up: where things are, and commands that work when
pasted into another shell in the repository (tests/docs/test_doc_commands.py runs them)."""

from __future__ import annotations

from payments.v1 import payments_pb2
from tools.return_pages import Shop
from tools.stack import WEBHOOK_PATH, Stack

# A user's own keys are never echoed: the pasted line takes the first one from their shell.
RECONCILER = "the reconciler lists Stripe's events (every minute by default)"
OWN_KEY = 'export API_KEY="$(printf %s "$PAYMENTS_API_KEYS" | cut -d, -f1 | cut -d= -f2-)"'


def banner(
    stack: Stack, shop: Shop, checkout: payments_pb2.CreateCheckoutResponse, *, dev_key: bool
) -> str:
    session = checkout.checkout_session_id
    key_line = f"export API_KEY={shop.api_key}" if dev_key else OWN_KEY
    key_note = (
        "the development key (set PAYMENTS_API_KEYS for your own)"
        if dev_key
        else "the first of PAYMENTS_API_KEYS (export it in that shell too)"
    )
    lines = [
        "",
        f"gRPC       {stack.grpc_address}",
        f"HTTP/JSON  {f'http://{stack.http_address}' if stack.http_address else 'off'}",
        f"Stripe     {stack.emulator_url or 'api.stripe.com (test mode)'}",
        f"Webhooks   {webhooks(stack)}",
        f"Ledger     {stack.ledger}",
        f"API key    {key_note}",
        "",
        f"Checkout   {checkout.url}",
        "           open while this runs; pay, decline, or cancel it in a browser",
        f"           {shop.base_url}/checkout/new opens a fresh one",
        f"Returns    {shop.base_url}/checkout/success and /checkout/cancel show the status",
        "",
        "Try, in another shell in this folder:",
        f"  {key_line}",
        f'  .venv/bin/grpcurl -plaintext -H "x-api-key: $API_KEY" {stack.grpc_address} list',
    ]
    if stack.http_address:
        http = f"http://{stack.http_address}"
        body = '{"email": "ada@example.com", "name": "Ada"}'
        lines += [
            f"  curl -s -H \"x-api-key: $API_KEY\" -H 'content-type: application/json' "
            f"-d '{body}' {http}/v1/customers",
            f'  curl -s -H "x-api-key: $API_KEY" {http}/v1/payments/{session}',
        ]
    if stack.emulator_url:
        lines.append(f"  make pay SESSION={session}")
    return "\n".join([*lines, "", "Ctrl-C stops."])


def webhooks(stack: Stack) -> str:
    """Where Stripe's events come in, or how to have them come in."""
    if stack.webhook_url:
        return f"{stack.webhook_url} (the emulator sends every event here)"
    if stack.http_address is None:
        return f"none without the HTTP port; {RECONCILER}"
    return (
        f"stripe listen --forward-to {stack.http_address}{WEBHOOK_PATH} "
        f"(docs/stripe-test-mode.md); else {RECONCILER}"
    )
