"""The payment-event feed: an event for each status change to a status the feed lists (none for
duplicates, unchanged or unlisted ones), filters, paging by cursor, refused cursors, and
retention (prune, then CursorExpired) — on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import CursorExpired, InvalidInput
from domain.ledger import FEED_STATUSES, PaymentEvent, PaymentEventQuery, Recorded
from domain.payment_status import PaymentStatus as S
from domain.ports import PaymentLedger
from tests.ledger.observations import T0, full_payment, observed, payment


async def every_event(ledger: PaymentLedger, **query: Any) -> list[PaymentEvent]:
    page = await ledger.events(PaymentEventQuery(limit=1000, **query))
    assert not page.more
    return list(page.events)


CHANGED = Recorded.CHANGED


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def test_only_status_changes_to_a_status_the_feed_lists_are_events(
    ledger: PaymentLedger,
) -> None:
    steps = [
        (observed(full_payment(), "evt_1"), Recorded.CHANGED),  # new, OPEN: not listed
        (observed(full_payment(), "evt_1"), Recorded.DUPLICATE),
        (observed(payment(status=S.REQUIRES_ACTION), "evt_2"), Recorded.CHANGED),  # not listed
        (observed(payment(status=S.PROCESSING, at=at(1), provider_status="complete")), CHANGED),
        (observed(payment(status=S.PROCESSING, at=at(2))), Recorded.UNCHANGED),
        (observed(payment(status=S.OPEN), "evt_3"), Recorded.UNCHANGED),
        (observed(payment(status=S.SUCCEEDED, at=at(3), provider_status="paid"), "e4"), CHANGED),
        (observed(payment(status=S.SUCCEEDED, at=at(3)), "e4"), Recorded.DUPLICATE),
        (observed(payment(status=S.FAILED, at=at(4)), "evt_5"), Recorded.UNCHANGED),
    ]
    before = datetime.now(UTC)
    for observation, expected in steps:
        assert await ledger.record(observation) is expected
    after = datetime.now(UTC)

    events = await every_event(ledger)

    kept = replace(full_payment(), provider_payment_status="")
    assert [event.payment for event in events] == [
        replace(kept, status=S.PROCESSING, status_changed_at=at(1), provider_status="complete"),
        replace(kept, status=S.SUCCEEDED, status_changed_at=at(3), provider_status="paid"),
    ]
    assert [event.status for event in events] == [S.PROCESSING, S.SUCCEEDED]
    assert all(before <= event.recorded_at <= after for event in events)
    assert events[0].recorded_at.tzinfo is UTC


@pytest.mark.parametrize("status", [status for status in S if status in FEED_STATUSES])
async def test_each_status_the_feed_lists_is_told_once_from_a_new_or_a_known_payment(
    ledger: PaymentLedger, status: S
) -> None:
    await ledger.record(observed(payment("cs_known", status=S.OPEN)))
    await ledger.record(observed(payment("cs_known", status=status), "evt_1"))
    await ledger.record(observed(payment("cs_new", status=status), "evt_2"))

    events = await every_event(ledger)

    assert [(e.payment.checkout_session_id, e.status) for e in events] == [
        ("cs_known", status),
        ("cs_new", status),
    ]


async def test_an_event_carries_the_fields_the_change_filled_in(ledger: PaymentLedger) -> None:
    await ledger.record(observed(payment(status=S.OPEN)))
    paid = full_payment(status=S.SUCCEEDED)

    await ledger.record(observed(paid, "evt_1"))

    assert [event.payment for event in await every_event(ledger)] == [paid]


async def record_orders(ledger: PaymentLedger) -> None:
    """Events, in this order: cs_0 … cs_5, alternating orders 1 and 2, customers a and b, and
    statuses SUCCEEDED, FAILED and EXPIRED in turn."""
    statuses = [S.SUCCEEDED, S.FAILED, S.EXPIRED]
    for i in range(6):
        order, customer = f"order-{i % 2 + 1}", "ab"[i // 3]
        paid = payment(f"cs_{i}", statuses[i % 3], client_reference_id=order, customer_id=customer)
        await ledger.record(observed(paid))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({}, [0, 1, 2, 3, 4, 5]),
        ({"client_reference_id": "order-1"}, [0, 2, 4]),
        ({"customer_id": "b"}, [3, 4, 5]),
        ({"statuses": frozenset({S.FAILED, S.EXPIRED})}, [1, 2, 4, 5]),
        ({"client_reference_id": "order-2", "customer_id": "a"}, [1]),
        ({"client_reference_id": "order-1", "statuses": frozenset({S.SUCCEEDED})}, [0]),
        ({"client_reference_id": "order-9"}, []),
        ({"client_reference_id": "", "customer_id": ""}, [0, 1, 2, 3, 4, 5]),  # empty: no filter
    ],
)
async def test_filters_keep_the_events_matching_all_of_them(
    ledger: PaymentLedger, query: dict[str, object], found: list[int]
) -> None:
    await record_orders(ledger)

    events = await every_event(ledger, **query)

    assert [event.payment.checkout_session_id for event in events] == [f"cs_{i}" for i in found]


async def test_pages_follow_each_other_by_cursor_in_ledger_order(ledger: PaymentLedger) -> None:
    await record_orders(ledger)
    everything = await every_event(ledger)
    pages, cursor = [], ""
    while True:
        page = await ledger.events(PaymentEventQuery(after_cursor=cursor, limit=4))
        pages.append(page)
        cursor = page.next_cursor
        if not page.more:
            break

    assert [len(page.events) for page in pages] == [4, 2]
    assert [event for page in pages for event in page.events] == everything
    cursors = [event.cursor for event in everything]
    assert cursor == cursors[-1]
    assert sorted(set(cursors)) == cursors  # cursors compare as strings in ledger order
    # Nothing yet after the last event: an empty page that keeps the caller's cursor.
    assert await ledger.events(PaymentEventQuery(after_cursor=cursor)) == (
        replace(pages[-1], events=[], next_cursor=cursor, more=False)
    )
    # A cursor is a place in the feed, not bound to a filter.
    later = await every_event(ledger, after_cursor=cursors[2], customer_id="b")
    assert [event.cursor for event in later] == cursors[3:]


async def test_a_filtered_page_resumes_after_its_last_match(ledger: PaymentLedger) -> None:
    await record_orders(ledger)

    first = await ledger.events(PaymentEventQuery(client_reference_id="order-2", limit=2))
    rest = await ledger.events(
        PaymentEventQuery(after_cursor=first.next_cursor, client_reference_id="order-2", limit=2)
    )

    assert first.more
    assert not rest.more
    ids = [event.payment.checkout_session_id for event in [*first.events, *rest.events]]
    assert ids == ["cs_1", "cs_3", "cs_5"]


async def some_cursor(ledger: PaymentLedger) -> str:
    await ledger.record(observed(payment(status=S.SUCCEEDED)))
    return (await every_event(ledger))[0].cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "0400000000000080",  # one character too many
        "04000000000000",  # one too few
        "040000000000008=",  # padded
        "040000000000009",  # the same bytes, spelled another way (unused low bits set)
        "04000000000000g",  # a cursor spelled in lower case
        "080000000000008",  # another version
        "AAAAAAAAAAE",  # a ListPayments page token's kind of string
        "ünïcode-cursor!",
    ],
)
async def test_a_cursor_that_is_not_one_of_the_feeds_is_invalid_input(
    ledger: PaymentLedger, cursor: str
) -> None:
    assert await some_cursor(ledger) == "040000000000008"

    with pytest.raises(InvalidInput) as refused:
        await ledger.events(PaymentEventQuery(after_cursor=cursor))

    assert [v.field for v in refused.value.violations] == ["after_cursor"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (PaymentEventQuery(limit=0), "limit"),
        (PaymentEventQuery(limit=1001), "limit"),
        (PaymentEventQuery(statuses=frozenset({S.SUCCEEDED, S.OPEN})), "statuses"),
        (PaymentEventQuery(statuses=frozenset({S.REQUIRES_ACTION})), "statuses"),
    ],
)
async def test_a_limit_out_of_range_or_a_status_never_told_is_invalid_input(
    ledger: PaymentLedger, query: PaymentEventQuery, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await ledger.events(query)

    assert [v.field for v in refused.value.violations] == [field]


async def record_paid(ledger: PaymentLedger, names: list[str]) -> list[str]:
    """Records each payment SUCCEEDED: the events' cursors."""
    for name in names:
        await ledger.record(observed(payment(name, status=S.SUCCEEDED)))
    return [event.cursor for event in (await every_event(ledger))[-len(names) :]]


async def test_prune_deletes_the_events_recorded_before_an_instant_and_their_cursors_expire(
    ledger: PaymentLedger,
) -> None:
    old = await record_paid(ledger, ["cs_1", "cs_2", "cs_3"])
    boundary = datetime.now(UTC)
    young = await record_paid(ledger, ["cs_4", "cs_5"])

    assert await ledger.prune(boundary) == 3
    assert await ledger.prune(boundary) == 0

    for cursor in old[:2]:  # events after them are gone
        with pytest.raises(CursorExpired) as expired:
            await ledger.events(PaymentEventQuery(after_cursor=cursor))
        assert expired.value.metadata == {"after_cursor": cursor}
    # After the last event pruned nothing is missing; the empty cursor starts at the oldest kept.
    for cursor in (old[2], ""):
        assert [e.cursor for e in await every_event(ledger, after_cursor=cursor)] == young


async def test_a_feed_pruned_empty_goes_on_after_the_cursors_it_gave(
    ledger: PaymentLedger,
) -> None:
    old = await record_paid(ledger, ["cs_1", "cs_2"])

    assert await ledger.prune(datetime.now(UTC) + timedelta(days=1)) == 2
    assert await every_event(ledger) == []
    new = await record_paid(ledger, ["cs_3"])

    assert new[0] > old[-1]  # never a cursor given before
    assert [e.cursor for e in await every_event(ledger, after_cursor=old[-1])] == new
    with pytest.raises(CursorExpired):
        await ledger.events(PaymentEventQuery(after_cursor=old[0]))


async def test_the_newest_cursor_is_the_last_events_and_survives_a_prune(
    ledger: PaymentLedger,
) -> None:
    assert await ledger.newest_cursor() == ""
    assert await every_event(ledger, after_cursor=await ledger.newest_cursor()) == []
    cursors = await record_paid(ledger, ["cs_1", "cs_2"])
    assert await ledger.newest_cursor() == cursors[-1]

    await ledger.prune(datetime.now(UTC) + timedelta(days=1))

    newest = await ledger.newest_cursor()
    assert newest == cursors[-1]  # still valid: reading after it is no CursorExpired
    new = await record_paid(ledger, ["cs_3"])
    assert [e.cursor for e in await every_event(ledger, after_cursor=newest)] == new
