"""The hosted checkout page at each session's ``url``, so a person can click through offline.

Plain HTML; every value from the session or its products is escaped.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.currencies import format_amount
from stripe_emulator.emulator_routes import read_body
from stripe_emulator.payments import pay_session, refresh_expiry, success_redirect
from stripe_emulator.state import state_of
from stripe_emulator.store import JSON, Store


def add_routes(app: web.Application) -> None:
    app.router.add_get("/checkout/{session}", show)
    app.router.add_post("/checkout/{session}/pay", pay)
    app.router.add_post("/checkout/{session}/cancel", cancel)


class _UnknownSession(Exception):
    pass


def _session(request: web.Request) -> JSON:
    state = state_of(request)
    session = state.store.get("checkout.session", request.match_info["session"])
    if session is None:
        raise _UnknownSession
    return refresh_expiry(state.store, session, state.now())


def _not_found() -> web.Response:
    return _html(
        _page("Checkout Session not found", "<p>This checkout link is not valid.</p>"), 404
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


async def show(request: web.Request) -> web.Response:
    try:
        return await _show(request)
    except _UnknownSession:
        return _not_found()


async def _show(request: web.Request) -> web.Response:
    session = _session(request)
    return _html(_session_page(state_of(request).store, session))


async def pay(request: web.Request) -> web.Response:
    try:
        return await _pay(request)
    except _UnknownSession:
        return _not_found()


async def _pay(request: web.Request) -> web.Response:
    session = _session(request)
    state = state_of(request)
    if session["status"] == "complete":  # a second click on Pay
        return _redirect(success_redirect(session))
    body = await read_body(request)
    outcome = body.get("outcome", "succeed")
    try:
        pay_session(state.store, session, outcome if isinstance(outcome, str) else "", state.now())
    except errors.StripeError as exc:
        return _html(_session_page(state.store, session, notice=exc.message), status=400)
    if session["status"] == "open":  # the card was declined; the customer may try again
        return _html(_session_page(state.store, session, notice="Your card was declined."))
    return _redirect(success_redirect(session))


async def cancel(request: web.Request) -> web.Response:
    try:
        return await _cancel(request)
    except _UnknownSession:
        return _not_found()


async def _cancel(request: web.Request) -> web.Response:
    """Stripe's back link: the session stays open, the customer returns to ``cancel_url``."""
    session = _session(request)
    if not session["cancel_url"]:
        return _html(_session_page(state_of(request).store, session, notice="No cancel_url."))
    return _redirect(session["cancel_url"])


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def _session_page(store: Store, session: JSON, notice: str | None = None) -> str:
    rows = "".join(_line_item_row(store, item) for item in store.line_items[session["id"]])
    total = format_amount(session["amount_total"], session["currency"])
    parts = [
        f"<p class='notice'>{escape(notice)}</p>" if notice else "",
        "<table><tr><th>Item</th><th>Quantity</th><th>Unit price</th></tr>",
        rows,
        f"</table><p>Total: <strong>{escape(total)}</strong></p>",
        _actions(session),
    ]
    return _page("Checkout", "".join(parts))


def _line_item_row(store: Store, item: JSON) -> str:
    price = store.get("price", item["price"]) or {}
    product = store.get("product", str(price.get("product"))) or {}
    unit = format_amount(price.get("unit_amount") or 0, price.get("currency") or "usd")
    return (
        f"<tr><td>{escape(str(product.get('name', '')))}</td>"
        f"<td>{escape(str(item['quantity']))}</td><td>{escape(unit)}</td></tr>"
    )


def _actions(session: JSON) -> str:
    if session["status"] == "expired":
        return "<p>This Checkout Session has expired.</p>"
    if session["status"] == "complete":
        return "<p>This Checkout Session is complete. Thank you!</p>"
    base = f"/checkout/{escape(session['id'], quote=True)}"
    return (
        f"<form method='post' action='{base}/pay'>"
        "<button type='submit' name='outcome' value='succeed'>Pay</button> "
        "<button type='submit' name='outcome' value='fail'>Pay with a declined card</button> "
        "<button type='submit' name='outcome' value='processing'>Pay by bank debit</button>"
        "</form>"
        f"<form method='post' action='{base}/cancel'><button type='submit'>Cancel</button></form>"
    )


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)} - Stripe emulator</title></head>"
        f"<body><h1>{escape(title)}</h1><p><em>Test mode (Stripe emulator)</em></p>"
        f"{body}</body></html>"
    )
