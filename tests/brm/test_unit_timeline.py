"""The unit timeline (brm.health.unit_page.unit_timeline): the newest entries across every app's
sources, picked in one query, then only those rows loaded (issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from brm.core.roles import role_of
from brm.health.unit_page import _fixed_timeline, _orm_timeline, unit_timeline
from complaints.models import Complaint, Feedback
from reviews.models import ReviewStatus
from stakeholders import selectors as register_selectors
from stakeholders.models import ActionStatus, Handover
from tests.brm.test_unit_page_rows import _history as rich_history
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    FeedbackFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

TIMELINE_TAG = Template("{% load unit_page_rows %}{% timeline_rows entries %}")
PROMISES_TAG = Template("{% load unit_page_rows %}{% open_promise_rows open_commitments %}")
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
    before = timezone.now() + timedelta(days=1)
    # The ORM path, every kind on the page (the worst case): 1 the newest 21 keys across the six
    # sources (one UNION ALL), 2 the promises made at the meetings shown and the promises kept,
    # 3 meetings with their attendees and IT participants (folded in as JSON), 4 handovers, 5
    # held reviews, 6 complaints, 7 compliments; the same with 6 or 48 entries in the history.
    # Was 9.
    with django_assert_num_queries(7):
        entries, _ = _orm_timeline(unit_a, brm, before=before, limit=20)
    assert len(entries) == min(6 * rounds, 20)
    # What the page runs on PostgreSQL: the keys and the rows shown in one statement of fixed SQL.
    with django_assert_num_queries(1):
        entries, _ = unit_timeline(unit_a, brm, limit=20)
    assert len(entries) == min(6 * rounds, 20)


# The unit page, its timeline refresh and its on-demand parts: a fixed number of queries for
# every role, the same with one entry of each kind as with eight (issue 14: at most 12).
UNIT_PAGE_QUERIES = {
    # 1 session, 2 user (their role and a leader's unit come with it: USER_JOINS, with_role),
    # 3 the unit with its figures, health badge, key people and first open promises (one query
    # of fixed SQL annotations), 4 the timeline (one statement of fixed SQL, as above); an admin
    # also gets the reassign form's choice of BRMs. Issue 14: was 11 (12).
    "brm": 4,
    "deputy": 4,
    "executive": 4,
    "leader": 4,
    "admin_user": 5,
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
    # 1 session, 2 user with their role, 3 the unit with its figures (sent out of band), 4 the
    # timeline (one statement, as above). Was 10.
    with django_assert_num_queries(4):
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


def _rendered(entries, sees_analysis: bool) -> str:
    context = {"entries": entries, "sees_analysis": sees_analysis, "can_edit": True}
    return TIMELINE_TAG.render(Context(context))


@pytest.mark.parametrize("role", ["brm", "executive", "leader"])
def test_the_fixed_sql_gives_what_the_orm_path_gives(request, unit_a, brm, other_brm, role):
    # Every kind and variant (tests/brm/test_unit_page_rows.py), twice over, paged by 7.
    rich_history(unit_a, brm, other_brm)
    rich_history(unit_a, brm, other_brm)
    user = request.getfixturevalue(role)
    before: datetime | None = timezone.now() + timedelta(days=1)
    pages = 0
    while before is not None:
        fixed = _fixed_timeline(unit_a, user, before=before, limit=7)
        assert fixed is not None
        orm = _orm_timeline(unit_a, user, before=before, limit=7)
        assert [(e.at, e.kind, e.obj.pk) for e in fixed[0]] == [
            (e.at, e.kind, e.obj.pk) for e in orm[0]
        ]
        assert fixed[1] == orm[1]
        for language in ("en-gb", "es"):
            with translation.override(language):
                for sees_analysis in (True, False):
                    assert _rendered(fixed[0], sees_analysis) == _rendered(orm[0], sees_analysis)
        before, pages = fixed[1], pages + 1
    assert pages == 4  # 26 entries


def test_a_leader_never_gets_private_notes_from_the_fixed_sql(unit_a, brm, leader):
    InteractionFactory.create(unit=unit_a, notes="Private: budget cut coming")
    entries, _ = unit_timeline(unit_a, leader)
    assert [e.obj.notes for e in entries] == [""]
    entries, _ = unit_timeline(unit_a, brm)
    assert [e.obj.notes for e in entries] == ["Private: budget cut coming"]


def test_the_fixed_sql_is_only_for_a_scope_that_cuts_nothing_in_the_unit(unit_a, unit_b, leader):
    # A leader reads only their own unit: on another unit's, each app's scope would cut (the
    # page answers 404 before; the ORM path keeps the rule if it is ever called).
    before = timezone.now()
    assert _fixed_timeline(unit_a, leader, before=before, limit=20) is not None
    assert _fixed_timeline(unit_b, leader, before=before, limit=20) is None


@pytest.mark.parametrize("role", ["brm", "executive", "leader"])
def test_the_unit_page_query_gives_the_register_figures_people_and_promises(
    request, unit_a, brm, other_brm, role
):
    rich_history(unit_a, brm, other_brm)
    for n in range(12):  # more open promises than the panel shows, some sharing a due date
        ActionItemFactory.create(
            unit=unit_a, owner=brm, due_date=timezone.localdate() + timedelta(days=n // 3 - 2)
        )
    user = request.getfixturevalue(role)
    page_unit = register_selectors.unit_page_queryset(user).get(pk=unit_a.pk)
    listed = register_selectors.with_key_people(register_selectors.unit_list(user)).get(
        pk=unit_a.pk
    )
    for figure in ("stakeholder_count", "open_commitments", "overdue_commitments"):
        assert getattr(page_unit, figure) == getattr(listed, figure), figure
    assert page_unit.last_contact_at == listed.last_contact_at  # type: ignore[attr-defined]
    assert register_selectors.key_people(page_unit) == register_selectors.key_people(listed)
    shown = register_selectors.unit_open_promises(user, page_unit)
    # `open_promises`' order (soonest due), ties broken by age, which the ORM left to chance.
    expected = sorted(
        register_selectors.open_promises(user, unit_a, limit=100),
        key=lambda a: (a.due_date, a.pk),
    )[:10]
    assert [a.pk for a in shown] == [a.pk for a in expected]
    assert PROMISES_TAG.render(Context({"open_commitments": shown})) == PROMISES_TAG.render(
        Context({"open_commitments": expected})
    )


def test_a_leader_sees_no_other_unit_through_the_unit_page_query(unit_a, unit_b, leader):
    assert list(register_selectors.unit_page_queryset(leader)) == [unit_a]
