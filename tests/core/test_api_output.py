"""The API's fast paths answer byte for byte what plain DRF answers (issue 14).

`brm.core.api_output.FastRepresentationMixin` builds each row without DRF's per-field calls,
`brm.core.api_input.FilterBackend` builds no filter set for a request that names no filter, and
the kernel pagination reads a list's to-many relations as ids instead of prefetching objects. With
the demo data of every app (tests/core/test_api_contract.py's world: nulls, blanks, decimals,
choices, nested rows, many-to-many ids), every list the router serves and the first rows' details
are fetched as every role, once with the fast paths and once with DRF's own code, and the bodies
must be the same bytes; the BRM reads in Asia/Tokyo, so datetimes are checked away from UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.test import APIClient

from brm import bench_web
from brm.core.api_input import FilterBackend
from brm.core.api_output import (
    PK_LISTS,
    FastRepresentationMixin,
    _pair_statement,
    load_pk_lists,
    shared_plan,
)
from brm.core.models import UserPreference
from brm.core.ordering import stable_order
from brm.core.pagination import PageNumberPagination
from reviews.models import ServiceReview
from stakeholders.models import Stakeholder
from tests.conftest import token_client
from tests.core.test_api_contract import build_world

pytestmark = pytest.mark.slow

ROLES = ["cio", "brm", "leader", "admin", "integration"]


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The contract test's data set, built once for the module and rolled back at the end."""
    from django.contrib.auth import get_user_model

    with django_db_blocker.unblock(), transaction.atomic():
        build_world()
        preference = UserPreference.for_user(get_user_model().objects.get(username="brm"))
        preference.time_zone = "Asia/Tokyo"
        preference.save()
        yield
        transaction.set_rollback(True)


def drf_representation(self: Any, instance: Any) -> Any:
    """DRF's own `Serializer.to_representation`, skipping the fast path."""
    return serializers.Serializer.to_representation(self, instance)


def drf_filtering(self: Any, request: Any, queryset: Any, view: Any) -> Any:
    """django-filter's own `filter_queryset`: always the filter set."""
    return DjangoFilterBackend.filter_queryset(self, request, queryset, view)


def prefetched_objects(queryset: Any, view: Any) -> tuple[Any, list[Any]]:
    """The list's queryset as it is: its to-many relations prefetched as objects."""
    return queryset, []


def bodies(role: str) -> dict[str, bytes]:
    """url -> response body of every API list (its largest page) and its first rows' details,
    as `role`; refusals included (their bodies must agree too)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=role)
    if role == "integration":
        client = token_client(user)
    else:  # signed in: the reader's time zone applies (UserTimeZoneMiddleware)
        client = APIClient()
        client.force_login(user)
    out: dict[str, bytes] = {}
    for _name, url in bench_web.api_lists():
        for query in ("", "?page_size=200"):
            response = client.get(url + query)
            out[url + query] = response.content
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        for row in rows[:3] if isinstance(rows, list) else []:
            if isinstance(row, dict) and "id" in row:
                detail = f"{url}{row['id']}/"
                out[detail] = client.get(detail).content
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_it_answers_what_drf_answers(world: None, role: str, monkeypatch: Any) -> None:
    fast = bodies(role)
    monkeypatch.setattr(FastRepresentationMixin, "to_representation", drf_representation)
    monkeypatch.setattr(FilterBackend, "filter_queryset", drf_filtering)
    monkeypatch.setattr(
        PageNumberPagination, "_ids_instead_of_objects", staticmethod(prefetched_objects)
    )
    plain = bodies(role)
    assert plain.keys() == fast.keys()
    differ = [url for url in plain if plain[url] != fast[url]]
    assert not differ, differ
    assert sum(len(body) for body in plain.values()) > 10_000  # the world has rows to compare


@pytest.mark.django_db
def test_replays_off_answer_the_same(world: None, settings: Any) -> None:
    # BRM_STATEMENTS off: the relation pairs (and every replayed query) are built each time.
    replayed = bodies("brm")
    settings.BRM_STATEMENTS = False
    assert bodies("brm") == replayed


@pytest.mark.django_db
def test_it_keeps_the_readers_zone(world: None) -> None:
    from django.contrib.auth import get_user_model

    client = APIClient()
    client.force_login(get_user_model().objects.get(username="brm"))
    rows = client.get("/api/v1/stakeholders/").json()["results"]
    assert rows and all(row["created_at"].endswith("+09:00") for row in rows)


@pytest.mark.django_db
def test_it_reads_a_lists_related_ids_without_their_objects(world: None, monkeypatch: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import Model

    built: list[str] = []
    real = Model.from_db.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Model], *args: Any, **kwargs: Any) -> Model:
        built.append(cls.__name__)
        return real(cls, *args, **kwargs)  # type: ignore[no-any-return]

    client = APIClient()
    client.force_login(get_user_model().objects.get(username="cio"))
    monkeypatch.setattr(Model, "from_db", classmethod(counting))
    rows = client.get("/api/v1/reviews/").json()["results"]
    assert any(row["attendees"] or row["services"] for row in rows)
    # The reviews (and the signed-in user): no service, stakeholder, user or commitment rows.
    assert {"Service", "Stakeholder", "ActionItem"}.isdisjoint(built)


def test_it_shares_a_plan_per_time_zone() -> None:
    from django.utils import timezone

    from stakeholders.api.serializers import StakeholderSerializer

    with timezone.override("Asia/Tokyo"):
        tokyo = shared_plan(StakeholderSerializer)
        assert tokyo is shared_plan(StakeholderSerializer)
    with timezone.override("UTC"):
        utc = shared_plan(StakeholderSerializer)
    assert tokyo is not None and utc is not None and tokyo is not utc
    # Built from a serializer without context: the plan holds no request.
    assert all(field.root.context == {} for *_, field in tokyo.steps)


def test_it_shares_no_plan_with_a_field_that_reads_its_serializer() -> None:
    from stakeholders.api.serializers import StakeholderSerializer

    class WithMethod(StakeholderSerializer):
        greeting = serializers.SerializerMethodField()

        class Meta(StakeholderSerializer.Meta):
            fields = [*StakeholderSerializer.Meta.fields, "greeting"]

        def get_greeting(self, obj: Any) -> str:
            return "hello"

    assert shared_plan(StakeholderSerializer) is not None
    assert shared_plan(WithMethod) is None


@pytest.mark.django_db
def test_a_declared_column_property_reads_no_relation(
    world: None, django_assert_num_queries: Any
) -> None:
    """Each serializer's `Meta.column_properties` reads the row's own columns only (no query
    on a row loaded without joins), and its list's page then joins nothing."""
    client = APIClient()
    client.force_login(get_user_model().objects.get(username="admin"))
    declared = 0
    for _name, url in bench_web.api_lists():
        view = getattr(resolve(url).func, "cls", None)
        meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
        properties = getattr(meta, "column_properties", ())
        if not properties:
            continue
        rows = list(meta.model._default_manager.all()[:20])
        assert rows, url
        with django_assert_num_queries(0):
            for row in rows:
                for name in properties:
                    getattr(row, name)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        table = f'FROM "{meta.model._meta.db_table}"'
        pages = [
            q["sql"] for q in ctx.captured_queries if table in q["sql"] and "LIMIT" in q["sql"]
        ]
        assert pages and all("JOIN" not in sql for sql in pages), url
        declared += 1
    assert declared >= 3


@pytest.mark.django_db
def test_a_plain_relations_pairs_are_compiled_once(world: None) -> None:
    """A relation whose related queryset only orders runs the SQL kept from its first list
    (the page's ids one parameter, one query); a scoped one is built each time; both give the
    ORM query's pairs in its order."""
    reviews = list(ServiceReview.objects.order_by("pk"))
    keys = [review.pk for review in reviews]
    plain = Stakeholder.objects.order_by("name")
    # A scope that leaves out one attendee, asked after the plain relation was kept.
    left_out = ServiceReview.attendees.through.objects.filter(servicereview__in=keys).first()
    assert left_out is not None
    scoped = Stakeholder.objects.exclude(pk=left_out.stakeholder_id).order_by("name")
    for related in (plain, scoped):
        pairs = stable_order(related).filter(reviews__in=keys).values_list("reviews", "pk")
        expected = {key: [pk for row, pk in pairs if row == key] for key in keys}
        with CaptureQueriesContext(connection) as ctx:
            load_pk_lists(reviews, [("attendees", "reviews", related)])
        assert len(ctx.captured_queries) == 1
        assert {r.pk: r.__dict__[PK_LISTS]["attendees"] for r in reviews} == expected
        assert any(expected.values())
        assert (left_out.stakeholder_id in expected[left_out.servicereview_id]) is (
            related is plain
        )
    kept = _pair_statement(ServiceReview, "attendees", "reviews", plain)
    again = _pair_statement(
        ServiceReview, "attendees", "reviews", Stakeholder.objects.order_by("name")
    )
    assert kept is not None and again is kept
    assert _pair_statement(ServiceReview, "attendees", "reviews", scoped) is None
