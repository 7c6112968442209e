"""Lost updates in the Django admin (#12): every change page of a versioned record posts its
version back (brm.core.admin.VersionedAdminMixin), so of two administrators editing one record
the later save is refused with the input kept, never a 500 or the 412 page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import pre_save
from django.test import Client

from brm.core.admin import VersionedAdminMixin
from brm.core.models import VersionedModel
from reviews.models import ChangeRequest
from stakeholders.models import Stakeholder
from tests.factories import (
    DemandFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    SurveyTemplateFactory,
)
from tests.versions import STALE_MESSAGE, assert_stale_edit_refused_then_reapplied, edit_form

pytestmark = pytest.mark.django_db


def _change_url(record: Any) -> str:
    opts = record._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/change/"


def _session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_of_a_versioned_record_uses_the_versioned_base() -> None:
    versioned = [m for m in apps.get_models() if issubclass(m, VersionedModel)]
    registered = {m: a for m, a in admin.site._registry.items() if issubclass(m, VersionedModel)}

    assert len(versioned) >= 14
    assert set(registered) == set(versioned), "every versioned record has an admin page"
    plain = [
        type(a).__name__ for a in registered.values() if not isinstance(a, VersionedAdminMixin)
    ]
    assert plain == [], "put brm.core.admin.VersionedAdminMixin first in these admins' bases"


def test_a_stale_admin_save_is_refused_with_the_input_kept_and_a_fresh_one_succeeds(
    admin_user: Any, unit_a: Any
) -> None:
    stakeholder = StakeholderFactory.create(unit=unit_a, name="Ada Lovelace", job_title="CFO")
    url = _change_url(stakeholder)
    first, second = _session(admin_user), _session(admin_user)
    mine = edit_form(first.get(url).content.decode())
    theirs = edit_form(second.get(url).content.decode())
    assert mine["version"] == theirs["version"] == ["1"]

    theirs["job_title"] = ["Chief Financial Officer"]
    assert second.post(url, theirs).status_code == 302  # the fresh save lands
    mine["job_title"] = ["Finance director"]
    refused = first.post(url, mine)

    assert refused.status_code == 200
    html = refused.content.decode()
    assert STALE_MESSAGE in html
    assert '<tr data-field="job_title">' in html
    again = edit_form(html)
    assert again["job_title"] == ["Finance director"], "the user's entry is kept"
    assert again["version"] == ["2"], "the re-shown form holds the version saved now"
    stored = Stakeholder.objects.get(pk=stakeholder.pk)
    assert (stored.job_title, stored.version) == ("Chief Financial Officer", 2)

    saved = first.post(url, again)  # saving again applies the entries over version 2

    assert saved.status_code == 302
    stored = Stakeholder.objects.get(pk=stakeholder.pk)
    assert (stored.job_title, stored.version) == ("Finance director", 3)


@pytest.mark.parametrize(
    ("make", "field", "yours", "theirs"),
    [
        (lambda unit: unit, "name", "Finance & Control", "Finance"),  # its own admin form
        (lambda unit: DemandFactory.create(unit=unit), "title", "Faster close", "Quick close"),
        (lambda unit: ServiceReviewFactory.create(unit=unit), "agenda", "Ours", "Theirs"),
        (lambda unit: SurveyTemplateFactory.create(), "name", "Pulse (ours)", "Pulse (theirs)"),
    ],
    ids=["business unit", "demand", "review with change-request inline", "survey with questions"],
)
def test_admin_pages_of_other_records_refuse_a_stale_save_too(
    client: Client, admin_user: Any, unit_a: Any, make: Any, field: str, yours: str, theirs: str
) -> None:
    record = make(unit_a)
    client.force_login(admin_user)

    assert_stale_edit_refused_then_reapplied(
        client, _change_url(record), record, field=field, yours=yours, theirs=theirs
    )


@pytest.fixture
def someone_saves_first() -> Iterator[list[type[Any]]]:
    """Models listed here get one save by someone else, committed on another connection, in
    the instant before this request's UPDATE (as a concurrent request would make it)."""
    models: list[type[Any]] = []
    other = connections.create_connection(DEFAULT_DB_ALIAS)

    def bump(sender: type[Any], instance: Any, **kwargs: Any) -> None:
        if sender in models and instance.pk is not None and not kwargs.get("raw"):
            models.remove(sender)
            table = other.ops.quote_name(sender._meta.db_table)
            with other.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET version = version + 1 WHERE id = %s", [instance.pk]
                )

    pre_save.connect(bump)
    yield models
    pre_save.disconnect(bump)
    other.close()


@pytest.mark.django_db(transaction=True)
def test_a_save_that_loses_the_race_after_the_check_reshows_the_form(
    client: Client, admin_user: Any, unit_a: Any, someone_saves_first: list[type[Any]]
) -> None:
    stakeholder = StakeholderFactory.create(unit=unit_a, job_title="CFO")
    url = _change_url(stakeholder)
    client.force_login(admin_user)
    data = edit_form(client.get(url).content.decode())
    data["job_title"] = ["Finance director"]
    someone_saves_first.append(Stakeholder)

    response = client.post(url, data)

    assert response.status_code == 200, "the form again, not the 412 page"
    assert STALE_MESSAGE in response.content.decode()
    assert edit_form(response.content.decode())["job_title"] == ["Finance director"]
    stored = Stakeholder.objects.get(pk=stakeholder.pk)
    assert (stored.job_title, stored.version) == ("CFO", 2)  # only the other save counted


@pytest.mark.django_db(transaction=True)
def test_an_inline_child_saved_meanwhile_does_not_break_the_page(
    client: Client, admin_user: Any, unit_a: Any, someone_saves_first: list[type[Any]]
) -> None:
    review = ServiceReviewFactory.create(unit=unit_a)
    change = ChangeRequest.objects.create(review=review, title="More capacity")
    url = _change_url(review)
    client.force_login(admin_user)
    data = edit_form(client.get(url).content.decode())
    data["change_requests-0-title"] = ["More capacity in March"]
    assert data["change_requests-0-id"] == [str(change.pk)]
    someone_saves_first.append(ChangeRequest)

    response = client.post(url, data)

    assert response.status_code == 302, "the page was answered again and saved, no 500"
    stored = ChangeRequest.objects.get(pk=change.pk)
    assert (stored.title, stored.version) == ("More capacity in March", 3)


def test_a_revert_from_the_history_saves_over_the_current_version_unless_stale(
    client: Client, admin_user: Any, unit_a: Any
) -> None:
    stakeholder = StakeholderFactory.create(unit=unit_a, job_title="CFO")
    first = stakeholder.history.get()
    stakeholder.job_title = "Finance director"
    stakeholder.save()
    url = f"/admin/stakeholders/stakeholder/{stakeholder.pk}/history/{first.history_id}/"
    client.force_login(admin_user)

    data = edit_form(client.get(url).content.decode())
    assert data["version"] == ["2"] and data["job_title"] == ["CFO"]
    other = Stakeholder.objects.get(pk=stakeholder.pk)
    other.email = "cfo@example.org"
    other.save()
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert STALE_MESSAGE in refused.content.decode()
    assert Stakeholder.objects.get(pk=stakeholder.pk).job_title == "Finance director"

    reverted = client.post(url, edit_form(refused.content.decode()))

    assert reverted.status_code == 302
    stored = Stakeholder.objects.get(pk=stakeholder.pk)
    assert (stored.job_title, stored.version) == ("CFO", 4)
