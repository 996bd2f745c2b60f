"""The proto bundle, made once for the clients' tests, and the toolchains they need."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import communicate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh `make proto-bundle` (tools/proto_bundle.sh) in a temporary folder."""
    out = tmp_path_factory.mktemp("bundle") / "proto"
    subprocess.run([str(REPO / "tools/proto_bundle.sh"), str(out)], check=True, capture_output=True)
    return out


def require(toolchain: str, programs: list[str], paths: list[Path]) -> None:
    """Skips when a program or path `make go-java-tools` installs is missing, but fails in CI:
    there the Go and Java clients' tests never skip."""
    missing = [p for p in programs if shutil.which(p) is None]
    missing += [str(p) for p in paths if not p.exists()]
    if not missing:
        return
    reason = f"no {toolchain} toolchain ({', '.join(missing)} missing): run `make go-java-tools`"
    if os.environ.get("CI"):
        pytest.fail(f"the {toolchain} client's tests must run in CI: {reason}")
    pytest.skip(reason)


def build(script: str, bundle: Path, out: Path) -> Path:
    """Runs tools/<script> (generation and compilation), failing the test with its output."""
    built = subprocess.run(
        [str(REPO / "tools" / script), str(bundle), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


async def run_client(command: list[str], api_key: str, cwd: Path) -> tuple[int, str, str]:
    """Runs a client's command with the key in $API_KEY: its exit status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "API_KEY": api_key},
        cwd=cwd,
    )
    out, err = await communicate(process, within=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
