"""The signed-in user comes with their role (issue 14): the session backend loads it in the
user's one query (brm.core.roles.with_role), so no page asks for the user's groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from brm.core.authentication import PreferenceModelBackend
from brm.core.roles import GROUP_NAMES, Role, role_of
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "persona", ["admin_user", "brm", "executive", "integration", "leader", "no_role_user"]
)
def test_the_signed_in_user_comes_with_their_role_in_one_query(
    request, django_assert_num_queries, persona
):
    user = request.getfixturevalue(persona)
    expected = role_of(User.objects.get(pk=user.pk))  # the groups read the usual way
    with django_assert_num_queries(1):  # the user, their preference, register entry and role
        loaded = PreferenceModelBackend().get_user(user.pk)
        assert role_of(loaded) == expected


def test_the_widest_role_wins_as_in_python(db, django_assert_num_queries):
    user = UserFactory.create(username="both", role=Role.LEADER)
    user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[Role.BRM])[0])
    user.groups.add(Group.objects.get_or_create(name="Not a role")[0])
    with django_assert_num_queries(1):
        assert role_of(PreferenceModelBackend().get_user(user.pk)) == Role.BRM


def test_the_role_is_read_again_when_its_cache_is_dropped(db, brm, django_assert_num_queries):
    user = PreferenceModelBackend().get_user(brm.pk)
    user.groups.clear()
    user.__dict__.pop("_brm_role", None)  # what brm.accounts.claims does after changing groups
    with django_assert_num_queries(1):
        assert role_of(user) == Role.NONE
