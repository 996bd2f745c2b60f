"""A stateful Stripe (test mode) emulator speaking Stripe's wire protocol.

Run it with ``python -m stripe_emulator --port 0``; from tests use ``stripe_emulator.testing``.
See ``docs/emulator.md``.
"""
