"""Customers: who pays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """What it takes to create a customer."""

    email: str
    name: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as the payment provider keeps it."""

    id: str
    email: str
    name: str
    metadata: Mapping[str, str]
    created_at: datetime
