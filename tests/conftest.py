"""Shared fixtures: the personas every permission test uses.

Two units, A and B. `brm` manages A (so only reads B), `leader` belongs to A, `leader_b` to B,
`executive` reads everything and changes nothing, `integration` acts through an API token.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from brm.core.models import ApiToken
from brm.core.roles import Role
from tests.factories import BusinessUnitFactory, StakeholderFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):  # type: ignore[no-untyped-def]
    # Every persona gets a password from its factory; PBKDF2 costs ~0.3 s per user, MD5 nothing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def brm(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="brm", first_name="Bianca", last_name="Reyes", role=Role.BRM)


@pytest.fixture
def other_brm(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="otherbrm", role=Role.BRM)


@pytest.fixture
def executive(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="cio", role=Role.EXECUTIVE)


@pytest.fixture
def integration(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="integration", role=Role.INTEGRATION)


@pytest.fixture
def no_role_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="norole")


@pytest.fixture
def unit_a(brm):  # type: ignore[no-untyped-def]
    return BusinessUnitFactory(name="Finance", code="fin", brm=brm)


@pytest.fixture
def unit_b(other_brm):  # type: ignore[no-untyped-def]
    return BusinessUnitFactory(name="Operations", code="ops", brm=other_brm)


@pytest.fixture
def leader(unit_a):  # type: ignore[no-untyped-def]
    user = UserFactory(username="leader", role=Role.LEADER)
    StakeholderFactory(unit=unit_a, user=user, name="Lee Leader", influence=5, interest=5)
    return user


@pytest.fixture
def leader_b(unit_b):  # type: ignore[no-untyped-def]
    user = UserFactory(username="leaderb", role=Role.LEADER)
    StakeholderFactory(unit=unit_b, user=user, name="Bea Leader", influence=5, interest=4)
    return user


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    return APIClient()


def token_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client authenticated with a real bearer token for `user`."""
    _, raw = ApiToken.issue(user, "test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def as_user():  # type: ignore[no-untyped-def]
    """`as_user(user)` -> an API client logged in as that user (token auth)."""
    return token_client
