"""Products (custom ids, default prices, search) and prices, through the official SDK."""

from __future__ import annotations

import json

import pytest
import stripe

from tests.emulator.helpers import loose


def test_product_with_default_price_data(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "id": "sku-1",
            "name": "T-shirt",
            "description": "Cotton",
            "metadata": {"external_product_id": "sku-1"},
            "default_price_data": {"currency": "EUR", "unit_amount": 1999},
        }
    )
    assert product.id == "sku-1"
    assert isinstance(product.default_price, str)
    assert product.default_price.startswith("price_")

    price = client.v1.prices.retrieve(product.default_price)
    assert (price.product, price.unit_amount, price.currency) == ("sku-1", 1999, "eur")
    assert price.type == "one_time"


def test_retrieve_product_expanding_default_price(client: stripe.StripeClient) -> None:
    created = client.v1.products.create(
        params={"name": "Mug", "default_price_data": {"currency": "usd", "unit_amount": 800}}
    )
    fetched = client.v1.products.retrieve(created.id, params={"expand": ["default_price"]})
    assert isinstance(fetched.default_price, stripe.Price)
    assert fetched.default_price.unit_amount == 800


def test_expanding_an_unexpandable_field_is_rejected(client: stripe.StripeClient) -> None:
    created = client.v1.products.create(params={"name": "Mug"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.retrieve(created.id, params={"expand": ["name"]})
    assert raised.value.param == "expand"


def test_generated_product_ids_look_like_stripes(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Mug"})
    assert product.id.startswith("prod_")
    assert len(product.id) == len("prod_") + 14
    assert product.default_price is None


def test_duplicate_product_id_is_resource_already_exists(client: stripe.StripeClient) -> None:
    client.v1.products.create(params={"id": "sku-dup", "name": "A"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.create(params={"id": "sku-dup", "name": "B"})
    assert raised.value.http_status == 400
    assert raised.value.code == "resource_already_exists"
    assert raised.value.user_message == "Product already exists."


def test_product_name_is_required(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.create(params=loose({"description": "no name"}))
    assert raised.value.code == "parameter_missing"
    assert raised.value.param == "name"
    assert raised.value.user_message == "Missing required param: name."


def test_unknown_nested_parameter_is_named_with_brackets(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.create(
            params=loose({"name": "x", "default_price_data": {"currency": "usd", "bogus": "1"}})
        )
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "default_price_data[bogus]"


def test_unknown_product_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.retrieve("prod_missing")
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
    assert raised.value.user_message == "No such product: 'prod_missing'"


def test_search_by_metadata_name_and_active(client: stripe.StripeClient) -> None:
    client.v1.products.create(
        params={"name": "Shirt", "metadata": {"external_product_id": "sku-1"}}
    )
    client.v1.products.create(params={"name": "Mug", "metadata": {"external_product_id": "sku-2"}})
    client.v1.products.create(params={"name": "Old", "active": False})

    by_metadata = client.v1.products.search(
        params={"query": "metadata['external_product_id']:'sku-1'"}
    )
    assert by_metadata.last_response is not None
    raw = json.loads(by_metadata.last_response.body)
    assert (raw["object"], raw["url"], raw["next_page"]) == (
        "search_result",
        "/v1/products/search",
        None,
    )
    assert [p.name for p in by_metadata.data] == ["Shirt"]
    assert by_metadata.has_more is False

    either = client.v1.products.search(params={"query": "name:'shirt' OR name:'Mug'"})
    assert sorted(p.name for p in either.data) == ["Mug", "Shirt"]

    both = client.v1.products.search(
        params={"query": "active:'true' AND metadata['external_product_id']:'sku-2'"}
    )
    assert [p.name for p in both.data] == ["Mug"]
    inactive = client.v1.products.search(params={"query": "active:'false'"})
    assert [p.name for p in inactive.data] == ["Old"]


def test_search_pages_through_results(client: stripe.StripeClient) -> None:
    for index in range(3):
        client.v1.products.create(params={"name": f"Item {index}", "metadata": {"group": "g"}})
    first = client.v1.products.search(params={"query": "metadata['group']:'g'", "limit": 2})
    assert len(first.data) == 2
    assert first.has_more is True
    assert first.next_page is not None
    second = client.v1.products.search(
        params={"query": "metadata['group']:'g'", "limit": 2, "page": first.next_page}
    )
    assert len(second.data) == 1
    assert second.has_more is False
    names = {p.name for p in [*first.data, *second.data]}
    assert names == {"Item 0", "Item 1", "Item 2"}


@pytest.mark.parametrize(
    "query", ["name:", "foo:'x'", "name:'a' AND name:'b' OR name:'c'", "metadata:'x'"]
)
def test_bad_search_queries_are_400(client: stripe.StripeClient, query: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.search(params={"query": query})
    assert raised.value.http_status == 400
    assert raised.value.param == "query"


def test_create_price_for_a_product(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Poster"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1234,
            "metadata": {"a": "b"},
        }
    )
    assert price.id.startswith("price_")
    fetched = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
    assert isinstance(fetched.product, stripe.Product)
    assert fetched.product.name == "Poster"
    assert str(fetched.unit_amount_decimal) == "1234"


def test_create_price_with_product_data(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={"product_data": {"name": "Sticker"}, "currency": "usd", "unit_amount": 100}
    )
    assert isinstance(price.product, str)
    assert client.v1.products.retrieve(price.product).name == "Sticker"


def test_price_for_unknown_product_is_400_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.create(
            params={"product": "prod_nope", "currency": "usd", "unit_amount": 1}
        )
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert raised.value.param == "product"


@pytest.mark.parametrize(
    ("amount", "code"),
    [("abc", "parameter_invalid_integer"), ("1.5", "parameter_invalid_integer"),
     ("99999999999999999999999", "parameter_invalid_integer"), ("-1", None),
     ("100000000", None)],
)  # fmt: skip
def test_bad_unit_amounts_are_rejected(
    client: stripe.StripeClient, amount: str, code: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.create(
            params=loose({"product_data": {"name": "x"}, "currency": "usd", "unit_amount": amount})
        )
    assert raised.value.http_status == 400
    assert raised.value.code == code
    assert raised.value.param == "unit_amount"


def test_unknown_price_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.retrieve("price_nope")
    assert raised.value.http_status == 404
