"""The ports: what the use cases need from a payment provider (its API and its events), from the
payment ledger, and from the catalog of products the service knows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from domain.call import Deadline, WriteOptions
from domain.checkout import CheckoutSession, NewCheckout
from domain.customer import Customer, NewCustomer
from domain.ledger import (
    Observation,
    Payment,
    PaymentEventPage,
    PaymentEventQuery,
    PaymentPage,
    PaymentQuery,
    Recorded,
)
from domain.payment_status import PaymentSnapshot
from domain.product import NewProduct, Product, ProductChanged


class PaymentGateway(Protocol):
    """A payment provider. Implementations raise only domain errors.

    Reads take the call's Deadline; writes take WriteOptions (which carry it).
    """

    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        """Creates a customer. Raises RequestIdReused, RetryableError, …"""
        ...

    async def create_product(self, new: NewProduct, options: WriteOptions) -> Product:
        """Creates a product with its default price in one step.

        Raises ExternalProductIdTaken when another product has `new.external_product_id`.
        """
        ...

    async def get_product(self, product_id: str, deadline: Deadline) -> Product:
        """Raises NotFound("product", …) when there is none."""
        ...

    async def get_product_by_external_id(
        self, external_product_id: str, deadline: Deadline
    ) -> Product:
        """Raises NotFound("product", …) when no product has that external id."""
        ...

    async def create_checkout(self, new: NewCheckout, options: WriteOptions) -> CheckoutSession:
        """Opens a hosted checkout page. Raises NotFound("customer", …) for an unknown customer,
        ProductNotPurchasable when the provider no longer has the price."""
        ...

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        """A payment by the id of its checkout or of the payment itself. Raises InvalidInput for
        an id of neither kind, NotFound("checkout_session" | "payment_intent", …) for none."""
        ...

    async def expire_checkout(
        self, checkout_session_id: str, options: WriteOptions
    ) -> PaymentSnapshot:
        """Stops an open checkout page from taking payment; the payment becomes EXPIRED.
        Raises NotFound("checkout_session", …) for none, CheckoutNotOpen when it is no longer
        open (paid, or expired already)."""
        ...


class PaymentEvents(Protocol):
    """The provider's record of what happened to payments, and to the products sold: pushed
    (webhooks) and listed. An event tells either an Observation of a payment (for the ledger)
    or that a product changed (ProductChanged, for the catalog)."""

    async def from_webhook(
        self, payload: bytes, signature: str
    ) -> Observation | ProductChanged | None:
        """What a webhook delivery tells, once its signature is verified; None for an event of
        a kind the service does not use. Raises WebhookRefused for a missing or wrong
        signature, a stale timestamp or a body that is not an event."""
        ...

    def since(self, instant: datetime) -> AsyncIterator[Observation | ProductChanged]:
        """What every event of the provider created at or after `instant` tells (as far back
        as the provider keeps them), each event once. Raises RetryableError when the provider
        cannot be read."""
        ...


class ProductCatalog(Protocol):
    """What this replica knows of the provider's products, so that selling one need not ask the
    provider first: a bounded copy, at most a bounded time old, so possibly stale. It is kept
    fresh by forget() when an event says a product changed; what a stale entry leads to, the
    provider refuses (an archived price or product), and the use case then reads afresh."""

    def known(self, product_id: str) -> Product | None:
        """The product as last created or read, if still kept; None otherwise."""
        ...

    def remember(self, product: Product) -> None:
        """Keeps `product` as the provider has it now (just created or read)."""
        ...

    def forget(self, product_id: str) -> None:
        """Drops what is known of the product (nothing happens for one not known)."""
        ...


class PaymentLedger(Protocol):
    """The durable record of payments and of the provider events taken in. Shared by every
    replica of the service; each method is one transaction."""

    async def record(self, observation: Observation) -> Recorded:
        """Takes in one observation. Its event id (if any) is recorded once: a repeat changes
        nothing (DUPLICATE). A new payment is inserted; a known one gets the fields it lacked
        filled in, and its status only moves forward (PaymentStatus.progress)."""
        ...

    async def payment(self, payment_id: str) -> Payment | None:
        """The payment of a checkout session id or of a payment intent id; None if unknown."""
        ...

    async def events(self, query: PaymentEventQuery) -> PaymentEventPage:
        """The payment events after the query's cursor, in ledger order: one for each record()
        that moved a payment to a status of FEED_STATUSES. Whatever the order in which
        concurrent records commit, on any replica, an event is never placed before one already
        read. Raises InvalidInput for a cursor that is not one of the ledger's (`after_cursor`),
        a limit out of range or a status the feed does not list; CursorExpired for a cursor
        older than the oldest event kept (see prune)."""
        ...

    async def newest_cursor(self) -> str:
        """The cursor of the newest event recorded (or of the last one pruned, when none is
        kept); "" before the first: reading after it gives only events recorded since."""
        ...

    def wakeups(self) -> AbstractAsyncContextManager[AsyncIterator[None]]:
        """Entered: an iterator that yields after new events may have been recorded, by any
        replica, since entering or since its last yield (several are told as one). A wake-up
        only says "read again after your cursor": read events after entering, then after each
        wake-up, and none is missed. It also yields when the ledger may have missed telling
        (its connection to the database came back). It ends when the ledger closes."""
        ...

    async def prune(self, older_than: datetime) -> int:
        """Deletes the oldest events, up to the first one recorded at or after `older_than`:
        how many. A cursor from before the last one deleted is then CursorExpired."""
        ...

    async def list_payments(self, query: PaymentQuery) -> PaymentPage:
        """One page of the payments matching the query. Raises InvalidInput for a page token
        that is not one this ledger gave for the same query."""
        ...

    async def reconciled_until(self) -> datetime | None:
        """The provider time up to which every event has been taken in; None before the first
        reconciliation."""
        ...

    async def set_reconciled_until(self, instant: datetime) -> None: ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Entered: True while this process holds the lock `name` across every replica sharing
        the ledger, False (at once, not waiting) when another one holds it."""
        ...
