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


# Random bytes mapped onto the alphabet in one C call (each id takes one per request, so this is
# on the hot path); 256 is not a multiple of 62, which favours some characters slightly.
_BYTE_TO_CHAR = bytes((_ALPHABET * 5)[:256], "ascii")


def random_token(length: int) -> str:
    return _random.randbytes(length).translate(_BYTE_TO_CHAR).decode("ascii")


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_token(ID_LENGTHS.get(prefix, 24))}"
