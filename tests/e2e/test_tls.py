"""TLS on both doors from certificate files made by the tests (trustme): the generated client,
grpcurl and an HTTPS client get through, plaintext does not; mTLS makes the client
certificate's name the caller; renewed files are served to new connections without a restart."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import grpc
import pytest
import trustme

from payments.v1 import payments_pb2, payments_pb2_grpc
from service import tls
from service.composition import Service, running_service
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, eventually, past_first_reconciliation, settings_over

REPO = Path(__file__).resolve().parents[2]
CUSTOMER = payments_pb2.CreateCustomerRequest(email="jane@example.com")
KEY = (("x-api-key", API_KEY),)


@dataclass(frozen=True)
class Pki:
    ca: trustme.CA
    directory: Path

    @property
    def cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key(self) -> Path:
        return self.directory / "server.key"

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    def issue_server_cert(self, ca: trustme.CA) -> None:
        issued = ca.issue_cert("127.0.0.1", "localhost")
        self.key.write_bytes(issued.private_key_pem.bytes())
        self.cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    made = Pki(trustme.CA(), tmp_path)
    made.issue_server_cert(made.ca)
    made.ca.cert_pem.write_to_path(str(made.ca_file))
    return made


@pytest.fixture
async def tls_service(emulator: EmulatorHandle, pki: Pki) -> AsyncIterator[Service]:
    settings = replace(
        settings_over(emulator), tls_cert_file=str(pki.cert), tls_key_file=str(pki.key)
    )
    async with running_service(settings, grace_seconds=0) as service:
        yield await past_first_reconciliation(service)


def channel_credentials(
    ca: trustme.CA, client: trustme.LeafCert | None = None
) -> grpc.ChannelCredentials:
    if client is None:
        return grpc.ssl_channel_credentials(ca.cert_pem.bytes())
    chain = b"".join(blob.bytes() for blob in client.cert_chain_pems)
    return grpc.ssl_channel_credentials(ca.cert_pem.bytes(), client.private_key_pem.bytes(), chain)


async def create_customer(address: str, credentials: grpc.ChannelCredentials, metadata=KEY):  # type: ignore[no-untyped-def]
    async with grpc.aio.secure_channel(address, credentials) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        return await stub.CreateCustomer(CUSTOMER, metadata=metadata, timeout=10)


def client_context(ca: trustme.CA, client: trustme.LeafCert | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    if client is not None:
        client.configure_cert(context)
    return context


async def post_customer(base: str, context: ssl.SSLContext | None, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{base}/v1/customers", json={"email": "h@example.com"}, headers=headers,
                    ssl=context if context is not None else False) as response,
    ):  # fmt: skip
        return response.status


async def test_both_doors_speak_tls_and_refuse_plaintext(tls_service: Service, pki: Pki) -> None:
    answer = await create_customer(tls_service.address, channel_credentials(pki.ca))
    assert answer.customer.id.startswith("cus_")
    async with grpc.aio.insecure_channel(tls_service.address) as plaintext:
        stub = payments_pb2_grpc.PaymentServiceStub(plaintext)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.CreateCustomer(CUSTOMER, metadata=KEY, timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

    https = f"https://{tls_service.http_address}"
    assert await post_customer(https, client_context(pki.ca), {"x-api-key": API_KEY}) == 200
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{https}/openapi.json", ssl=client_context(pki.ca)) as document,
    ):
        served = await document.json()
    assert (served["host"], served["schemes"]) == (tls_service.http_address, ["https"])
    with pytest.raises(aiohttp.ClientError):
        await post_customer(f"http://{tls_service.http_address}", None, {"x-api-key": API_KEY})


async def test_grpcurl_calls_over_tls_with_the_ca(tls_service: Service, pki: Pki) -> None:
    command = [str(REPO / ".venv/bin/grpcurl"), "-cacert", str(pki.ca_file), "-H",
               f"x-api-key: {API_KEY}", "-d", '{"email": "curl@example.com"}',
               tls_service.address, "payments.v1.PaymentService/CreateCustomer"]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert '"id": "cus_' in done.stdout


async def test_mtls_makes_the_certificates_name_the_caller(
    emulator: EmulatorHandle, pki: Pki
) -> None:
    settings = replace(
        settings_over(emulator),
        tls_cert_file=str(pki.cert),
        tls_key_file=str(pki.key),
        tls_client_ca_file=str(pki.ca_file),
    )
    orders = pki.ca.issue_cert("orders.clients.internal", common_name="orders")
    async with running_service(settings, grace_seconds=0) as service:
        answer = await create_customer(service.address, channel_credentials(pki.ca, orders), ())
        assert answer.customer.id.startswith("cus_")
        with pytest.raises(grpc.aio.AioRpcError) as no_certificate:
            await create_customer(service.address, channel_credentials(pki.ca))
        https = f"https://{service.http_address}"
        assert await post_customer(https, client_context(pki.ca, orders), {}) == 200
        with pytest.raises(aiohttp.ClientError):
            await post_customer(https, client_context(pki.ca), {"x-api-key": API_KEY})
        samples = service.metrics.exposition().decode()
    assert no_certificate.value.code() == grpc.StatusCode.UNAVAILABLE
    assert 'caller="orders",code="OK",door="grpc"' in samples
    assert 'caller="orders",code="OK",door="http"' in samples


async def test_renewed_certificate_files_are_served_to_new_connections(
    tls_service: Service, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls, "RELOAD_CHECK_SECONDS", 0.05)  # the HTTP door's check, sped up
    renewed = trustme.CA()
    pki.issue_server_cert(renewed)

    answer = await create_customer(tls_service.address, channel_credentials(renewed))
    assert answer.customer.id.startswith("cus_")
    https = f"https://{tls_service.http_address}"

    async def http_renewed() -> bool:
        try:
            return (
                await post_customer(https, client_context(renewed), {"x-api-key": API_KEY}) == 200
            )
        except aiohttp.ClientError:
            return False

    await eventually(http_renewed)
