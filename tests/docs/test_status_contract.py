"""The proto's comments (the OpenAPI descriptions) say what the code does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from domain.payment_status import PaymentStatus
from stripe_adapter.translate import intent_status, session_status

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "generated" / "payments" / "v1" / "payments.swagger.json").read_text())
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text()


def _status_doc() -> str:
    return str(OPENAPI["definitions"]["v1PaymentStatus"]["description"])


def test_unspecified_is_documented_as_returned_for_an_unknown_state() -> None:
    assert (
        intent_status("some_new_state") is PaymentStatus.UNSPECIFIED
    )  # so the doc must not say "never"
    doc = _status_doc()
    assert "Never returned" not in doc
    unspecified = re.search(r"PAYMENT_STATUS_UNSPECIFIED: (.*?)\n - ", doc, re.DOTALL)
    assert unspecified is not None
    assert "stripe_status" in unspecified[1]


def test_status_doc_names_where_session_and_intent_views_differ() -> None:
    assert session_status("expired", "unpaid") is PaymentStatus.EXPIRED
    assert intent_status("canceled") is PaymentStatus.CANCELED
    assert session_status("open", "unpaid") is PaymentStatus.OPEN
    assert intent_status("requires_action") is PaymentStatus.REQUIRES_ACTION
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
        "v1ExpireCheckoutRequest",
    }
    for name, description in described.items():
        assert "24 hours" in description, name
    reused = re.search(r"^\| [A-Z_]+ \| `REQUEST_ID_REUSED` \|.*$", ERRORS_DOC, re.MULTILINE)
    assert reused is not None
    assert "24 h" in reused[0]
    assert "within 24 hours" in ERRORS_DOC
