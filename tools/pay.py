"""`make pay SESSION=cs_… [OUTCOME=fail]`: pay a checkout of the running `make run` without a
browser, as a customer on the hosted page would (the emulator's pay route; see docs/emulator.md).

Exit status 0 when the emulator took the payment, 1 when it refused it, 2 when there is nothing
to pay with (no SESSION, no `make run` running, or `make run` on real Stripe).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error

from tools.run_state import read_state, state_path
from tools.stack import pay_in_emulator

OUTCOMES = ("succeed", "fail", "processing")


def main() -> int:
    session_id = os.environ.get("SESSION", "").strip()
    outcome = os.environ.get("OUTCOME", "").strip() or "succeed"
    if not session_id.startswith("cs_"):
        return _fail(2, "give the Checkout Session to pay: make pay SESSION=cs_…")
    if outcome not in OUTCOMES:
        return _fail(2, f"OUTCOME must be one of {', '.join(OUTCOMES)}")
    state = read_state()
    if state is None:
        return _fail(2, f"no `make run` is running (no {state_path()}): start it in another shell")
    if state.emulator_url is None:
        return _fail(
            2, "`make run` talks to real Stripe: pay on the hosted page, card 4242 4242 4242 4242"
        )
    try:
        session = pay_in_emulator(state.emulator_url, session_id, outcome)
    except urllib.error.HTTPError as error:
        return _fail(1, f"the emulator refused: {_stripe_message(error)}")
    except OSError as error:
        return _fail(1, f"the emulator at {state.emulator_url} does not answer ({error})")
    intent = session.get("payment_intent") or {}
    print(
        f"{session['id']}: {session['status']} / {session['payment_status']}; "
        f"PaymentIntent {intent.get('id', '-')} {intent.get('status', '-')}"
    )
    return 0


def _stripe_message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {error.code}"
    finally:
        error.close()


def _fail(status: int, message: str) -> int:
    print(f"make pay: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
