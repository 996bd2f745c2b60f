"""The payment domain: entities, value objects, errors, the gateway port and the use cases.

Imports only the standard library: no gRPC, no Stripe. Everything outside points in here.
"""
