"""Webhook deliveries: signing, the retry schedule, injected delivery faults."""
