"""`make demo` (tools/demo.py) runs the whole flow and prints no link that dies with it: a
watcher opened before the payment is told OPEN, then SUCCEEDED once the webhook lands, the
webhook of the payment arrives, the status is then read from the ledger with no Stripe call,
the order's payments are listed, and a second order's checkout is expired."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import communicate
from tests.docs.doc_blocks import REPO

pytestmark = pytest.mark.timeout(120)


async def test_the_demo_succeeds_and_prints_no_dead_link(tmp_path: Path) -> None:
    temporary, workdir = tmp_path / "tmp", tmp_path / "workdir"
    temporary.mkdir()
    workdir.mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # the service's log
        # Its ledger goes into a temporary directory of its own (TMPDIR), gone when it ends,
        # not into the service's default ./data.
        env={
            **os.environ,
            "STRIPE_SECRET_KEY": "",
            "PAYMENTS_LOG_LEVEL": "WARNING",
            "TMPDIR": str(temporary),
            "PYTHONPATH": str(REPO),
        },
        cwd=workdir,
    )
    raw, _ = await communicate(process, within=90)
    output = raw.decode()

    assert process.returncode == 0, output
    watched = output.split("==> WatchPaymentStatus ")[1].split("==> The webhook arrives")[0]
    assert re.search(r"update +PAYMENT_STATUS_OPEN \(as it stands\)\n", watched), output
    told = r"update +PAYMENT_STATUS_SUCCEEDED, \d+ ms after the payment\n"
    assert re.search(told, watched.split("==> The customer pays")[1]), output
    assert re.search(r"stream +ended OK after the final status\n", watched), output
    assert re.search(r"event +evt_\w+ checkout\.session\.completed\n", output), output
    assert re.search(r"POST /stripe/webhooks +200 \(attempt 1\)\n", output), output
    succeeded = output.split("==> GetPaymentStatus ")[2]
    assert "PAYMENT_STATUS_SUCCEEDED" in succeeded, output
    assert re.search(r"Stripe calls +0: from the ledger \(emulator requests (\d+) → \1\)", output)
    assert re.search(r"payment +PAYMENT_STATUS_SUCCEEDED, 8400 usd, the session above", output)
    expired = output.split("==> ExpireCheckout")[1]
    assert re.search(r"status +PAYMENT_STATUS_EXPIRED\n", expired), output
    assert "Done: paid → webhook → SUCCEEDED from the ledger, 0 Stripe calls" in output
    assert "http://" not in output, output
    assert "https://" not in output, output
    assert "ledger                 a fresh SQLite file, deleted at the end" in output
    assert list(temporary.iterdir()) == list(workdir.iterdir()) == []
