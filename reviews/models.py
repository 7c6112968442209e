"""Service reviews at planned intervals and the changes raised at them (built in a later issue)."""

from __future__ import annotations
