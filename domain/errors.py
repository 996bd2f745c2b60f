"""Domain errors: what went wrong, in terms a caller can act on.

Each error is a class (the edge maps the class to its wire code and reason), `metadata` with the
dynamic values a caller needs (ids), and `provider`: what the payment provider said about the
failure, if anything. The domain names no provider and no wire vocabulary: service.status owns
the reasons and the metadata keys the provider's context is published under.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

NotFoundKind = Literal["customer", "product", "checkout_session", "payment_intent"]
"""Every kind of object a NotFound can name; the edge gives each its own documented reason.

Adding one here means adding its row to docs/errors.md (a test checks both lists match).
"""

NOT_FOUND_KINDS: tuple[NotFoundKind, ...] = get_args(NotFoundKind)


@dataclass(frozen=True, slots=True)
class Violation:
    """One invalid field: its path (e.g. `metadata["k"]`) and what is wrong with it."""

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What the payment provider told us about a failure, kept for debugging: its id for the
    request, its error code, and the parameter it blamed (in its own API's terms)."""

    request_id: str | None = None
    error_code: str | None = None
    param: str | None = None


class DomainError(Exception):
    """Base of every error the use cases raise on purpose."""

    def __init__(
        self,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        provider: ProviderContext | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider or ProviderContext()
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidInput(DomainError):
    """The request itself is wrong; retrying it unchanged cannot help."""

    def __init__(
        self,
        violations: Sequence[Violation],
        *,
        provider: ProviderContext | None = None,
    ) -> None:
        summary = "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(f"invalid request: {summary}", provider=provider)
        self.violations = tuple(violations)


class NotFound(DomainError):
    """The object named does not exist (in the provider's account and mode).

    `id_field` names the identifier it was looked up by, when that is not the object's own id
    (a product looked up by its `external_product_id`, say).
    """

    def __init__(
        self,
        kind: NotFoundKind,
        object_id: str,
        *,
        id_field: str | None = None,
        provider: ProviderContext | None = None,
    ) -> None:
        label = kind.replace("_", " ")
        field = id_field or f"{kind}_id"
        named = (
            f"{label} {object_id!r}" if id_field is None else f"{label} with {field} {object_id!r}"
        )
        super().__init__(f"{named} does not exist", metadata={field: object_id}, provider=provider)
        self.kind = kind
        self.object_id = object_id


class ExternalProductIdTaken(DomainError):
    """Another product already uses this external_product_id."""

    def __init__(
        self, external_product_id: str, product_id: str, *, provider: ProviderContext | None = None
    ) -> None:
        super().__init__(
            f"external_product_id {external_product_id!r} is already used by product {product_id}",
            metadata={"external_product_id": external_product_id, "product_id": product_id},
            provider=provider,
        )
        self.external_product_id = external_product_id
        self.product_id = product_id


class RequestIdReused(DomainError):
    """A request_id was sent again with different parameters."""

    def __init__(
        self, operation: str, request_id: str, *, provider: ProviderContext | None = None
    ) -> None:
        super().__init__(
            f"request_id {request_id!r} was already used for a {operation} call with other "
            "parameters; use a new request_id for a new request",
            metadata={"request_id": request_id, "operation": operation},
            provider=provider,
        )


class ProductNotPurchasable(DomainError):
    """The product exists but cannot be sold now (archived, or without a price)."""

    def __init__(
        self, product_id: str, why: str, *, provider: ProviderContext | None = None
    ) -> None:
        super().__init__(
            f"product {product_id} cannot be sold: {why}",
            metadata={"product_id": product_id},
            provider=provider,
        )


class RetryableError(DomainError):
    """The provider could not serve the call now; the same call may succeed later."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: float,
        metadata: Mapping[str, str] | None = None,
        provider: ProviderContext | None = None,
    ) -> None:
        super().__init__(message, metadata=metadata, provider=provider)
        self.retry_after_seconds = retry_after_seconds


class RequestConflict(RetryableError):
    """The same request is already being processed (a concurrent retry); retry shortly."""


class RateLimited(RetryableError):
    """The provider rate-limited us and the caller's deadline left no room to wait."""


class ProviderUnavailable(RetryableError):
    """The provider is down, failing, or did not answer in time."""


class ProviderRejected(DomainError):
    """The provider refused the request as invalid for a reason we did not catch earlier."""


class ProviderMisconfigured(DomainError):
    """The provider refused our credentials: the service is misconfigured, not the caller."""


class DeadlineExceeded(DomainError):
    """The caller's deadline passed before the work could be done."""


class CheckoutNotOpen(DomainError):
    """The checkout can no longer be changed: it was paid, or it expired already."""

    def __init__(
        self, checkout_session_id: str, why: str, *, provider: ProviderContext | None = None
    ) -> None:
        super().__init__(
            f"checkout session {checkout_session_id} is not open: {why}",
            metadata={"checkout_session_id": checkout_session_id},
            provider=provider,
        )


class LedgerUnavailable(RetryableError):
    """The payment ledger (its database) could not be read or written now."""


class WebhookRefused(DomainError):
    """A webhook delivery that is not a genuine, fresh provider event: it changes nothing."""


class CursorExpired(DomainError):
    """A payment-event cursor from before the oldest event the ledger keeps: events after it
    were pruned (retention), so resuming from it would skip them."""

    def __init__(self, cursor: str) -> None:
        super().__init__(
            "the cursor is older than the payment events kept (they are pruned after the "
            "retention period): events after it are gone; resume from an empty cursor, the "
            "oldest event kept, and reconcile what was missed from the payments themselves",
            metadata={"after_cursor": cursor},
        )
