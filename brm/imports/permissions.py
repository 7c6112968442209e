"""Who may import: administrators and integrations, who write every unit (CIO and BRMs: no)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import writes_all_units

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def may_import(user: AnyUser) -> bool:
    """Bulk import creates units and people anywhere, so it is for those who write all units."""
    return bool(user.is_authenticated) and writes_all_units(user)
