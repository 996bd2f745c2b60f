"""The shop's side of a checkout for `make run`: the pages Stripe sends the customer back to.

    GET /checkout/success?session_id=cs_…   the status of the session, as GetPaymentStatus says
    GET /checkout/cancel[?session_id=cs_…]  the same for a customer who gave up (Stripe fills in
                                            {CHECKOUT_SESSION_ID} only in success_url, so only
                                            checkouts opened here carry the id)
    GET /checkout/new                       opens a fresh checkout, 303 to its hosted page

A plain threading HTTP server on loopback; every call goes through the service (gRPC), which is
the point: the page shows what a caller of the service would see.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import grpc

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.return_pages_html import error_page, status_page

CALL_TIMEOUT_SECONDS = 10.0


class ServiceNotUp(Exception):
    """A page was asked for before `make run` had the service's address."""


@dataclass
class Shop:
    """What the pages need to call the service; set once the service is up."""

    api_key: str
    base_url: str = ""
    stub: payments_pb2_grpc.PaymentServiceStub | None = None
    customer_id: str = ""
    product_id: str = ""
    opened: dict[str, str] = field(default_factory=dict)
    """Session ids of the checkouts opened here, by the token in their cancel_url."""

    @property
    def success_url(self) -> str:
        return f"{self.base_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}"

    @property
    def cancel_url(self) -> str:
        return f"{self.base_url}/checkout/cancel"

    def open_checkout(self) -> payments_pb2.CreateCheckoutResponse:
        """A checkout of the start-up product whose cancel page will know its session."""
        token = uuid.uuid4().hex
        checkout = self._stub().CreateCheckout(
            payments_pb2.CreateCheckoutRequest(
                product_id=self.product_id,
                customer_id=self.customer_id,
                cancel_url=f"{self.cancel_url}?{urlencode({'checkout': token})}",
                request_id=str(uuid.uuid4()),
            ),
            metadata=self._metadata(),
            timeout=CALL_TIMEOUT_SECONDS,
        )
        self.opened[token] = checkout.checkout_session_id
        return checkout

    def status(self, session_id: str) -> payments_pb2.GetPaymentStatusResponse:
        return self._stub().GetPaymentStatus(
            payments_pb2.GetPaymentStatusRequest(id=session_id),
            metadata=self._metadata(),
            timeout=CALL_TIMEOUT_SECONDS,
        )

    def _stub(self) -> payments_pb2_grpc.PaymentServiceStub:
        if self.stub is None:
            raise ServiceNotUp
        return self.stub

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-api-key", self.api_key),)


class _Handler(BaseHTTPRequestHandler):
    server: _PagesServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        routes = {
            "/checkout/success": self._success,
            "/checkout/cancel": self._cancel,
            "/checkout/new": self._new,
        }
        route = routes.get(url.path)
        if route is None:
            self._send(HTTPStatus.NOT_FOUND, error_page("No such page", "Try /checkout/new."))
            return
        try:
            route(query)
        except grpc.RpcError as error:
            self._send_rpc_error(error)
        except ServiceNotUp:
            text = "The service is still starting: reload in a moment."
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, error_page("Not ready", text))

    def _success(self, query: dict[str, str]) -> None:
        session_id = query.get("session_id", "")
        if not session_id:
            self._send(HTTPStatus.BAD_REQUEST, error_page("No session", "session_id is missing."))
            return
        self._send(HTTPStatus.OK, status_page(self.server.shop.status(session_id), cancel=False))

    def _cancel(self, query: dict[str, str]) -> None:
        shop = self.server.shop
        session_id = query.get("session_id") or shop.opened.get(query.get("checkout", ""), "")
        if not session_id:
            text = (
                "Stripe does not say which checkout was given up; it stays open until it expires."
            )
            self._send(HTTPStatus.OK, error_page("Checkout cancelled", text))
            return
        self._send(HTTPStatus.OK, status_page(shop.status(session_id), cancel=True))

    def _new(self, _query: dict[str, str]) -> None:
        checkout = self.server.shop.open_checkout()
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", checkout.url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_rpc_error(self, error: grpc.RpcError) -> None:
        code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = error.details() if isinstance(error, grpc.Call) else str(error)
        http_status = {
            grpc.StatusCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
            grpc.StatusCode.INVALID_ARGUMENT: HTTPStatus.BAD_REQUEST,
        }.get(code, HTTPStatus.BAD_GATEWAY)
        self._send(http_status, error_page(f"The service said {code.name}", details or ""))

    def _send(self, status: HTTPStatus, html: str) -> None:
        body = html.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # stdlib's name
        pass  # `make run`'s terminal is for the banner and the service's log


class _PagesServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], shop: Shop) -> None:
        super().__init__(address, _Handler)
        self.shop = shop


@contextmanager
def serving_pages(address: str, shop: Shop) -> Iterator[Shop]:
    """Serves the pages on `address` (host:port, port 0 picks one) until the block ends; sets
    `shop.base_url` to where they are."""
    host, _, port = address.rpartition(":")
    server = _PagesServer((host, int(port)), shop)
    shop.base_url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="return-pages", daemon=True)
    thread.start()
    try:
        yield shop
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
