"""The Stripe side of the PaymentGateway and PaymentEvents ports: the only package that imports
`stripe`.

settings = StripeSettings(api_key=..., api_base=None, ...)
gateway = StripePaymentGateway.from_settings(settings)
...                     # share it: one per process (and per event loop)
events = StripePaymentEvents(settings, webhook_secrets, connection=gateway.connection)
await gateway.aclose()  # at shutdown (closes the connection both use)
"""

from stripe_adapter.events import EVENT_TYPES, PAYMENT_EVENT_TYPES, StripePaymentEvents
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings

__all__ = [
    "EVENT_TYPES",
    "PAYMENT_EVENT_TYPES",
    "StripePaymentEvents",
    "StripePaymentGateway",
    "StripeSettings",
]
