"""Files on service reviews (minutes, performance packs): which reviews a user may see (the
review page's own scope, `visible_to`) and who may add files (`permissions.may_attach_to_review`:
who may change the review)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brm.core.attachments.services import AttachmentTarget
from reviews import permissions
from reviews.models import ServiceReview

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from brm.core.roles import AnyUser


def reviews_for_files(user: AnyUser) -> QuerySet[ServiceReview]:
    """The reviews `user` may see, with the unit the permission rule reads (one query)."""
    return ServiceReview.objects.visible_to(user).select_related("unit")


def _back(review: ServiceReview) -> str:
    return review.get_absolute_url()


REVIEW_FILES = AttachmentTarget(
    namespace="reviews",
    name="review",
    records=reviews_for_files,
    may_attach=permissions.may_attach_to_review,
    noun="review",
    back=_back,
)
