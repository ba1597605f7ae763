"""Outgoing notifications: an outbox written in the changing transaction, delivered later by the scheduler."""
