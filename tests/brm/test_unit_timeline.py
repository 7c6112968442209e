"""The unit timeline (brm.health.unit_page.unit_timeline): the newest entries across every app's
sources, picked in one query, then only those rows loaded (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brm.core.roles import role_of
from brm.health.unit_page import unit_timeline
from complaints.models import Complaint, Feedback
from reviews.models import ReviewStatus
from stakeholders.models import ActionStatus, Handover
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    FeedbackFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

KINDS = ["interaction", "complaint", "compliment", "review", "commitment_done", "handover"]


def _history(unit, brm, other_brm, hours_ago: int) -> None:
    """One entry of each kind, an hour apart in the order of KINDS, starting `hours_ago`."""
    now = timezone.now()
    at = [now - timedelta(hours=hours_ago + n) for n in range(len(KINDS))]
    person = StakeholderFactory.create(unit=unit)
    meeting = InteractionFactory.create(unit=unit, occurred_at=at[0])
    meeting.attendees.add(person)
    meeting.it_participants.add(brm)
    ActionItemFactory.create(unit=unit, owner=brm, interaction=meeting)
    complaint = ComplaintFactory.create(unit=unit)
    Complaint.objects.filter(pk=complaint.pk).update(created_at=at[1])
    compliment = FeedbackFactory.create(unit=unit, author=brm)
    Feedback.objects.filter(pk=compliment.pk).update(created_at=at[2])
    ServiceReviewFactory.create(
        unit=unit, status=ReviewStatus.HELD, scheduled_at=at[3], held_at=at[3]
    )
    ActionItemFactory.create(unit=unit, status=ActionStatus.DONE, completed_at=at[4])
    handover = Handover.objects.create(unit=unit, from_brm=other_brm, to_brm=brm)
    Handover.objects.filter(pk=handover.pk).update(created_at=at[5])


def test_it_merges_every_source_newest_first_and_pages_on(unit_a, brm, other_brm):
    _history(unit_a, brm, other_brm, hours_ago=1)

    first, cursor = unit_timeline(unit_a, brm, limit=4)
    rest, last_cursor = unit_timeline(unit_a, brm, before=cursor, limit=4)

    assert [e.kind for e in first] == KINDS[:4]
    assert cursor == first[-1].at
    assert [e.kind for e in rest] == KINDS[4:]
    assert last_cursor is None
    assert [a.title for a in first[0].obj.promises_made] == [
        a.title for a in first[0].obj.action_items.all()
    ]


@pytest.mark.parametrize("rounds", [1, 8])
def test_it_loads_only_the_page_whatever_the_history(
    unit_a, brm, other_brm, rounds, django_assert_num_queries
):
    for n in range(rounds):
        _history(unit_a, brm, other_brm, hours_ago=1 + 10 * n)
    role_of(brm)  # the user's role is read once per request, before the page (not counted here)
    # Every kind on the page (the worst case): 1 the newest 21 keys across the six sources (one
    # UNION ALL), 2 the promises made at the meetings shown and the promises kept, 3 meetings,
    # 4 their attendees, 5 their IT participants, 6 handovers, 7 held reviews, 8 complaints,
    # 9 compliments; the same with 6 or 48 entries in the history.
    with django_assert_num_queries(9):
        entries, _ = unit_timeline(unit_a, brm, limit=20)
    assert len(entries) == min(6 * rounds, 20)
