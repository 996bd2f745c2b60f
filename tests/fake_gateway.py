"""An in-memory PaymentGateway for use-case and edge tests: behaves like the port promises, no
I/O."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from domain.call import Deadline, WriteOptions
from domain.checkout import CheckoutSession, NewCheckout
from domain.customer import Customer, NewCustomer
from domain.errors import (
    CheckoutNotOpen,
    ExternalProductIdTaken,
    InvalidInput,
    NotFound,
    NotFoundKind,
    ProductNotPurchasable,
    RequestIdReused,
    Violation,
)
from domain.money import Money
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from domain.ports import PaymentGateway
from domain.product import NewProduct, Product

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class FakeGateway:
    """Keeps objects in dicts; replays writes by idempotency key like the real provider, and
    refuses a checkout of an archived price or product as it does."""

    customers: dict[str, Customer] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    prices: dict[str, Money] = field(default_factory=dict)
    archived_prices: set[str] = field(default_factory=set)
    checkouts: dict[str, NewCheckout] = field(default_factory=dict)
    snapshots: dict[str, PaymentSnapshot] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    writes: list[WriteOptions] = field(default_factory=list)
    _replays: dict[str, tuple[object, object]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _replay(self, options: WriteOptions, params: object) -> object | None:
        self.writes.append(options)
        if options.idempotency_key is None or options.idempotency_key not in self._replays:
            return None
        first_params, result = self._replays[options.idempotency_key]
        if first_params != params:
            raise RequestIdReused(options.operation, options.request_id)
        return result

    def _remember(self, options: WriteOptions, params: object, result: object) -> None:
        if options.idempotency_key is not None:
            self._replays[options.idempotency_key] = (params, result)

    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        self.calls.append("create_customer")
        if (replayed := self._replay(options, new)) is not None:
            assert isinstance(replayed, Customer)
            return replayed
        customer = Customer(
            id=f"cus_{next(self._ids)}",
            email=new.email,
            name=new.name,
            metadata=dict(new.metadata),
            created_at=_EPOCH,
        )
        self.customers[customer.id] = customer
        self._remember(options, new, customer)
        return customer

    async def create_product(self, new: NewProduct, options: WriteOptions) -> Product:
        self.calls.append("create_product")
        if (replayed := self._replay(options, new)) is not None:
            assert isinstance(replayed, Product)
            return replayed
        product_id = f"prod_{new.external_product_id}"
        if product_id in self.products:
            raise ExternalProductIdTaken(new.external_product_id, product_id)
        price_id = f"price_{next(self._ids)}"
        self.prices[price_id] = new.price
        product = Product(
            id=product_id,
            name=new.name,
            description=new.description,
            external_product_id=new.external_product_id,
            price_id=price_id,
            price=new.price,
            active=True,
            metadata=dict(new.metadata),
            created_at=_EPOCH,
        )
        self.products[product.id] = product
        self._remember(options, new, product)
        return product

    async def get_product(self, product_id: str, deadline: Deadline) -> Product:
        self.calls.append("get_product")
        if product_id not in self.products:
            raise NotFound("product", product_id)
        return self.products[product_id]

    async def get_product_by_external_id(
        self, external_product_id: str, deadline: Deadline
    ) -> Product:
        self.calls.append("get_product_by_external_id")
        for product in self.products.values():
            if product.external_product_id == external_product_id:
                return product
        raise NotFound("product", external_product_id, id_field="external_product_id")

    async def create_checkout(self, new: NewCheckout, options: WriteOptions) -> CheckoutSession:
        self.calls.append("create_checkout")
        if (replayed := self._replay(options, new)) is not None:
            assert isinstance(replayed, CheckoutSession)
            return replayed
        # Refusals are not remembered under the key: the provider saves no result for them.
        if new.customer_id not in self.customers:
            raise NotFound("customer", new.customer_id)
        self._refuse_unsellable(new)
        price = self.prices[new.price_id]
        session_id = f"cs_test_{next(self._ids)}"
        self.checkouts[session_id] = new
        total = Money(price.amount * new.quantity, price.currency)
        self.snapshots[session_id] = PaymentSnapshot(
            id=session_id,
            kind=PaymentRefKind.CHECKOUT_SESSION,
            status=PaymentStatus.OPEN,
            provider_status="open",
            provider_payment_status="unpaid",
            checkout_session_id=session_id,
            payment_intent_id=None,
            customer_id=new.customer_id,
            total=total,
            client_reference_id=new.client_reference_id,
            metadata=dict(new.metadata),
        )
        session = CheckoutSession(
            id=session_id,
            url=f"https://checkout.example/{session_id}",
            expires_at=new.expires_at or _EPOCH + timedelta(hours=24),
            total=total,
        )
        self._remember(options, new, session)
        return session

    def _refuse_unsellable(self, new: NewCheckout) -> None:
        if new.price_id in self.archived_prices:
            raise ProductNotPurchasable(new.product_id, "its price is archived")
        if not self.products[new.product_id].active:
            raise ProductNotPurchasable(new.product_id, "the product is archived")

    def archive(self, product_id: str) -> None:
        """Behind the service's back, as in the provider's dashboard (its prices stay active)."""
        self.products[product_id] = replace(self.products[product_id], active=False)

    def reprice(self, product_id: str, amount: int, *, archive_old: bool = True) -> str:
        """Behind the service's back: a new default price for the product, the old one archived
        (unless `archive_old` is False). Returns the new price's id."""
        product = self.products[product_id]
        assert product.price is not None
        assert product.price_id is not None
        price_id = f"price_{next(self._ids)}"
        self.prices[price_id] = Money(amount, product.price.currency)
        if archive_old:
            self.archived_prices.add(product.price_id)
        self.products[product_id] = replace(product, price_id=price_id, price=self.prices[price_id])
        return price_id

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        self.calls.append("get_payment")
        kinds: dict[str, tuple[PaymentRefKind, NotFoundKind]] = {
            "cs_": (PaymentRefKind.CHECKOUT_SESSION, "checkout_session"),
            "pi_": (PaymentRefKind.PAYMENT_INTENT, "payment_intent"),
        }
        if payment_id[:3] not in kinds:
            raise InvalidInput([Violation("id", "is neither a checkout nor a payment id")])
        kind, label = kinds[payment_id[:3]]
        snapshot = self.snapshots.get(payment_id)
        if snapshot is None or snapshot.kind is not kind:
            raise NotFound(label, payment_id)
        return snapshot

    async def expire_checkout(
        self, checkout_session_id: str, options: WriteOptions
    ) -> PaymentSnapshot:
        self.calls.append("expire_checkout")
        if not checkout_session_id.startswith("cs_"):
            raise InvalidInput([Violation("checkout_session_id", "is not a checkout id")])
        if (replayed := self._replay(options, checkout_session_id)) is not None:
            assert isinstance(replayed, PaymentSnapshot)
            return replayed
        session = self.snapshots.get(checkout_session_id)
        if session is None:
            raise NotFound("checkout_session", checkout_session_id)
        if session.status is not PaymentStatus.OPEN:
            raise CheckoutNotOpen(checkout_session_id, f"it is {session.provider_status}")
        expired = replace(session, status=PaymentStatus.EXPIRED, provider_status="expired")
        self.snapshots[checkout_session_id] = expired
        self._remember(options, checkout_session_id, expired)
        return expired

    def pay(self, session_id: str) -> str:
        """The customer paid on the hosted page: the session completes, its intent succeeds.
        Returns the intent's id."""
        session = self.snapshots[session_id]
        intent_id = f"pi_{next(self._ids)}"
        self.snapshots[session_id] = replace(
            session,
            status=PaymentStatus.SUCCEEDED,
            provider_status="complete",
            provider_payment_status="paid",
            payment_intent_id=intent_id,
        )
        self.snapshots[intent_id] = replace(
            self.snapshots[session_id],
            id=intent_id,
            kind=PaymentRefKind.PAYMENT_INTENT,
            provider_status="succeeded",
            provider_payment_status="",
        )
        return intent_id


def _implements_the_port(gateway: FakeGateway) -> PaymentGateway:
    """Where mypy checks the fake against the port."""
    return gateway
