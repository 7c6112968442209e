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
    # UNION ALL), 2 the promises made at the meetings shown and the promises kept, 3 meetings
    # with their attendees and IT participants (folded in as JSON), 4 handovers, 5 held reviews,
    # 6 complaints, 7 compliments; the same with 6 or 48 entries in the history. Was 9.
    with django_assert_num_queries(7):
        entries, _ = unit_timeline(unit_a, brm, limit=20)
    assert len(entries) == min(6 * rounds, 20)


# The unit page, its timeline refresh and its on-demand parts: a fixed number of queries for
# every role, the same with one entry of each kind as with eight (issue 14: at most 12).
UNIT_PAGE_QUERIES = {
    # 1 session, 2 user (their role and a leader's unit come with it: USER_JOINS, with_role),
    # the unit with its figures, health badge and key people (one query), the timeline (7, as
    # above), open promises; an admin also gets the reassign form's choice of BRMs.
    "brm": 11,
    "deputy": 11,
    "executive": 11,
    "leader": 11,
    "admin_user": 12,
}


@pytest.fixture
def deputy(unit_a, other_brm):
    unit_a.deputy = other_brm
    unit_a.save()
    return other_brm


@pytest.mark.parametrize("rounds", [1, 8])
@pytest.mark.parametrize("role", sorted(UNIT_PAGE_QUERIES))
def test_the_unit_page_runs_a_fixed_number_of_queries_for_every_role(
    request,
    client,
    unit_a,
    brm,
    other_brm,
    leader,
    deputy,
    rounds,
    role,
    django_assert_num_queries,
):
    for n in range(rounds):
        _history(unit_a, brm, other_brm, hours_ago=1 + 10 * n)
    client.force_login(request.getfixturevalue(role))
    with django_assert_num_queries(UNIT_PAGE_QUERIES[role]):
        response = client.get(f"/units/{unit_a.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="timeline-item') == min(6 * rounds, 20)


@pytest.mark.parametrize("rounds", [1, 8])
def test_the_timeline_refresh_runs_a_fixed_number_of_queries(
    client, unit_a, brm, other_brm, rounds, django_assert_num_queries
):
    for n in range(rounds):
        _history(unit_a, brm, other_brm, hours_ago=1 + 10 * n)
    client.force_login(brm)
    # 1 session, 2 user with their role, 3 the unit with its figures (sent out of band), the
    # timeline (7, as above).
    with django_assert_num_queries(10):
        client.get(f"/units/{unit_a.pk}/timeline/", HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("rounds", [1, 8])
def test_the_change_history_runs_a_fixed_number_of_queries(
    client, unit_a, brm, other_brm, rounds, django_assert_num_queries
):
    for n in range(rounds):
        unit_a.deputy = other_brm if n % 2 else None
        unit_a.save()
    client.force_login(brm)
    # 1 session, 2 user with their role, 3 the unit, 4 its latest changes, 5 the people they
    # name.
    with django_assert_num_queries(5):
        response = client.get(f"/units/{unit_a.pk}/history/", HTTP_HX_REQUEST="true")
    assert "Change history" in response.content.decode()
