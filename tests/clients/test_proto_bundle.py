"""`make proto-bundle` (tools/proto_bundle.sh) writes an include root that a stock protoc
compiles with nothing else: grpcio-tools' protoc, called without its own include path (so not
even its well-known types), finds every import of the contract in the bundle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from payments.v1 import payments_pb2

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)

# protoc's main with the given arguments only: `python -m grpc_tools.protoc` would add -I for the
# well-known types it ships, which the bundle must not need.
PLAIN_PROTOC = "import sys; from grpc_tools import protoc; sys.exit(protoc.main(sys.argv))"


def plain_protoc(bundle: Path, out: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PLAIN_PROTOC, "-I", str(bundle), "--include_imports",
         f"--descriptor_set_out={out}", *files],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip


def test_the_bundle_compiles_with_plain_protoc_alone(bundle: Path, tmp_path: Path) -> None:
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*.proto"))
    compiled = plain_protoc(bundle, tmp_path / "all.binpb", *files)

    assert compiled.returncode == 0, compiled.stderr
    fds = descriptor_pb2.FileDescriptorSet.FromString((tmp_path / "all.binpb").read_bytes())
    services = {s.name: s for f in fds.file if f.package == "payments.v1" for s in f.service}
    ours = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]
    assert [m.name for m in services["PaymentService"].method] == [m.name for m in ours.methods]
    assert {"google/rpc/status.proto", "google/rpc/error_details.proto"} <= set(files)


def test_the_bundle_holds_the_contract_as_committed(bundle: Path) -> None:
    ours = REPO / "proto/payments/v1/payments.proto"

    assert (bundle / "payments/v1/payments.proto").read_bytes() == ours.read_bytes()


def test_without_the_bundle_protoc_cannot_find_the_imports(tmp_path: Path) -> None:
    """The reason for the bundle: proto/ alone does not compile (the test above can fail)."""
    compiled = plain_protoc(REPO / "proto", tmp_path / "x.binpb", "payments/v1/payments.proto")

    assert compiled.returncode != 0
    assert "buf/validate/validate.proto" in compiled.stderr
