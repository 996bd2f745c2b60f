"""CreateCustomer: a new customer at the provider."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.call import CallContext, write_options
from domain.customer import Customer, NewCustomer
from domain.ports import PaymentGateway


@dataclass(frozen=True, slots=True)
class CreateCustomerCommand:
    email: str
    name: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


class CreateCustomer:
    """Creates a customer; a retry with the same request_id returns the same customer."""

    OPERATION = "CreateCustomer"

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def __call__(self, command: CreateCustomerCommand, call: CallContext) -> Customer:
        call.deadline.check()
        new = NewCustomer(
            email=command.email.strip(), name=command.name.strip(), metadata=command.metadata
        )
        return await self._gateway.create_customer(new, write_options(call, self.OPERATION))
