"""Who may change the stakeholder register: each rule once, asked by services and by pages alike.

The services in `stakeholders.services` refuse with `ForbiddenAction` (403) when these say no;
views, forms, serializers and templates ask the same functions for what to offer. Reading is a
separate rule (`visible_to` on the querysets: an outsider gets 404 before any of these is asked).

`actor` None is the system (a job, a migration) and may act everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.roles import Role, is_it_side, may_change, may_write, role_of, writes_all_units

if TYPE_CHECKING:
    from brm.core.roles import AnyUser
    from stakeholders.models import ActionItem, BusinessUnit, Interaction, Stakeholder


def may_edit_unit(actor: AnyUser | None, unit: BusinessUnit) -> bool:
    """Change the unit's relationship records (its register entry, people, meetings, promises).

    Administrators and integrations: every unit; a BRM: the units they manage or deputise for.
    Executives and business leaders read only.
    """
    return may_change(actor, unit)


def may_log_interaction(actor: AnyUser | None, unit: BusinessUnit) -> bool:
    """Log a meeting or contact with the unit (and the promises made in it)."""
    return may_edit_unit(actor, unit)


def may_attach_to_meeting(actor: AnyUser | None, interaction: Interaction) -> bool:
    """Add a file to a logged meeting (slides, notes, a signed agreement): whoever may log
    meetings with its unit (its BRM and deputy, administrators, integrations)."""
    return may_change(actor, interaction)


def may_record_commitment(actor: AnyUser | None, unit: BusinessUnit) -> bool:
    """Record a promise for the unit, whatever made it (meeting, review, complaint, plan, API)."""
    return may_edit_unit(actor, unit)


def may_change_commitment(actor: AnyUser | None, item: ActionItem) -> bool:
    """Edit, complete, drop or reopen a promise: the same people who may record it."""
    return may_change(actor, item)


def may_add_stakeholder(actor: AnyUser | None, unit: BusinessUnit | None = None) -> bool:
    """Add a person to the register; with `unit`, to that unit. Roles that write, on their units."""
    if actor is None:
        return True
    if not may_write(actor):
        return False
    return unit is None or may_edit_unit(actor, unit)


def may_edit_stakeholder(actor: AnyUser | None, person: Stakeholder) -> bool:
    """Change a person's entry (moving them also needs `may_add_stakeholder` on the new unit)."""
    return may_change(actor, person)


def may_manage_units(actor: AnyUser | None) -> bool:
    """Create or delete business units: administrators and integrations (HR/CRM sync)."""
    return actor is None or writes_all_units(actor)


def may_reassign_brm(actor: AnyUser | None, unit: BusinessUnit | None = None) -> bool:
    """Hand a unit to another relationship manager: administrators (and integrations) only.

    A BRM may not hand their own unit away or take someone else's; `unit` is accepted so every
    `may_*` reads the same, but the rule does not depend on it.
    """
    return actor is None or writes_all_units(actor)


# Who can be a unit's BRM or deputy: IT relationship staff, who then change its records.
RELATIONSHIP_ROLES = frozenset({Role.BRM, Role.ADMIN})


def may_manage_relationship(user: AnyUser) -> bool:
    """Whether `user` can be named a unit's BRM or deputy: an active relationship manager (or an
    administrator), never a business leader, an executive or an integration (a deputy is IT
    staff covering for the BRM, and gets write access to the unit)."""
    return role_of(user) in RELATIONSHIP_ROLES


def may_place_unit(actor: AnyUser | None, parent: BusinessUnit | None) -> bool:
    """Put a unit under `parent` (None: the top of the tree), or take it from under `parent`.

    Administrators and integrations anywhere; a BRM only under (or from under) units they
    manage or deputise for, so nobody grows or shrinks another BRM's tree. The top level itself
    needs no unit: `parent` None is allowed to anyone who may save the unit.
    """
    return parent is None or may_edit_unit(actor, parent)


# Stakeholder analysis: IT's working notes about people, not shown to the business side.
ANALYSIS_FIELDS = ("influence", "interest")  # and what is derived from them (quadrant, map)
SENTIMENT_FIELDS = ("sentiment",)  # how IT read a meeting


def may_see_analysis(user: AnyUser | None) -> bool:
    """Whether `user` sees stakeholder analysis: influence and interest scores, the power/interest
    label ("Manage closely"), the stakeholder map, and meeting sentiment.

    IT-side roles (BRM, deputy, executive, admin, integration) and the system (None) do; a
    business leader does not, not even about themselves: they see people and contact history.
    Pages (the register and the map answer 403), serializers (fields omitted), filters (the
    analysis filters and orderings are dropped) and CSV exports all ask this one rule.
    """
    return user is None or is_it_side(user)
