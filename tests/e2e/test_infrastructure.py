"""Health and reflection: callable without an API key (probes hold none)."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import (
    reflection_pb2,
    reflection_pb2_grpc,
)


async def test_health_serving_overall_and_for_the_service(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for name in ("", "payments.v1.PaymentService"):
        response = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services(channel: grpc.aio.Channel) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    names: set[str] = set()
    async for response in reflection.ServerReflectionInfo(iter([request]), timeout=5):
        names |= {service.name for service in response.list_services_response.service}
    assert {"payments.v1.PaymentService", "grpc.health.v1.Health"} <= names


async def test_reflection_describes_the_request_messages(channel: grpc.aio.Channel) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="payments.v1.Product")
    async for response in reflection.ServerReflectionInfo(iter([request]), timeout=5):
        assert response.file_descriptor_response.file_descriptor_proto
