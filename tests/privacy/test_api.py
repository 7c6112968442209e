"""People's data through the API: administrators only (token or session), others 403,
anonymous 401, unknown ids 404; the schema documents it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from brm.core.models import AuditEvent
from stakeholders.models import Stakeholder
from tests.privacy.conftest import NAME, STRINGS
from tests.privacy.db_search import find

pytestmark = pytest.mark.django_db


def _urls(zelda):
    sid, uid = zelda.stakeholder.pk, zelda.user.pk
    return {
        "stakeholder": f"/api/v1/privacy/stakeholders/{sid}/",
        "user": f"/api/v1/privacy/users/{uid}/",
    }


@pytest.mark.parametrize("kind", ["stakeholder", "user"])
def test_an_administrators_token_exports_then_erases(as_user, admin_user, zelda, kind) -> None:
    client = as_user(admin_user)
    base = _urls(zelda)[kind]
    exported = client.get(f"{base}export/")
    assert exported.status_code == 200, exported.content
    body = exported.json()
    assert set(body["parts"]) == {
        "register",
        "reviews",
        "complaints",
        "demands",
        "surveys",
        "health",
        "webhooks",
        "imports",
        "sign_in",
        "account",
    }
    assert body["parts"]["register"]["stakeholder"][0]["name"] == NAME

    erased = client.post(f"{base}erase/")
    assert erased.status_code == 200, erased.content
    assert erased.json()["counts"]["register"]["stakeholder"] == 1
    assert find(STRINGS) == {}
    again = client.post(f"{base}erase/")
    assert again.status_code == 200
    assert all(n == 0 for part in again.json()["counts"].values() for n in part.values())
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["privacy.export", "privacy.erase", "privacy.erase"]


@pytest.mark.parametrize("persona", ["brm", "executive", "integration", "leader", "no_role_user"])
def test_other_roles_get_403_and_change_nothing(request, as_user, zelda, persona) -> None:
    client = as_user(request.getfixturevalue(persona))
    base = _urls(zelda)["stakeholder"]
    assert client.get(f"{base}export/").status_code == 403
    assert client.post(f"{base}erase/").status_code == 403
    assert Stakeholder.objects.get(pk=zelda.stakeholder.pk).name == NAME
    assert not AuditEvent.objects.exists()


def test_a_session_administrator_may_too(admin_user, zelda) -> None:
    client = APIClient()
    client.force_login(admin_user)
    assert client.get(f"{_urls(zelda)['user']}export/").status_code == 200


def test_anonymous_callers_get_401(zelda) -> None:
    answer = APIClient().post(f"{_urls(zelda)['stakeholder']}erase/")
    assert answer.status_code == 401


def test_unknown_ids_are_404(as_user, admin_user) -> None:
    client = as_user(admin_user)
    assert client.get("/api/v1/privacy/stakeholders/999999/export/").status_code == 404
    assert client.post("/api/v1/privacy/users/999999/erase/").status_code == 404


def test_reading_with_the_wrong_method_is_405(as_user, admin_user, zelda) -> None:
    client = as_user(admin_user)
    assert client.get(f"{_urls(zelda)['stakeholder']}erase/").status_code == 405


def test_the_schema_documents_both_actions(as_user, admin_user) -> None:
    schema = as_user(admin_user).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/privacy/stakeholders/{id}/erase/"]
    assert "get" in paths["/api/v1/privacy/users/{id}/export/"]
