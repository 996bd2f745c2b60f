"""The SDK's log calls, made cheap when nobody listens to them.

stripe-python formats every message before its logger decides whether to keep it: `logfmt`, a
regex search and often a repr() of each value, the whole response body included ("API response
body"), four or five times a request. The adapter holds the `stripe` logger at WARNING (its
messages can quote the end of the API key), so all that work was thrown away on every request:
~3 % of the service's CPU per Stripe-backed call in `make profile`. These wrappers ask first,
as `logging` itself would: the `stripe` logger's level, and the SDK's own console switch
(`stripe.log`, or STRIPE_LOG when the SDK was imported).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stripe import _api_requestor, _util

LogCall = Callable[..., None]
_CONSOLE_LEVELS = {logging.DEBUG: ("debug",), logging.INFO: ("debug", "info")}


def _when_heard(level: int, log: LogCall) -> LogCall:
    def log_if_heard(message: str, **params: Any) -> None:
        console = _util._console_log_level()  # type: ignore[no-untyped-call]  # SDK lacks hints
        if console in _CONSOLE_LEVELS[level] or _util.logger.isEnabledFor(level):
            log(message, **params)

    log_if_heard.__wrapped__ = log  # type: ignore[attr-defined]  # for tests and debuggers
    return log_if_heard


def quiet_sdk_logging() -> None:
    """Installs the wrappers where the SDK's requests call them (once; idempotent). Fails
    loudly should an SDK upgrade move them, rather than silently costing the CPU again."""
    for name, level in (("log_debug", logging.DEBUG), ("log_info", logging.INFO)):
        current = getattr(_api_requestor, name)
        if not hasattr(current, "__wrapped__"):
            setattr(_api_requestor, name, _when_heard(level, current))
