"""The shell in the docs: which code blocks run, and running them.

In README.md and docs/*.md a ```sh block is runnable: tests/docs/test_doc_commands.py runs it
against a live service and, when a ```text block follows, checks that every line of that block
(`…` stands for anything) is in the output; `# exit status: N` in the block says how it ends
(default 0). A ```bash block sets variables the reader adapts (addresses, the key): the test
checks that it holds `make run`'s defaults and provides each variable itself. Other blocks
(```console, ```python, …) are shown, not run.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import communicate

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))

_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_EXIT = re.compile(r"^# exit status: (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    command: str
    expected_lines: tuple[str, ...]
    exit_status: int

    @property
    def label(self) -> str:
        lines = [line for line in self.command.splitlines() if not line.startswith("#")]
        return lines[0][:90]


def blocks(doc: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(doc.read_text())]


def examples(doc: Path) -> list[Example]:
    """Each runnable block, with the `text` block that follows it, if any."""
    found = []
    listed = blocks(doc)
    for i, (kind, body) in enumerate(listed):
        if kind != "sh":
            continue
        following = listed[i + 1] if i + 1 < len(listed) else ("", "")
        expected = following[1] if following[0] == "text" else ""
        lines = tuple(line.strip() for line in expected.splitlines() if line.strip())
        match = _EXIT.search(body)
        found.append(Example(body, lines, int(match.group(1)) if match else 0))
    return found


def settings_blocks(doc: Path) -> list[str]:
    return [body for kind, body in blocks(doc) if kind == "bash"]


def line_pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in line.split("…")))


async def run_shell(command: str, env: dict[str, str], within: float = 60) -> tuple[int, str]:
    """`bash -euo pipefail -c command` in the repository; its exit status and output."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=REPO,
    )
    raw, _ = await communicate(process, within=within)
    assert process.returncode is not None
    return process.returncode, raw.decode()


async def failures_of(example: Example, env: dict[str, str]) -> str | None:
    status, output = await run_shell(example.command, env)
    if status != example.exit_status:
        return f"{example.label}: exit {status}, doc says {example.exit_status}\n{output}"
    missing = [line for line in example.expected_lines if not line_pattern(line).search(output)]
    if missing:
        return f"{example.label}: output lacks {missing}\n{output}"
    return None
