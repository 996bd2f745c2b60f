"""Webhook intake: 10,000 signed checkout.session.completed deliveries posted to the service's
`POST /stripe/webhooks`, on SQLite and on PostgreSQL (`make bench`, or):

    uv run python bench/webhook_benchmarks.py [--events 10000] [--no-doc]

On each backend, one stack (bench/payment_stack.py). The body is a real event: a checkout paid in
the emulator, its `checkout.session.completed` taken from the emulator's `GET /v1/events`; each
copy gets its own event id, Checkout Session id, PaymentIntent id and order id, and is signed
as Stripe signs (the emulator's signing module, with the run's secret) when it is posted.
CONCURRENCY deliveries are in flight at once (aiohttp, in this process); a delivery not answered
2xx is posted again, as Stripe would. Then the ledger is read directly: it must hold exactly the
posted event ids and, for each, its payment, SUCCEEDED, with the right ids and amount. Every
tenth delivery is then posted again: each must be answered `duplicate`, and the ledger must not
change. Reported: events/s per backend (no target: the issue asks for the rate).

`--backend sqlite` or `--backend postgresql` measures one (each about a minute or less on this
machine; `make bench` runs them one after the other); by default both. Rewrites the "Service:
webhook intake on …" section of each backend measured in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import grpc
from benchlib import (
    EMULATOR_STRIPE_KEY,
    cpu_seconds,
    emulator_requests,
    http_json,
    machine,
    rewrite_section,
)
from payment_stack import API_KEY, PaymentStack, payment_stack, postgres_database
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from ledger.schema import payments, provider_events
from ledger.urls import parse
from payments.v1 import payments_pb2, payments_pb2_grpc
from stripe_emulator.webhooks.signing import signature_header
from tools.processes import StartError
from tools.stack import WEBHOOK_PATH, pay_in_emulator

TITLES = {
    "sqlite": "## Service: webhook intake on SQLite",
    "postgresql": "## Service: webhook intake on PostgreSQL",
}
SHARING = {
    "sqlite": "The service and the sender",
    "postgresql": "The service, the sender and PostgreSQL",
}
LEDGERS = {
    "sqlite": "a SQLite file, WAL, synchronous=FULL (each commit synced to disk)",
    "postgresql": "a database on a local throwaway PostgreSQL cluster (tools/postgres.sh: "
    "fsync off, synchronous_commit off, so commits wait for no disk)",
}
EVENTS = 10_000
CONCURRENCY = 32
MAX_ATTEMPTS = 5
SESSION_ROUTE = "GET /v1/checkout/sessions/{session}"
EVENT_TYPE = "checkout.session.completed"
TEMPLATE_ORDER = "bench-template-order"


class BenchError(RuntimeError):
    """Events lost, doubled or wrongly recorded."""


@dataclass(frozen=True)
class Delivery:
    event_id: str
    session_id: str
    payment_intent_id: str
    order: str
    body: bytes


@dataclass(frozen=True)
class Intake:
    backend: str
    events: int
    seconds: float
    service_cpu_s: float
    outcomes: Counter[str]
    retries: int
    duplicates_refused: int

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


# --- the deliveries --------------------------------------------------------------------------


async def template_event(stack: PaymentStack) -> dict[str, object]:
    """A real checkout.session.completed: a checkout created through the service for an order,
    paid in the emulator, its event as `GET /v1/events` lists it."""
    meta = (("x-api-key", API_KEY),)
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        customer = await stub.CreateCustomer(
            payments_pb2.CreateCustomerRequest(email="bench@example.com"), metadata=meta
        )
        product = await stub.CreateProduct(
            payments_pb2.CreateProductRequest(
                name="Bench", unit_amount=1234, currency="usd", external_product_id="bench-1"
            ),
            metadata=meta,
        )
        checkout = await stub.CreateCheckout(
            payments_pb2.CreateCheckoutRequest(
                product_id=product.product.id,
                customer_id=customer.customer.id,
                client_reference_id=TEMPLATE_ORDER,
            ),
            metadata=meta,
        )
    await asyncio.to_thread(pay_in_emulator, stack.emulator_url, checkout.checkout_session_id)
    listed = await asyncio.to_thread(
        http_json,
        f"{stack.emulator_url}/v1/events?type={EVENT_TYPE}",
        headers={"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"},
    )
    assert isinstance(listed, dict)
    event: dict[str, object] = listed["data"][0]
    return event


def deliveries(template: dict[str, object], count: int) -> list[Delivery]:
    """`count` copies of the event, each with ids of its own (replaced wherever the body holds
    them: the event id once, the session's and the payment's ids, the order id)."""
    session = template["data"]["object"]  # type: ignore[index]
    originals = (template["id"], session["id"], session["payment_intent"], TEMPLATE_ORDER)
    text = json.dumps(template)
    run = uuid.uuid4().hex[:8]
    made = []
    for i in range(count):
        ids = (
            f"evt_bench{run}{i:06d}",
            f"cs_test_bench{run}{i:06d}",
            f"pi_bench{run}{i:06d}",
            f"bench-order-{run}-{i:06d}",
        )
        body = text
        for original, new in zip(originals, ids, strict=True):
            body = body.replace(original, new)
        made.append(Delivery(*ids, body=body.encode()))
    return made


async def post_all(
    http_url: str, secret: str, batch: Sequence[Delivery]
) -> tuple[Counter[str], int, float]:
    """Each delivery posted until answered 2xx, CONCURRENCY at a time: the outcomes the
    service answered, how many posts were retries, and the seconds it all took."""
    url = f"{http_url}{WEBHOOK_PATH}"
    outcomes: Counter[str] = Counter()
    retries = 0
    queue = list(reversed(batch))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal retries
        while queue:
            delivery = queue.pop()
            for attempt in range(MAX_ATTEMPTS):
                retries += attempt > 0
                answer = await post(session, url, secret, delivery.body)
                if answer is not None:
                    outcomes[answer] += 1
                    break
            else:
                raise BenchError(f"{delivery.event_id}: no 2xx in {MAX_ATTEMPTS} deliveries")

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        return outcomes, retries, time.perf_counter() - start


async def post(session: aiohttp.ClientSession, url: str, secret: str, body: bytes) -> str | None:
    """One delivery, signed now: the service's outcome, or None when it was not answered 2xx."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature_header(body, secret, int(time.time())),
    }
    async with session.post(url, data=body, headers=headers) as response:
        if not 200 <= response.status < 300:
            return None
        answer = await response.json()
    return str(answer["outcome"])


# --- the ledger afterwards -------------------------------------------------------------------


async def check_ledger(database_url: str, batch: Sequence[Delivery], amount: int) -> None:
    """Exactly the batch's event ids, and each one's payment as its event says."""
    engine = create_async_engine(parse(database_url).url)
    run_prefix = batch[0].event_id[: -len("000000")]
    session_prefix = batch[0].session_id[: -len("000000")]
    try:
        async with engine.connect() as connection:
            events = await connection.scalars(
                select(provider_events.c.event_id).where(
                    provider_events.c.event_id.startswith(run_prefix)
                )
            )
            rows = await connection.execute(
                select(
                    payments.c.checkout_session_id,
                    payments.c.payment_intent_id,
                    payments.c.client_reference_id,
                    payments.c.status,
                    payments.c.amount,
                ).where(payments.c.checkout_session_id.startswith(session_prefix))
            )
            recorded_events = list(events)
            recorded = sorted(tuple(row) for row in rows)
    finally:
        await engine.dispose()
    if sorted(recorded_events) != sorted(d.event_id for d in batch):
        raise BenchError(f"the ledger holds {len(recorded_events)} of the {len(batch)} events")
    wanted = sorted(
        (d.session_id, d.payment_intent_id, d.order, "SUCCEEDED", amount) for d in batch
    )
    if recorded != wanted:
        wrong = [(got, want) for got, want in zip(recorded, wanted, strict=False) if got != want]
        raise BenchError(f"{len(recorded)} payments recorded; first wrong: {wrong[:1]}")


# --- one backend, all backends ---------------------------------------------------------------


async def measure(name: str, stack: PaymentStack, count: int) -> Intake:
    template = await template_event(stack)
    amount = int(template["data"]["object"]["amount_total"])  # type: ignore[index]
    batch = deliveries(template, count)
    reads = emulator_requests(stack.emulator_url, SESSION_ROUTE)
    cpu = cpu_seconds(stack.service_pid)
    outcomes, retries, seconds = await post_all(stack.http_url, stack.webhook_secret, batch)
    service_cpu = cpu_seconds(stack.service_pid) - cpu
    if outcomes != Counter(changed=count):
        raise BenchError(f"{name}: the first deliveries were answered {dict(outcomes)}")
    if emulator_requests(stack.emulator_url, SESSION_ROUTE) != reads:
        raise BenchError(f"{name}: the intake read sessions from Stripe")
    await check_ledger(stack.database_url, batch, amount)
    again, _, _ = await post_all(stack.http_url, stack.webhook_secret, batch[::10])
    if again != Counter(duplicate=len(batch[::10])):
        raise BenchError(f"{name}: deliveries again were answered {dict(again)}")
    await check_ledger(stack.database_url, batch, amount)
    return Intake(name, count, seconds, service_cpu, outcomes, retries, len(batch[::10]))


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp}/ledger.db"
    else:
        with postgres_database() as url:
            yield url


def run(backend: str, count: int) -> Intake:
    with (
        tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp,
        database(backend, Path(tmp)) as url,
        payment_stack(Path(tmp), url) as stack,
    ):
        return asyncio.run(measure(backend, stack, count))


# --- the doc ---------------------------------------------------------------------------------


def report(result: Intake, load: tuple[float, ...]) -> str:
    count = result.events
    lines = [
        TITLES[result.backend],
        "",
        f"Written by `bench/webhook_benchmarks.py --backend {result.backend}` (`make bench` runs "
        f"it for each backend). {machine()}, {datetime.now(UTC):%B %Y}; load average at the "
        "start "
        + "/".join(f"{x:.2f}" for x in load)
        + f". {SHARING[result.backend]} share the cores.",
        "",
        f"- What: {count:,} `{EVENT_TYPE}` deliveries to `POST {WEBHOOK_PATH}` of "
        "`python -m service` (default logging, to a file), "
        f"{CONCURRENCY} in flight (aiohttp, one process). Each body is a real event "
        "from the emulator's `GET /v1/events` with ids of its own, signed as Stripe signs "
        "(`t=…,v1=` HMAC-SHA256 with the run's secret) when posted; a delivery not answered "
        "2xx would be posted again, as Stripe does. The service verifies each signature with "
        "the Stripe SDK and records the event and its payment (a new one each) in one "
        "transaction before answering 200.",
        "- Checked: every delivery answered `changed`; no Stripe call (the events carry the "
        f"whole session); then the ledger, read directly, holds exactly the {count:,} event ids "
        "and their payments, SUCCEEDED with the right session, PaymentIntent, order id and "
        "amount; every tenth delivery posted again is answered `duplicate` and changes nothing.",
        f"- The ledger: {LEDGERS[result.backend]}.",
        "",
        "| events | seconds | events/s | service CPU ms / event | posted again (not 2xx) | "
        "posted again later → `duplicate` |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {result.events:,} | {result.seconds:.1f} | **{result.per_second:,.0f}** | "
        f"{result.service_cpu_s * 1000 / result.events:.2f} | {result.retries} | "
        f"{result.duplicates_refused:,} of {result.duplicates_refused:,} |",
        "",
        "Result: none lost, none doubled (the checks above); the rate is reported, with no target.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=[*TITLES, "both"], default="both")
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args(argv)
    for backend in TITLES if args.backend == "both" else [args.backend]:
        load = os.getloadavg()
        try:
            result = run(backend, args.events)
        except (BenchError, StartError) as error:
            print(f"FAILED: {backend}: {error}", file=sys.stderr)
            return 1
        text = report(result, load)
        print(text)
        if not args.no_doc:
            rewrite_section(TITLES[backend], text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
