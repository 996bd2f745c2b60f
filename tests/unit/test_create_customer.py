from __future__ import annotations

import pytest

from domain.call import CallContext, Deadline
from domain.errors import DeadlineExceeded, RequestIdReused
from domain.use_cases import CreateCustomer, CreateCustomerCommand
from tests.fake_gateway import FakeGateway


async def test_creates_a_customer_with_trimmed_fields(
    gateway: FakeGateway, call: CallContext
) -> None:
    customer = await CreateCustomer(gateway)(
        CreateCustomerCommand(email=" ada@example.com ", name=" Ada ", metadata={"k": "v"}), call
    )

    assert (customer.email, customer.name, dict(customer.metadata)) == (
        "ada@example.com",
        "Ada",
        {"k": "v"},
    )
    assert gateway.customers == {customer.id: customer}


async def test_without_request_id_no_idempotency_key_is_sent(
    gateway: FakeGateway, call: CallContext
) -> None:
    await CreateCustomer(gateway)(CreateCustomerCommand(email="a@example.com"), call)

    assert gateway.writes[0].idempotency_key is None


async def test_same_request_id_returns_the_same_customer(gateway: FakeGateway) -> None:
    call = CallContext("caller-a", Deadline.after(60), request_id="r-1")
    use_case = CreateCustomer(gateway)
    command = CreateCustomerCommand(email="a@example.com")

    first = await use_case(command, call)
    second = await use_case(command, call)

    assert first == second
    assert len(gateway.customers) == 1


async def test_same_request_id_other_parameters_is_refused(gateway: FakeGateway) -> None:
    call = CallContext("caller-a", Deadline.after(60), request_id="r-1")
    use_case = CreateCustomer(gateway)
    await use_case(CreateCustomerCommand(email="a@example.com"), call)

    with pytest.raises(RequestIdReused) as raised:
        await use_case(CreateCustomerCommand(email="b@example.com"), call)

    assert raised.value.metadata["request_id"] == "r-1"


async def test_request_ids_are_scoped_to_the_caller(gateway: FakeGateway) -> None:
    use_case = CreateCustomer(gateway)
    command = CreateCustomerCommand(email="a@example.com")

    first = await use_case(command, CallContext("caller-a", Deadline.after(60), request_id="r-1"))
    second = await use_case(command, CallContext("caller-b", Deadline.after(60), request_id="r-1"))

    assert first.id != second.id
    keys = [w.idempotency_key for w in gateway.writes]
    assert len(set(keys)) == 2


async def test_expired_deadline_does_no_work(gateway: FakeGateway) -> None:
    call = CallContext("caller-a", Deadline.after(-1))

    with pytest.raises(DeadlineExceeded):
        await CreateCustomer(gateway)(CreateCustomerCommand(email="a@example.com"), call)

    assert gateway.calls == []
