"""Builders for Stripe objects, shaped like the resources in Stripe's fixtures."""
