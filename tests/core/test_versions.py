"""Lost updates (#12): every editable record carries a version; a save read at an older one is
refused, on the pages (the form comes back with what changed) and in the API (ETag, If-Match,
412/428). The kernel's rule: `brm.core.models.VersionedModel`, `brm.core.forms.
VersionedFormMixin`, `brm.core.api_versions.VersionedViewSetMixin`.

The stakeholder register stands in for every versioned record here; each app's own tests
cover its forms and endpoints (tests/<app>/test_versions.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from brm.core.api import router
from brm.core.api_versions import VersionedViewSetMixin, if_match_allows
from brm.core.errors import StaleVersion, http_status
from brm.core.models import VersionedModel
from stakeholders.models import Stakeholder
from tests.conftest import token_client
from tests.factories import StakeholderFactory

URL = "/api/v1/stakeholders/{}/"


def person_in(unit: Any, **fields: Any) -> Stakeholder:
    person = StakeholderFactory.create(
        unit=unit, name="Ann Archer", job_title="Analyst", phone="", **fields
    )
    person.refresh_from_db()
    return person


def form_data(person: Stakeholder, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": person.name,
        "job_title": person.job_title,
        "unit": person.unit_id,
        "role_type": person.role_type,
        "influence": person.influence,
        "interest": person.interest,
        "email": person.email,
        "phone": person.phone,
        "preferred_channel": person.preferred_channel,
        "active": "on",
    }
    data.update(overrides)
    return data


def hidden_version(html: str) -> str:
    match = re.search(r'<input type="hidden" name="version" value="(\d+)"', html)
    assert match, "the edit form carries the version it was opened at"
    return match.group(1)


# --- The model --------------------------------------------------------------------------------


def test_it_starts_at_one_and_counts_every_save(unit_a):
    person = Stakeholder.objects.create(unit=unit_a, name="Ann Archer")
    assert person.version == 1
    person.job_title = "Analyst"
    person.save()
    person.phone = "123"
    person.save()
    assert person.version == 3
    assert Stakeholder.objects.get(pk=person.pk).version == 3


def test_it_refuses_a_save_read_at_an_older_version(unit_a):
    person = person_in(unit_a)
    mine = Stakeholder.objects.get(pk=person.pk)
    theirs = Stakeholder.objects.get(pk=person.pk)
    theirs.job_title = "Head of Payroll"
    theirs.save()
    mine.phone = "555"
    with pytest.raises(StaleVersion) as caught:
        mine.save()
    assert (caught.value.expected, caught.value.current) == (person.version, person.version + 1)
    assert http_status(caught.value) == 412
    assert mine.version == person.version  # nothing written: still the version it was read at
    stored = Stakeholder.objects.get(pk=person.pk)
    assert (stored.job_title, stored.phone) == ("Head of Payroll", "")


def test_a_save_of_named_fields_writes_only_those_and_the_version(unit_a):
    person = person_in(unit_a)
    mine = Stakeholder.objects.get(pk=person.pk)
    Stakeholder.objects.filter(pk=person.pk).update(job_title="Set by a job")  # no new version
    mine.phone = "555"
    mine.job_title = "Stale title"
    mine.save(update_fields=["phone"])
    stored = Stakeholder.objects.get(pk=person.pk)
    assert (stored.phone, stored.job_title, stored.version) == (
        "555",
        "Set by a job",
        person.version + 1,
    )


def test_every_writable_viewset_honours_if_match():
    for _prefix, viewset, _basename in router.registry:
        if any(hasattr(viewset, name) for name in ("update", "partial_update", "destroy")):
            assert issubclass(viewset, VersionedViewSetMixin), viewset.__name__


def test_every_model_an_api_client_may_change_is_versioned(admin_user):
    for _prefix, viewset, _basename in router.registry:
        if not issubclass(viewset, VersionedViewSetMixin):
            continue
        view = viewset()
        view.request = Request(APIRequestFactory().get("/"))
        view.request.user = admin_user
        view.action = "update"
        view.kwargs = {}
        view.format_kwarg = None
        assert issubclass(view.get_queryset().model, VersionedModel), viewset.__name__


@pytest.mark.parametrize(
    ("header", "allowed"),
    [('"3"', True), ('W/"3"', True), ('"2", "3"', True), ("*", True), ("3", True)]
    + [('"2"', False), ('W/"4"', False), ("", False), ("garbage", False)],
)
def test_if_match_names_the_version(header, allowed):
    assert if_match_allows(header, 3) is allowed


# --- The edit page ----------------------------------------------------------------------------


def test_a_stale_edit_is_refused_with_the_input_kept_and_what_changed(client, brm, unit_a):
    person = person_in(unit_a)
    client.force_login(brm)
    opened = hidden_version(client.get(f"/stakeholders/{person.pk}/edit/").content.decode())
    assert opened == str(person.version)
    # Meanwhile a colleague changes the job title.
    theirs = Stakeholder.objects.get(pk=person.pk)
    theirs.job_title = "Head of Payroll"
    theirs.save()

    response = client.post(
        f"/stakeholders/{person.pk}/edit/", form_data(person, phone="+44 1", version=opened)
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this record after you opened it" in html
    assert 'value="+44 1"' in html  # the user's input is kept
    row = re.search(r'<tr data-field="job_title">(.*?)</tr>', html, re.S)
    assert row, "the table says which field changed meanwhile"
    assert "Analyst" in row.group(1) and "Head of Payroll" in row.group(1)
    assert hidden_version(html) == str(theirs.version)  # ready to re-apply
    stored = Stakeholder.objects.get(pk=person.pk)
    assert (stored.phone, stored.job_title) == ("", "Head of Payroll")


def test_saving_the_re_shown_form_applies_the_entries(client, brm, unit_a):
    person = person_in(unit_a)
    client.force_login(brm)
    opened = str(person.version)
    theirs = Stakeholder.objects.get(pk=person.pk)
    theirs.job_title = "Head of Payroll"
    theirs.save()
    refused = client.post(
        f"/stakeholders/{person.pk}/edit/", form_data(person, phone="+44 1", version=opened)
    )
    current = hidden_version(refused.content.decode())

    # The user keeps the colleague's title and re-applies their phone number.
    response = client.post(
        f"/stakeholders/{person.pk}/edit/",
        form_data(person, job_title="Head of Payroll", phone="+44 1", version=current),
    )

    assert response.status_code == 302
    stored = Stakeholder.objects.get(pk=person.pk)
    assert (stored.phone, stored.job_title) == ("+44 1", "Head of Payroll")
    assert stored.version == theirs.version + 1


def test_an_edit_opened_at_the_current_version_saves(client, brm, unit_a):
    person = person_in(unit_a)
    client.force_login(brm)
    response = client.post(
        f"/stakeholders/{person.pk}/edit/",
        form_data(person, phone="+44 1", version=person.version),
    )
    assert response.status_code == 302
    assert Stakeholder.objects.get(pk=person.pk).version == person.version + 1


def test_a_save_that_loses_the_race_gets_a_412_page_not_a_500(client, brm, unit_a, monkeypatch):
    # The instant between the form's check and the UPDATE: another save lands in between.
    from stakeholders import services

    person = person_in(unit_a)
    real = services.save_stakeholder

    def racing(obj: Stakeholder, *, actor: Any) -> Stakeholder:
        other = Stakeholder.objects.get(pk=obj.pk)
        other.job_title = "Head of Payroll"
        other.save()
        return real(obj, actor=actor)

    monkeypatch.setattr(services, "save_stakeholder", racing)
    client.force_login(brm)
    response = client.post(
        f"/stakeholders/{person.pk}/edit/", form_data(person, phone="1", version=person.version)
    )
    assert response.status_code == 412
    assert "Someone else saved this" in response.content.decode()
    assert Stakeholder.objects.get(pk=person.pk).phone == ""


# --- The API ----------------------------------------------------------------------------------


def test_a_detail_answer_carries_the_version_as_etag(as_user, brm, unit_a):
    person = person_in(unit_a)
    response = as_user(brm).get(URL.format(person.pk))
    assert response.status_code == 200
    assert response["ETag"] == f'"{person.version}"'


def test_get_then_put_with_a_stale_if_match_is_412(as_user, brm, unit_a):
    person = person_in(unit_a)
    api = as_user(brm)
    read = api.get(URL.format(person.pk))
    body = read.json()
    # Someone else saves in between.
    theirs = Stakeholder.objects.get(pk=person.pk)
    theirs.job_title = "Head of Payroll"
    theirs.save()

    body["phone"] = "555"
    response = api.put(URL.format(person.pk), body, HTTP_IF_MATCH=read["ETag"])

    assert response.status_code == 412
    assert set(response.json()) == {"detail"}
    assert "changed since you read it" in response.json()["detail"]
    assert response["ETag"] == f'"{theirs.version}"'
    stored = Stakeholder.objects.get(pk=person.pk)
    assert (stored.job_title, stored.phone) == ("Head of Payroll", "")


def test_put_with_the_current_if_match_saves_and_answers_the_new_etag(as_user, brm, unit_a):
    person = person_in(unit_a)
    api = as_user(brm)
    read = api.get(URL.format(person.pk))
    body = read.json()
    body["phone"] = "555"
    response = api.put(URL.format(person.pk), body, HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 200
    assert response["ETag"] == f'"{person.version + 1}"'
    assert response.json()["phone"] == "555"
    # The new ETag is good for the next change; the old one no longer is.
    again = api.patch(URL.format(person.pk), {"phone": "556"}, HTTP_IF_MATCH=response["ETag"])
    assert again.status_code == 200
    stale = api.patch(URL.format(person.pk), {"phone": "557"}, HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412


def test_a_write_without_if_match_is_allowed_by_default(as_user, brm, unit_a):
    person = person_in(unit_a)
    response = as_user(brm).patch(URL.format(person.pk), {"phone": "555"})
    assert response.status_code == 200
    assert response["ETag"] == f'"{person.version + 1}"'


def test_the_setting_makes_a_missing_if_match_428(as_user, brm, unit_a, settings):
    settings.BRM_API_REQUIRE_IF_MATCH = True
    person = person_in(unit_a)
    api = as_user(brm)
    for method in ("put", "patch", "delete"):
        response = getattr(api, method)(URL.format(person.pk), {"phone": "555"})
        assert response.status_code == 428, method
        assert set(response.json()) == {"detail"}
        assert "If-Match" in response.json()["detail"]
    assert Stakeholder.objects.filter(pk=person.pk, phone="").exists()
    etag = api.get(URL.format(person.pk))["ETag"]
    ok = api.patch(URL.format(person.pk), {"phone": "555"}, HTTP_IF_MATCH=etag)
    assert ok.status_code == 200


def test_delete_with_a_stale_if_match_is_412_and_keeps_the_record(as_user, brm, unit_a):
    person = person_in(unit_a)
    api = as_user(brm)
    etag = api.get(URL.format(person.pk))["ETag"]
    theirs = Stakeholder.objects.get(pk=person.pk)
    theirs.phone = "555"
    theirs.save()

    response = api.delete(URL.format(person.pk), HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Stakeholder.objects.filter(pk=person.pk).exists()

    fresh = api.get(URL.format(person.pk))["ETag"]
    assert api.delete(URL.format(person.pk), HTTP_IF_MATCH=fresh).status_code == 204
    assert not Stakeholder.objects.filter(pk=person.pk).exists()


def test_roles_decide_before_versions(as_user, brm, other_brm, leader, leader_b, executive, unit_a):
    """A role that may not change the record gets 403 whatever its If-Match says (never a 412
    that would tell it the record moved on); the unit's BRM gets the usual answers."""
    person = person_in(unit_a)
    etag = as_user(brm).get(URL.format(person.pk))["ETag"]
    for user in (leader, leader_b, executive, other_brm):
        for tag in (etag, '"999"'):
            response = as_user(user).patch(URL.format(person.pk), {"phone": "1"}, HTTP_IF_MATCH=tag)
            assert response.status_code == 403, (user.username, tag)
            assert "ETag" not in response
    api = as_user(brm)
    assert (
        api.patch(URL.format(person.pk), {"phone": "1"}, HTTP_IF_MATCH='"999"').status_code == 412
    )
    assert api.patch(URL.format(person.pk), {"phone": "1"}, HTTP_IF_MATCH=etag).status_code == 200
    assert Stakeholder.objects.get(pk=person.pk).phone == "1"


def test_the_schema_documents_if_match_and_etag(as_user, brm):
    schema = as_user(brm).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    detail = paths["/api/v1/stakeholders/{id}/"]
    for method in ("put", "patch", "delete"):
        names = {(p["in"], p["name"]) for p in detail[method].get("parameters", [])}
        assert ("header", "If-Match") in names, method
        assert {"412", "428"} <= set(detail[method]["responses"]), method
    for method in ("get", "put", "patch"):
        assert "ETag" in detail[method]["responses"]["200"].get("headers", {}), method
    # Lists have no ETag and take no If-Match.
    listing = paths["/api/v1/stakeholders/"]["get"]
    assert "headers" not in listing["responses"]["200"]


# --- Two real connections ---------------------------------------------------------------------


def race(*works: Callable[[], Any]) -> list[Any]:
    """Run each of `works` in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = works[i]()
        except Exception as exc:  # noqa: BLE001  # the test inspects what each got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_different_fields_both_survive(brm, unit_a):
    if connection.vendor != "postgresql":
        pytest.skip("the race is about PostgreSQL's row locking")
    person = person_in(unit_a)
    one: APIClient = token_client(brm)
    two: APIClient = token_client(brm)
    for round_ in range(20):
        title, phone = f"Title {round_}", f"+44 {round_}"
        url = URL.format(person.pk)
        answers = race(
            partial(one.patch, url, {"job_title": title}),
            partial(two.patch, url, {"phone": phone}),
        )
        assert [a.status_code for a in answers] == [200, 200], answers
        stored = Stakeholder.objects.get(pk=person.pk)
        assert (stored.job_title, stored.phone) == (title, phone), f"round {round_}"
    assert Stakeholder.objects.get(pk=person.pk).version == person.version + 40


@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_puts_from_the_same_read_one_wins_and_one_gets_412(brm, unit_a):
    if connection.vendor != "postgresql":
        pytest.skip("the race is about PostgreSQL's row locking")
    person = person_in(unit_a)
    one: APIClient = token_client(brm)
    two: APIClient = token_client(brm)
    for round_ in range(5):
        read = one.get(URL.format(person.pk))
        body, etag = read.json(), read["ETag"]
        url = URL.format(person.pk)
        answers = race(
            partial(one.put, url, {**body, "phone": "A"}, HTTP_IF_MATCH=etag),
            partial(two.put, url, {**body, "phone": "B"}, HTTP_IF_MATCH=etag),
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [200, 412], f"round {round_}: {answers}"
        winner = next(a for a in answers if a.status_code == 200)
        assert Stakeholder.objects.get(pk=person.pk).phone == winner.json()["phone"]
