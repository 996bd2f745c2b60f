"""Money: an amount in a currency's minor unit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidInput, Violation

_CURRENCY = re.compile(r"^[a-z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in the currency's minor unit (cents for USD), never a float."""

    amount: int
    currency: str

    @classmethod
    def of(cls, amount: int, currency: str) -> Money:
        """Builds Money from caller input, normalizing the ISO 4217 code to lower case."""
        code = currency.strip().lower()
        violations = []
        if amount <= 0:
            violations.append(Violation("unit_amount", "must be greater than 0"))
        if not _CURRENCY.match(code):
            violations.append(Violation("currency", "must be a three-letter ISO 4217 code"))
        if violations:
            raise InvalidInput(violations)
        return cls(amount=amount, currency=code)
