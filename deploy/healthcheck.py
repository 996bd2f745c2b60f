"""The container's health check: asks the service's gRPC health service (grpc.health.v1, the
whole server) whether it is SERVING, on the address the service listens on
(PAYMENTS_LISTEN_ADDR, as the service reads it). Exit status 0 when SERVING; 1 otherwise:
NOT_SERVING while draining, or no answer within the timeout, with one line on stderr.
Kubernetes asks the same service itself (the Deployment's `grpc:` probes); this script is for
engines that run the image's HEALTHCHECK.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.config import Settings, variable_of

TIMEOUT_SECONDS = 3.0
# A wildcard bind is reached on loopback from inside the container.
_LOOPBACK_OF_WILDCARD = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


def target(environ: Mapping[str, str]) -> str:
    """Where to ask: the service's gRPC address, its wildcard host replaced by loopback."""
    default = next(f.default for f in dataclasses.fields(Settings) if f.name == "listen_addr")
    address = environ.get(variable_of("listen_addr"), "").strip() or str(default)
    host, _, port = address.rpartition(":")
    return f"{_LOOPBACK_OF_WILDCARD.get(host, host)}:{port}"


def check(address: str) -> str | None:
    """None when the server says SERVING; else what is wrong, in one line."""
    request = health_pb2.HealthCheckRequest(service="")
    with grpc.insecure_channel(address) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(request, timeout=TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            return f"no health answer from {address}: {error.code().name}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    return None if status == "SERVING" else f"{address} is {status}"


def main() -> int:
    problem = check(target(os.environ))
    if problem is not None:
        print(f"payments health check: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
