"""Files on demands (business case documents): which demands a user may see (the demand page's
own scope, `visible_to`) and who may add files (`workflow.may_attach_to_demand`: its handlers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.attachments.services import AttachmentTarget
from portfolio.models import Demand
from portfolio.services import workflow

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from brm.core.roles import AnyUser


def demands_for_files(user: AnyUser) -> QuerySet[Demand]:
    """The demands `user` may see, with the unit the permission rule reads (one query)."""
    return Demand.objects.visible_to(user).select_related("unit")


def _back(demand: Demand) -> str:
    return demand.get_absolute_url()


DEMAND_FILES = AttachmentTarget(
    namespace="demands",
    name="demand",
    records=demands_for_files,
    may_attach=workflow.may_attach_to_demand,
    noun="demand",
    back=_back,
)
