"""The FilterSets shared by the pages, the CSV exports and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import RequestFactory

from stakeholders.filters import ActionItemFilterSet, StakeholderFilterSet
from stakeholders.models import ActionItem, ActionStatus, OwnerSide, RoleType, Stakeholder
from tests.factories import ActionItemFactory, StakeholderFactory


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _people(data, user):
    return StakeholderFilterSet(
        data, queryset=Stakeholder.objects.visible_to(user), request=_request(user)
    )


def _names(filterset) -> set[str]:
    assert filterset.is_valid(), filterset.errors
    return {s.name for s in filterset.qs}


@pytest.fixture
def people(unit_a, unit_b):
    return [
        StakeholderFactory.create(
            unit=unit_a, name="Ann Archer", job_title="Chief Financial Officer", influence=5
        ),
        StakeholderFactory.create(
            unit=unit_a, name="Bob Baker", job_title="Accountant", interest=5
        ),
        StakeholderFactory.create(
            unit=unit_b,
            name="Ann Oakley",
            job_title="Plant manager",
            email="ann.oakley@ops.example",
            role_type=RoleType.SPONSOR,
        ),
    ]


# --- StakeholderFilterSet ---------------------------------------------------------------------


@pytest.mark.usefixtures("people")
class TestStakeholderSearch:
    def test_it_matches_a_word_in_the_name(self, brm):
        assert _names(_people({"search": "ann"}, brm)) == {"Ann Archer", "Ann Oakley"}

    def test_it_is_case_insensitive(self, brm):
        assert _names(_people({"search": "BAKER"}, brm)) == {"Bob Baker"}

    def test_every_word_must_match_somewhere(self, brm):
        # "ann" in the name and "finance" in the unit name: only Ann Archer has both.
        assert _names(_people({"search": "ann finance"}, brm)) == {"Ann Archer"}

    def test_words_match_in_any_order_and_field(self, brm):
        assert _names(_people({"search": "officer  archer"}, brm)) == {"Ann Archer"}

    def test_it_searches_the_email(self, brm):
        assert _names(_people({"search": "ops.example"}, brm)) == {"Ann Oakley"}

    def test_no_match_gives_nothing(self, brm):
        assert _names(_people({"search": "ann accountant"}, brm)) == set()

    def test_a_blank_search_filters_nothing(self, brm, leader, leader_b):
        assert len(_names(_people({"search": "   "}, brm))) == 5  # three plus both leaders


def test_it_filters_by_unit(brm, unit_b, people):
    assert _names(_people({"unit": unit_b.pk}, brm)) == {"Ann Oakley"}


def test_it_filters_by_role_and_scores(brm, people):
    assert _names(_people({"role_type": "sponsor"}, brm)) == {"Ann Oakley"}
    assert _names(_people({"influence_min": 4}, brm)) == {"Ann Archer"}
    assert _names(_people({"influence": 3, "interest": 5}, brm)) == {"Bob Baker"}


def test_a_leader_is_offered_only_their_own_unit(leader, unit_a, unit_b):
    filterset = _people({}, leader)
    assert list(filterset.form.fields["unit"].queryset) == [unit_a]


def test_a_leader_cannot_filter_by_another_units_id(leader, unit_b, people):
    filterset = _people({"unit": unit_b.pk}, leader)
    assert not filterset.is_valid()
    assert "Select a valid choice" in str(filterset.errors["unit"])


def test_a_leader_may_filter_by_their_own_unit(leader, unit_a, people):
    assert _names(_people({"unit": unit_a.pk}, leader)) == {"Ann Archer", "Bob Baker", "Lee Leader"}


def test_an_it_user_may_filter_by_any_unit(executive, unit_b, people):
    assert _names(_people({"unit": unit_b.pk}, executive)) == {"Ann Oakley"}


def test_a_bad_score_is_an_error_not_a_crash(brm, people):
    assert not _people({"influence": "lots"}, brm).is_valid()


# --- ActionItemFilterSet ----------------------------------------------------------------------


def _items(data, user) -> ActionItemFilterSet:
    return ActionItemFilterSet(
        data, queryset=ActionItem.objects.visible_to(user), request=_request(user)
    )


def _titles(filterset) -> set[str]:
    assert filterset.is_valid(), filterset.errors
    return {a.title for a in filterset.qs}


@pytest.fixture
def items(unit_a, unit_b, brm, other_brm, leader):
    leader_record = Stakeholder.objects.get(user=leader)
    with time_machine.travel(datetime(2025, 3, 10, 12, 0, tzinfo=UTC), tick=False):
        yield {
            "late": ActionItemFactory.create(
                unit=unit_a, title="Late roadmap", owner=brm, due_date=date(2025, 3, 1)
            ),
            "due_today": ActionItemFactory.create(
                unit=unit_a, title="Due today", owner=brm, due_date=date(2025, 3, 10)
            ),
            "later": ActionItemFactory.create(
                unit=unit_a,
                title="Key users named",
                owner_side=OwnerSide.BUSINESS,
                owner_stakeholder=leader_record,
                due_date=date(2025, 4, 1),
                description="The business names three key users",
            ),
            "done_late": ActionItemFactory.create(
                unit=unit_b,
                title="Old but done",
                owner=other_brm,
                due_date=date(2025, 1, 1),
                status=ActionStatus.DONE,
                completed_at=datetime(2025, 2, 1, tzinfo=UTC),
            ),
            "dropped": ActionItemFactory.create(
                unit=unit_b,
                title="Dropped idea",
                owner=other_brm,
                due_date=date(2025, 1, 1),
                status=ActionStatus.DROPPED,
            ),
        }


def test_overdue_means_open_and_past_due(brm, items):
    assert _titles(_items({"overdue": "true"}, brm)) == {"Late roadmap"}


def test_not_overdue_is_everything_else(brm, items):
    assert _titles(_items({"overdue": "false"}, brm)) == {
        "Due today",
        "Key users named",
        "Old but done",
        "Dropped idea",
    }


def test_mine_is_what_the_user_delivers(brm, other_brm, items):
    assert _titles(_items({"mine": "true"}, brm)) == {"Late roadmap", "Due today"}
    assert _titles(_items({"mine": "true"}, other_brm)) == {"Old but done", "Dropped idea"}


def test_mine_for_a_leader_is_their_business_commitments(leader, items):
    assert _titles(_items({"mine": "true"}, leader)) == {"Key users named"}


def test_mine_false_filters_nothing(brm, items):
    assert len(_titles(_items({"mine": "false"}, brm))) == 5


def test_mine_without_a_request_filters_nothing(brm, items):
    filterset = ActionItemFilterSet({"mine": "true"}, queryset=ActionItem.objects.all())
    assert len(_titles(filterset)) == 5


def test_it_filters_commitments_by_status_and_side(brm, items):
    assert _titles(_items({"status": "done"}, brm)) == {"Old but done"}
    assert _titles(_items({"owner_side": "business"}, brm)) == {"Key users named"}


def test_it_searches_commitment_descriptions_word_by_word(brm, items):
    assert _titles(_items({"search": "three users"}, brm)) == {"Key users named"}
    assert _titles(_items({"search": "three roadmap"}, brm)) == set()


def test_a_leader_cannot_filter_commitments_by_another_unit(leader, unit_b, items):
    filterset = _items({"unit": unit_b.pk}, leader)
    assert not filterset.is_valid()
    assert "unit" in filterset.errors


def test_a_leader_sees_only_their_units_commitments(leader, items):
    assert _titles(_items({}, leader)) == {"Late roadmap", "Due today", "Key users named"}


def test_it_filters_commitments_by_review_scoped_to_the_caller(rf, leader, unit_a, unit_b):
    from stakeholders.filters import ActionItemFilterSet
    from stakeholders.models import ActionItem
    from tests.factories import ActionItemFactory, ServiceReviewFactory

    mine, theirs = (
        ServiceReviewFactory.create(unit=unit_a),
        ServiceReviewFactory.create(unit=unit_b),
    )
    promised = ActionItemFactory.create(unit=unit_a)
    mine.action_items.add(promised)
    ActionItemFactory.create(unit=unit_a)
    request = rf.get("/")
    request.user = leader
    own = ActionItemFilterSet(
        {"review": mine.pk}, queryset=ActionItem.objects.all(), request=request
    )
    assert list(own.qs) == [promised]
    other = ActionItemFilterSet(
        {"review": theirs.pk}, queryset=ActionItem.objects.visible_to(leader), request=request
    )
    assert list(other.qs) == []  # another unit's review matches nothing the caller can see
