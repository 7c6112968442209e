"""Files on complaints: which complaints a user may see (the complaint page's own scope) and who
may add files (`permissions.may_attach_file`: the complainant and IT)."""

from __future__ import annotations

from brm.core.attachments.services import AttachmentTarget
from complaints import permissions, selectors
from complaints.models import Complaint


def _back(complaint: Complaint) -> str:
    return complaint.get_absolute_url()


COMPLAINT_FILES = AttachmentTarget(
    namespace="complaints",
    name="complaint",
    records=selectors.complaint_list,
    may_attach=permissions.may_attach_file,
    noun="complaint",
    back=_back,
)
