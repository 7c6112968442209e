"""Read-side querysets built once per process for everyone who reads every unit (issue 14).

Building a list's queryset is Python work the database never sees: each `annotate` with a
correlated subquery resolves its expressions against the model's fields again. The register's
queryset (its last meeting per person) took 0.7 ms to build, each unit's newest health snapshot
(the dashboard and the health API) 0.7 ms and the health API's rows 0.4 ms more, the complaints
0.3 ms, on every request, before any SQL was written: about 7 % of the stakeholder API list's
whole server time. A clone of a queryset already built costs 0.01 ms.

So `Prebuilt(build)` builds `build(user)` once for the first reader who reads every unit and
hands each later one a clone (`QuerySet.all()`, the pattern of DRF's
`GenericAPIView.get_queryset` and Django's generic views with a class's `queryset`): each
caller filters, orders and evaluates its own clone, never the kept one. Anyone else (a
business leader's one unit, a user with no role) gets `build(user)` built for the call.

The rule that makes this safe, and which every `build` must keep: for users who read every
unit (`brm.core.roles.reads_all_units`), `build(user)` is the same queryset whoever they are.
It reads the user only through `visible_to(user)` (every row for them), never their name, own
units or language; never the clock (a date baked in at the first build would be wrong the next
day); and never a setting or a settings row (`SingletonSettings`, such as a health cut-off: an
edited setting must count on the next request in every worker). tests/core/test_prebuilt.py
builds every `Prebuilt` afresh for each such role, on two days, in two time zones and two
languages, and compares its SQL with the kept one's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from brm.core.roles import reads_all_units

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

# Every Prebuilt made (at import, as module constants): what the test checks.
ALL: list[Prebuilt[Any]] = []


class Prebuilt[Q: QuerySet[Any]]:
    """`build(user)` (a queryset of any class), built once per process for users who read
    every unit and cloned for each of them; built per call for anyone else.

    A decorator on a module-level selector (`@Prebuilt def stakeholder_list(user): ...`), which
    keeps its name and docstring: calling it with a user returns a queryset of `build`'s class,
    never evaluated, the caller's own to filter and evaluate. Raises whatever `build` raises.
    Each remembers one queryset for the process's life."""

    def __init__(self, build: Callable[[AnyUser], Q]) -> None:
        self.build = build
        functools.update_wrapper(self, build)
        self._base: Q | None = None
        ALL.append(self)

    def __call__(self, user: AnyUser) -> Q:
        if not reads_all_units(user):
            return self.build(user)
        base = self._base
        if base is None:
            # Two threads may both build it the first time: the same queryset, one is kept.
            base = self._base = self.build(user)
        return base.all()  # all() keeps the queryset's class


def forget() -> None:
    """Drop every kept queryset (as `brm.core.statements.forget` drops the compiled statements):
    the next reader who reads every unit builds each again, as in a new process."""
    for each in ALL:
        each._base = None
