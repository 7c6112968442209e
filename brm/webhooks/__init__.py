"""Signed webhooks: integrations hear about business events (Standard Webhooks)."""
