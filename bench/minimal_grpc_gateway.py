"""Baseline (d) of bench/stripe_path_benchmarks.py: the floor of any Python gRPC gateway in front
of Stripe. A grpc.aio server with one method, `payments.v1.PaymentService/GetPaymentStatus` on
the contract's generated messages, that makes baseline (a)'s request, an aiohttp
`GET /v1/checkout/sessions/{id}` on the emulator and one JSON decode, and answers the session's
status mapped by a dict, on uvloop as the service runs: no API-key gate, validation, Stripe SDK,
ledger, logs or metrics. What the service costs beyond this is its own machinery; what this
costs beyond (a) is grpc.aio's.

    python bench/minimal_grpc_gateway.py --emulator URL

Serves plaintext on 127.0.0.1 (a free port), prints `minimal gateway listening on HOST:PORT`
once it does, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

import aiohttp
import grpc
import uvloop

from payments.v1 import payments_pb2

READY = "minimal gateway listening on "
SERVICE = "payments.v1.PaymentService"
EMULATOR_STRIPE_KEY = "sk_test_bench_0000000000000000"  # benchlib's: this file imports no bench
STATUSES = {  # a session's Stripe status, trivially: the payment status is not worked out
    "open": payments_pb2.PAYMENT_STATUS_OPEN,
    "complete": payments_pb2.PAYMENT_STATUS_SUCCEEDED,
    "expired": payments_pb2.PAYMENT_STATUS_EXPIRED,
}

Request = payments_pb2.GetPaymentStatusRequest
Response = payments_pb2.GetPaymentStatusResponse
Context = grpc.aio.ServicerContext[Request, Response]


def status_handler(session: aiohttp.ClientSession) -> grpc.RpcMethodHandler[Request, Response]:
    async def get_payment_status(request: Request, context: Context) -> Response:
        async with session.get(f"/v1/checkout/sessions/{request.id}") as answer:
            body = await answer.read()
        if answer.status != 200:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"Stripe answered {answer.status}")
        stripe_status = json.loads(body).get("status", "")
        return Response(
            id=request.id,
            status=STATUSES.get(stripe_status, payments_pb2.PAYMENT_STATUS_UNSPECIFIED),
            stripe_status=stripe_status,
        )

    return grpc.unary_unary_rpc_method_handler(
        get_payment_status,
        request_deserializer=Request.FromString,
        response_serializer=Response.SerializeToString,
    )


async def serve(emulator_url: str) -> None:
    headers = {"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"}
    connector = aiohttp.TCPConnector(limit=0)  # as (a): a connection per call in flight
    async with aiohttp.ClientSession(emulator_url, headers=headers, connector=connector) as session:
        server = grpc.aio.server()
        handlers = {"GetPaymentStatus": status_handler(session)}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(f"{READY}127.0.0.1:{port}", flush=True)
        await stop.wait()
        await server.stop(grace=1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--emulator", required=True, help="the emulator's base URL")
    # On the service's default event loop (PAYMENTS_EVENT_LOOP=uvloop), so that the floor is
    # like for like.
    uvloop.run(serve(parser.parse_args(argv).emulator))
    return 0


if __name__ == "__main__":
    sys.exit(main())
