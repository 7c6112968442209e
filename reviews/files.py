"""Files on service reviews (minutes, performance packs): which reviews a user may see (the
review page's own scope, `visible_to`, with the unit the permission rule reads) and who may add
files (`permissions.may_attach_to_review`: who may change the review)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from brm.core.attachments.services import attachment_target
from reviews import permissions
from reviews.models import ServiceReview

REVIEW_FILES = attachment_target(
    namespace="reviews",
    name="review",
    noun=gettext_noop("review"),
    scope=ServiceReview.objects.visible_to,
    select_related=("unit",),
    may_attach=permissions.may_attach_to_review,
)
