"""``/v1/events``: event objects, snapshots, filters and Stripe's pagination, through the SDK."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import stripe

from stripe_emulator.testing import EmulatorHandle
from tests.emulator import spec_reference
from tests.emulator.helpers import loose, make_session
from tests.emulator.test_spec_conformance import _nullable_as_json_schema


def _raw(obj: stripe.StripeObject) -> Any:
    assert obj.last_response is not None
    return json.loads(obj.last_response.body)


def _types(client: stripe.StripeClient, **params: Any) -> list[str]:
    return [event.type for event in client.v1.events.list(params=loose(params)).data]


def test_a_created_object_is_announced_with_the_request_that_created_it(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "key-1"}
    )
    listed = client.v1.events.list()
    assert [event.type for event in listed.data] == ["customer.created"]
    event = client.v1.events.retrieve(listed.data[0].id)
    raw = _raw(event)
    assert raw["object"] == "event"
    assert raw["id"].startswith("evt_")
    assert raw["livemode"] is False
    assert raw["pending_webhooks"] == 0  # no endpoint
    assert raw["data"] == {"object": _raw(customer)}
    assert customer.last_response is not None
    assert raw["request"] == {"id": customer.last_response.request_id, "idempotency_key": "key-1"}
    assert raw["api_version"] == "2026-10-28.endive"
    assert raw["created"] == customer.created


def test_events_keep_the_object_as_it_was(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    emulator.pay(session.id)
    created, succeeded = client.v1.events.list(params={"type": "payment_intent.*"}).data[::-1]
    assert created.type == "payment_intent.created"
    assert created.data.object["status"] == "requires_payment_method"
    assert created.data.object["amount_received"] == 0
    assert succeeded.data.object["status"] == "succeeded"
    assert created.request is not None
    assert created.request.id is None  # the customer paid, not an API call
    assert "previous_attributes" not in created.data.to_dict()  # only *.updated events have it


def test_product_with_a_default_price_announces_the_product_then_the_price(
    client: stripe.StripeClient,
) -> None:
    product = client.v1.products.create(
        params={"name": "Mug", "default_price_data": {"currency": "eur", "unit_amount": 800}}
    )
    client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 5, "product_data": {"name": "Sticker"}}
    )
    events = client.v1.events.list().data[::-1]  # oldest first
    assert [e.type for e in events] == [
        "product.created",
        "price.created",
        "product.created",
        "price.created",
    ]
    assert events[0].data.object["default_price"] == product.default_price
    assert events[1].data.object["id"] == product.default_price
    assert events[3].data.object["product"] == events[2].data.object["id"]


def test_retrieving_an_unknown_event_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.retrieve("evt_nope")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.user_message == "No such event: 'evt_nope'"


def test_type_filters(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    session = make_session(client)
    emulator.pay(session.id)
    client.v1.customers.create()
    assert _types(client, type="customer.created") == ["customer.created"]
    assert _types(client, type="checkout.session.*") == ["checkout.session.completed"]
    assert _types(client, types=["price.created", "customer.created"]) == [
        "customer.created",
        "price.created",
    ]
    assert _types(client, type="invoice.paid") == []
    assert len(_types(client, type="*")) == 6


def test_created_filters(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    at = customer.created
    assert len(_types(client, created=at)) == 1
    assert len(_types(client, created={"gte": at, "lte": at})) == 1
    assert _types(client, created={"gt": at}) == []
    assert _types(client, created={"lt": at}) == []


def test_delivery_success_without_endpoints(client: stripe.StripeClient) -> None:
    client.v1.customers.create()
    assert _types(client, delivery_success=True) == ["customer.created"]
    assert _types(client, delivery_success=False) == []


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            {"type": "customer.created", "types": ["price.created"]},
            "types",
            "You may only specify one of these parameters: type, types.",
        ),
        ({"types": [f"t{i}.created" for i in range(21)]}, "types", "at most 20"),
        ({"limit": 101}, "limit", "less than or equal to 100"),
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"starting_after": "evt_nope"}, "starting_after", "No such event: 'evt_nope'"),
        ({"ending_before": "evt_nope"}, "ending_before", "No such event: 'evt_nope'"),
        ({"created": {"after": 1}}, "created[after]", "Received unknown parameter"),
        ({"created": "soon"}, "created", "Invalid integer: soon"),
        ({"delivery_success": "maybe"}, "delivery_success", "Invalid boolean"),
    ],
)
def test_bad_list_params_are_400(
    client: stripe.StripeClient, params: dict[str, Any], param: str, message: str
) -> None:
    client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.list(params=loose(params))
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert message in str(raised.value.user_message)


def test_both_cursors_at_once_are_400(client: stripe.StripeClient) -> None:
    client.v1.customers.create()
    event_id = client.v1.events.list().data[0].id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.list(params={"starting_after": event_id, "ending_before": event_id})
    assert raised.value.http_status == 400
    assert "only specify one of these parameters" in str(raised.value.user_message)


@pytest.mark.skipif(not spec_reference.available(), reason=spec_reference.MISSING_REASON)
def test_every_event_conforms_to_the_spec_and_fixture(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    client.v1.customers.create()
    for outcome in ("succeed", "processing"):
        emulator.pay(make_session(client).id, outcome=outcome)
    declined = make_session(client)
    emulator.pay(declined.id, outcome="fail")
    client.v1.checkout.sessions.expire(declined.id)
    _update_a_product_and_archive_its_old_price(client)
    events = _raw(client.v1.events.list(params={"limit": 100}))["data"]
    assert len({event["type"] for event in events}) >= 11
    components = _nullable_as_json_schema(spec_reference.spec()["components"])
    fixture = spec_reference.fixtures()["resources"]["event"]
    for event in events:
        assert set(event) == set(fixture), event["type"]
        _validate(components, "event", {k: v for k, v in event.items() if k != "data"})
        kind = event["data"]["object"]["object"]
        schema = components["schemas"][kind]
        known = {k: v for k, v in event["data"]["object"].items() if k in schema["properties"]}
        _validate(components, kind, known)


def _update_a_product_and_archive_its_old_price(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={"name": "Cap", "default_price_data": {"currency": "usd", "unit_amount": 900}}
    )
    assert isinstance(product.default_price, str)
    other = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 990}
    )
    client.v1.products.update(product.id, params={"name": "Hat", "default_price": other.id})
    client.v1.prices.update(product.default_price, params={"active": False})


def _validate(components: dict[str, Any], kind: str, instance: dict[str, Any]) -> None:
    schema = components["schemas"][kind]
    validator = jsonschema.Draft202012Validator(
        {**schema, "required": [], "components": components}
    )
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert problems == [], f"{kind}: {problems}"


def test_an_update_carries_the_previous_attributes(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={"email": "old@example.com", "metadata": {"keep": "1", "drop": "2", "swap": "a"}}
    )
    client.v1.customers.update(
        customer.id,
        params={
            "email": "new@example.com",
            "name": "New Name",
            "metadata": {"drop": "", "swap": "b", "add": "3"},
        },
    )
    updated = client.v1.events.list(params={"type": "customer.updated"}).data
    assert len(updated) == 1
    raw = _raw(client.v1.events.retrieve(updated[0].id))
    assert raw["data"]["object"]["email"] == "new@example.com"
    assert raw["data"]["object"]["metadata"] == {"keep": "1", "swap": "b", "add": "3"}
    assert raw["data"]["previous_attributes"] == {
        "email": "old@example.com",
        "name": None,
        "metadata": {"add": None, "drop": "2", "swap": "a"},
    }
    # Nothing changes: no event (Stripe announces only changes).
    client.v1.customers.update(customer.id, params={"email": "new@example.com"})
    client.v1.customers.update(customer.id, params={"metadata": ""})
    kinds = _types(client, type="customer.updated")
    assert len(kinds) == 2  # the second call (clearing metadata) changed something
    cleared = client.v1.events.list(params={"type": "customer.updated", "limit": 1}).data[0]
    assert cleared.data.previous_attributes is not None
    assert cleared.data.object["metadata"].to_dict() == {}


def test_updating_an_unknown_customer_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.update("cus_nope", params={"name": "x"})
    assert raised.value.http_status == 404
    assert _types(client) == []


def test_an_update_with_a_bad_email_is_400_and_no_event(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.update(customer.id, params={"email": "not-an-email"})
    assert raised.value.http_status == 400
    assert _types(client) == ["customer.created"]
