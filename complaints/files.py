"""Files on complaints: which complaints a user may see (the complaint page's own scope) and who
may add files (`permissions.may_attach_file`: the complainant and IT)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from brm.core.attachments.services import attachment_target
from complaints import permissions, selectors

COMPLAINT_FILES = attachment_target(
    namespace="complaints",
    name="complaint",
    noun=gettext_noop("complaint"),
    scope=selectors.complaint_list,
    may_attach=permissions.may_attach_file,
)
