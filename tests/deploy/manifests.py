"""The deploy/ manifests and the Dockerfile, read for the tests of tests/deploy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = REPO / "Dockerfile"
MAKEFILE = REPO / "Makefile"


@dataclass(frozen=True)
class Manifests:
    """Every resource in deploy/*.yaml, by kind (one resource of each kind)."""

    by_kind: dict[str, dict[str, Any]]

    def __getitem__(self, kind: str) -> dict[str, Any]:
        return self.by_kind[kind]

    @property
    def pod(self) -> dict[str, Any]:
        spec: dict[str, Any] = self["Deployment"]["spec"]["template"]["spec"]
        return spec

    @property
    def container(self) -> dict[str, Any]:
        (container,) = self.pod["containers"]
        return dict(container)

    @property
    def config(self) -> dict[str, str]:
        return dict(self["ConfigMap"]["data"])


def load_manifests() -> Manifests:
    by_kind: dict[str, dict[str, Any]] = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for resource in yaml.safe_load_all(path.read_text()):
            assert resource["kind"] not in by_kind, f"a second {resource['kind']} in {path.name}"
            by_kind[resource["kind"]] = resource
    return Manifests(by_kind)


def port_of(address: str) -> int:
    return int(address.rpartition(":")[2])


def dockerfile_lines(prefix: str) -> list[str]:
    """What follows `prefix` on each Dockerfile line that starts with it, e.g. "USER "."""
    lines = DOCKERFILE.read_text().splitlines()
    return [line.removeprefix(prefix).strip() for line in lines if line.startswith(prefix)]


def make_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:=\s*(\S+)$", MAKEFILE.read_text(), re.MULTILINE)
    assert match, f"no {name} in the Makefile"
    return match.group(1)
