"""Every list filter shows what its label says (issue 15: "filters that don't filter").

The FilterSets are discovered, not listed: every `FilterSet` subclass defined in an app's
`filters` module (or a module of its `filters` package). For each of their filters (but
`ordering`) the test picks real values from the demo data set (`manage.py seed_demo`, loaded once
for the module at a frozen instant) and checks:

- through the FilterSet (what the API and CSV use): the result is exactly the visible records
  that satisfy the filter's meaning;
- through the HTML list page, when the FilterSet has one (`LIST_PAGES`): the rows the page lists
  for `?name=value` are exactly those of the same page without a value (`?name=`, so the page's
  own defaults apply to both) that satisfy the meaning.

The meaning of a plain field filter is read off its `field_name` and `lookup_expr` and evaluated
in Python on the loaded records (so a wrong lookup or path shows). A filter with its own method
says what it means in `MEANINGS`, written from its label; a new method filter without an entry
fails `test_it_knows_what_every_filter_means`. Yes/no filters are tried with every spelling a
page or a person sends ("1", "on", "true"; "0", "false").
"""

from __future__ import annotations

import importlib
import pkgutil
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import django_filters
import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.management import call_command
from django.db import models, transaction
from django.db.models import Manager
from django.http import QueryDict
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from brm.management.commands import seed_demo
from satisfaction.models import Campaign, SurveyTemplate
from stakeholders.models import BusinessUnit

pytestmark = pytest.mark.django_db

INSTANT = datetime(2026, 6, 15, 10, 30, tzinfo=UTC)
YES = ("1", "on", "true")
NO = ("0", "false")

# FilterSet class name -> its HTML list page.
LIST_PAGES = {
    "BusinessUnitFilterSet": "/units/",
    "StakeholderFilterSet": "/stakeholders/",
    "ActionItemFilterSet": "/commitments/",
    "ComplaintFilterSet": "/complaints/",
    "FeedbackFilterSet": "/feedback/",
    "ServiceFilterSet": "/services/",
    "ServiceReviewFilterSet": "/reviews/",
    "DemandFilterSet": "/demands/",
    "CampaignFilterSet": "/surveys/",
}

# Filters that the issue names as broken and another change fixes: (FilterSet, filter) -> why.
# xfail(strict=False), so the test passes on its own once the fix is in.
# (None now: the three the issue named are fixed; tests/test_list_filters.py has their cases.)
KNOWN_BROKEN: dict[tuple[str, str], str] = {}


FilterSetClass = Any  # a FilterSet subclass (the stubs do not type `_meta` and `base_filters`)


@dataclass(frozen=True)
class Ctx:
    user: Any
    now: datetime
    today: date


Meaning = Callable[[Any, Ctx], bool]


def _unit_mine(u: Any, c: Ctx) -> bool:
    return c.user.pk in (u.brm_id, u.deputy_id)


def _promise_outcome(a: Any, c: Ctx) -> str:
    if a.status == "dropped":
        return "dropped"
    if a.status == "done":
        return "on_time" if timezone.localdate(a.completed_at) <= a.due_date else "late"
    return "overdue" if a.due_date < c.today else "open"


def _complaint_overdue(x: Any, c: Ctx) -> bool:
    open_ = x.status in ("received", "acknowledged", "investigating")
    return (x.status == "received" and x.acknowledge_by < c.now) or (open_ and x.resolve_by < c.now)


def _review_view(value: str) -> Meaning:
    def meaning(r: Any, c: Ctx) -> bool:
        from reviews.models import ReviewSettings

        grace = timedelta(days=ReviewSettings.get().overdue_grace_days)
        return bool(
            {
                "upcoming": r.status == "planned" and r.scheduled_at >= c.now,
                "overdue": r.status == "planned" and r.scheduled_at < c.now - grace,
                "held": r.status == "held",
                "all": True,
            }[value]
        )

    return meaning


def _campaign_runs(x: Any) -> list[Any]:
    return [x, *x.runs.all()] if hasattr(x, "runs") else [x]


def _outcome_is(key: str) -> Meaning:
    return lambda a, c: _promise_outcome(a, c) == key


def _campaign_status_is(status: str) -> Meaning:
    return lambda x, c: any(r.status == status for r in _campaign_runs(x))


def _campaign_asks(pk: int) -> Meaning:
    return lambda x, c: any(pk in [u.pk for u in r.units.all()] for r in _campaign_runs(x))


def _flag(yes: Meaning) -> list[tuple[str, Meaning]]:
    return [(v, yes) for v in YES] + [(v, lambda o, c, yes=yes: not yes(o, c)) for v in NO]


# Method filters: (FilterSet, filter) -> [(query value, meaning)], written from the label.
MEANINGS: dict[tuple[str, str], list[tuple[str, Meaning]]] = {
    # "Only my units": units I manage or deputise for.
    ("BusinessUnitFilterSet", "mine"): [(v, _unit_mine) for v in YES],
    # "Overdue only": an open promise past its due date (and "no" means the others).
    ("ActionItemFilterSet", "overdue"): _flag(
        lambda a, c: a.status == "open" and a.due_date < c.today
    ),
    # "Outcome": each label as the promise stands today.
    **{
        ("ActionItemFilterSet", "outcome"): [
            (key, _outcome_is(key)) for key in ("open", "overdue", "on_time", "late", "dropped")
        ]
    },
    # "Only mine": promises I (or, on the business side, my stakeholder record) must deliver.
    ("ActionItemFilterSet", "mine"): [
        (
            v,
            lambda a, c: (
                a.owner_id == c.user.pk
                or (a.owner_stakeholder is not None and a.owner_stakeholder.user_id == c.user.pk)
            ),
        )
        for v in YES
    ],
    # "Overdue only": not acknowledged by its acknowledge-by time, or open past resolve-by.
    ("ComplaintFilterSet", "overdue"): _flag(_complaint_overdue),
    # "Only mine": complaints I raised or about a unit I manage or deputise for.
    ("ComplaintFilterSet", "mine"): [
        (
            v,
            lambda x, c: (
                x.complainant_id == c.user.pk or c.user.pk in (x.unit.brm_id, x.unit.deputy_id)
            ),
        )
        for v in YES
    ],
    # "Escalated only": raised above the first level.
    ("ComplaintFilterSet", "escalated"): _flag(lambda x, c: x.escalation_level > 0),
    # "Handler" = me ("Only ones I handle"): complaints whose handler I am.
    ("ComplaintFilterSet", "handler"): [("me", lambda x, c: x.handler_id == c.user.pk)],
    # "Show": upcoming (planned, still ahead), overdue (planned, past the grace days), held, all.
    ("ServiceReviewFilterSet", "view"): [
        (v, _review_view(v)) for v in ("upcoming", "overdue", "held", "all")
    ],
    # "Only my units".
    ("ServiceReviewFilterSet", "mine"): [(v, lambda r, c: _unit_mine(r.unit, c)) for v in YES],
    # "Status": a survey in that status, or a series with a run in it.
    ("CampaignFilterSet", "status"): [
        (s, _campaign_status_is(s)) for s in ("draft", "scheduled", "open", "closed")
    ],
}


# Method filters whose meaning `_cases` derives: `search` from the FilterSet's `search_fields`.
GENERIC_METHODS = {
    *((fs, "search") for fs in LIST_PAGES),
    ("StrategicObjectiveFilterSet", "search"),
    ("InteractionFilterSet", "search"),
    ("ChangeRequestFilterSet", "search"),
    ("CampaignFilterSet", "unit"),
}


def _filter_modules() -> Iterator[types.ModuleType]:
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.filters")
        except ModuleNotFoundError:
            continue
        yield module
        if hasattr(module, "__path__"):
            for info in pkgutil.iter_modules(module.__path__):
                yield importlib.import_module(f"{module.__name__}.{info.name}")


def _filtersets() -> list[FilterSetClass]:
    found = []
    for module in _filter_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, django_filters.FilterSet)
                and value.__module__ == module.__name__
                and getattr(getattr(value, "_meta", None), "model", None) is not None
            ):
                found.append(value)
    return sorted(found, key=lambda cls: cls.__name__)


FILTERSETS = _filtersets()
FILTERS = [
    (fs, name)
    for fs in FILTERSETS
    for name, f in fs.base_filters.items()
    if not isinstance(f, django_filters.OrderingFilter)
]


def test_it_discovers_the_filtersets_of_every_app() -> None:
    names = {fs.__name__ for fs in FILTERSETS}
    assert set(LIST_PAGES) <= names
    assert len(FILTERS) >= 60


@pytest.mark.parametrize(("fs", "name"), FILTERS, ids=lambda v: getattr(v, "__name__", v))
def test_it_knows_what_every_filter_means(fs: FilterSetClass, name: str) -> None:
    f = fs.base_filters[name]
    if f.method is None:
        assert f.field_name, f"{fs.__name__}.{name} filters no field"
    elif (fs.__name__, name) not in GENERIC_METHODS:
        assert (fs.__name__, name) in MEANINGS, f"say what {fs.__name__}.{name} means"


# --- the data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The demo data set (no health history), loaded once and rolled back after the module."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(INSTANT, tick=False),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        mock.patch.object(seed_demo, "seed_health_demo", lambda: 0),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        # Every demo survey asks every unit: one that asks only Finance lets `unit` tell them apart.
        finance = Campaign.objects.create(
            template=SurveyTemplate.objects.order_by("pk")[0],
            name="Finance only check-in",
            owner=get_user_model().objects.get(username="brm"),
            status="draft",
        )
        finance.units.set(BusinessUnit.objects.filter(code="fin"))
        yield
        transaction.set_rollback(True)


@pytest.fixture
def clock(demo) -> Iterator[None]:
    with time_machine.travel(INSTANT, tick=False):
        yield


@pytest.fixture
def user(demo):
    return get_user_model().objects.get(username="brm")


def _base(model: type[models.Model], user: Any) -> models.QuerySet[Any]:
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user)  # type: ignore[no-any-return]
    return manager.all()


def _values(obj: Any, path: str) -> list[Any]:
    """The values at a `a__b__c` path, following to-many relations; instances become pks."""
    current = [obj]
    for part in path.split("__"):
        step: list[Any] = []
        for o in current:
            if o is None:
                continue
            try:
                v = getattr(o, part)
            except ObjectDoesNotExist:
                v = None
            if isinstance(v, Manager):
                step.extend(v.all())
            else:
                step.append(v)
        current = step
    return [v.pk if isinstance(v, models.Model) else v for v in current] or [None]


def _compare(values: list[Any], lookup: str, target: Any) -> bool:
    """Whether any of the values satisfies `lookup` (exact, icontains, gt/gte/lt/lte) `target`."""

    def one(v: Any) -> bool:
        if v is None:
            return False
        if lookup == "exact":
            return bool(v == target)
        if lookup == "icontains":
            return str(target).lower() in str(v).lower()
        return bool(
            {"gte": v >= target, "gt": v > target, "lte": v <= target, "lt": v < target}[lookup]
        )

    return any(one(v) for v in values)


def _related_model(model: type[models.Model], path: str) -> type[models.Model] | None:
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.related_model is None:
            return None
        model = field.related_model
    return model


def _as_query(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def _field_cases(fs: FilterSetClass, name: str, objs: list[Any]) -> list[tuple[str, Meaning]]:
    """Query values and meanings for a plain field filter, from values the data really has."""
    f = fs.base_filters[name]
    lookup = f.lookup_expr
    seen: list[Any] = []
    for o in objs:
        for v in _values(o, f.field_name):
            if v is not None and v != "" and v not in seen:
                seen.append(v)
    is_bool = isinstance(f, django_filters.BooleanFilter) or lookup == "isnull"
    targets: list[Any]
    related = _related_model(fs._meta.model, f.field_name)
    if is_bool:
        targets = [True, False]
    elif "choices" in f.extra:
        # Every choice the filter offers, each one a label to check (absent ones match nothing).
        choices = f.extra["choices"]
        targets = [value for value, _ in (choices() if callable(choices) else choices)]
    elif seen:
        ordered = sorted(seen, key=lambda v: (str(type(v)), v))
        targets = list(dict.fromkeys([ordered[len(ordered) // 2], ordered[0]]))
        if related is not None and len(targets) == 1:
            # One value throughout the data: a record nothing refers to must match nothing.
            other = related._default_manager.exclude(pk__in=targets).order_by("pk").first()
            targets += [other.pk] if other else []
    elif related is not None:
        # Nothing in the data refers to any: a real record of the related model (or, with none,
        # an id nobody has) must then match nothing; a filter ignoring its value lists everything.
        first = related._default_manager.order_by("pk").first()
        targets = [first.pk if first else 10**9]
    else:
        targets = []
    cases: list[tuple[str, Meaning]] = []
    for target in targets:

        def meaning(o: Any, c: Ctx, target: Any = target) -> bool:
            if lookup == "isnull":
                hit = all(v is None for v in _values(o, f.field_name)) == target
            else:
                hit = _compare(_values(o, f.field_name), lookup, target)
            return not hit if f.exclude else hit

        spellings = (YES if target else NO) if is_bool else (_as_query(target),)
        cases.extend((s, meaning) for s in spellings)
    return cases


def _search_cases(fs: FilterSetClass, objs: list[Any]) -> list[tuple[str, Meaning]]:
    """The search box with a rare first word of the first search field that some record lacks."""
    fields = getattr(fs, "search_fields", ()) or ("name", "template__name")
    counts: dict[str, int] = {}
    for o in objs:
        for v in _values(o, fields[0]):
            if v and str(v).split():
                word = str(v).split()[0]
                counts[word] = counts.get(word, 0) + 1

    def matches(word: str) -> Meaning:
        return lambda o, c: any(
            word.lower() in str(v).lower() for fld in fields for v in _values(o, fld) if v
        )

    for word in sorted(counts, key=lambda w: (counts[w], w)):
        meaning = matches(word)
        if not all(meaning(o, None) for o in objs):  # type: ignore[arg-type]  # no ctx needed
            return [(word, meaning)]
    return [("zzz-nothing", matches("zzz-nothing"))]


def _cases(fs: FilterSetClass, name: str, objs: list[Any]) -> list[tuple[str, Meaning]]:
    if (fs.__name__, name) in MEANINGS:
        return MEANINGS[(fs.__name__, name)]
    if name == "search":
        return _search_cases(fs, objs)
    if fs.__name__ == "CampaignFilterSet" and name == "unit":
        units = sorted({u.pk for o in objs for r in _campaign_runs(o) for u in r.units.all()})
        return [(str(pk), _campaign_asks(pk)) for pk in units[:3]]
    return _field_cases(fs, name, objs)


@pytest.mark.parametrize(("fs", "name"), FILTERS, ids=lambda v: getattr(v, "__name__", v))
def test_it_shows_what_the_filter_label_says(
    request, clock, user, fs: FilterSetClass, name: str
) -> None:
    if (fs.__name__, name) in KNOWN_BROKEN:
        request.applymarker(
            pytest.mark.xfail(reason=KNOWN_BROKEN[(fs.__name__, name)], strict=False)
        )
    ctx = Ctx(user=user, now=timezone.now(), today=timezone.localdate())
    base = _base(fs._meta.model, user)
    objs = list(base)
    everything = {o.pk for o in objs}
    assert objs, f"the demo data has no {fs._meta.model.__name__}"
    cases = _cases(fs, name, objs)
    assert cases, f"no value of {fs.__name__}.{name} in the demo data"
    page = LIST_PAGES.get(fs.__name__)
    client = Client()
    client.force_login(user)
    # The page without a value for this filter (`?name=`: the page's own defaults still apply).
    unfiltered = _page_rows(client, page, {name: ""}) if page else set()
    filters_something = False
    checked_pages: set[int] = set()
    for value, meaning in cases:
        data = QueryDict(urlencode({name: value}))
        http = RequestFactory().get("/", data)
        http.user = user
        filterset = fs(data, queryset=base, request=http)
        assert filterset.is_valid(), f"{name}={value}: {filterset.errors}"
        got = {o.pk for o in filterset.qs}
        want = {o.pk for o in objs if meaning(o, ctx)}
        assert got == want, (
            f"{fs.__name__} {name}={value}: {len(got)} shown, {len(want)} match the label; "
            f"shown but not matching {sorted(got - want)[:5]}, missing {sorted(want - got)[:5]}"
        )
        filters_something |= want != everything
        if page and id(meaning) not in checked_pages:  # one spelling per meaning is enough
            checked_pages.add(id(meaning))
            shown = _page_rows(client, page, {name: value})
            # Everything listed matches the label, and nothing the unfiltered page lists and the
            # label matches is missing (a page may widen its defaults once a filter is chosen).
            assert shown <= want, f"{page}?{name}={value} lists {sorted(shown - want)[:5]}"
            missing = (unfiltered & want) - shown
            assert not missing, f"{page}?{name}={value} leaves out {sorted(missing)[:5]}"
    assert filters_something, f"{fs.__name__}.{name}: no value left anything out"


def _page_rows(client: Client, url: str, params: dict[str, str]) -> set[int]:
    response = client.get(url, params)
    assert response.status_code == 200, f"{url} {params}: {response.status_code}"
    page = response.context["page"]
    return {o.pk for o in page.paginator.object_list}
