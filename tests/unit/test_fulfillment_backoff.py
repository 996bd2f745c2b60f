"""The reference consumer's backoff (examples/fulfillment_worker.py): exponential up to its
maximum, jittered within [d/2, d], and never shorter than the service's RetryInfo delay."""

from __future__ import annotations

import random

from examples.fulfillment_worker import Backoff


def test_each_failure_in_a_row_doubles_the_ceiling_up_to_the_maximum() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, rng=random.Random(7))
    for failures, ceiling in [(0, 0.1), (1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (60, 1.0)]:
        delays = [backoff.delay(failures) for _ in range(200)]
        assert ceiling / 2 <= min(delays)
        assert max(delays) <= ceiling


def test_the_delays_are_spread_not_all_alike() -> None:
    backoff = Backoff(initial=1.0, maximum=1.0, rng=random.Random(7))
    assert len({round(backoff.delay(0), 6) for _ in range(50)}) == 50


def test_a_retry_delay_the_service_gave_is_waited_at_least() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, rng=random.Random(7))
    assert backoff.delay(0, retry_after=5.0) == 5.0
    assert 0.05 <= backoff.delay(0, retry_after=0.01) <= 0.1  # a shorter one: the backoff's
