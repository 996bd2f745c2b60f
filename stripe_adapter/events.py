"""StripePaymentEvents: the PaymentEvents port over Stripe's webhooks and its Events API.

Four event types say what became of a payment; each maps to a status (`status_of_event`):

| event type                                 | status                                  |
| ------------------------------------------ | --------------------------------------- |
| `checkout.session.completed`               | SUCCEEDED when `payment_status` is paid |
|                                            | or no_payment_required; PROCESSING when |
|                                            | unpaid (a delayed payment under way)    |
| `checkout.session.async_payment_succeeded` | SUCCEEDED                               |
| `checkout.session.async_payment_failed`    | FAILED                                  |
| `checkout.session.expired`                 | EXPIRED                                 |

Four more say a product the service may sell changed, or one of its prices: `product.updated`,
`product.deleted`, `price.updated`, `price.deleted` (the product named by the object's `id`, or
by a price's `product`). They are told as ProductChanged: the replica's catalog forgets it.

Every other type is of no use to the service. An event's payment comes from the session
snapshot it carries; one that carries none usable (a thin event) is placed by re-reading the
session.
Bodies are parsed as plain JSON, not into the SDK's StripeObjects: an event is taken in for the
cost of one HMAC and one `json.loads`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, TypeGuard
from urllib.parse import quote_plus

import stripe

# Bound once: the stripe package resolves its attributes lazily, microseconds per access.
from stripe import SignatureVerificationError, WebhookSignature

from domain.call import Deadline
from domain.errors import DeadlineExceeded, ProviderUnavailable, WebhookRefused
from domain.ledger import Observation
from domain.payment_status import PaymentStatus
from domain.product import ProductChanged
from stripe_adapter import translate
from stripe_adapter.client import StripeConnection
from stripe_adapter.errors import is_missing, rejected
from stripe_adapter.reads import SESSION_PATH, JsonReader
from stripe_adapter.runner import StripeRunner
from stripe_adapter.settings import StripeSettings

log = logging.getLogger("stripe_adapter")

WEBHOOK_TOLERANCE_SECONDS = 300
"""How old a delivery's signature may be (Stripe's SDK default): older ones may be replays."""

EVENTS_PATH = "/v1/events"
PAGE_SIZE = 100  # Stripe's largest page
_LATEST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last instant a datetime can hold


def _completed(session: translate.Json) -> PaymentStatus:
    payment_status = session.get("payment_status")
    return translate.session_status(
        "complete", payment_status if isinstance(payment_status, str) else ""
    )


_STATUS_OF_TYPE: dict[str, Callable[[translate.Json], PaymentStatus]] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": lambda _: PaymentStatus.SUCCEEDED,
    "checkout.session.async_payment_failed": lambda _: PaymentStatus.FAILED,
    "checkout.session.expired": lambda _: PaymentStatus.EXPIRED,
}

PAYMENT_EVENT_TYPES: tuple[str, ...] = tuple(_STATUS_OF_TYPE)
"""The event types the ledger takes in."""
PRODUCT_EVENT_TYPES = ("product.updated", "product.deleted", "price.updated", "price.deleted")
"""The event types that make the catalog forget a product."""
EVENT_TYPES = PAYMENT_EVENT_TYPES + PRODUCT_EVENT_TYPES
"""Every event type the service takes in: what a webhook endpoint needs `enabled_events` for,
and what the reconciler lists."""


def status_of_event(event_type: str, session: translate.Json) -> PaymentStatus | None:
    """The status an event of `event_type` about `session` reports; None for a type of no use."""
    status_of = _STATUS_OF_TYPE.get(event_type)
    return None if status_of is None else status_of(session)


class _Unplaceable(Exception):
    """Internal: a genuine event of a used type that names no payment Stripe knows."""


class StripePaymentEvents:
    """Implements domain.ports.PaymentEvents; raises only domain errors.

    `webhook_secrets`: the signing secrets (`whsec_…`) deliveries may be signed with, several
    at once during a rotation; none: every delivery is refused (events are then only listed).
    `connection`: share the gateway's (`StripePaymentGateway.connection`), which its owner
    closes; without one, a connection of its own is made and `aclose()` closes it. Each Stripe
    read (a page of events, a session re-read) is given the configured Stripe timeout.
    """

    def __init__(
        self,
        settings: StripeSettings,
        webhook_secrets: Sequence[str],
        *,
        connection: StripeConnection | None = None,
        tolerance_seconds: int = WEBHOOK_TOLERANCE_SECONDS,
    ) -> None:
        if tolerance_seconds <= 0:
            raise ValueError("tolerance_seconds must be positive")
        self._own_connection: StripeConnection | None = None
        if connection is None:
            connection = self._own_connection = StripeConnection(settings)
        self._reads = JsonReader(connection.client, StripeRunner(settings))
        self._settings = settings
        self._secrets = tuple(webhook_secrets)
        self._tolerance = tolerance_seconds

    async def aclose(self) -> None:
        """Closes the connection this object made (a shared one is its owner's to close)."""
        if self._own_connection is not None:
            await self._own_connection.aclose()

    async def from_webhook(
        self, payload: bytes, signature: str
    ) -> Observation | ProductChanged | None:
        self._verify(payload, signature)
        event = _parsed_event(payload)
        try:
            return await self._told(event)
        except _Unplaceable as exc:
            raise WebhookRefused(str(exc)) from None

    async def since(self, instant: datetime) -> AsyncIterator[Observation | ProductChanged]:
        """Stripe's events of the used types created at or after `instant` (to the second),
        newest first, as Stripe lists them: page by page, each event once."""
        params: dict[str, Any] = {
            "types": list(EVENT_TYPES),
            "created": {"gte": int(instant.timestamp())},
            "limit": PAGE_SIZE,
        }
        while True:
            try:
                page = await self._get(EVENTS_PATH, params)
            except stripe.InvalidRequestError as exc:
                raise rejected(exc) from exc
            events = page.get("data")
            if not isinstance(events, list):
                raise TypeError(f"Stripe answered GET {EVENTS_PATH} without a list of events")
            for event in events:
                if (told := await self._listed(event)) is not None:
                    yield told
            if not events or page.get("has_more") is not True:
                return
            params["starting_after"] = events[-1]["id"]

    def _verify(self, payload: bytes, signature: str) -> None:
        """By the SDK, against each secret; the body and the secrets are never quoted."""
        if not signature:
            raise WebhookRefused("the delivery has no Stripe-Signature header")
        if not self._secrets:
            raise WebhookRefused("no webhook signing secret is configured: deliveries are refused")
        try:
            if any(_signed(payload, signature, s, self._tolerance) for s in self._secrets):
                return
            # Refused: say why. Signed with a secret, but long ago?
            if any(_signed(payload, signature, s, None) for s in self._secrets):
                raise WebhookRefused(
                    f"the signature is more than {self._tolerance} s old (a replayed or "
                    "long-delayed delivery); Stripe signs each attempt anew"
                )
        except UnicodeDecodeError:
            raise WebhookRefused("the body is not UTF-8 text, so not an event") from None
        raise WebhookRefused(
            "the Stripe-Signature header is malformed or matches none of the webhook secrets"
        )

    async def _listed(self, event: object) -> Observation | ProductChanged | None:
        """What a listed event tells; one that cannot be placed is logged and passed over
        (what Stripe lists, it lists again: nothing would change on the next pass)."""
        if not _is_event(event):
            log.warning("Stripe listed something that is not an event; passed over")
            return None
        try:
            return await self._told(event)
        except _Unplaceable as exc:
            log.warning("event %s passed over: %s", event["id"], exc)
            return None

    async def _told(self, event: translate.Json) -> Observation | ProductChanged | None:
        if event["type"] in PRODUCT_EVENT_TYPES:
            return _product_changed(event)
        return await self._observation(event)

    async def _observation(self, event: translate.Json) -> Observation | None:
        event_type = event["type"]
        if event_type not in _STATUS_OF_TYPE:
            return None
        session = event["data"].get("object")
        if not _is_session(session):
            session = await self._session(_session_id(session), event_type)
        created = translate.timestamp(event["created"])
        status = status_of_event(event_type, session)
        return Observation(translate.payment(session, created, status), created, event["id"])

    async def _session(self, session_id: str, event_type: str) -> translate.Json:
        """The session as Stripe has it now, for an event that does not carry it."""
        try:
            return await self._get(SESSION_PATH.format(quote_plus(session_id)), {})
        except stripe.InvalidRequestError as exc:
            if is_missing(exc):
                raise _Unplaceable(
                    f"a {event_type} event names a checkout session Stripe does not know"
                ) from exc
            raise rejected(exc) from exc

    async def _get(self, path: str, params: dict[str, Any]) -> translate.Json:
        """A read under the configured Stripe timeout. No caller waits on it, so running out
        of time means Stripe is too slow: unavailable, retryable. Leaves an
        InvalidRequestError for the caller to say what it means."""
        deadline = Deadline.after(self._settings.timeout_seconds)
        try:
            return await self._reads.get(path, params, deadline)
        except DeadlineExceeded as exc:
            raise ProviderUnavailable(
                f"Stripe did not answer GET {path} within {self._settings.timeout_seconds} s",
                retry_after_seconds=self._settings.unavailable_retry_after_seconds,
            ) from exc


def _product_changed(event: translate.Json) -> ProductChanged | None:
    """The product a product or price event names; None (the event ignored) when it names none:
    the catalog's time-to-live bounds what such an event could have told."""
    changed = event["data"].get("object")
    if not isinstance(changed, dict):
        return None
    product_id = changed.get("product") if event["type"].startswith("price.") else changed.get("id")
    if isinstance(product_id, dict):  # an expanded product
        product_id = product_id.get("id")
    if not isinstance(product_id, str) or not product_id:
        return None
    return ProductChanged(product_id, event["id"], translate.timestamp(event["created"]))


def _signed(payload: bytes, signature: str, secret: str, tolerance: int | None) -> bool:
    """Whether `secret` signed `payload` (within `tolerance` seconds; None: ever)."""
    try:
        WebhookSignature.verify_header(payload, signature, secret, tolerance)
    except SignatureVerificationError:
        return False
    return True


def _parsed_event(payload: bytes) -> translate.Json:
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError; deep nesting
        raise WebhookRefused("the body is not JSON") from None
    if not _is_event(event):
        raise WebhookRefused(
            'the body is not a Stripe event (an object with object "event", id, type, '
            "created and data)"
        )
    return event


def _is_event(value: object) -> TypeGuard[translate.Json]:
    if not isinstance(value, dict) or value.get("object") != "event":
        return False
    created = value.get("created")
    return (
        isinstance(value.get("id"), str)
        and isinstance(value.get("type"), str)
        and isinstance(created, int)
        and 0 <= created <= _LATEST_EPOCH
        and isinstance(value.get("data"), dict)
    )


def _is_session(value: object) -> TypeGuard[translate.Json]:
    """A Checkout Session snapshot with what placing the payment takes."""
    return (
        isinstance(value, dict)
        and value.get("object") == "checkout.session"
        and _is_session_id(value.get("id"))
        and all(isinstance(value.get(k), str) and value[k] for k in ("status", "payment_status"))
    )


def _session_id(value: object) -> str:
    session_id = value.get("id") if isinstance(value, dict) else None
    if not _is_session_id(session_id):
        raise _Unplaceable("a checkout.session event that names no checkout session")
    return session_id


def _is_session_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith("cs_")
