"""Admin of the portfolio app. Django imports `portfolio.admin`, so both parts register here."""

from __future__ import annotations

from portfolio.admin import catalogue, demand

__all__ = ["catalogue", "demand"]
