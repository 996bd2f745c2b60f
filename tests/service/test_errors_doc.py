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
    # Classes with a fixed reason, plus those that set it per instance.
    reasons = {str(cls.reason) for cls in _subclasses(errors.DomainError) if "reason" in vars(cls)}
    # Every kind the code can name (NotFoundKind), so a new kind without a doc row fails here.
    reasons |= {errors.NotFound(kind, "x").reason for kind in errors.NOT_FOUND_KINDS}
    reasons |= {auth.Unauthenticated("", r).reason for r in ("API_KEY_MISSING", "API_KEY_INVALID")}
    reasons.add(status.INTERNAL_REASON)
    reasons.add(validation.MALFORMED_REQUEST_REASON)
    return reasons


def reasons_in_doc() -> set[str]:
    return set(re.findall(r"^\| [A-Z_]+ \| `([A-Z_]+)` \|", DOC.read_text(), re.MULTILINE))


def test_every_reason_is_documented_and_vice_versa() -> None:
    assert reasons_in_code() == reasons_in_doc()


def test_documented_codes_match_the_mapping() -> None:
    rows = re.findall(r"^\| ([A-Z_]+) \| `([A-Z_]+)` \|", DOC.read_text(), re.MULTILINE)
    assert ("NOT_FOUND", "PRODUCT_NOT_FOUND") in rows
    for code, reason in rows:
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
