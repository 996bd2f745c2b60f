"""docs/errors.md lists exactly the ErrorInfo reasons of the one vocabulary (service.errors), with
their codes and HTTP statuses, and every reason is spelled in that one module only."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

from domain import errors
from service import errors as vocabulary

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "errors.md"
PRODUCTION = ("domain", "service", "stripe_adapter")


def problems() -> list[vocabulary.Problem]:
    found = [v for v in vars(vocabulary).values() if isinstance(v, vocabulary.Problem)]
    found += [problem for _, problem in vocabulary.DOMAIN_PROBLEMS]
    return list(set(found + list(vocabulary.NOT_FOUND.values())))


def _subclasses(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    found: list[type[errors.DomainError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_domain_error_class_has_a_problem() -> None:
    """A new DomainError subclass must get its row in DOMAIN_PROBLEMS (and so a doc row)."""
    mapped: tuple[type[errors.DomainError], ...] = (
        errors.NotFound,
        *(error_type for error_type, _ in vocabulary.DOMAIN_PROBLEMS),
    )
    bases_only = {errors.RetryableError}  # never raised itself; each subclass has its row
    unmapped = [
        cls
        for cls in _subclasses(errors.DomainError)
        if not issubclass(cls, mapped) and cls not in bases_only
    ]
    assert unmapped == []


def test_the_domain_names_no_reason() -> None:
    """Reasons are the edge's vocabulary: no domain error class carries one."""
    domain_classes = [c for c in _subclasses(errors.DomainError) if c.__module__ == errors.__name__]
    assert [cls for cls in domain_classes if "reason" in vars(cls)] == []


def doc_rows() -> dict[str, str]:
    """reason → gRPC code, from both tables of the document."""
    text = DOC.read_text()
    grpc_rows = re.findall(r"^\| ([A-Z_]+) \| `([A-Z_]+)` \|", text, re.MULTILINE)
    http_rows = re.findall(r"^\| \d{3} \| ([A-Z_]+) \| `([A-Z_]+)` \|", text, re.MULTILINE)
    return {reason: code for code, reason in grpc_rows + http_rows}


def test_every_reason_is_documented_with_its_code_and_vice_versa() -> None:
    documented = doc_rows()
    assert {p.reason: p.code.name for p in problems()} == documented


def test_documented_http_statuses_match() -> None:
    rows = re.findall(r"^\| (\d{3}) \| [A-Z_]+ \| `([A-Z_]+)` \|", DOC.read_text(), re.MULTILINE)
    by_reason = {p.reason: p for p in problems()}
    assert rows
    for status, reason in rows:
        assert by_reason[reason].http_status == int(status), reason


def test_every_reason_is_a_literal_in_one_module_only() -> None:
    reasons = {p.reason for p in problems()}
    homes: dict[str, set[str]] = {reason: set() for reason in reasons}
    for package in PRODUCTION:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and node.value in homes:
                    homes[node.value].add(str(path.relative_to(ROOT)))
    assert {reason: sorted(where) for reason, where in homes.items()} == {
        reason: ["service/errors.py"] for reason in reasons
    }


def test_not_found_kinds_are_the_not_found_kind_literal() -> None:
    assert set(errors.NOT_FOUND_KINDS) == set(typing.get_args(errors.NotFoundKind))
    assert set(vocabulary.NOT_FOUND) == set(errors.NOT_FOUND_KINDS)
