"""The emulator against Stripe's published reference (``../shared/stripe-reference``).

- the hand-written param tables agree with the spec's request schemas;
- objects carry the fields of Stripe's fixtures, and no field Stripe doesn't have;
- (per test, in conftest.py) every request the tests send is checked against the spec.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from stripe_emulator.events import EVENT_TYPES
from stripe_emulator.param_tables import ENDPOINT_PARAMS
from stripe_emulator.params import (
    RANGE_BOUNDS,
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
from stripe_emulator.state import RecordedRequest
from stripe_emulator.testing import EmulatorHandle
from tests.emulator import spec_reference
from tests.emulator.helpers import SUCCESS_URL, make_price

pytestmark = pytest.mark.skipif(
    not spec_reference.available(), reason=spec_reference.MISSING_REASON
)

_JSON_TYPES: dict[type, str] = {Int: "integer", Bool: "boolean", Str: "string"}


def _without_unset(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [real schema, {"enum": [""]}]`` is Stripe's "or empty string to unset"."""
    options = [o for o in schema.get("anyOf", []) if o.get("enum") != [""]]
    return options[0] if len(options) == 1 else schema


def _mismatches(ours: Spec, theirs: dict[str, Any], where: str) -> list[str]:
    theirs = _without_unset(theirs)
    if isinstance(ours, Obj):
        if theirs.get("type") != "object" or "properties" not in theirs:
            return [f"{where}: spec has no object here"]
        found = [
            problem
            for name, spec in ours.fields.items()
            for problem in (
                _mismatches(spec, theirs["properties"][name], f"{where}[{name}]")
                if name in theirs["properties"]
                else [f"{where}[{name}]: not a param in the spec"]
            )
        ]
        missing = set(theirs.get("required", [])) - set(ours.required)
        return [*found, f"{where}: spec requires {sorted(missing)}"] if missing else found
    if isinstance(ours, Arr):
        if theirs.get("type") != "array":
            return [f"{where}: spec has no array here"]
        return _mismatches(ours.items, theirs["items"], f"{where}[]")
    if isinstance(ours, Metadata):
        ok = theirs.get("type") == "object" and theirs.get("additionalProperties") == {
            "type": "string"
        }
        return [] if ok else [f"{where}: spec has no metadata object here"]
    if isinstance(ours, Range):
        return _range_mismatches(theirs, where)
    if isinstance(ours, EventType):
        return _event_type_mismatches(theirs, where)
    if theirs.get("type") != _JSON_TYPES[type(ours)]:
        return [f"{where}: spec type {theirs.get('type')}, ours {type(ours).__name__}"]
    if isinstance(ours, Str):
        return _string_mismatches(ours, theirs, where)
    return []


def _range_mismatches(theirs: dict[str, Any], where: str) -> list[str]:
    """Stripe's ``range_query_specs``: an integer, or an object of integer bounds."""
    options = theirs.get("anyOf", [])
    kinds = {option.get("type") for option in options}
    bounds: dict[str, Any] = next(
        (o.get("properties", {}) for o in options if o.get("type") == "object"), {}
    )
    ok = kinds == {"integer", "object"} and set(bounds) == set(RANGE_BOUNDS)
    return [] if ok else [f"{where}: spec has no integer-or-range here"]


def _event_type_mismatches(theirs: dict[str, Any], where: str) -> list[str]:
    """The spec lists every event type Stripe has; each the emulator emits must be one."""
    names = set(theirs.get("enum", []))
    missing = (set(EVENT_TYPES) | {"*"}) - names
    if theirs.get("type") != "string" or missing:
        return [f"{where}: spec lacks the event types {sorted(missing)}"]
    return []


def _string_mismatches(ours: Str, theirs: dict[str, Any], where: str) -> list[str]:
    problems = []
    their_enum = set(theirs.get("enum", [])) - {""}
    our_enum = set(ours.enum or ()) - {""}
    if their_enum != our_enum:
        problems.append(f"{where}: enum {sorted(our_enum)} != spec {sorted(their_enum)}")
    if "maxLength" in theirs and theirs["maxLength"] != ours.max_length:
        problems.append(f"{where}: maxLength {ours.max_length} != spec {theirs['maxLength']}")
    return problems


@pytest.mark.parametrize("endpoint", sorted(ENDPOINT_PARAMS))
def test_param_table_matches_spec(endpoint: str) -> None:
    method, route = endpoint.split(" ")
    assert route in spec_reference.spec()["paths"], f"{route} is not in Stripe's spec"
    theirs = spec_reference.request_schema(method, route)
    assert _mismatches(ENDPOINT_PARAMS[endpoint], theirs, "") == []


def _raw(obj: stripe.StripeObject) -> dict[str, Any]:
    assert obj.last_response is not None
    body: dict[str, Any] = json.loads(obj.last_response.body)
    return body


def _emulated_objects(client: stripe.StripeClient, emulator: EmulatorHandle) -> dict[str, Any]:
    """One of each object, as raw JSON, with the session paid so every field is filled in."""
    customer = client.v1.customers.create(params={"email": "shape@example.com"})
    price = client.v1.prices.retrieve(make_price(client))
    assert isinstance(price.product, str)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": customer.id,
            "success_url": SUCCESS_URL,
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    emulator.pay(session.id)
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert isinstance(paid.payment_intent, str)
    return {
        "customer": _raw(customer),
        "product": _raw(client.v1.products.retrieve(price.product)),
        "price": _raw(price),
        "checkout.session": _raw(paid),
        "payment_intent": _raw(client.v1.payment_intents.retrieve(paid.payment_intent)),
    }


def test_objects_have_the_fixture_fields_and_no_others(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    schemas = spec_reference.spec()["components"]["schemas"]
    for kind, ours in _emulated_objects(client, emulator).items():
        fixture = spec_reference.fixtures()["resources"][kind]
        missing = set(fixture) - set(ours)
        assert not missing, f"{kind} lacks Stripe's fields {sorted(missing)}"
        known = set(fixture) | set(schemas[kind]["properties"])
        invented = set(ours) - known
        assert not invented, f"{kind} has fields Stripe doesn't: {sorted(invented)}"
        assert ours["object"] == kind
        assert ours["livemode"] is False


def test_objects_match_the_spec_types_for_the_fields_it_knows(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    """Values are checked against the 2023 spec's resource schemas (newer fields skipped)."""
    import jsonschema

    components = _nullable_as_json_schema(spec_reference.spec()["components"])
    for kind, ours in _emulated_objects(client, emulator).items():
        schema = components["schemas"][kind]
        known = {k: v for k, v in ours.items() if k in schema["properties"]}
        validator = jsonschema.Draft202012Validator(
            {**schema, "required": [], "components": components}
        )
        problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(known)]
        assert problems == [], f"{kind}: {problems}"


def _nullable_as_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` is JSON Schema's "or null"."""
    if isinstance(schema, list):
        return [_nullable_as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {k: _nullable_as_json_schema(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_conformance_check_flags_a_request_the_spec_rejects() -> None:
    """The per-test check in conftest.py really catches disagreements."""
    accepted_but_invalid = RecordedRequest(
        method="POST",
        route="/v1/customers",
        params={"nonsense": "1"},
        status=200,
        error_rule=None,
        executed=True,
    )
    rejected_but_valid = RecordedRequest(
        method="POST",
        route="/v1/products",
        params={"name": "x"},
        status=400,
        error_rule="unknown",
        executed=False,
    )
    problems = spec_reference.conformance_problems([accepted_but_invalid, rejected_but_valid])
    assert len(problems) == 2
