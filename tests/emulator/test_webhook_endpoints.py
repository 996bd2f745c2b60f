"""``/v1/webhook_endpoints`` through the SDK: create, retrieve, update, list, delete."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.emulator.helpers import loose

URL = "https://shop.example/stripe/webhooks"


def _create(client: stripe.StripeClient, **params: Any) -> stripe.WebhookEndpoint:
    return client.v1.webhook_endpoints.create(
        params=loose({"url": URL, "enabled_events": ["checkout.session.completed"], **params})
    )


def test_create_returns_the_secret_once(client: stripe.StripeClient) -> None:
    endpoint = _create(client, description="orders", metadata={"team": "payments"})
    assert endpoint.id.startswith("we_")
    assert endpoint.secret is not None
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.status == "enabled"
    assert endpoint.url == URL
    assert endpoint.enabled_events == ["checkout.session.completed"]
    assert endpoint.description == "orders"
    assert endpoint.livemode is False
    assert endpoint.api_version is None
    fetched = client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert "secret" not in fetched.to_dict()
    assert fetched.metadata.to_dict() == {"team": "payments"}


def test_update_events_url_description_and_disable(client: stripe.StripeClient) -> None:
    endpoint = _create(client, description="orders")
    updated = client.v1.webhook_endpoints.update(
        endpoint.id,
        params={
            "enabled_events": ["*"],
            "url": "http://127.0.0.1:9/hook",
            "description": "",
            "disabled": True,
        },
    )
    assert updated.enabled_events == ["*"]
    assert updated.url == "http://127.0.0.1:9/hook"
    assert updated.description is None
    assert updated.status == "disabled"
    assert "secret" not in updated.to_dict()
    again = client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})
    assert again.status == "enabled"


def test_list_newest_first_with_pagination(client: stripe.StripeClient) -> None:
    ids = [_create(client).id for _ in range(5)]
    page = client.v1.webhook_endpoints.list(params={"limit": 2})
    assert [e.id for e in page.data] == [ids[4], ids[3]]
    assert page.has_more is True
    assert page.url == "/v1/webhook_endpoints"
    rest = client.v1.webhook_endpoints.list(params={"starting_after": ids[3]})
    assert [e.id for e in rest.data] == [ids[2], ids[1], ids[0]]
    assert rest.has_more is False
    walked = [e.id for e in client.v1.webhook_endpoints.list().auto_paging_iter()]
    assert walked == ids[::-1]


def test_delete(client: stripe.StripeClient) -> None:
    endpoint = _create(client)
    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True
    assert deleted.id == endpoint.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert raised.value.http_status == 404
    assert raised.value.user_message == f"No such webhook endpoint: '{endpoint.id}'"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.delete(endpoint.id)


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"url": "ftp://shop.example/x"}, "url", "Invalid URL: ftp://shop.example/x"),
        ({"url": "not a url"}, "url", "Invalid URL: not a url"),
        ({"url": "http://[::1/x"}, "url", "Invalid URL"),
        ({"url": "http://h:99999/x"}, "url", "Invalid URL"),
        ({"enabled_events": ""}, "enabled_events", "must not be empty"),
        ({"enabled_events": ["Not An Event"]}, "enabled_events[0]", "is not the name of"),
        ({"enabled_events": "*"}, "enabled_events", "must be an array"),
        ({"colour": "red"}, "colour", "Received unknown parameter: colour"),
    ],
)
def test_bad_create_params_are_400(
    client: stripe.StripeClient, params: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _create(client, **params)
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert message in str(raised.value.user_message)


def test_url_and_enabled_events_are_required(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.webhook_endpoints.create(params=loose({"url": URL}))
    assert raised.value.param == "enabled_events"
    assert raised.value.code == "parameter_missing"


def test_at_most_sixteen_endpoints(client: stripe.StripeClient) -> None:
    for _ in range(16):
        _create(client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _create(client)
    assert raised.value.http_status == 400
    assert "maximum of 16" in str(raised.value.user_message)


def test_updating_an_unknown_endpoint_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.webhook_endpoints.update("we_nope", params={"disabled": True})
    assert raised.value.http_status == 404
