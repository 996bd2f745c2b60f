"""`python -m ledger migrate`: applies the ledger's migrations to PAYMENTS_DATABASE_URL.

Exit status 0 with one line naming the revision, or 2 with one line saying what to fix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from ledger.errors import LedgerStartError
from ledger.opening import migrate

DATABASE_URL = "PAYMENTS_DATABASE_URL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "migrate", help=f"migrate the ledger at ${DATABASE_URL} to the newest schema"
    )
    parser.parse_args(argv)
    url = os.environ.get(DATABASE_URL, "")
    if not url:
        print(f"ledger migrate: set {DATABASE_URL} to the ledger's database URL", file=sys.stderr)
        return 2
    try:
        shown, revision = asyncio.run(migrate(url))
    except LedgerStartError as error:
        print(f"ledger migrate: {error}", file=sys.stderr)
        return 2
    print(f"ledger migrate: {shown} is at schema revision {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
