"""Where a running `make run` listens, in a small JSON file, so that `make pay` finds it.

The file is `build/run.json` (PAYMENTS_RUN_STATE to change it); `make run` writes it once
everything is up and removes it when it stops. It holds addresses only, never a key.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunState:
    grpc_address: str
    http_address: str | None
    emulator_url: str | None
    pages_url: str


def state_path() -> Path:
    return Path(os.environ.get("PAYMENTS_RUN_STATE") or REPO / "build" / "run.json")


def write_state(state: RunState) -> Path:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(state), indent=2) + "\n")
    return path


def read_state() -> RunState | None:
    """The running `make run`'s addresses; None when none is running (or the file is unreadable)."""
    try:
        return RunState(**json.loads(state_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None


def remove_state() -> None:
    state_path().unlink(missing_ok=True)
