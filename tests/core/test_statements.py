"""Queries compiled once and replayed with new values (issue 14, brm.core.statements).

What must hold: a replayed query answers exactly as the ORM would at that moment (values moved,
values derived by an offset, converted columns, empty sets); a query whose shape depends on its
values is never replayed; a key that misses what the SQL depends on is caught under the tests'
verification; and a reader whose scope is in the SQL (a leader) is never served a replay.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brm.core import statements
from brm.health.dashboard import build_dashboard, heat_map
from brm.health.selectors import plans_needing_help
from complaints.models import Complaint
from stakeholders.models import ActionItem
from stakeholders.selectors import promise_counts
from tests.factories import ActionItemFactory, ComplaintFactory

# Every test here counts what is learned from nothing.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("nothing_kept")]

UTC = ZoneInfo("UTC")


@pytest.fixture
def replay_only(settings: Any) -> None:
    # Without the suite's verification, so a call that replays builds nothing: what is measured
    # is the replay itself.
    settings.BRM_VERIFY_STATEMENTS = False


class Builder:
    """A query builder that counts how often it is asked to build."""

    def __init__(self, build: Any) -> None:
        self.build, self.calls = build, 0

    def __call__(self, **values: Any) -> Any:
        self.calls += 1
        return self.build(**values)


def _filed(unit: Any, at: datetime, severity: str = "medium", **fields: Any) -> Complaint:
    complaint = ComplaintFactory.create(unit=unit, severity=severity, **fields)
    Complaint.objects.filter(pk=complaint.pk).update(created_at=at)
    return complaint


def _per_month(now: datetime, since: datetime) -> QuerySet[Any, Any]:
    # A week's grace derived inside the builder: an offset of `now` the statement must follow.
    return (
        Complaint.objects.filter(created_at__gte=since, created_at__lt=now - timedelta(days=7))
        .annotate(month=TruncMonth("created_at"))
        .order_by("severity", "month")
        .values("severity", "month")
        .annotate(n=Count("id"))
    )


def test_a_replay_answers_as_the_orm_would_at_each_moment_and_builds_nothing(
    replay_only: None, unit_a: Any
) -> None:
    for day, severity in ((2, "low"), (20, "high"), (40, "medium"), (75, "high")):
        _filed(unit_a, datetime(2026, 9, 1, 9, tzinfo=UTC) + timedelta(days=day), severity)
    builder = Builder(_per_month)
    moments = [datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=d) for d in (0, 13, 29, 50)]
    for now in moments:
        since = now - timedelta(days=60)
        with CaptureQueriesContext(connection) as queries:
            replayed = statements.rows("test.per_month", builder, now=now, since=since)
        assert replayed == list(_per_month(now=now, since=since))
        assert len(queries) == 1
    # Built three times to learn (the values as given, then moved twice), never again.
    assert builder.calls == 3
    # The rows differ from moment to moment: the values are not frozen into the statement.
    first, last = moments[0], moments[-1]
    assert statements.rows(
        "test.per_month", builder, now=first, since=first - timedelta(days=60)
    ) != statements.rows("test.per_month", builder, now=last, since=last - timedelta(days=60))


def test_values_derived_by_an_offset_follow_their_value(replay_only: None, unit_a: Any) -> None:
    early = _filed(unit_a, datetime(2026, 10, 1, 9, tzinfo=UTC))
    late = _filed(unit_a, datetime(2026, 10, 20, 9, tzinfo=UTC))

    def week_before(now: datetime) -> QuerySet[Any, Any]:
        return Complaint.objects.filter(created_at__lt=now - timedelta(days=7)).values("pk")

    first = statements.rows("test.week_before", week_before, now=datetime(2026, 10, 12, tzinfo=UTC))
    after = statements.rows("test.week_before", week_before, now=datetime(2026, 10, 30, tzinfo=UTC))
    assert [r["pk"] for r in first] == [early.pk]
    assert sorted(r["pk"] for r in after) == sorted([early.pk, late.pk])


def test_a_value_rounded_inside_the_builder_is_never_replayed(settings: Any, unit_a: Any) -> None:
    _filed(unit_a, datetime(2026, 10, 3, tzinfo=UTC))

    def this_month(today: date) -> QuerySet[Any, Any]:
        # The first of the month is not a fixed offset of `today`: replaying it would be wrong
        # from the next month on.
        return Complaint.objects.filter(created_at__date__gte=today.replace(day=1)).values("pk")

    settings.BRM_VERIFY_STATEMENTS = False
    builder = Builder(this_month)
    for today in (date(2026, 10, 5), date(2026, 11, 5), date(2026, 10, 31)):
        assert statements.rows("test.month", builder, today=today) == list(this_month(today))
    assert builder.calls == 3 + 2  # learned (three builds), then built each time: never replayed
    statements.forget()
    settings.BRM_VERIFY_STATEMENTS = True
    with pytest.raises(statements.StatementMismatch, match="depends on its values"):
        statements.rows("test.month", this_month, today=date(2026, 10, 5))


@pytest.mark.parametrize(
    "derive",
    [
        # Each is not a fixed offset of its value, though a single move could take it for one.
        pytest.param(lambda now, since: now.replace(microsecond=0), id="whole seconds"),
        pytest.param(
            lambda now, since: now.astimezone(ZoneInfo("Europe/London")) - timedelta(days=7),
            id="local wall-clock week (summer time)",
        ),
        pytest.param(lambda now, since: max(since, now - timedelta(days=365)), id="max"),
        pytest.param(
            lambda now, since: datetime.combine(
                (now - timedelta(days=now.weekday())).date(), now.timetz()
            ),
            id="start of its week",
        ),
    ],
)
def test_a_value_derived_by_more_than_an_offset_is_never_replayed(
    settings: Any, unit_a: Any, derive: Any
) -> None:
    def since_derived(now: datetime, since: datetime) -> QuerySet[Any, Any]:
        return Complaint.objects.filter(created_at__gte=derive(now, since)).values("pk")

    # `since` after `now - 365 days`, so `max` picks `since` as given.
    now, since = (
        datetime(2026, 11, 30, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    with pytest.raises(statements.StatementMismatch, match="depends on its values"):
        statements.rows("test.derived", since_derived, now=now, since=since)
    statements.forget()
    settings.BRM_VERIFY_STATEMENTS = False
    builder = Builder(since_derived)
    for moment in (now, datetime(2027, 3, 29, 8, tzinfo=UTC), datetime(2027, 7, 4, tzinfo=UTC)):
        replayed = statements.rows("test.derived", builder, now=moment, since=since)
        assert replayed == list(since_derived(moment, since))
    assert builder.calls == 3 + 2  # learned (three builds), then built each time


def test_text_changed_inside_the_builder_is_never_replayed(unit_a: Any) -> None:
    def by_severity(severity: str) -> QuerySet[Any, Any]:
        return Complaint.objects.filter(severity=severity.lower()).values("pk")

    with pytest.raises(statements.StatementMismatch, match="depends on its values"):
        statements.rows("test.lower", by_severity, severity="high")


def test_columns_keep_the_order_values_named_them_in(replay_only: None, unit_a: Any) -> None:
    _filed(unit_a, datetime(2026, 10, 3, tzinfo=UTC), "high")

    def month_first(since: datetime) -> QuerySet[Any, Any]:
        return (
            Complaint.objects.filter(created_at__gte=since)
            .annotate(month=TruncMonth("created_at"))
            .order_by()
            .values("month", "severity")
            .annotate(n=Count("id"))
        )

    since = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(2):  # learned, then replayed
        assert statements.rows("test.order", month_first, since=since) == list(month_first(since))


def test_an_aggregate_known_empty_still_answers_and_a_distinct_one_is_refused(
    unit_a: Any,
) -> None:
    def nothing() -> tuple[QuerySet[Any], dict[str, Any]]:
        return Complaint.objects.none(), {"n": Count("id"), "ids": Sum("id")}

    assert statements.aggregate("test.none", nothing) == {"n": 0, "ids": None}

    def distinct() -> tuple[QuerySet[Any], dict[str, Any]]:
        return Complaint.objects.distinct(), {"n": Count("id")}

    with pytest.raises(TypeError):
        statements.aggregate("test.distinct", distinct)


def test_a_key_that_misses_what_the_sql_depends_on_is_caught_under_verification(
    unit_a: Any,
) -> None:
    def severe(severity: str) -> Any:
        return lambda: Complaint.objects.filter(severity=severity).values("pk")

    statements.rows("test.severity", severe("high"))
    with pytest.raises(statements.StatementMismatch, match="key misses something"):
        statements.rows("test.severity", severe("low"))
    # Given as a value, or in the key, the same query is right for each.
    assert statements.rows(("test.severity", "low"), severe("low")) == []


def test_an_aggregate_replays_as_aggregate_does_even_over_nothing(
    replay_only: None, unit_a: Any
) -> None:
    today = date(2026, 11, 30)
    for days, done in ((-3, True), (-1, False), (2, False)):
        ActionItemFactory.create(unit=unit_a, due_date=today + timedelta(days=days))
        if done:
            ActionItem.objects.filter(due_date=today + timedelta(days=days)).update(
                status="done", completed_at=datetime(2026, 11, 26, tzinfo=UTC)
            )

    def due(since: date, until: date) -> tuple[QuerySet[Any], dict[str, Any]]:
        items = ActionItem.objects.filter(due_date__gte=since, due_date__lte=until)
        return items, {"n": Count("id"), "ids": Sum("id"), "early": Count("id", filter=Q(pk=0))}

    for since, until in ((today - timedelta(days=5), today), (date(2020, 1, 1), date(2020, 2, 1))):
        qs, aggregates = due(since, until)
        assert statements.aggregate("test.due", due, since=since, until=until) == qs.aggregate(
            **aggregates
        )
    empty = statements.aggregate("test.due", due, since=date(2020, 1, 1), until=date(2020, 2, 1))
    assert empty == {"n": 0, "ids": None, "early": 0}


def test_a_leader_is_never_served_a_replay(
    leader: Any, leader_b: Any, unit_a: Any, unit_b: Any
) -> None:
    mine, theirs = (
        _filed(unit_a, datetime(2026, 10, 1, tzinfo=UTC)),
        _filed(unit_b, datetime(2026, 10, 1, tzinfo=UTC)),
    )

    def scoped(user: Any) -> Any:
        return lambda: (
            Complaint.objects.visible_to(user).filter(pk__in=[mine.pk, theirs.pk]).values("pk")
        )

    assert statements.rows_for(leader, "test.scoped", scoped(leader)) == [{"pk": mine.pk}]
    assert statements.rows_for(leader_b, "test.scoped", scoped(leader_b)) == [{"pk": theirs.pk}]


def test_values_are_plain_dates_times_numbers_or_text() -> None:
    with pytest.raises(TypeError):
        statements.rows("test.bool", lambda flag: Complaint.objects.values("pk"), flag=True)


def test_the_dashboard_replayed_a_month_on_shows_what_the_orm_would_then(
    settings: Any, executive: Any, brm: Any, unit_a: Any, unit_b: Any
) -> None:
    # Learned on one day, replayed on a later one: every figure the same as a fresh build then.
    _filed(unit_a, datetime(2026, 11, 1, tzinfo=UTC), "high")
    _filed(unit_b, datetime(2026, 11, 20, tzinfo=UTC), "low")
    for days in (-40, -5, 0, 3):
        ActionItemFactory.create(unit=unit_a, due_date=date(2026, 11, 28) + timedelta(days=days))

    def figures(user: Any) -> Any:
        d = build_dashboard(user)
        return (
            d.__dict__,
            heat_map(user).rows,
            plans_needing_help(user),
            promise_counts(date(2026, 9, 1), date(2026, 11, 30), user=user),
        )

    with time_machine.travel(datetime(2026, 11, 28, 10, tzinfo=UTC), tick=False):
        learned = figures(executive), figures(brm)
        settings.BRM_STATEMENTS = False
        assert (figures(executive), figures(brm)) == learned  # as the ORM gives them
        settings.BRM_STATEMENTS = True
    with time_machine.travel(datetime(2026, 12, 29, 10, tzinfo=UTC), tick=False):
        replayed = figures(executive), figures(brm)
        settings.BRM_STATEMENTS = False
        assert (figures(executive), figures(brm)) == replayed
    assert replayed != learned  # a month on, the figures moved: nothing was frozen


# --- Model instances (`instances`) ---------------------------------------------------------------


def _promises_of(unit_id: int, due_after: date) -> QuerySet[Any]:
    return (
        ActionItem.objects.filter(unit_id=unit_id, due_date__gt=due_after)
        .select_related("unit", "unit__brm", "owner")
        .prefetch_related("unit__stakeholders")
        .annotate(n_unit_items=Count("unit__action_items"))
        .order_by("due_date", "pk")
    )


def _state(items: list[Any]) -> list[tuple[Any, ...]]:
    """What a page reads of each instance: its columns, the annotation, the joined objects and
    the prefetched relation, without a query (asserted by the caller)."""
    return [
        (
            i.pk,
            i.title,
            i.due_date,
            i.n_unit_items,
            i.unit.name,
            i.unit.brm.username if i.unit.brm else None,
            i.owner.username if i.owner else None,
            sorted(s.pk for s in i.unit.stakeholders.all()),
            i._state.adding,
            i._state.db,
        )
        for i in items
    ]


def test_instances_replay_as_the_orm_builds_them_joins_annotations_and_prefetches(
    replay_only: None, unit_a: Any, unit_b: Any
) -> None:
    for days in (3, 10, 30):
        ActionItemFactory.create(unit=unit_a, due_date=date(2026, 12, 1) + timedelta(days=days))
    ActionItemFactory.create(unit=unit_b, due_date=date(2026, 12, 20))
    builder = Builder(_promises_of)
    for unit, after in (
        (unit_a, date(2026, 12, 1)),
        (unit_a, date(2026, 12, 5)),
        (unit_b, date(2026, 1, 1)),
    ):
        replayed = statements.instances("test.promises", builder, unit_id=unit.pk, due_after=after)
        with CaptureQueriesContext(connection) as reads:
            got = _state(replayed)
        assert len(reads) == 0  # joined and prefetched as the ORM would
        assert got == _state(list(_promises_of(unit.pk, after)))
        assert got  # each case has rows
    assert builder.calls == 3  # learned once; every other call replayed
    # A replayed instance is a saved row the ORM can update.
    item = statements.instances(
        "test.promises", builder, unit_id=unit_a.pk, due_after=date(2026, 12, 1)
    )[0]
    item.title = "Renamed"
    item.save(update_fields=["title"])
    assert ActionItem.objects.get(pk=item.pk).title == "Renamed"


def test_instances_refuse_values_queries_and_check_the_key_under_verification(
    unit_a: Any, unit_b: Any
) -> None:
    with pytest.raises(TypeError):
        statements.instances("test.values", lambda: ActionItem.objects.values("pk"))
    flag = {"unit": unit_a.pk}

    def hidden(after: date) -> QuerySet[Any]:  # reads a unit the key does not hold
        return ActionItem.objects.filter(unit_id=flag["unit"], due_date__gt=after)

    statements.instances("test.hidden", hidden, after=date(2026, 1, 1))
    flag["unit"] = unit_b.pk
    with pytest.raises(statements.StatementMismatch):
        statements.instances("test.hidden", hidden, after=date(2026, 1, 1))


def test_the_session_user_is_replayed_and_sees_every_change_at_once(
    client: Any, brm: Any, executive: Any
) -> None:
    """The user loaded on every signed-in request (`PreferenceModelBackend.get_user`) comes
    from a replayed statement: a change of role, a deactivation or another user's session is
    read at once."""
    from django.contrib.auth.models import Group

    from brm.core.roles import Role

    client.force_login(brm)
    assert client.get("/profile/").context["role"] == Role.BRM
    assert client.get("/profile/").context["role"] == Role.BRM  # replayed
    brm.groups.set([Group.objects.get_or_create(name="Executive")[0]])
    assert client.get("/profile/").context["role"] == Role.EXECUTIVE
    client.force_login(executive)
    assert client.get("/profile/").context["user"].pk == executive.pk
    type(executive).objects.filter(pk=executive.pk).update(is_active=False)
    assert client.get("/profile/").status_code == 302  # signed out: to the sign-in page


def test_an_api_token_is_replayed_and_refused_at_once_when_revoked_or_expired(
    integration: Any,
) -> None:
    """The token looked up on every integration request (`ApiToken.authenticate`) comes from a
    replayed statement with the key id and the time as values: expiry, revocation and a
    deactivated user are read at once."""
    from rest_framework.test import APIClient

    from brm.core.models import ApiToken

    token, raw = ApiToken.issue(integration, "HR sync", days=2)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    other_token, other_raw = ApiToken.issue(integration, "Other")
    other = APIClient(HTTP_AUTHORIZATION=f"Bearer {other_raw}")
    for _ in range(2):  # learned, then replayed
        assert client.get("/api/v1/units/").status_code == 200
    assert other.get("/api/v1/units/").status_code == 200  # another key id, the same statement
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert client.get("/api/v1/units/").status_code == 401  # expired by now
        assert other.get("/api/v1/units/").status_code == 200
    ApiToken.objects.filter(pk=other_token.pk).update(revoked_at=timezone.now())
    assert other.get("/api/v1/units/").status_code == 401
    type(integration).objects.filter(pk=integration.pk).update(is_active=False)
    assert client.get("/api/v1/units/").status_code == 401


def test_instances_refuse_what_a_replay_could_not_reproduce(unit_a: Any) -> None:
    """A `Prefetch` with its own queryset would be replayed with the first call's values or
    reader (the check of the main SQL does not see it): refused, as is a queryset class that
    reads its rows its own way. A prefetch named by its relation is replayed (above)."""
    from django.db.models import Prefetch

    from stakeholders.models import BusinessUnit

    def due_after(unit_id: int, after: date) -> QuerySet[Any]:
        items = ActionItem.objects.filter(due_date__gt=after)
        return BusinessUnit.objects.filter(pk=unit_id).prefetch_related(
            Prefetch("action_items", queryset=items, to_attr="due")
        )

    with pytest.raises(TypeError):
        statements.instances("test.prefetch", due_after, unit_id=unit_a.pk, after=date(2026, 3, 1))

    class OwnRows(QuerySet[Any]):
        def _fetch_all(self) -> None:
            super()._fetch_all()

    with pytest.raises(TypeError):
        statements.instances("test.own", lambda: OwnRows(ActionItem).all())


def test_a_call_the_orm_knows_is_empty_is_empty_when_replayed_and_verified(brm: Any) -> None:
    """An id out of the column's range (the ORM answers without asking the database): the
    verified replay of the session user gives no user, as the ORM does, not an error."""
    from brm.core.authentication import PreferenceModelBackend

    backend = PreferenceModelBackend()
    assert backend.get_user(brm.pk).pk == brm.pk  # learned
    assert backend.get_user(2**63) is None
    assert backend.get_user(brm.pk).pk == brm.pk
