"""The payment ledger: domain.ports.PaymentLedger on a SQL database.

SQLite (one file, one replica) is built in; PostgreSQL serves several replicas sharing one
ledger. The service's composition root needs only this:

    async with open_ledger("sqlite:///data/ledger.db") as ledger:
        ...

See docs/ledger.md.
"""

from ledger.errors import LedgerStartError
from ledger.ledger import Ledger
from ledger.opening import open_ledger

__all__ = ["Ledger", "LedgerStartError", "open_ledger"]
