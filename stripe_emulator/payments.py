"""What happens to a Checkout Session over time: paying, failing, settling, expiring.

Shared by the emulator-only routes and the hosted checkout page. Each step records the
events Stripe sends for it, in the order Stripe sends them (``docs/emulator.md``); events
caused by the customer, the bank or the clock carry no API request.
"""

from __future__ import annotations

from stripe_emulator import errors
from stripe_emulator.ids import new_id
from stripe_emulator.objects.payment_intent import (
    BANK_DECLINED,
    CARD_DECLINED,
    build_payment_intent,
)
from stripe_emulator.store import JSON, Store

OUTCOMES = ("succeed", "fail", "processing")
SETTLE_OUTCOMES = ("succeeded", "failed")


def refresh_expiry(store: Store, session: JSON, now: int) -> JSON:
    """Stripe expires open sessions once ``expires_at`` passes; we do it when next looked at."""
    if session["status"] == "open" and now >= session["expires_at"]:
        expire_session(store, session, now)
    return session


def expire_session(store: Store, session: JSON, now: int, request: JSON | None = None) -> JSON:
    """``request``: the API call that expired it (``None``: the clock did)."""
    if session["status"] != "open":
        raise errors.invalid_request(
            f"This Checkout Session is {session['status']}; only Checkout Sessions with a "
            "status of `open` can be expired."
        )
    session["status"] = "expired"
    session["url"] = None
    intent = _intent_of(store, session)
    if intent is not None and intent["status"] == "requires_payment_method":
        intent["status"] = "canceled"
        intent["canceled_at"] = now
        intent["cancellation_reason"] = "abandoned"
        store.events.emit("payment_intent.canceled", intent, request=request)
    store.events.emit("checkout.session.expired", session, request=request)
    return session


def pay_session(store: Store, session: JSON, outcome: str, now: int) -> JSON:
    """The customer submits the payment form; ``outcome`` picks what the card network does
    (``processing``: a delayed method such as a bank debit, settled later by ``settle``)."""
    if outcome not in OUTCOMES:
        raise errors.invalid_value("outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
    refresh_expiry(store, session, now)
    if session["status"] != "open":
        raise errors.invalid_request(
            f"This Checkout Session is {session['status']} and can no longer be paid."
        )
    intent = _intent_of(store, session) or _new_intent(store, session, now)
    if outcome == "fail":
        # Stripe embeds the declined PaymentMethod object; PaymentMethods are not emulated.
        intent.update(status="requires_payment_method", last_payment_error=dict(CARD_DECLINED))
        store.events.emit("payment_intent.payment_failed", intent)
        return session
    intent.update(payment_method=new_id("pm"), last_payment_error=None)
    if outcome == "succeed":
        _succeed(store, intent)
    else:
        intent["status"] = "processing"
        store.events.emit("payment_intent.processing", intent)
    session.update(
        status="complete",
        payment_status="paid" if outcome == "succeed" else "unpaid",
        url=None,
    )
    store.events.emit("checkout.session.completed", session)
    return session


def settle_intent(store: Store, intent: JSON, outcome: str) -> JSON:
    """The bank's final word on a ``processing`` payment: ``succeeded`` or ``failed``."""
    if outcome not in SETTLE_OUTCOMES:
        raise errors.invalid_value(
            "outcome", f"outcome must be one of {', '.join(SETTLE_OUTCOMES)}"
        )
    if intent["status"] != "processing":
        raise errors.invalid_request(
            f"This PaymentIntent is {intent['status']}; only a PaymentIntent that is "
            "`processing` can be settled."
        )
    session = _session_of(store, intent)
    if outcome == "succeeded":
        _succeed(store, intent)
        if session is not None:
            session["payment_status"] = "paid"
            store.events.emit("checkout.session.async_payment_succeeded", session)
        return intent
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error=dict(BANK_DECLINED),
    )
    store.events.emit("payment_intent.payment_failed", intent)
    if session is not None:
        store.events.emit("checkout.session.async_payment_failed", session)
    return intent


def success_redirect(session: JSON) -> str:
    """Stripe fills in the ``{CHECKOUT_SESSION_ID}`` template in ``success_url``."""
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


def _new_intent(store: Store, session: JSON, now: int) -> JSON:
    intent = store.add(build_payment_intent(session, store.intent_data.get(session["id"]), now))
    session["payment_intent"] = intent["id"]
    store.events.emit("payment_intent.created", intent)
    return intent


def _succeed(store: Store, intent: JSON) -> None:
    intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=new_id("ch"))
    store.events.emit("payment_intent.succeeded", intent)


def _intent_of(store: Store, session: JSON) -> JSON | None:
    intent_id = session["payment_intent"]
    return None if intent_id is None else store.get("payment_intent", intent_id)


def _session_of(store: Store, intent: JSON) -> JSON | None:
    sessions = store.all("checkout.session")
    return next((s for s in sessions if s["payment_intent"] == intent["id"]), None)
