"""Fixtures for the complaint tests: a complaint filed by `leader` in unit A, and its parties."""

from __future__ import annotations

import pytest

from brm.core.roles import Role
from complaints import services
from complaints.models import Complaint
from tests.factories import StakeholderFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def deputy(unit_a):
    user = UserFactory.create(username="deputy", role=Role.BRM)
    unit_a.deputy = user
    unit_a.save()
    return user


@pytest.fixture
def colleague(unit_a):
    """Another leader of unit A: sees the unit's complaints but did not raise this one."""
    user = UserFactory.create(username="colleague", role=Role.LEADER)
    StakeholderFactory.create(unit=unit_a, user=user, name="Cole League")
    return user


@pytest.fixture
def file(leader, unit_a):
    """`file(severity=..., **fields)` -> a complaint raised by `leader` through the service."""

    def _file(severity: str = "medium", actor=None, unit=None, **fields) -> Complaint:
        data = services.ComplaintInput(
            unit=unit or unit_a,
            title=fields.pop("title", "Month-end reports are late"),
            description=fields.pop("description", "Third month running the reports came late."),
            severity=severity,
            **fields,
        )
        return services.file_complaint(data, actor=actor or leader)

    return _file


@pytest.fixture
def complaint(file):
    return file()
