"""What happens to a Checkout Session over time: paying, failing, expiring.

Shared by the emulator-only routes and the hosted checkout page.
"""

from __future__ import annotations

from stripe_emulator import errors
from stripe_emulator.ids import new_id
from stripe_emulator.objects.payment_intent import CARD_DECLINED, build_payment_intent
from stripe_emulator.store import JSON, Store

OUTCOMES = ("succeed", "fail", "processing")


def refresh_expiry(store: Store, session: JSON, now: int) -> JSON:
    """Stripe expires open sessions once ``expires_at`` passes; we do it when next looked at."""
    if session["status"] == "open" and now >= session["expires_at"]:
        expire_session(store, session, now)
    return session


def expire_session(store: Store, session: JSON, now: int) -> JSON:
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
    return session


def pay_session(store: Store, session: JSON, outcome: str, now: int) -> JSON:
    """The customer submits the payment form; ``outcome`` picks what the card network does."""
    if outcome not in OUTCOMES:
        raise errors.invalid_value("outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
    refresh_expiry(store, session, now)
    if session["status"] != "open":
        raise errors.invalid_request(
            f"This Checkout Session is {session['status']} and can no longer be paid."
        )
    intent = _intent_of(store, session) or store.add(build_payment_intent(session, now))
    session["payment_intent"] = intent["id"]
    if outcome == "fail":
        intent.update(
            status="requires_payment_method",
            last_payment_error={**CARD_DECLINED, "payment_method": {"id": new_id("pm")}},
        )
        return session
    intent.update(
        status="succeeded" if outcome == "succeed" else "processing",
        payment_method=new_id("pm"),
        last_payment_error=None,
    )
    if outcome == "succeed":
        intent.update(amount_received=intent["amount"], latest_charge=new_id("ch"))
    session.update(
        status="complete",
        payment_status="paid" if outcome == "succeed" else "unpaid",
        url=None,
    )
    return session


def success_redirect(session: JSON) -> str:
    """Stripe fills in the ``{CHECKOUT_SESSION_ID}`` template in ``success_url``."""
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


def _intent_of(store: Store, session: JSON) -> JSON | None:
    intent_id = session["payment_intent"]
    return None if intent_id is None else store.get("payment_intent", intent_id)
