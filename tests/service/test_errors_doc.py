"""docs/errors.md lists exactly the ErrorInfo reasons the code can return."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from domain import errors
from service import auth, status, validation

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _subclasses(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    found: list[type[errors.DomainError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def reasons_in_code() -> set[str]:
    # The edge's table: one reason per error class (NotFound's is a template, expanded below).
    reasons = {row.reason for row in status.ERROR_TABLE} - {status.NOT_FOUND_REASON}
    # Every kind the code can name (NotFoundKind), so a new kind without a doc row fails here.
    reasons |= {status.reason_of(errors.NotFound(kind, "x")) for kind in errors.NOT_FOUND_KINDS}
    # Those the edge's own errors name per instance.
    reasons |= {auth.Unauthenticated("", r).reason for r in ("API_KEY_MISSING", "API_KEY_INVALID")}
    reasons.add(status.INTERNAL_REASON)
    reasons.add(validation.MALFORMED_REQUEST_REASON)
    return reasons


def test_every_error_class_has_a_row_in_the_edge_table() -> None:
    """A new DomainError subclass must get its code and reason in status.ERROR_TABLE (and so,
    by the test below, a doc row); the edge's own subclasses of mapped classes inherit theirs."""
    mapped = tuple(row.error_type for row in status.ERROR_TABLE)
    bases_only = {errors.RetryableError}  # never raised itself; each subclass has its row
    unmapped = [
        cls
        for cls in _subclasses(errors.DomainError)
        if not issubclass(cls, mapped) and cls not in bases_only
    ]
    assert unmapped == [], "not in service.status.ERROR_TABLE: " + ", ".join(
        cls.__qualname__ for cls in unmapped
    )


def test_the_domain_names_no_reason() -> None:
    """Reasons are the edge's vocabulary: no domain error class carries one."""
    domain_classes = [c for c in _subclasses(errors.DomainError) if c.__module__ == errors.__name__]
    assert errors.NotFound in domain_classes
    assert [cls for cls in domain_classes if "reason" in vars(cls)] == []
    assert "reason" not in vars(errors.DomainError)


def reasons_in_doc() -> set[str]:
    return set(re.findall(r"^\| [A-Z_]+ \| `([A-Z_]+)` \|", DOC.read_text(), re.MULTILINE))


def test_every_reason_is_documented_and_vice_versa() -> None:
    assert reasons_in_code() == reasons_in_doc()


def test_documented_codes_match_the_mapping() -> None:
    rows = re.findall(r"^\| ([A-Z_]+) \| `([A-Z_]+)` \|", DOC.read_text(), re.MULTILINE)
    assert ("NOT_FOUND", "PRODUCT_NOT_FOUND") in rows
    table = {row.reason: row.code.name for row in status.ERROR_TABLE}
    for code, reason in rows:
        if reason in table:
            assert code == table[reason], reason
        if reason == "STRIPE_RATE_LIMITED":
            assert code == status.grpc_code_of(errors.RateLimited("", retry_after_seconds=1)).name
        if reason == "REQUEST_ID_REUSED":
            assert code == status.grpc_code_of(errors.RequestIdReused("op", "r")).name


def test_not_found_kinds_are_the_not_found_kind_literal() -> None:
    assert set(errors.NOT_FOUND_KINDS) == set(typing.get_args(errors.NotFoundKind))
    assert {"customer", "product", "checkout_session", "payment_intent"} <= set(
        errors.NOT_FOUND_KINDS
    )


def test_request_in_progress_carries_retry_info() -> None:
    assert issubclass(errors.RequestConflict, errors.RetryableError)
