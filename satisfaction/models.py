"""Satisfaction surveys, CSAT and NPS (built in a later issue)."""

from __future__ import annotations
