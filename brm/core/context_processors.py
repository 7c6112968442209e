from __future__ import annotations

from django.http import HttpRequest

from brm.core.roles import ROLE_LABELS, Role, leader_unit_id, may_write, role_of


def roles(request: HttpRequest) -> dict[str, object]:
    """Role flags for navigation. Templates only choose what to show; views enforce access."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    return {
        "role": role.value,
        "role_label": ROLE_LABELS[role],
        "is_it_side": role in {Role.ADMIN, Role.BRM, Role.EXECUTIVE, Role.INTEGRATION},
        "can_write": may_write(user),
        "my_unit_id": leader_unit_id(user) if role == Role.LEADER else None,
    }
