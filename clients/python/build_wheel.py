"""Builds the `payments-api` wheel from generated/: stages the generated packages next to
clients/python/pyproject.toml in build/payments-api/, adds py.typed markers and the proto bundle
(`make proto-bundle`, dist/proto: the contract and every import, for other languages) as
payments/proto_bundle/, then runs `python -m build --wheel --no-isolation` there (no download:
setuptools comes from the venv).

    python clients/python/build_wheel.py [--out DIR] [--proto-bundle DIR]   # prints the wheel
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GENERATED = REPO / "generated"
STAGE = REPO / "build" / "payments-api"
PROTO_BUNDLE = REPO / "dist" / "proto"

_PROTOBUF_GENCODE = re.compile(r"^# Protobuf Python Version: (\d+)\.(\d+)\.(\d+)$", re.MULTILINE)
_GRPC_GENCODE = re.compile(r"^GRPC_GENERATED_VERSION = '(\d+)\.(\d+)\.(\d+)'$", re.MULTILINE)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def check_runtime_bounds(dependencies: list[str]) -> None:
    """The declared lower bounds of protobuf and grpcio must admit no runtime older than the
    one the code was generated for, or importing it fails at the caller's."""
    bounds = {}
    for dependency in dependencies:
        match = re.match(r"^([a-z-]+)>=([\d.]+)", dependency)
        if match:
            bounds[match.group(1)] = _version(match.group(2))
    for path in GENERATED.rglob("*.py"):
        text = path.read_text()
        for package, pattern in (("protobuf", _PROTOBUF_GENCODE), ("grpcio", _GRPC_GENCODE)):
            found = pattern.search(text)
            if found is None:
                continue
            needed = tuple(int(g) for g in found.groups())
            if bounds.get(package, (0,)) < needed:
                raise SystemExit(
                    f"{path.relative_to(REPO)} needs {package}>={'.'.join(map(str, needed))}: "
                    f"raise the bound in {HERE.relative_to(REPO)}/pyproject.toml"
                )


def stage_proto_bundle(bundle: Path) -> None:
    """The .proto files a caller in another language compiles, inside the wheel's payments/."""
    if not (bundle / "payments" / "v1" / "payments.proto").is_file():
        raise SystemExit(f"no proto bundle in {bundle}: run `make proto-bundle`")
    shutil.copytree(
        bundle, STAGE / "payments" / "proto_bundle", ignore=shutil.ignore_patterns(".*")
    )


def stage(bundle: Path = PROTO_BUNDLE) -> Path:
    project = tomllib.loads((HERE / "pyproject.toml").read_text())
    check_runtime_bounds(project["project"]["dependencies"])
    if STAGE.exists():
        shutil.rmtree(STAGE)
    STAGE.mkdir(parents=True)
    shutil.copy2(HERE / "pyproject.toml", STAGE / "pyproject.toml")
    shutil.copy2(HERE / "README.md", STAGE / "README.md")
    packages = sorted(p for p in GENERATED.iterdir() if (p / "__init__.py").is_file())
    if not any(p.name == "payments" for p in packages):
        raise SystemExit("generated/payments is missing: run `make generate`")
    for package in packages:
        shutil.copytree(
            package, STAGE / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        (STAGE / package.name / "py.typed").touch()
    stage_proto_bundle(bundle)
    return STAGE


def build(out: Path, bundle: Path = PROTO_BUNDLE) -> Path:
    staged = stage(bundle)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=staged,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wheels = sorted(out.glob("payments_api-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise SystemExit(f"no wheel was written to {out}")
    return wheels[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="where the wheel goes")
    parser.add_argument(
        "--proto-bundle", type=Path, default=PROTO_BUNDLE, help="make proto-bundle's output"
    )
    args = parser.parse_args()
    print(build(args.out.resolve(), args.proto_bundle.resolve()))


if __name__ == "__main__":
    main()
