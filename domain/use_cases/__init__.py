"""One use case per RPC (each takes a command and the call's context), and the intake of the
provider's events (webhooks and reconciliation)."""

from domain.use_cases.create_checkout import CheckoutDefaults, CreateCheckout, CreateCheckoutCommand
from domain.use_cases.create_customer import CreateCustomer, CreateCustomerCommand
from domain.use_cases.create_product import CreateProduct, CreateProductCommand
from domain.use_cases.expire_checkout import ExpireCheckout
from domain.use_cases.get_payment_status import GetPaymentStatus
from domain.use_cases.get_product import GetProduct, ProductLookup
from domain.use_cases.list_payment_events import ListPaymentEvents, ListPaymentEventsCommand
from domain.use_cases.list_payments import ListPayments, ListPaymentsCommand
from domain.use_cases.reconcile import Reconcile, Reconciliation
from domain.use_cases.take_in_event import TakeInWebhook
from domain.use_cases.watch_payment_events import WatchPaymentEvents
from domain.use_cases.watch_payment_status import WatchPaymentStatus

__all__ = [
    "CheckoutDefaults",
    "CreateCheckout",
    "CreateCheckoutCommand",
    "CreateCustomer",
    "CreateCustomerCommand",
    "CreateProduct",
    "CreateProductCommand",
    "ExpireCheckout",
    "GetPaymentStatus",
    "GetProduct",
    "ListPaymentEvents",
    "ListPaymentEventsCommand",
    "ListPayments",
    "ListPaymentsCommand",
    "ProductLookup",
    "Reconcile",
    "Reconciliation",
    "TakeInWebhook",
    "WatchPaymentEvents",
    "WatchPaymentStatus",
]
