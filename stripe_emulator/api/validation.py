"""Checks Stripe makes beyond the shape of a param (formats, cross-field rules)."""

from __future__ import annotations

import re

from stripe_emulator import errors

_CURRENCY = re.compile(r"^[a-zA-Z]{3}$")
# Deliberately loose, like Stripe: something@something.tld
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def currency(value: str, param: str) -> str:
    """Stripe accepts any case and answers lowercase."""
    if not _CURRENCY.match(value):
        raise errors.invalid_value(param, f"Invalid currency: {value.lower()}.")
    return value.lower()


def email(value: str, param: str = "email") -> str:
    if not _EMAIL.match(value):
        raise errors.invalid_value(param, f"Invalid email address: {value}", code="email_invalid")
    return value
