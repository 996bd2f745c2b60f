"""Stripe's webhook signature: ``Stripe-Signature: t={unix time},v1={hex HMAC-SHA256}``.

The HMAC is keyed with the endpoint's secret (``whsec_…``, used as-is) over ``"{t}.{body}"``,
exactly what ``stripe.Webhook.construct_event`` recomputes.
"""

from __future__ import annotations

import hashlib
import hmac


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    digest = hmac.digest(secret.encode(), signed, hashlib.sha256).hex()  # one-shot: in C
    return f"t={timestamp},v1={digest}"
