"""One access rule for the API, mirroring the HTML views.

Reads are scoped by each viewset's queryset (`Model.objects.visible_to(user)`), so a record the
caller may not see is a 404. Writes need a role that may write (403 otherwise) and, per object,
`obj.is_editable_by(user)`: a BRM reading another BRM's unit gets 403, never a silent change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import permissions
from rest_framework.request import Request

from brm.core.roles import Role, may_write, role_of

if TYPE_CHECKING:
    # DRF loads this module while rest_framework.views is still importing (settings).
    from rest_framework.views import APIView


class ScopedAccess(permissions.BasePermission):
    message = "Your role may not change these records."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if role_of(user) == Role.NONE:
            self.message = "Your account has no role yet; ask an administrator."
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return may_write(user)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(obj.is_editable_by(request.user))
