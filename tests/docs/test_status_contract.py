"""The proto's comments (the OpenAPI descriptions) say what the code does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from domain.money import Money
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus, normalize

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "docs" / "openapi" / "payments.swagger.json").read_text())
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text()


def _snapshot(kind: PaymentRefKind, status: str, payment_status: str = "") -> PaymentSnapshot:
    return PaymentSnapshot(
        id="cs_1" if kind is PaymentRefKind.CHECKOUT_SESSION else "pi_1",
        kind=kind,
        provider_status=status,
        provider_payment_status=payment_status,
        checkout_session_id=None,
        payment_intent_id=None,
        customer_id=None,
        total=Money(100, "usd"),
    )


def _status_doc() -> str:
    return str(OPENAPI["definitions"]["v1PaymentStatus"]["description"])


def test_unspecified_is_documented_as_returned_for_an_unknown_state() -> None:
    unknown = normalize(_snapshot(PaymentRefKind.PAYMENT_INTENT, "some_new_state"))
    assert unknown.status is PaymentStatus.UNSPECIFIED  # so the doc must not say "never"
    doc = _status_doc()
    assert "Never returned" not in doc
    unspecified = re.search(r"PAYMENT_STATUS_UNSPECIFIED: (.*?)\n - ", doc, re.DOTALL)
    assert unspecified is not None
    assert "stripe_status" in unspecified[1]


def test_status_doc_names_where_session_and_intent_views_differ() -> None:
    session, intent = PaymentRefKind.CHECKOUT_SESSION, PaymentRefKind.PAYMENT_INTENT
    assert normalize(_snapshot(session, "expired", "unpaid")).status is PaymentStatus.EXPIRED
    assert normalize(_snapshot(intent, "canceled")).status is PaymentStatus.CANCELED
    assert normalize(_snapshot(session, "open", "unpaid")).status is PaymentStatus.OPEN
    assert normalize(_snapshot(intent, "requires_action")).status is (PaymentStatus.REQUIRES_ACTION)
    doc = _status_doc()
    assert "the same whichever id" not in doc
    assert "EXPIRED by" in doc
    assert "CANCELED by" in doc
    assert "REQUIRES_ACTION by" in doc
    assert "OPEN by" in doc


def test_request_id_says_how_long_stripe_keeps_it() -> None:
    described = {
        name: str(definition["properties"]["requestId"].get("description", ""))
        for name, definition in OPENAPI["definitions"].items()
        if "requestId" in definition.get("properties", {})
    }
    assert set(described) == {
        "v1CreateCustomerRequest",
        "v1CreateProductRequest",
        "v1CreateCheckoutRequest",
    }
    for name, description in described.items():
        assert "24 hours" in description, name
    reused = re.search(r"^\| [A-Z_]+ \| `REQUEST_ID_REUSED` \|.*$", ERRORS_DOC, re.MULTILINE)
    assert reused is not None
    assert "24 h" in reused[0]
    assert "within 24 hours" in ERRORS_DOC
