"""Fixtures for the emulator's own tests.

One emulator per session (background thread), reset before every test. After each test,
every ``/v1`` request it sent is checked against Stripe's OpenAPI request schemas.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_emulator.testing import EmulatorHandle, running_emulator
from tests.emulator import spec_reference
from tests.emulator.helpers import stripe_client


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorHandle]:
    with running_emulator(record_requests=True) as handle:
        yield handle


@pytest.fixture
def emulator(emulator_session: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """A freshly reset emulator; fails the test if any request it sent breaks Stripe's spec."""
    emulator_session.reset()
    already_recorded = len(emulator_session.recorded_requests)
    yield emulator_session
    if not spec_reference.available():
        return  # test_spec_conformance.py reports the skip and why
    sent = emulator_session.recorded_requests[already_recorded:]
    problems = spec_reference.conformance_problems(sent)
    assert not problems, "requests not matching Stripe's spec:\n" + "\n".join(problems)


@pytest.fixture
def client(emulator: EmulatorHandle) -> stripe.StripeClient:
    return stripe_client(emulator)
