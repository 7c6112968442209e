"""Roles and who may see or change what.

Roles are Django groups so administrators manage them in the admin. A business leader belongs to
one business unit through their `Stakeholder` record. Every queryset that reaches a user goes
through `visible_to`/`editable_by` on the model managers, which call the helpers here.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Field, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brm.core.errors import ForbiddenAction

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.utils.functional import _StrOrPromise as StrOrPromise

    # AUTH_USER_MODEL is Django's own User; request.user is this union.
    type AnyUser = User | AnonymousUser


class Role(StrEnum):
    ADMIN = "admin"
    BRM = "brm"
    LEADER = "leader"
    EXECUTIVE = "executive"
    INTEGRATION = "integration"
    NONE = "none"


# Group names as administrators see them in the admin.
GROUP_NAMES: dict[Role, str] = {
    Role.BRM: "BRM",
    Role.LEADER: "Business leader",
    Role.EXECUTIVE: "Executive",
    Role.INTEGRATION: "Integration",
}
_ROLE_BY_GROUP = {name: role for role, name in GROUP_NAMES.items()}
# When someone is in several groups the widest role wins.
_PRECEDENCE = [Role.BRM, Role.INTEGRATION, Role.EXECUTIVE, Role.LEADER]

# What a page calls each role (lazy: in the reader's language).
ROLE_LABELS: dict[Role, StrOrPromise] = {
    Role.ADMIN: _("Administrator"),
    Role.BRM: _("Relationship manager"),
    Role.LEADER: _("Business leader"),
    Role.EXECUTIVE: _("IT leadership"),
    Role.INTEGRATION: _("Integration"),
    Role.NONE: _("No role"),
}


# The annotation `with_role` adds: the index in `_PRECEDENCE` of the user's widest role group,
# None for none.
ROLE_RANK = "brm_role_rank"
_NOT_LOADED = object()


def role_of(user: AnyUser) -> Role:
    """The user's role, cached on the user object for the rest of the request.

    One query for the user's groups on first use, none for a user loaded `with_role` (the
    signed-in user of every page: `PreferenceModelBackend`)."""
    # Read once, first, whatever is returned: whoever drops the cache below after changing
    # groups (brm.accounts.claims) gets the groups read again, never a rank loaded before.
    rank = user.__dict__.pop(ROLE_RANK, _NOT_LOADED)
    if not user.is_authenticated or not user.is_active:
        return Role.NONE
    cached = getattr(user, "_brm_role", None)
    if cached is not None:
        return Role(cached)
    if user.is_superuser or user.is_staff:
        role = Role.ADMIN
    elif rank is not _NOT_LOADED:
        role = Role.NONE if rank is None else _PRECEDENCE[int(rank)]
    else:
        names = {_ROLE_BY_GROUP.get(n) for n in user.groups.values_list("name", flat=True)}
        role = next((r for r in _PRECEDENCE if r in names), Role.NONE)
    user.__dict__["_brm_role"] = role  # a per-request cache on the instance, not a field
    return role


def with_role(users: QuerySet[User]) -> QuerySet[User]:
    """`users` (a queryset of the user model) each loaded with what `role_of` needs from their
    groups, in the same query: the `ROLE_RANK` annotation (an int index into the role
    precedence, or None), which `role_of` reads once instead of querying the groups.

    Call `role_of` on each loaded user before anything may change their groups (the session
    backend does, right after loading): that turns the rank into the per-request cache, which
    whoever changes groups drops (brm.accounts.claims).

    Raw SQL because the ORM's Subquery over the groups costs more CPU to build and compile than
    the separate query it saves (measured: about 0.65 ms added to the user query against 0.4 ms
    for the groups query; the raw column adds about 0.1 ms). It refers to the outer query's
    user table by name, so `users` must select from that table (any user queryset does)."""
    return users.annotate(**{ROLE_RANK: role_rank()})


def role_rank() -> RawSQL:
    """The `ROLE_RANK` column `with_role` adds, for a query that reaches the user table under
    its own name: a user queryset, or one that joins the user (an API token with its user
    `select_related`). Give the value to `take_role` with the user it was loaded for."""
    sql, params = _role_rank_sql()
    return RawSQL(sql, params)


def take_role(user: AnyUser, rank: int | None) -> Role:
    """`role_of(user)` from a `role_rank()` value loaded beside the user (in a query that was
    not the user's own), so the user's groups are not queried again this request."""
    user.__dict__[ROLE_RANK] = rank
    return role_of(user)


@cache
def _role_rank_sql() -> tuple[str, tuple[str, ...]]:
    """`role_of`'s rule in SQL: the smallest `_PRECEDENCE` index among the user's group names
    (CASE without ELSE gives NULL for other groups, which MIN skips; no group gives NULL).
    Group names compare exactly, as the dict lookup in `role_of` does. Built once, after the
    models are loaded (table and column names come from them)."""
    model = get_user_model()
    through = model.groups.through
    group = model.groups.field.related_model
    qn = connection.ops.quote_name
    whens = " ".join(f"WHEN %s THEN {i}" for i in range(len(_PRECEDENCE)))
    sql = (
        f"SELECT MIN(CASE g.{_column(group, 'name')} {whens} END)"
        f" FROM {qn(through._meta.db_table)} m"
        f" INNER JOIN {qn(group._meta.db_table)} g"
        f" ON g.{_column(group, 'id')} = m.{_column(through, 'group')}"
        f" WHERE m.{_column(through, 'user')} = {qn(model._meta.db_table)}.{_column(model, 'id')}"
    )
    return sql, tuple(GROUP_NAMES[r] for r in _PRECEDENCE)


def _column(model: type[Model], name: str) -> str:
    """The quoted column of `model`'s concrete field `name`."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return connection.ops.quote_name(field.column)


def users_with_role(roles: Iterable[Role]) -> QuerySet[User]:
    """Active users whose `role_of` is one of `roles`, as one queryset (for choices and lists).

    The same rule as `role_of`, in SQL: staff and superusers are administrators and nothing
    else; anyone else has the widest role of their groups (`_PRECEDENCE`). Role.NONE is not
    offered (a user without a role is nobody to choose).
    """
    model = get_user_model()
    wanted = set(roles)
    admin = Q(is_superuser=True) | Q(is_staff=True)
    q = admin if Role.ADMIN in wanted else Q(pk__in=[])
    for i, role in enumerate(_PRECEDENCE):
        if role not in wanted:
            continue
        wider = [GROUP_NAMES[r] for r in _PRECEDENCE[:i]]
        q |= (
            ~admin
            & Q(pk__in=model.objects.filter(groups__name=GROUP_NAMES[role]).values("pk"))
            & ~Q(pk__in=model.objects.filter(groups__name__in=wider).values("pk"))
        )
    return model.objects.filter(q, is_active=True)


# Joined to every signed-in user as it is loaded (the session backend and the API token):
# "stakeholder" is the register's reverse one-to-one (`Stakeholder.user`), named as a string so
# the kernel imports no app, which `leader_unit_id` reads on every page. Reverse one-to-ones
# join as LEFT OUTER, so users without a preference or register entry load as before.
USER_JOINS = ("preference", "stakeholder")


def leader_unit_id(user: AnyUser) -> int | None:
    """The business unit a leader belongs to, through their active Stakeholder record (or None).

    One query on first use, cached on the user object for the rest of the request."""
    if not user.is_authenticated:
        return None
    if "_brm_unit_id" in user.__dict__:
        cached: int | None = user.__dict__["_brm_unit_id"]
        return cached
    # The register links a login to its person through `Stakeholder.user` (reverse name
    # "stakeholder"); following the relation keeps the kernel free of the register's imports.
    # A missing link raises RelatedObjectDoesNotExist, an AttributeError, so getattr gives None.
    person = getattr(user, "stakeholder", None)
    unit_id = person.unit_id if person is not None and person.active else None
    user.__dict__["_brm_unit_id"] = unit_id  # a per-request cache on the instance, not a field
    return unit_id


def reads_all_units(user: AnyUser) -> bool:
    """IT-side roles read every unit; leaders read only their own."""
    return role_of(user) in {Role.ADMIN, Role.BRM, Role.EXECUTIVE, Role.INTEGRATION}


def writes_all_units(user: AnyUser) -> bool:
    """Administrators and integrations (HR/CRM sync) write everywhere; BRMs only their units."""
    return role_of(user) in {Role.ADMIN, Role.INTEGRATION}


def is_it_side(user: AnyUser) -> bool:
    """IT-side users see BRMs' private notes; business leaders never do."""
    return reads_all_units(user)


def may_write(user: AnyUser) -> bool:
    """Roles that may change relationship records at all (executives are read-only)."""
    return role_of(user) in {Role.ADMIN, Role.BRM, Role.INTEGRATION}


class Editable(Protocol):
    """A unit-scoped record: it answers whether a user may change it."""

    def is_editable_by(self, user: AnyUser) -> bool: ...


def may_change(actor: AnyUser | None, record: Editable) -> bool:
    """Whether `actor` may change a unit-scoped `record` (anything with `is_editable_by`).

    `actor` None is the system itself (a scheduled job, a data migration): it acts on every unit.
    People follow the one object rule: administrators and integrations everywhere, a BRM on the
    units they manage or deputise for, everyone else nowhere.
    """
    return actor is None or record.is_editable_by(actor)


def require(allowed: bool, message: str) -> None:
    """Refuse a role that may not act: raise `ForbiddenAction(message)` (403) unless `allowed`.

    Services call it first, with the answer of the `may_<verb>` function that views, forms and
    templates also ask, so what is offered and what is accepted cannot drift apart.
    """
    if not allowed:
        raise ForbiddenAction(message)


def stored_user(actor: AnyUser | None) -> User | None:
    """The actor as the user a record stores (`created_by`, `logged_by`, ...); None is the system.

    Services call it after their access check, which already refuses an anonymous caller; it
    raises `ForbiddenAction` (403) all the same, so an anonymous user can never be stored.
    """
    if actor is None:
        return None
    if not actor.is_authenticated:
        raise ForbiddenAction(gettext("Sign in first."))
    return actor  # `is_authenticated` is Literal[True] on User, so the type narrows here
