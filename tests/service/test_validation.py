"""Field-path rendering and the one-error-for-all-violations behaviour of validation.validate."""

from __future__ import annotations

import pytest
from protobuf import Oneof  # protovalidate's messages come from the protobuf-py runtime
from protovalidate import FieldPathElementPb, FieldPathPb

from payments.v1 import payments_pb2
from service.errors import VALIDATION_FAILED, EdgeError
from service.validation import render_path, validate


def element(name: str, **subscript: object) -> FieldPathElementPb:
    if not subscript:
        return FieldPathElementPb(field_name=name)
    ((kind, value),) = subscript.items()
    return FieldPathElementPb(field_name=name, subscript=Oneof(kind, value))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("elements", "expected"),
    [
        ([element("email")], "email"),
        ([element("metadata", string_key="k")], 'metadata["k"]'),
        ([element("metadata", string_key='a"b')], 'metadata["a\\"b"]'),
        ([element("items", index=0), element("x")], "items[0].x"),
        ([element("flags", bool_key=True)], "flags[true]"),
        ([element("by_id", int_key=-3)], "by_id[-3]"),
    ],
)
def test_render_path(elements: list[FieldPathElementPb], expected: str) -> None:
    assert render_path(FieldPathPb(elements=elements)) == expected


def test_valid_message_passes() -> None:
    validate(payments_pb2.CreateCustomerRequest(email="jane@example.com"))


def test_map_key_violation_says_key() -> None:
    with pytest.raises(EdgeError) as raised:
        validate(payments_pb2.CreateCustomerRequest(email="a@b.co", metadata={"": "v"}))
    (violation,) = raised.value.violations
    assert violation.field == 'metadata[""]'
    assert violation.description.startswith("key: ")
    assert raised.value.problem is VALIDATION_FAILED


def test_message_names_the_request_and_every_field() -> None:
    with pytest.raises(EdgeError) as raised:
        validate(payments_pb2.CreateProductRequest(unit_amount=0, currency="x"))
    message = raised.value.message
    assert message.startswith("invalid CreateProductRequest: name: value is required; ")
    for field in ("unit_amount: must be greater than 0", "currency:", "external_product_id:"):
        assert field in message


@pytest.mark.parametrize(
    "request_message",
    [
        payments_pb2.CreateCustomerRequest(email="jane@example.com", name=" \t "),
        payments_pb2.CreateProductRequest(
            name="   ", unit_amount=100, currency="usd", external_product_id="sku-1"
        ),
    ],
    ids=["customer", "product"],
)
def test_a_name_of_spaces_only_is_refused(request_message: object) -> None:
    with pytest.raises(EdgeError) as raised:
        validate(request_message)  # type: ignore[arg-type]
    assert [(v.field, v.description) for v in raised.value.violations] == [
        ("name", "must not be only spaces")
    ]
    validate(payments_pb2.CreateCustomerRequest(email="jane@example.com", name=" Jane "))
