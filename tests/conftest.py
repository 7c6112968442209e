"""Shared fixtures: the personas every permission test uses.

Two units, A and B. `brm` manages A (so only reads B), `leader` belongs to A, `leader_b` to B,
`executive` reads everything and changes nothing, `integration` acts through an API token.

Running the suite at another date. Every test whose result depends on the date or time freezes
its own clock (`time_machine.travel(..., tick=False)`), so the suite must pass on any day. To
prove it, set `BRM_TEST_NOW` to an ISO 8601 date-time and the whole session runs with the clock
moved there (`time_machine.travel(..., tick=True)`: time starts at that instant and keeps
running). A naive value is read in the project's `TIME_ZONE` (settings, UTC unless the
environment sets another), e.g.

    BRM_TEST_NOW=2027-03-28T00:30 TIME_ZONE=Europe/London pytest -m "not browser"

`make test-dates` runs the non-browser suite at a month end, a DST change day, a leap day and a
year end one after the other. Tests that freeze their own clock still see their own instant
(the innermost travel wins). time_machine moves Python's clock only: PostgreSQL's `now()` stays
at the real time, so no code under test may take the date from the database.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import factory.random
import pytest
import time_machine
from celery import signals as celery_signals
from django.conf import settings as django_settings
from django.core.files.storage import FileSystemStorage
from rest_framework.test import APIClient

from brm.core import prebuilt, statements
from brm.core.attachments.models import Attachment
from brm.core.models import ApiToken
from brm.core.roles import Role
from tests.factories import BusinessUnitFactory, StakeholderFactory, UserFactory


def _session_now() -> datetime | None:
    """The instant `BRM_TEST_NOW` names (aware; naive values in settings.TIME_ZONE), or None."""
    raw = os.environ.get("BRM_TEST_NOW", "").strip()
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"BRM_TEST_NOW={raw!r} is not an ISO 8601 date-time") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(django_settings.TIME_ZONE))
    return instant


@pytest.fixture(scope="session", autouse=True)
def session_clock() -> Iterator[datetime | None]:
    """Move the clock to `BRM_TEST_NOW` for the whole session (ticking); no-op when unset."""
    instant = _session_now()
    if instant is None:
        yield None
        return
    with time_machine.travel(instant, tick=True):
        yield instant


@celery_signals.setup_logging.connect
def keep_the_tests_logging(**kwargs: object) -> None:
    """An embedded Celery worker (`start_worker` in the worker tests) configured logging twice
    when it started: Celery's own setup (unless something answers this signal, as this does) and
    its Django fixup's `django.setup()`, which applies `LOGGING` again (see below).
    Each emptied the root logger's handlers, pytest's capture among them, so a warning a test
    checks for could be lost depending on what ran before (tests/ops/test_embedded_worker_logging).
    """


# `LOGGING` was applied when Django started (before this module is imported); a later
# `django.setup()` (an embedded Celery worker's) leaves logging as it is instead of replacing the
# root logger's handlers.
django_settings.LOGGING_CONFIG = None


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = _session_now()
    return f"BRM_TEST_NOW: clock moved to {instant.isoformat()}" if instant else None


@pytest.fixture(scope="session", autouse=True)
def attachment_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileSystemStorage]:
    """Files attached in tests go to a temporary folder, never var/attachments."""
    field = Attachment._meta.get_field("file")
    kept = field.storage
    field.storage = FileSystemStorage(location=tmp_path_factory.mktemp("attachments"))
    yield field.storage
    field.storage = kept


@pytest.fixture(scope="session", autouse=True)
def verified_statements() -> Iterator[None]:
    """Every query `brm.core.statements` replays is also built through the ORM and compared
    (SQL and parameters): the whole suite proves each statement's key holds what it depends on."""
    kept = django_settings.BRM_VERIFY_STATEMENTS
    django_settings.BRM_VERIFY_STATEMENTS = True
    yield
    django_settings.BRM_VERIFY_STATEMENTS = kept


@pytest.fixture
def nothing_kept() -> Iterator[None]:
    """The test starts, and leaves, as a new web process would: no compiled statement
    (`brm.core.statements`) and no prebuilt queryset (`brm.core.prebuilt`) kept. For tests that
    count what is learned or built on first use."""
    statements.forget()
    prebuilt.forget()
    yield
    statements.forget()
    prebuilt.forget()


@pytest.fixture(autouse=True)
def seeded_factories(request: pytest.FixtureRequest) -> None:
    """Seed factory_boy and Faker from the test's id: its generated data is the same every run.

    Faker names and job titles are random; unseeded, a search test could match a generated
    "Financial adviser" on one run in hundreds (seen on CI). Seeded per test, a test's data no
    longer depends on the order tests run in or on which xdist worker runs it.
    """
    factory.random.reseed_random(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Every persona gets a password from its factory; PBKDF2 costs ~0.3 s per user, MD5 nothing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def mfa_not_required(settings):
    # Tests sign in with force_login, as administrators too; the MFA requirement
    # (BRM_MFA_REQUIRED_ROLES, "admin" by default) is tested in tests/accounts, which turn it on.
    settings.BRM_MFA_REQUIRED_ROLES = []


@pytest.fixture
def admin_user(db):
    return UserFactory.create(username="admin", role=Role.ADMIN)


@pytest.fixture
def brm(db):
    return UserFactory.create(username="brm", first_name="Bianca", last_name="Reyes", role=Role.BRM)


@pytest.fixture
def other_brm(db):
    return UserFactory.create(username="otherbrm", role=Role.BRM)


@pytest.fixture
def executive(db):
    return UserFactory.create(username="cio", role=Role.EXECUTIVE)


@pytest.fixture
def integration(db):
    return UserFactory.create(username="integration", role=Role.INTEGRATION)


@pytest.fixture
def no_role_user(db):
    return UserFactory.create(username="norole")


@pytest.fixture
def unit_a(brm):
    return BusinessUnitFactory.create(name="Finance", code="fin", brm=brm)


@pytest.fixture
def unit_b(other_brm):
    return BusinessUnitFactory.create(name="Operations", code="ops", brm=other_brm)


@pytest.fixture
def leader(unit_a):
    user = UserFactory.create(username="leader", role=Role.LEADER)
    StakeholderFactory.create(unit=unit_a, user=user, name="Lee Leader", influence=5, interest=5)
    return user


@pytest.fixture
def leader_b(unit_b):
    user = UserFactory.create(username="leaderb", role=Role.LEADER)
    StakeholderFactory.create(unit=unit_b, user=user, name="Bea Leader", influence=5, interest=4)
    return user


@pytest.fixture
def api():
    return APIClient()


def token_client(user) -> APIClient:
    """An API client authenticated with a real bearer token for `user`."""
    _, raw = ApiToken.issue(user, "test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def as_user():
    """`as_user(user)` -> an API client logged in as that user (token auth)."""
    return token_client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules marked `slow` run first. Under `--dist loadfile` a module is one worker's; with
    `--no-loadscope-reorder` (pytest's addopts in pyproject.toml) modules are handed out in
    collection order. xdist's default hands out the modules with most tests first, so the longest
    ones, which have few tests (migrations, the embedded run, the crawl), came last and one
    worker spent the suite's last minutes on them while the other was idle. The sort is stable:
    each module keeps its own order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
