"""Files on logged meetings: which meetings a user may see (the timeline's and the API's scope)
and who may add files (`permissions.may_attach_to_meeting`: who may log meetings with the unit).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_noop

from brm.core.attachments.services import attachment_target
from stakeholders import permissions, selectors
from stakeholders.models import Interaction


def _back(interaction: Interaction) -> str:
    # A meeting has no page of its own: it lives on its unit's timeline.
    return reverse("stakeholders:unit_detail", args=[interaction.unit_id]) + "#timeline"


MEETING_FILES = attachment_target(
    namespace="stakeholders",
    name="interaction",
    noun=gettext_noop("meeting"),
    scope=selectors.interaction_list,
    may_attach=permissions.may_attach_to_meeting,
    back=_back,
)
