"""Who may export or erase a person's data: administrators only (GDPR requests are handled by
the data controller's administrators; a BRM or an integration token may not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import Role, role_of

if TYPE_CHECKING:
    from brm.core.roles import AnyUser


def may_handle_personal_data(user: AnyUser) -> bool:
    """True for administrators only."""
    return role_of(user) == Role.ADMIN
