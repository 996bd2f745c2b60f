"""Random, Stripe-looking identifiers (``cus_`` + 14 chars, ``pi_`` + 24, ...)."""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_letters + string.digits
# Not cryptographic on purpose: these are test ids and this is on the hot path.
_random = random.Random()

# Lengths of the random part, as seen in Stripe's own ids.
ID_LENGTHS: dict[str, int] = {
    "cus": 14,
    "prod": 14,
    "price": 24,
    "pi": 24,
    "pm": 24,
    "ch": 24,
    "cs_test": 58,
    "req": 14,
    "evt": 24,
    "we": 24,
    "whsec": 32,
}


def new_id(prefix: str) -> str:
    length = ID_LENGTHS.get(prefix, 24)
    return f"{prefix}_{''.join(_random.choices(_ALPHABET, k=length))}"


def random_token(length: int) -> str:
    return "".join(_random.choices(_ALPHABET, k=length))
