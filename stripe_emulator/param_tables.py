"""Which params each emulated endpoint accepts, written from Stripe's spec (2023-08-16).

Only params the emulator implements are listed; anything else is rejected as Stripe rejects
an unknown param. ``tests/emulator/test_spec_conformance.py`` checks every name, type, enum
and required flag here against ``spec3.json``.
"""

from __future__ import annotations

from stripe_emulator.params import (
    EXPAND,
    Arr,
    Bool,
    EventType,
    Int,
    Metadata,
    Obj,
    Range,
    Spec,
    Str,
)

TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
LOCALES = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil",
    "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl",
    "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)  # fmt: skip

PAYMENT_METHOD_TYPES = (
    "acss_debit", "affirm", "afterpay_clearpay", "alipay", "au_becs_debit", "bacs_debit",
    "bancontact", "blik", "boleto", "card", "cashapp", "customer_balance", "eps", "fpx",
    "giropay", "grabpay", "ideal", "klarna", "konbini", "link", "oxxo", "p24", "paynow",
    "paypal", "pix", "promptpay", "sepa_debit", "sofort", "us_bank_account", "wechat_pay", "zip",
)  # fmt: skip

ADDRESS = Obj(
    {
        "city": Str(),
        "country": Str(),
        "line1": Str(),
        "line2": Str(),
        "postal_code": Str(),
        "state": Str(),
    }
)

RETRIEVE = Obj({"expand": EXPAND})

CREATE_CUSTOMER = Obj(
    {
        "address": ADDRESS,
        "balance": Int(),
        "description": Str(),
        "email": Str(max_length=512),
        "expand": EXPAND,
        "metadata": Metadata(),
        "name": Str(max_length=256),
        "phone": Str(max_length=20),
        "preferred_locales": Arr(Str()),
        "shipping": Obj(
            {"address": ADDRESS, "name": Str(), "phone": Str()}, required=("address", "name")
        ),
        "tax_exempt": Str(enum=("", "exempt", "none", "reverse"), allow_empty=True),
    }
)

UPDATE_CUSTOMER = Obj(
    {
        "description": Str(),
        "email": Str(max_length=512),
        "expand": EXPAND,
        "metadata": Metadata(),
        "name": Str(max_length=256),
        "phone": Str(max_length=20),
    }
)

PRICE_DATA_FOR_PRODUCT = Obj(
    {
        "currency": Str(),
        "tax_behavior": Str(enum=TAX_BEHAVIORS),
        "unit_amount": Int(minimum=0),  # its maximum depends on the currency: api/validation.py
    },
    required=("currency",),
)

CREATE_PRODUCT = Obj(
    {
        "active": Bool(),
        "default_price_data": PRICE_DATA_FOR_PRODUCT,
        "description": Str(max_length=40000),
        "expand": EXPAND,
        "id": Str(),
        "images": Arr(Str()),
        "metadata": Metadata(),
        "name": Str(),
        "shippable": Bool(),
        "statement_descriptor": Str(max_length=22),
        "tax_code": Str(),
        "unit_label": Str(max_length=12),
        "url": Str(),
    },
    required=("name",),
)

UPDATE_PRODUCT = Obj(
    {
        "active": Bool(),
        "default_price": Str(),
        "description": Str(max_length=40000, allow_empty=True),  # "" unsets it
        "expand": EXPAND,
        "metadata": Metadata(),
        "name": Str(),
    }
)

SEARCH_PRODUCTS = Obj(
    {"expand": EXPAND, "limit": Int(minimum=1, maximum=100), "page": Str(), "query": Str()},
    required=("query",),
)

CREATE_PRICE = Obj(
    {
        "active": Bool(),
        "currency": Str(),
        "expand": EXPAND,
        "lookup_key": Str(max_length=200),
        "metadata": Metadata(),
        "nickname": Str(),
        "product": Str(),
        "product_data": Obj(
            {
                "active": Bool(),
                "id": Str(),
                "metadata": Metadata(),
                "name": Str(),
                "statement_descriptor": Str(max_length=22),
                "tax_code": Str(),
                "unit_label": Str(max_length=12),
            },
            required=("name",),
        ),
        "tax_behavior": Str(enum=TAX_BEHAVIORS),
        "unit_amount": Int(minimum=0),  # its maximum depends on the currency: api/validation.py
    },
    required=("currency",),
)

UPDATE_PRICE = Obj({"active": Bool(), "expand": EXPAND, "metadata": Metadata(), "nickname": Str()})

LINE_ITEM = Obj({"price": Str(), "quantity": Int(minimum=1, maximum=999_999)})

CREATE_CHECKOUT_SESSION = Obj(
    {
        "cancel_url": Str(),
        "client_reference_id": Str(max_length=200),
        "customer": Str(),
        "customer_email": Str(),
        "expand": EXPAND,
        "expires_at": Int(),
        "line_items": Arr(LINE_ITEM),
        "locale": Str(enum=LOCALES),
        "metadata": Metadata(),
        "mode": Str(enum=("payment", "setup", "subscription")),
        "payment_intent_data": Obj({"description": Str(max_length=1000), "metadata": Metadata()}),
        "payment_method_types": Arr(Str(enum=PAYMENT_METHOD_TYPES)),
        "submit_type": Str(enum=("auto", "book", "donate", "pay")),
        "success_url": Str(),
    },
    # The 2023 spec only marks success_url; the live API also insists on mode.
    required=("mode", "success_url"),
)

RETRIEVE_PAYMENT_INTENT = Obj({"client_secret": Str(), "expand": EXPAND})

LIST = Obj(
    {
        "ending_before": Str(),
        "expand": EXPAND,
        "limit": Int(minimum=1, maximum=100),
        "starting_after": Str(),
    }
)

LIST_EVENTS = Obj(
    {
        **LIST.fields,
        "created": Range(),
        "delivery_success": Bool(),
        "type": Str(),
        "types": Arr(Str()),
    }
)

WEBHOOK_ENDPOINT_FIELDS: dict[str, Spec] = {
    "description": Str(allow_empty=True),
    "enabled_events": Arr(EventType()),
    "expand": EXPAND,
    "metadata": Metadata(),
    "url": Str(),
}
CREATE_WEBHOOK_ENDPOINT = Obj(WEBHOOK_ENDPOINT_FIELDS, required=("enabled_events", "url"))
UPDATE_WEBHOOK_ENDPOINT = Obj({**WEBHOOK_ENDPOINT_FIELDS, "disabled": Bool()})

# Keyed by "METHOD path template", the template spelled as in Stripe's spec.
ENDPOINT_PARAMS: dict[str, Obj] = {
    "POST /v1/customers": CREATE_CUSTOMER,
    "GET /v1/customers/{customer}": RETRIEVE,
    "POST /v1/customers/{customer}": UPDATE_CUSTOMER,
    "POST /v1/products": CREATE_PRODUCT,
    "GET /v1/products/search": SEARCH_PRODUCTS,
    "GET /v1/products/{id}": RETRIEVE,
    "POST /v1/products/{id}": UPDATE_PRODUCT,
    "POST /v1/prices": CREATE_PRICE,
    "GET /v1/prices/{price}": RETRIEVE,
    "POST /v1/prices/{price}": UPDATE_PRICE,
    "POST /v1/checkout/sessions": CREATE_CHECKOUT_SESSION,
    "GET /v1/checkout/sessions/{session}": RETRIEVE,
    "POST /v1/checkout/sessions/{session}/expire": RETRIEVE,
    "GET /v1/payment_intents/{intent}": RETRIEVE_PAYMENT_INTENT,
    "GET /v1/events": LIST_EVENTS,
    "GET /v1/events/{id}": RETRIEVE,
    "GET /v1/webhook_endpoints": LIST,
    "POST /v1/webhook_endpoints": CREATE_WEBHOOK_ENDPOINT,
    "GET /v1/webhook_endpoints/{webhook_endpoint}": RETRIEVE,
    "POST /v1/webhook_endpoints/{webhook_endpoint}": UPDATE_WEBHOOK_ENDPOINT,
    "DELETE /v1/webhook_endpoints/{webhook_endpoint}": Obj(),
}
