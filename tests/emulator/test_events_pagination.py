"""``/v1/events`` paginates as Stripe's lists do, over more than a thousand events.

Stripe: newest first; ``starting_after=X`` gives the next older page, ``ending_before=X`` the
page just newer than X (still newest first); ``has_more`` tells whether more lie beyond in
the direction of paging; a cursor keeps its place even when a filter excludes it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import stripe_client

COUNT = 1005


@pytest.fixture(scope="module")
def many(emulator_session: EmulatorHandle) -> Iterator[tuple[stripe.StripeClient, list[str]]]:
    """1,005 ``customer.created`` events (plus 3 of other types); the ids oldest first."""
    emulator_session.reset()
    client = stripe_client(emulator_session)
    for index in range(COUNT):
        client.v1.customers.create()
        if index in (10, 500, 1000):
            client.v1.products.create(params={"name": f"p{index}"})
    oldest_first = [
        event.id for event in client.v1.events.list(params={"limit": 100}).auto_paging_iter()
    ][::-1]
    yield client, oldest_first
    emulator_session.reset()


def test_forward_pages_cover_every_event_newest_first(
    many: tuple[stripe.StripeClient, list[str]],
) -> None:
    client, oldest_first = many
    assert len(oldest_first) == COUNT + 3
    seen: list[str] = []
    page = client.v1.events.list(params={"limit": 100})
    sizes = []
    while True:
        seen += [event.id for event in page.data]
        sizes.append((len(page.data), page.has_more))
        if not page.has_more:
            break
        page = client.v1.events.list(params={"limit": 100, "starting_after": page.data[-1].id})
    assert seen == oldest_first[::-1]
    assert sizes == [(100, True)] * 10 + [(8, False)]


def test_backward_pages_with_ending_before(many: tuple[stripe.StripeClient, list[str]]) -> None:
    client, oldest_first = many
    collected: list[str] = []
    cursor = oldest_first[0]
    collected.append(cursor)
    while True:
        page = client.v1.events.list(params={"limit": 64, "ending_before": cursor})
        ids = [event.id for event in page.data]
        # Each page: the events just newer than the cursor, newest first.
        assert ids == oldest_first[len(collected) : len(collected) + len(ids)][::-1]
        collected += ids[::-1]
        if not page.has_more:
            break
        cursor = ids[0]
    assert collected == oldest_first


def test_the_newest_event_has_nothing_before_it(
    many: tuple[stripe.StripeClient, list[str]],
) -> None:
    client, oldest_first = many
    page = client.v1.events.list(params={"ending_before": oldest_first[-1]})
    assert page.data == []
    assert page.has_more is False
    page = client.v1.events.list(params={"starting_after": oldest_first[0]})
    assert page.data == []
    assert page.has_more is False


def test_default_limit_and_sdk_auto_paging(many: tuple[stripe.StripeClient, list[str]]) -> None:
    client, oldest_first = many
    first = client.v1.events.list()
    assert len(first.data) == 10
    assert first.has_more is True
    assert first.url == "/v1/events"
    walked = [event.id for event in client.v1.events.list(params={"limit": 37}).auto_paging_iter()]
    assert walked == oldest_first[::-1]


def test_cursor_keeps_its_place_under_a_filter(
    many: tuple[stripe.StripeClient, list[str]],
) -> None:
    client, oldest_first = many
    products = client.v1.events.list(params={"type": "product.created"}).data
    assert len(products) == 3
    middle = oldest_first[300]  # a customer.created event between the 1st and 2nd product
    older = client.v1.events.list(params={"type": "product.created", "starting_after": middle})
    newer = client.v1.events.list(params={"type": "product.created", "ending_before": middle})
    assert [e.id for e in older.data] == [products[2].id]
    assert [e.id for e in newer.data] == [products[0].id, products[1].id]
    assert not older.has_more
    assert not newer.has_more
    limited = client.v1.events.list(
        params={"type": "product.created", "ending_before": oldest_first[0], "limit": 2}
    )
    assert [e.id for e in limited.data] == [products[1].id, products[2].id]
    assert limited.has_more is True
