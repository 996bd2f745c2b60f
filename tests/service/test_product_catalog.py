"""The in-process catalog: a product is known for the time-to-live after it was remembered,
at most so many are kept (the least recently used go first), forget() drops one, and a
time-to-live of 0 keeps nothing. Time is a fake clock: no test waits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.money import Money
from domain.product import Product
from service.product_catalog import InProcessProductCatalog

PRODUCT = Product(
    id="prod_1",
    name="Mug",
    description="",
    external_product_id="sku-1",
    price_id="price_1",
    price=Money(500, "usd"),
    active=True,
    metadata={},
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def product(number: int) -> Product:
    return replace(PRODUCT, id=f"prod_{number}")


def test_a_product_is_known_until_its_time_to_live_passes() -> None:
    clock = Clock()
    catalog = InProcessProductCatalog(60, clock=clock)
    catalog.remember(PRODUCT)

    clock.now += 59.9
    assert catalog.known("prod_1") == PRODUCT
    clock.now += 0.1
    assert catalog.known("prod_1") is None
    assert len(catalog) == 0  # dropped when found expired


def test_remembering_again_starts_the_time_to_live_again() -> None:
    clock = Clock()
    catalog = InProcessProductCatalog(60, clock=clock)
    catalog.remember(PRODUCT)
    clock.now += 50
    archived = replace(PRODUCT, active=False)
    catalog.remember(archived)

    clock.now += 50
    assert catalog.known("prod_1") == archived


def test_forget_drops_a_product_and_ignores_an_unknown_one() -> None:
    catalog = InProcessProductCatalog(60, clock=Clock())
    catalog.remember(PRODUCT)

    catalog.forget("prod_1")
    catalog.forget("prod_never_seen")

    assert catalog.known("prod_1") is None


def test_beyond_the_bound_the_least_recently_used_goes_first() -> None:
    catalog = InProcessProductCatalog(60, max_products=2, clock=Clock())
    catalog.remember(product(1))
    catalog.remember(product(2))
    assert catalog.known("prod_1") is not None  # used: prod_2 is now the least recent

    catalog.remember(product(3))

    assert [catalog.known(f"prod_{n}") is not None for n in (1, 2, 3)] == [True, False, True]
    assert len(catalog) == 2


def test_a_time_to_live_of_zero_keeps_nothing() -> None:
    catalog = InProcessProductCatalog(0, clock=Clock())
    catalog.remember(PRODUCT)
    assert catalog.known("prod_1") is None
    assert len(catalog) == 0


@pytest.mark.parametrize(("ttl", "size"), [(-1, 10), (60, 0)])
def test_nonsense_bounds_are_refused(ttl: float, size: int) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        InProcessProductCatalog(ttl, max_products=size)
