"""Stripe's Search Query Language, for the fields the emulator's search supports.

Clauses are ``field:value`` (exact, case-insensitive), ``field~value`` (substring),
``field>value`` etc. (numbers), ``metadata['key']:value``, optionally negated with ``-``,
joined by ``AND`` or ``OR`` (not both — Stripe rejects mixing them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stripe_emulator import errors
from stripe_emulator.store import JSON

_CLAUSE = re.compile(
    r"""\s*(?P<negate>-)?
    (?:metadata\[(?P<mq>['"])(?P<mkey>.*?)(?P=mq)\]|(?P<field>[a-z_]+))
    (?P<op>:|~|>=|<=|>|<)
    (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)\s*""",
    re.VERBOSE,
)
_JOIN = re.compile(r"(AND|OR)\s+")
_ESCAPE = re.compile(r"\\(.)")

PRODUCT_FIELDS = frozenset({"active", "created", "description", "name", "shippable", "url"})


@dataclass(frozen=True)
class Clause:
    field: str  # "metadata" for metadata clauses
    metadata_key: str | None
    operator: str
    value: str
    negate: bool

    def matches(self, obj: JSON) -> bool:
        return self._test(obj) != self.negate

    def _test(self, obj: JSON) -> bool:
        if self.metadata_key is not None:
            actual: object = obj.get("metadata", {}).get(self.metadata_key)
        else:
            actual = obj.get(self.field)
        if actual is None:
            return self.value == "null" and self.operator == ":"
        if self.operator in (">", "<", ">=", "<="):
            return _compare(actual, self.operator, self.value)
        text = str(actual).lower()  # booleans too: True -> "true"
        if self.operator == "~":
            return self.value.lower() in text
        return text == self.value.lower()


def _compare(actual: object, operator: str, value: str) -> bool:
    if not isinstance(actual, int) or not value.lstrip("-").isdigit():
        return False
    number = int(value)
    comparisons: dict[str, Callable[[int, int], bool]] = {
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
    }
    return comparisons[operator](actual, number)


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    joiner: str  # "AND" or "OR"

    def matches(self, obj: JSON) -> bool:
        results = (clause.matches(obj) for clause in self.clauses)
        return any(results) if self.joiner == "OR" else all(results)


def parse_query(text: str, fields: frozenset[str], resource: str) -> Query:
    clauses: list[Clause] = []
    joiners: set[str] = set()
    position = 0
    while True:
        match = _CLAUSE.match(text, position)
        if match is None:
            raise _parse_error(text)
        clauses.append(_clause(match, fields, resource))
        position = match.end()
        if position == len(text):
            break
        join = _JOIN.match(text, position)
        if join is None:
            raise _parse_error(text)
        joiners.add(join.group(1))
        position = join.end()
    if len(joiners) > 1:
        raise errors.invalid_value(
            "query", "Query cannot contain both AND and OR clauses; use one or the other."
        )
    return Query(tuple(clauses), joiners.pop() if joiners else "AND")


def _clause(match: re.Match[str], fields: frozenset[str], resource: str) -> Clause:
    raw = match.group("value")
    value = _ESCAPE.sub(r"\1", raw[1:-1]) if raw[0] in "'\"" else raw
    field = match.group("field") or "metadata"
    if field not in fields and field != "metadata":
        raise errors.invalid_value(
            "query",
            f"Field '{field}' is an unsupported search field for resource {resource}. See "
            f"http://stripe.com/docs/search#query-fields-for-{resource} for a list of "
            "supported fields.",
        )
    if field == "metadata" and match.group("mkey") is None:
        raise _parse_error(match.string)
    return Clause(
        field=field,
        metadata_key=match.group("mkey"),
        operator=match.group("op"),
        value=value,
        negate=match.group("negate") is not None,
    )


def _parse_error(text: str) -> errors.StripeError:
    return errors.invalid_value(
        "query",
        f"There was an error parsing your query: {text!r}. See "
        "https://stripe.com/docs/search#search-query-language for the query syntax.",
    )
