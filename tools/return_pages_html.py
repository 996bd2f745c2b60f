"""The HTML of `make run`'s return pages (tools/return_pages.py); every value is escaped."""

from __future__ import annotations

from html import escape

from payments.v1 import payments_pb2

_STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1f36;background:#f6f9fc}"
    "main{max-width:560px;margin:0 auto;padding:32px 16px}"
    ".card{background:#fff;border-radius:8px;padding:24px;box-shadow:0 2px 5px rgba(60,66,87,.1)}"
    "h1{font-size:22px;margin:0 0 16px}dl{margin:0}"
    "dt{color:#697386;font-size:14px;margin-top:12px}dd{margin:0;overflow-wrap:anywhere}"
    ".status{font-weight:600}a{color:#635bff}"
)

_HEADINGS = {
    payments_pb2.PAYMENT_STATUS_SUCCEEDED: "Thank you: payment received",
    payments_pb2.PAYMENT_STATUS_PROCESSING: "Payment processing",
    payments_pb2.PAYMENT_STATUS_OPEN: "Not paid yet",
    payments_pb2.PAYMENT_STATUS_EXPIRED: "Checkout expired",
}


def status_page(status: payments_pb2.GetPaymentStatusResponse, *, cancel: bool) -> str:
    name = payments_pb2.PaymentStatus.Name(status.status)
    heading = "Checkout cancelled" if cancel else _HEADINGS.get(status.status, name)
    stripe = status.stripe_status + (
        f" / {status.stripe_payment_status}" if status.stripe_payment_status else ""
    )
    rows = [
        ("Checkout Session", status.checkout_session_id or status.id),
        ("Status (GetPaymentStatus)", name),
        ("Stripe's status", stripe),
        ("PaymentIntent", status.payment_intent_id or "-"),
        ("Amount", f"{status.amount_total} {status.currency.upper()} (minor units)"),
    ]
    items = "".join(
        f"<dt>{escape(label)}</dt>"
        f"<dd{' class=status data-testid=status' if label.startswith('Status') else ''}>"
        f"{escape(value)}</dd>"
        for label, value in rows
    )
    more = "<p><a href='/checkout/new'>Open another checkout</a></p>"
    return _page(heading, f"<dl>{items}</dl>{more}")


def error_page(heading: str, text: str) -> str:
    return _page(
        heading, f"<p>{escape(text)}</p><p><a href='/checkout/new'>Open a checkout</a></p>"
    )


def _page(heading: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(heading)} - payments service</title><style>{_STYLE}</style></head>"
        f"<body><main><div class='card'><h1>{escape(heading)}</h1>{body}</div></main></body></html>"
    )
