"""A process that records events into the ledger at a URL, for tests/ledger/test_concurrency.py:

    python -m tests.ledger.record_events URL COUNT [--reverse]

records the events evt_0 … evt_{COUNT-1} (each of its own payment), in reverse order if asked,
and prints how many it recorded as new (not DUPLICATE).
"""

from __future__ import annotations

import argparse
import asyncio

from domain.ledger import Recorded
from ledger import open_ledger
from tests.ledger.observations import observed, payment


async def record(url: str, count: int, reverse: bool) -> int:
    order = range(count - 1, -1, -1) if reverse else range(count)
    async with open_ledger(url) as ledger:
        results = [await ledger.record(observed(payment(f"cs_{i}"), f"evt_{i}")) for i in order]
    return sum(result is not Recorded.DUPLICATE for result in results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    parser.add_argument("--reverse", action="store_true")
    arguments = parser.parse_args()
    print(asyncio.run(record(arguments.url, arguments.count, arguments.reverse)))


if __name__ == "__main__":
    main()
