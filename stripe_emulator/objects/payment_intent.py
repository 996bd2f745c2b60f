"""The ``payment_intent`` object Checkout creates when the customer pays."""

from __future__ import annotations

from stripe_emulator.ids import new_id, random_token
from stripe_emulator.store import JSON

CARD_DECLINED: JSON = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
    "message": "Your card was declined.",
    "payment_method_type": "card",
}


# A bank debit returned unpaid (e.g. insufficient funds), days after it started processing.
BANK_DECLINED: JSON = {
    "type": "invalid_request_error",
    "code": "payment_method_provider_decline",
    "doc_url": "https://stripe.com/docs/error-codes/payment-method-provider-decline",
    "message": "The customer's bank declined the payment.",
    "payment_method_type": "us_bank_account",
}


def build_payment_intent(session: JSON, intent_data: JSON | None, now: int) -> JSON:
    """``intent_data``: the session's ``payment_intent_data`` (its metadata, description);
    the session's own metadata is not copied, as on Stripe."""
    intent_data = intent_data or {}
    intent_id = new_id("pi")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{random_token(25)}",
        "confirmation_method": "automatic",
        "created": now,
        "currency": session["currency"],
        "customer": session["customer"],
        "customer_account": None,
        "description": intent_data.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": dict(intent_data.get("metadata", {})),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": list(session["payment_method_types"]),
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
