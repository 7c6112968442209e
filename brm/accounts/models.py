"""How single sign-on's claims become a role and a unit, set by an administrator."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brm.core.models import SingletonSettings
from brm.core.roles import Role

# Roles a group may grant ("none" is what no matching group means).
MAPPABLE_ROLES = [r.value for r in Role if r is not Role.NONE]


def validate_role_map(value: Any) -> None:
    """A JSON object {group name as the provider sends it: role}, roles from `MAPPABLE_ROLES`."""
    if not isinstance(value, dict):
        raise ValidationError(
            gettext('A mapping of group name to role, e.g. {"BRM-Admins": "admin"}.')
        )
    for group, role in value.items():
        if not isinstance(group, str) or not group.strip():
            raise ValidationError(gettext("Group names are non-empty text."))
        if role not in MAPPABLE_ROLES:
            raise ValidationError(
                gettext("%(role)r for %(group)r is not a role; use one of %(roles)s.")
                % {"role": role, "group": group, "roles": ", ".join(MAPPABLE_ROLES)}
            )


def _role_map_help() -> str:
    """The help text of `ClaimsMapping.role_by_group`, in the reader's language."""
    return gettext(
        'Group name → role, e.g. {"BRM-Admins": "admin", "Finance-Leads": "leader"}. '
        "Roles: %(roles)s."
    ) % {"roles": ", ".join(MAPPABLE_ROLES)}


class ClaimsMapping(SingletonSettings):
    """What the identity provider's ID token and userinfo claims mean here, applied at every
    single sign-on (`brm.accounts.claims.apply_claims`).

    - `group_claim` (e.g. "groups", "roles"): a list of group names, or one name;
      `role_by_group` maps those names to roles. When `role_by_group` is empty, single sign-on
      leaves roles to the admin; otherwise each sign-in sets them: groups no longer sent are
      taken away (a superuser stays an administrator).
    - `unit_claim` (e.g. "department"): its value is a business unit's code or name; the
      person's entry in the register is placed in that unit (created when missing).
    """

    group_claim = models.CharField(max_length=100, default="groups")
    role_by_group = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_role_map],
        help_text=lazy(_role_map_help, str)(),
    )
    unit_claim = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Claim holding the person's business unit (its code or name); empty for none."),
    )

    class Meta:
        verbose_name = _("single sign-on claims mapping")
        verbose_name_plural = _("single sign-on claims mappings")

    def __str__(self) -> str:
        return "Single sign-on claims mapping"
