"""The payment ledger on SQLAlchemy Core: domain.ports.PaymentLedger, one transaction a call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, exc, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import CursorExpired, InvalidInput, Violation
from domain.ledger import (
    FEED_STATUSES,
    MAX_PAGE_SIZE,
    Observation,
    Payment,
    PaymentEventPage,
    PaymentEventQuery,
    PaymentPage,
    PaymentQuery,
    Recorded,
)
from ledger import cursors, feed, paging
from ledger.backend import Backend
from ledger.errors import unavailable_on_failure
from ledger.rows import PAYMENT_COLUMNS, fill_ins, new_row, payment_of, status_fields
from ledger.schema import ledger_state, payment_events, payments, provider_events

RECONCILED_UNTIL = "reconciled_until"

_BY_EITHER_ID = (
    select(*PAYMENT_COLUMNS)
    .where(
        or_(
            payments.c.checkout_session_id == bindparam("id"),
            payments.c.payment_intent_id == bindparam("id"),
        )
    )
    .limit(1)
)


class Ledger:
    """The ledger on one database (see open_ledger). Database failures raise LedgerUnavailable."""

    def __init__(self, backend: Backend, password: str) -> None:
        self._backend = backend
        self._writer = backend.engine
        self._password = password
        self._payment_by_id = backend.point_read(_BY_EITHER_ID)
        insert = backend.insert
        self._insert_event = (
            insert(provider_events).on_conflict_do_nothing().returning(provider_events.c.event_id)
        )
        self._insert_payment = (
            insert(payments)
            .on_conflict_do_nothing(index_elements=[payments.c.checkout_session_id])
            .returning(payments.c.seq)
        )
        upsert = insert(ledger_state)
        self._set_state = upsert.on_conflict_do_update(
            index_elements=[ledger_state.c.key], set_={"value": upsert.excluded.value}
        )

    async def record(self, observation: Observation) -> Recorded:
        now = datetime.now(UTC)
        with unavailable_on_failure(self._password):
            try:
                async with self._backend.writing(), self._writer.begin() as connection:
                    recorded = await self._record(connection, observation, now)
                    told = await self._tell(connection, recorded, observation.payment, now)
            except exc.IntegrityError as error:
                # The unique indexes that ON CONFLICT does not cover: a payment intent id.
                raise InvalidInput(
                    [Violation("payment_intent_id", "already belongs to another checkout session")]
                ) from error
        if told:
            self._backend.feed_committed()
        return recorded

    async def _record(
        self, connection: AsyncConnection, observation: Observation, now: datetime
    ) -> Recorded:
        if observation.event_id is not None:
            event = {"event_id": observation.event_id, "recorded_at": now}
            if await connection.scalar(self._insert_event, event) is None:
                return Recorded.DUPLICATE
        payment = observation.payment
        if await connection.scalar(self._insert_payment, new_row(payment, now)) is not None:
            return Recorded.CHANGED
        return await _update(connection, payment, now)

    async def _tell(
        self, connection: AsyncConnection, recorded: Recorded, payment: Payment, now: datetime
    ) -> bool:
        """Appends the payment event a status change is, if the feed lists its status."""
        if recorded is not Recorded.CHANGED or payment.status not in FEED_STATUSES:
            return False
        values = {"checkout_session_id": payment.checkout_session_id, "recorded_at": now}
        await connection.execute(self._backend.feed_append, values)
        return True

    async def payment(self, payment_id: str) -> Payment | None:
        with unavailable_on_failure(self._password):
            rows = await self._payment_by_id.rows({"id": payment_id})
        return payment_of(rows[0]) if rows else None

    async def list_payments(self, query: PaymentQuery) -> PaymentPage:
        column, value = _filter_of(query)
        key = paging.filter_key(column, value)
        after = paging.decode(query.page_token, key)
        statement = (
            select(payments.c.seq, *PAYMENT_COLUMNS)
            .where(payments.c[column] == value, payments.c.seq > after)
            .order_by(payments.c.seq)
            .limit(query.page_size + 1)
        )
        with unavailable_on_failure(self._password):
            rows = await self._backend.read(statement)
        page = rows[: query.page_size]
        token = paging.encode(page[-1].seq, key) if len(rows) > len(page) else ""
        return PaymentPage([payment_of(row._mapping) for row in page], token)

    async def events(self, query: PaymentEventQuery) -> PaymentEventPage:
        after, statement = feed.page(query)
        with unavailable_on_failure(self._password):
            async with self._backend.reader.connect() as connection:
                rows = (await connection.execute(statement)).all()
                # Read after the page: a prune that deleted any event after the cursor before
                # the page was read has committed its watermark, and is seen here.
                pruned_through = int(await connection.scalar(feed.READ_PRUNED_THROUGH) or 0)
        if query.after_cursor and after < pruned_through:
            raise CursorExpired(query.after_cursor)
        events = [feed.event_of(row._mapping) for row in rows[: query.limit]]
        next_cursor = events[-1].cursor if events else query.after_cursor
        return PaymentEventPage(events, next_cursor, more=len(rows) > query.limit)

    async def newest_cursor(self) -> str:
        with unavailable_on_failure(self._password):
            async with self._backend.reader.connect() as connection:
                newest = await connection.scalar(feed.READ_NEWEST_SEQ)
                pruned_through = await connection.scalar(feed.READ_PRUNED_THROUGH)
        seq = max(int(newest or 0), int(pruned_through or 0))
        return cursors.encode(seq) if seq else ""

    def wakeups(self) -> AbstractAsyncContextManager[AsyncIterator[None]]:
        return self._backend.wakeups()

    async def prune(self, older_than: datetime) -> int:
        seq = payment_events.c.seq
        first_kept = (
            select(seq)
            .where(payment_events.c.recorded_at >= older_than)
            .order_by(seq)
            .limit(1)
            .scalar_subquery()
        )
        last_pruned = select(func.max(seq)).where(or_(first_kept.is_(None), seq < first_kept))
        with unavailable_on_failure(self._password):
            async with self._backend.writing(), self._writer.begin() as connection:
                await self._backend.hold(connection, "payment event prune")
                through = await connection.scalar(last_pruned)
                if through is None:
                    return 0
                deleted = await connection.execute(delete(payment_events).where(seq <= through))
                watermark = {"key": feed.PRUNED_THROUGH, "value": str(through)}
                await connection.execute(self._set_state, watermark)
        return deleted.rowcount

    async def reconciled_until(self) -> datetime | None:
        statement = select(ledger_state.c.value).where(ledger_state.c.key == RECONCILED_UNTIL)
        with unavailable_on_failure(self._password):
            rows = await self._backend.read(statement)
        value = rows[0][0] if rows else None
        return None if value is None else datetime.fromisoformat(value).astimezone(UTC)

    async def set_reconciled_until(self, instant: datetime) -> None:
        value = {"key": RECONCILED_UNTIL, "value": instant.astimezone(UTC).isoformat()}
        with unavailable_on_failure(self._password):
            async with self._backend.writing(), self._writer.begin() as connection:
                await connection.execute(self._set_state, value)

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        return self._backend.exclusive(name)


async def _update(connection: AsyncConnection, payment: Payment, now: datetime) -> Recorded:
    """A known payment: its status moves forward only (UPDATE … WHERE progress < new, which
    PostgreSQL re-checks on the newest row after waiting for a concurrent writer), and the
    fields it lacked are filled in."""
    filled, lacking = fill_ins(payment)
    of_payment = payments.c.checkout_session_id == payment.checkout_session_id
    moved = await connection.execute(
        update(payments)
        .where(of_payment, payments.c.status_progress < payment.status.progress)
        .values(**filled, **status_fields(payment), updated_at=now)
    )
    if moved.rowcount:
        return Recorded.CHANGED
    if lacking is not None:
        await connection.execute(
            update(payments).where(of_payment, lacking).values(**filled, updated_at=now)
        )
    return Recorded.UNCHANGED


def _filter_of(query: PaymentQuery) -> tuple[str, str]:
    filters = [
        (name, value)
        for name, value in (
            ("client_reference_id", query.client_reference_id),
            ("customer_id", query.customer_id),
        )
        if value
    ]
    if len(filters) != 1:
        raise InvalidInput(
            [
                Violation(
                    "client_reference_id", "set exactly one of client_reference_id and customer_id"
                )
            ]
        )
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput([Violation("page_size", f"must be from 1 to {MAX_PAGE_SIZE}")])
    return filters[0]
