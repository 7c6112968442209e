"""Complaints with escalation, and feedback (built in a later issue)."""

from __future__ import annotations
