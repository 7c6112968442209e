"""Files on demands (business case documents): which demands a user may see (the demand page's
own scope, `visible_to`, with the unit the permission rule reads) and who may add files
(`workflow.may_attach_to_demand`: its handlers).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from brm.core.attachments.services import attachment_target
from portfolio.models import Demand
from portfolio.services import workflow

DEMAND_FILES = attachment_target(
    namespace="demands",
    name="demand",
    noun=gettext_noop("demand"),
    scope=Demand.objects.visible_to,
    select_related=("unit",),
    may_attach=workflow.may_attach_to_demand,
)
