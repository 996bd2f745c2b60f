"""Stripe's error envelope and the errors the emulator raises.

Handlers raise :class:`StripeError`; the outer middleware turns it into
``{"error": {...}}`` with the right status, exactly as Stripe shapes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error answered in Stripe's envelope.

    ``saved`` says whether an idempotency key may store this result: Stripe only
    saves results once the endpoint started executing, so validation errors
    (and injected faults) are not saved.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        saved: bool = True,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})
        self.saved = saved
        # Which param check failed ("unknown", "integer", "enum", ...), for conformance tests;
        # never sent.
        self.rule = rule

    def envelope(self, request_id: str | None) -> dict[str, Any]:
        """The JSON body; Stripe omits keys that do not apply rather than sending null."""
        error: dict[str, Any] = {"message": self.message, "type": self.error_type}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = DOC_URL + self.code.replace("_", "-")
        if self.param is not None:
            error["param"] = self.param
        if request_id is not None:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def parameter_missing(param: str, message: str | None = None) -> StripeError:
    return StripeError(
        400,
        message or f"Missing required param: {param}.",
        code="parameter_missing",
        param=param,
        saved=False,
    )


def parameter_unknown(param: str) -> StripeError:
    return StripeError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
        saved=False,
        rule="unknown",
    )


def invalid_integer(param: str, raw: object) -> StripeError:
    return StripeError(
        400,
        f"Invalid integer: {raw}",
        code="parameter_invalid_integer",
        param=param,
        saved=False,
        rule="integer",
    )


def invalid_empty(param: str) -> StripeError:
    return StripeError(
        400,
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to "
        f"unset a parameter; however '{param}' cannot be unset. You should remove '{param}' "
        "from your request or supply a non-empty value.",
        code="parameter_invalid_empty",
        param=param,
        saved=False,
    )


def invalid_value(
    param: str, message: str, code: str | None = None, rule: str = "value"
) -> StripeError:
    """A malformed value (wrong shape, out of range, bad enum) — a validation error."""
    return StripeError(400, message, code=code, param=param, saved=False, rule=rule)


def invalid_enum(param: str, allowed: Iterable[str]) -> StripeError:
    """Stripe's wording: ``Invalid mode: must be one of payment, setup, or subscription``."""
    choices = [choice for choice in allowed if choice]
    listed = choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + f", or {choices[-1]}"
    leaf = param.rsplit("[", 1)[-1].rstrip("]")
    return invalid_value(param, f"Invalid {leaf}: must be one of {listed}", rule="enum")


def resource_missing(noun: str, object_id: str, param: str, *, status: int = 404) -> StripeError:
    """``No such customer: 'cus_x'`` — 404 on retrieval, 400 when referenced by a parameter."""
    return StripeError(
        status, f"No such {noun}: '{object_id}'", code="resource_missing", param=param
    )


def resource_already_exists(message: str, param: str = "id") -> StripeError:
    return StripeError(400, message, code="resource_already_exists", param=param)


def invalid_request(message: str, *, status: int = 400, param: str | None = None) -> StripeError:
    return StripeError(status, message, param=param)
