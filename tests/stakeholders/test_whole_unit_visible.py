"""`whole_unit_visible` is the question the unit page's fixed SQL asks instead of each model's
`visible_to` (issue 14: the timeline, its complaints and reviews, the open promises read as SQL
on PostgreSQL). Wherever it says a user sees a unit whole, every model that SQL reads must give
that user every row of the unit through its own `visible_to`; a scope added inside a unit to
one of those querysets (say, confidential complaints) fails here before the SQL skips it."""

from __future__ import annotations

from typing import Any

import pytest

from complaints.models import Complaint, Feedback
from reviews.models import ServiceReview
from stakeholders.models import ActionItem, Handover, Interaction
from stakeholders.selectors import whole_unit_visible
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    FeedbackFactory,
    InteractionFactory,
    ServiceReviewFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["brm", "other_brm", "executive", "admin_user", "integration", "leader", "leader_b"]
MODELS: list[Any] = [Interaction, ActionItem, Handover, ServiceReview, Complaint, Feedback]


@pytest.fixture
def rows(unit_a: Any, unit_b: Any, brm: Any, leader: Any, leader_b: Any) -> None:
    for unit, other in ((unit_a, leader), (unit_b, leader_b)):
        InteractionFactory.create(unit=unit)
        InteractionFactory.create(unit=unit, logged_by=brm)
        ActionItemFactory.create(unit=unit)
        ServiceReviewFactory.create(unit=unit)
        ComplaintFactory.create(unit=unit)
        ComplaintFactory.create(unit=unit, complainant=other)
        FeedbackFactory.create(unit=unit, author=other)
        Handover.objects.create(unit=unit, from_brm=brm, to_brm=brm, note="Over to you")


@pytest.mark.parametrize("who", PERSONAS)
def test_a_unit_seen_whole_gives_every_row_of_every_model_the_page_reads(
    request: Any, rows: None, unit_a: Any, unit_b: Any, who: str
) -> None:
    user = request.getfixturevalue(who)
    seen_whole = 0
    for unit in (unit_a, unit_b):
        if not whole_unit_visible(unit, user):
            continue
        seen_whole += 1
        for model in MODELS:
            everything = set(model.objects.filter(unit=unit).values_list("pk", flat=True))
            visible = model.objects.visible_to(user).filter(unit=unit)
            assert everything, model  # rows to compare
            assert set(visible.values_list("pk", flat=True)) == everything, (model, who)
    # Readers of every unit see both whole, a leader their own only.
    assert seen_whole == (1 if who.startswith("leader") else 2)
