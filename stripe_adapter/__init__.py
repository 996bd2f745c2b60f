"""The Stripe side of the PaymentGateway port: the only package that imports `stripe`.

gateway = StripePaymentGateway.from_settings(StripeSettings(api_key=..., api_base=None, ...))
...                     # share it: one per process (and per event loop)
await gateway.aclose()  # at shutdown
"""

from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings

__all__ = ["StripePaymentGateway", "StripeSettings"]
