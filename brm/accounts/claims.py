"""Single sign-on's claims applied to the account: role from the group claim, unit from an
attribute (the administrator's `ClaimsMapping`), at every sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction

from brm.accounts.models import ClaimsMapping
from brm.core.audit import record_event
from brm.core.roles import GROUP_NAMES, Role
from stakeholders.models import BusinessUnit, Stakeholder
from stakeholders.services import save_stakeholder


def merged_claims(extra_data: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims overlaid with userinfo's (allauth stores both in `extra_data`)."""
    return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}


def _names(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return set()


@transaction.atomic
def apply_claims(user: User, claims: dict[str, Any]) -> dict[str, Any]:
    """Set `user`'s role groups, admin flag and register entry from `claims`; return what
    changed ({"roles": [...], "unit_id": id}, empty when nothing did) and record it in the
    audit log as "sso.claims_applied"."""
    mapping = ClaimsMapping.get()
    changes: dict[str, Any] = {}
    if mapping.role_by_group:
        roles = {
            Role(mapping.role_by_group[name])
            for name in _names(claims.get(mapping.group_claim))
            if name in mapping.role_by_group
        }
        changes.update(_set_roles(user, roles))
    person = _register_entry(user, mapping, claims)
    if person is not None:
        changes["unit_id"] = person.unit_id
    if changes:
        record_event(
            "sso.claims_applied",
            actor=None,
            subject_type="user",
            subject_id=user.pk,
            details=changes,
        )
    return changes


def _set_roles(user: User, roles: set[Role]) -> dict[str, Any]:
    wanted = {GROUP_NAMES[r] for r in roles if r in GROUP_NAMES}
    current = set(user.groups.filter(name__in=GROUP_NAMES.values()).values_list("name", flat=True))
    admin = Role.ADMIN in roles or user.is_superuser
    if wanted == current and admin == user.is_staff:
        return {}
    if current - wanted:
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    for name in wanted - current:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    if admin != user.is_staff:
        user.is_staff = admin
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_brm_role", None)  # role_of's per-request cache
    return {"roles": sorted(r.value for r in roles)}


def _register_entry(
    user: User, mapping: ClaimsMapping, claims: dict[str, Any]
) -> Stakeholder | None:
    """The person's entry, moved to (or created in) the unit the claim names; an unlinked entry
    with the account's address is linked first. None when no unit claim names a known unit and
    nothing changed."""
    person = Stakeholder.objects.filter(user=user).first()
    if person is None and user.email:
        candidates = list(
            Stakeholder.objects.filter(user__isnull=True, active=True, email__iexact=user.email)[:2]
        )
        if len(candidates) == 1:
            person = candidates[0]
            person.user = user
            save_stakeholder(person, actor=None)
    value = str(claims.get(mapping.unit_claim) or "").strip() if mapping.unit_claim else ""
    unit = (
        BusinessUnit.objects.filter(code__iexact=value).first()
        or BusinessUnit.objects.filter(name__iexact=value).first()
        if value
        else None
    )
    if unit is None:
        return None
    if person is None:
        person = Stakeholder(
            unit=unit,
            user=user,
            name=user.get_full_name() or user.get_username(),
            email=user.email,
        )
    elif person.unit_id == unit.pk:
        return None
    person.unit = unit
    save_stakeholder(person, actor=None)
    return person
