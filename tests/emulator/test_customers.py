"""Customers, authentication and the generic error envelope, through the official SDK."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import stripe

from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import loose, stripe_client


def test_create_and_retrieve_customer(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create(
        params={"email": "ada@example.com", "name": "Ada", "metadata": {"user_id": "42"}}
    )
    assert created.id.startswith("cus_")
    assert len(created.id) == len("cus_") + 14
    assert created.object == "customer"
    assert created.livemode is False

    fetched = client.v1.customers.retrieve(created.id)
    assert (fetched.email, fetched.name) == ("ada@example.com", "Ada")
    assert fetched.metadata is not None
    assert fetched.metadata.to_dict() == {"user_id": "42"}


def test_every_response_has_a_request_id(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create()
    assert created.last_response is not None
    assert created.last_response.request_id is not None
    assert created.last_response.request_id.startswith("req_")


def test_unknown_customer_is_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.retrieve("cus_123")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.param == "id"
    assert raised.value.user_message == "No such customer: 'cus_123'"


def test_unknown_parameter_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create(params=loose({"foo": "bar"}))
    assert raised.value.http_status == 400
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "foo"
    assert raised.value.user_message == "Received unknown parameter: foo"


def test_invalid_email_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create(params={"email": "not-an-email"})
    assert raised.value.code == "email_invalid"
    assert raised.value.param == "email"


def test_invalid_integer_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create(params=loose({"balance": "12.5"}))
    assert raised.value.code == "parameter_invalid_integer"
    assert raised.value.param == "balance"


def test_empty_string_for_a_required_value_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create(params={"name": ""})
    assert raised.value.code == "parameter_invalid_empty"


@pytest.mark.parametrize("key", ["garbage", "sk_test_", "sk_live_abcdef123456", "pk_test_abc123"])
def test_bad_api_keys_are_401(emulator: EmulatorHandle, key: str) -> None:
    client = stripe_client(emulator, api_key=key)
    with pytest.raises(stripe.AuthenticationError) as raised:
        client.v1.customers.create()
    assert raised.value.http_status == 401
    assert raised.value.error is not None
    assert raised.value.error.type == "invalid_request_error"
    assert "Invalid API Key provided" in str(raised.value.user_message)


def test_restricted_test_keys_are_accepted(emulator: EmulatorHandle) -> None:
    client = stripe_client(emulator, api_key="rk_test_restricted123")
    assert client.v1.customers.create().id.startswith("cus_")


def test_missing_authorization_header_is_401(emulator: EmulatorHandle) -> None:
    # The SDK refuses to send a request without a key, so this one goes over plain HTTP.
    request = urllib.request.Request(f"{emulator.url}/v1/customers", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 401
    assert raised.value.headers["Request-Id"].startswith("req_")
    error = json.load(raised.value)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You did not provide an API key.")


def test_unknown_route_is_404_in_stripe_envelope(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.raw_request("get", "/v1/foo")
    assert raised.value.http_status == 404
    assert raised.value.user_message is not None
    assert raised.value.user_message.startswith("Unrecognized request URL (GET: /v1/foo)")


def test_wrong_method_is_405_in_stripe_envelope(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.APIError) as raised:
        client.raw_request("delete", "/v1/customers")
    assert raised.value.http_status == 405
    assert raised.value.error is not None
    assert raised.value.error.type == "invalid_request_error"
