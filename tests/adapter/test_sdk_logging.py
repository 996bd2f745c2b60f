"""The SDK's log messages are formatted only when someone listens: the `stripe` logger at their
level, or the SDK's console switch (`stripe.log`)."""

from __future__ import annotations

import logging

import pytest
import stripe
from stripe import _util

from domain.call import Deadline
from domain.product import Product
from stripe_adapter.gateway import StripePaymentGateway


@pytest.fixture
def formatted(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Every message the SDK formats (its `logfmt`), as the props it was given."""
    seen: list[dict[str, object]] = []
    original = _util.logfmt

    def counting(props: dict[str, object]) -> str:
        seen.append(props)
        return str(original(props))  # type: ignore[no-untyped-call]  # the SDK lacks hints

    monkeypatch.setattr(_util, "logfmt", counting)
    return seen


async def test_nothing_is_formatted_while_the_stripe_logger_is_at_warning(
    gateway: StripePaymentGateway, product: Product, formatted: list[dict[str, object]]
) -> None:
    assert not logging.getLogger("stripe").isEnabledFor(logging.INFO)  # as the adapter sets it
    await gateway.get_product(product.id, Deadline.after(5))
    assert formatted == []


async def test_a_listening_logger_still_gets_every_message(
    gateway: StripePaymentGateway,
    product: Product,
    formatted: list[dict[str, object]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="stripe")
    await gateway.get_product(product.id, Deadline.after(5))
    messages = [props["message"] for props in formatted]
    assert "Request to Stripe api" in messages
    assert "API response body" in messages
    assert any("Stripe API response" in r.getMessage() for r in caplog.records)


async def test_the_sdk_console_switch_still_prints_info(
    gateway: StripePaymentGateway,
    product: Product,
    formatted: list[dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(stripe, "log", "info")
    await gateway.get_product(product.id, Deadline.after(5))
    assert "message='Request to Stripe api'" in capsys.readouterr().err
    assert "API response body" not in [props["message"] for props in formatted]
