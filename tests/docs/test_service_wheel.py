"""The service's wheel carries the service, its OpenAPI document (served from the package) and
the ledger's migrations (applied from the package), and not the emulator, which is for
development only."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_the_service_its_document_and_migrations_not_the_emulator(
    tmp_path: Path,
) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("payments_service-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {"service/composition.py", "domain/call.py", "stripe_adapter/gateway.py"} <= names
    assert "payments/v1/payments.swagger.json" in names
    migrations = {"env.py", "versions/v0001_ledger.py", "versions/v0002_payment_events.py"}
    assert {f"ledger/migrations/{name}" for name in migrations} <= names
    assert not [name for name in names if name.startswith(("stripe_emulator/", "tools/", "tests/"))]
