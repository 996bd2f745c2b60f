"""A py-spy recording (speedscope JSON) summed up: own time by package, the functions with the most
own time, the project's functions with the most time under them; and the same samples as
collapsed stacks (one line a stack, `frame;frame;… count`: flamegraph.pl, inferno and
speedscope read it).

    python bench/profile_summary.py build/profile/service.speedscope.json

bench/profile_service.py records with `--gil --native`: a sample is taken only from the thread
holding the GIL (threads waiting in epoll, on a lock or on a queue are left out), so the samples
are where the event loop's CPU went, and native frames are in them (grpc's Cython and C core,
upb, libc): the grpc layer shows, instead of hiding inside asyncio's callbacks.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("service", "stripe_adapter", "domain", "ledger")

# Site-packages' top-level names, grouped as the issue names the layers.
PACKAGE_GROUPS = {
    "grpc": "grpc",
    "grpc_status": "grpc",
    "grpc_health": "grpc",
    "google": "protobuf / protovalidate",
    "protovalidate": "protobuf / protovalidate",
    "celpy": "protobuf / protovalidate",
    "aiohttp": "aiohttp",
    "multidict": "aiohttp",
    "yarl": "aiohttp",
    "httpx": "httpx / httpcore",
    "httpcore": "httpx / httpcore",
    "h11": "httpx / httpcore",
    "anyio": "httpx / httpcore",
    "sniffio": "httpx / httpcore",
    "stripe": "stripe",
    "sqlalchemy": "sqlalchemy / aiosqlite",
    "aiosqlite": "sqlalchemy / aiosqlite",
    "prometheus_client": "metrics / tracing",
    "opentelemetry": "metrics / tracing",
}
STDLIB_GROUPS = {"asyncio": "asyncio", "logging": "logging", "json": "json"}


Seconds = dict[str, float]
"""Sampled seconds by what they are counted for."""


@dataclass(frozen=True)
class Frame:
    name: str
    file: str
    line: int

    @property
    def shown(self) -> str:
        if self.name.startswith("0x"):  # native code without symbols: one entry per library
            return f"native code of {short_path(self.file)}"
        return f"{self.name} ({short_path(self.file)}:{self.line})"

    @property
    def function(self) -> str:
        """The function, whichever of its lines was running."""
        return f"{self.name} ({short_path(self.file)})"


def short_path(file: str) -> str:
    """site-packages/…, the stdlib module's path, or the path in this repository."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in file:
            return file.split(marker, 1)[1]
    if file.startswith(str(REPO) + "/"):
        return file[len(str(REPO)) + 1 :]
    parts = file.split("/")
    for number, part in enumerate(parts):
        if part.startswith("python3."):
            return "/".join(parts[number + 1 :])
    return file


def group_of(file: str) -> str:
    """The package a frame's code belongs to, as the summary groups them."""
    if is_runtime(file):
        return RUNTIME
    path = short_path(file)
    top = path.split("/", 1)[0].removesuffix(".py")
    if "packages/" in file:
        return "grpc" if top.startswith("grpc") else PACKAGE_GROUPS.get(top, f"other: {top}")
    if file.startswith(str(REPO) + "/"):
        return f"project: {top}" if top in PROJECT_PACKAGES else f"other: {top}"
    if "/lib/python3." in file or file.startswith("<"):  # <frozen …>, <string> (dataclasses)
        return STDLIB_GROUPS.get(top, f"stdlib: {top}")
    return f"other: {top}"


RUNTIME = "interpreter / C libraries"


def is_runtime(file: str) -> bool:
    """Native frames (py-spy --native) of the interpreter, of the C API's inline functions or
    of the system's C libraries (libc, libcrypto, the vdso), or of no file: time there is
    charged to the code that called them. Native code of a package (grpc's cygrpc, upb) is
    the package's own."""
    if not file or file.startswith("[") or file.endswith(".h") or "/Python-3." in file:
        return True
    return ".so" in Path(file).name and "packages/" not in file


def owner(stack: Sequence[Frame]) -> tuple[Frame, str]:
    """The frame own time is charged to: the leaf, or, when the leaf is the interpreter's or
    libc's (a syscall, an allocation, a regex), the nearest caller that is not; and what the
    leaf was then (" → write"), else ""."""
    for frame in reversed(stack):
        if not is_runtime(frame.file):
            leaf = stack[-1]
            return frame, "" if frame is leaf else f" → {leaf.name}"
    return stack[-1], ""


@dataclass(frozen=True)
class Profile:
    stacks: list[tuple[tuple[Frame, ...], float]]  # root first, and the seconds it was seen

    @property
    def total(self) -> float:
        return sum(weight for _, weight in self.stacks)


def load(path: Path) -> Profile:
    """Every thread's samples of a py-spy speedscope file."""
    data: dict[str, Any] = json.loads(path.read_text())
    frames = [Frame(f["name"], f["file"] or "", f["line"] or 0) for f in data["shared"]["frames"]]
    stacks: list[tuple[tuple[Frame, ...], float]] = []
    for profile in data["profiles"]:
        for sample, weight in zip(profile["samples"], profile["weights"], strict=True):
            stacks.append((tuple(frames[index] for index in sample), float(weight)))
    return Profile(stacks)


def own_by(profile: Profile, key: str) -> Seconds:
    """Seconds of own time (see `owner`) by `key`: "group" or "function"."""
    counts: Seconds = defaultdict(float)
    for stack, weight in profile.stacks:
        if stack:
            frame, native = owner(stack)
            counts[group_of(frame.file) if key == "group" else frame.shown + native] += weight
    return counts


def project_inclusive(profile: Profile) -> Seconds:
    """Seconds under each of the project's functions (counted once per sample), but for the
    entry point's, which every sample is under."""
    counts: Seconds = defaultdict(float)
    for stack, weight in profile.stacks:
        ours = {
            f.function
            for f in stack
            if group_of(f.file).startswith("project: ") and "/service/__main__.py" not in f.file
        }
        for shown in ours:
            counts[shown] += weight
    return counts


def collapsed(profile: Profile) -> str:
    counts: Seconds = defaultdict(float)
    for stack, weight in profile.stacks:
        counts[";".join(f.shown.replace(";", ",") for f in stack)] += weight
    return "".join(f"{line} {round(seconds * 1000)}\n" for line, seconds in counts.items())


def table(title: str, counts: Seconds, total: float, limit: int) -> list[str]:
    rows = [f"| {title} | share | seconds |", "| --- | ---: | ---: |"]
    for name, seconds in sorted(counts.items(), key=lambda item: -item[1])[:limit]:
        rows.append(f"| {name} | {100 * seconds / total:.1f} % | {seconds:.2f} |")
    return rows


def summary(profile: Profile, limit: int = 15) -> str:
    total = profile.total or 1.0
    lines = [f"{total:.1f} s of samples (of the thread holding the GIL).", ""]
    lines += table("own time, by package", own_by(profile, "group"), total, 30)
    lines += ["", *table("own time, by function", own_by(profile, "function"), total, limit)]
    lines += ["", *table("time under the project's functions", project_inclusive(profile),
                         total, limit)]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(summary(load(Path(args[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
