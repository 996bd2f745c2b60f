"""Checks Stripe makes beyond the shape of a param (formats, cross-field rules)."""

from __future__ import annotations

import re

from stripe_emulator import currencies, errors

# Deliberately loose, like Stripe: something@something.tld
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def currency(value: str, param: str) -> str:
    """A currency Stripe supports, in any case; answered lowercase, as Stripe does."""
    if value.lower() not in currencies.SUPPORTED:
        # Stripe sends no ``code`` with this one: just type, message and param.
        raise errors.invalid_value(param, currencies.invalid_currency_message(value))
    return value.lower()


def unit_amount(value: int, currency: str, param: str) -> int:
    """At most eight digits (twelve for IDR), as Stripe documents for amounts."""
    limit = currencies.max_amount(currency)
    if value > limit:
        raise errors.invalid_value(param, f"This value must be less than or equal to {limit}.")
    return value


def email(value: str, param: str = "email") -> str:
    if not _EMAIL.match(value):
        raise errors.invalid_value(param, f"Invalid email address: {value}", code="email_invalid")
    return value
