"""The hosted checkout page at each session's ``url``, so a person can click through offline.

Plain HTML styled like Stripe Checkout (checkout_style.py); every value from the session or its
products is escaped. POST/redirect/GET: every POST answers with a 303 to a page to GET (the
session's own, with a notice, or the success or cancel URL), so a refresh never re-submits.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.checkout_style import CSS
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
        _page(
            "Checkout Session not found",
            "<section class='card'><h1>Checkout Session not found</h1>"
            "<p>This checkout link is not valid.</p></section>",
        ),
        404,
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


# What a redirect back to the page may say, by a fixed code: never text from the query string.
_NOTICES = {
    "declined": "Your card was declined. Try another card.",
    "no-cancel-url": "This Checkout Session has no cancel_url to return to.",
}


def _back_to_page(session: JSON, notice: str) -> web.Response:
    return _redirect(f"/checkout/{session['id']}?notice={notice}")


async def show(request: web.Request) -> web.Response:
    try:
        return await _show(request)
    except _UnknownSession:
        return _not_found()


async def _show(request: web.Request) -> web.Response:
    session = _session(request)
    notice = _NOTICES.get(request.query.get("notice", ""))
    return _html(_session_page(state_of(request).store, session, notice=notice))


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
        return _back_to_page(session, "declined")
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
        return _back_to_page(session, "no-cancel-url")
    return _redirect(session["cancel_url"])


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def _session_page(store: Store, session: JSON, notice: str | None = None) -> str:
    rows = "".join(_line_item_row(store, item) for item in store.line_items[session["id"]])
    total = escape(format_amount(session["amount_total"], session["currency"]))
    summary = (
        "<section><div class='merchant'>Payments service <span class='badge'>Test mode</span>"
        f"</div><div>Pay</div><div class='total'>{total}</div>"
        f"<ul class='items'>{rows}</ul>"
        f"<p>Total due <strong>{total}</strong></p></section>"
    )
    card = (
        "<section class='card'>"
        + _back_link(session)
        + (f"<p class='notice' role='alert'>{escape(notice)}</p>" if notice else "")
        + _actions(session, total)
        + "</section>"
    )
    return _page("Checkout", summary + card)


def _line_item_row(store: Store, item: JSON) -> str:
    price = store.get("price", item["price"]) or {}
    product = store.get("product", str(price.get("product"))) or {}
    unit = format_amount(price.get("unit_amount") or 0, price.get("currency") or "usd")
    return (
        f"<li><span>{escape(str(product.get('name', '')))}"
        f"<small>Qty {escape(str(item['quantity']))}</small></span>"
        f"<span>{escape(unit)} each</span></li>"
    )


def _back_link(session: JSON) -> str:
    if session["status"] != "open":
        return ""
    base = f"/checkout/{escape(session['id'], quote=True)}"
    return (
        f"<form method='post' action='{base}/cancel'>"
        "<button type='submit' class='back'>&larr; Cancel</button></form>"
    )


def _actions(session: JSON, total: str) -> str:
    if session["status"] == "expired":
        return "<p>This Checkout Session has expired.</p>"
    if session["status"] == "complete":
        return "<p class='done'>This Checkout Session is complete. Thank you!</p>"
    base = f"/checkout/{escape(session['id'], quote=True)}"
    return (
        f"<h1>Pay with card</h1><form method='post' action='{base}/pay'>"
        "<label for='card'>Card information</label>"
        "<input id='card' value='4242 4242 4242 4242' readonly aria-readonly='true'>"
        f"<button type='submit' class='pay' name='outcome' value='succeed'>Pay {total}</button>"
        "<button type='submit' class='secondary' name='outcome' value='fail'>"
        "Pay with a declined card</button>"
        "<button type='submit' class='secondary' name='outcome' value='processing'>"
        "Pay by bank debit</button>"
        "</form><p class='hint'>Emulator: no card data is taken; the buttons choose what the "
        "card network answers.</p>"
    )


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} - Stripe emulator</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
