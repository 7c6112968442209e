"""The service portfolio and the demand/business-case portfolio (built in later issues)."""

from __future__ import annotations
