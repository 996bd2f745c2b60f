"""The Stripe product id a given external_product_id maps to.

Why a derived id rather than a search before create: Stripe's product search is eventually
consistent (new products show up after up to a minute), so "search, then create if absent" lets
two concurrent calls, or two replicas, both create a product for the same external id. Stripe
accepts a caller-chosen product `id` and refuses a second product with the same id
(400 `resource_already_exists`) atomically, so deriving the id from the external id makes Stripe
itself enforce external-id uniqueness, and makes lookup by external id a strongly consistent
retrieve instead of a search.
"""

from __future__ import annotations

import base64
import hashlib

_NAMESPACE = b"payments-v1/external_product_id\x1f"
_HASH_CHARS = 26  # 130 bits of SHA-256: collisions are out of reach


def product_id_for(external_product_id: str) -> str:
    """`prod_x` + the first 26 base32 characters (lower case) of SHA-256 of the external id.

    Deterministic across processes and releases: changing it would orphan existing products.
    """
    digest = hashlib.sha256(_NAMESPACE + external_product_id.encode()).digest()
    encoded = base64.b32encode(digest).decode().rstrip("=").lower()
    return "prod_x" + encoded[:_HASH_CHARS]
