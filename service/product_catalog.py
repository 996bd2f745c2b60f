"""InProcessProductCatalog: the ProductCatalog port in this replica's memory.

What CreateProduct, GetProduct and CreateCheckout's reads learn of a product is kept for
`PAYMENTS_PRODUCT_CACHE_SECONDS` (the staleness bound: an entry is never used older than that),
for at most MAX_PRODUCTS products (the least recently used go first), so that CreateCheckout of
a known product costs one Stripe request instead of two. An event saying a product changed
(webhook or reconciliation) makes the replica that takes it in forget the product at once; the
other replicas rely on the bound. A read in flight when such an event arrives may put back what
it read just before the change: that too lasts no longer than the bound, and what a stale entry
leads to, Stripe refuses (domain/use_cases/create_checkout.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from domain.product import Product

MAX_PRODUCTS = 10_000
"""About 1 KiB each: at most ~10 MiB of memory."""


class InProcessProductCatalog:
    """Implements domain.ports.ProductCatalog. `ttl_seconds` of 0 keeps nothing (every sale
    reads the product first). One event loop uses it: no locks."""

    def __init__(
        self,
        ttl_seconds: float,
        max_products: int = MAX_PRODUCTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds < 0 or max_products < 1:
            raise ValueError("ttl_seconds must be >= 0 and max_products >= 1")
        self._ttl = ttl_seconds
        self._max = max_products
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Product]] = OrderedDict()

    def known(self, product_id: str) -> Product | None:
        entry = self._entries.get(product_id)
        if entry is None:
            return None
        expires_at, product = entry
        if self._clock() >= expires_at:
            del self._entries[product_id]
            return None
        self._entries.move_to_end(product_id)
        return product

    def remember(self, product: Product) -> None:
        if self._ttl == 0:
            return
        self._entries[product.id] = (self._clock() + self._ttl, product)
        self._entries.move_to_end(product.id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, product_id: str) -> None:
        self._entries.pop(product_id, None)

    def __len__(self) -> int:
        """Products kept (expired ones included until next asked for or pushed out)."""
        return len(self._entries)
