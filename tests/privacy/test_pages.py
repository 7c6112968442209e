"""The export page, its JSON download and erase form, and the admin's actions (administrators
only)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from brm.core.models import AuditEvent
from stakeholders.models import Stakeholder
from tests.privacy.conftest import EMAIL, NAME, STRINGS
from tests.privacy.db_search import find

pytestmark = pytest.mark.django_db


def test_an_administrator_reads_the_page_and_downloads_json(client, admin_user, zelda) -> None:
    client.force_login(admin_user)
    url = f"/privacy/stakeholders/{zelda.stakeholder.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for text in (NAME, EMAIL, "Named answer: payroll reports are slow.", "Payroll catch-up"):
        assert text in html
    assert "Anonymous answer" not in html
    download = client.get(url, {"format": "json"})
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.json()["parts"]["account"]["account"][0]["email"] == EMAIL


@pytest.mark.parametrize("persona", ["brm", "executive", "leader", "no_role_user"])
def test_other_roles_get_403(request, client, zelda, persona) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/privacy/users/{zelda.user.pk}/").status_code == 403
    answer = client.post(f"/privacy/users/{zelda.user.pk}/erase/", {"confirm": "ERASE"})
    assert answer.status_code == 403
    assert Stakeholder.objects.get(pk=zelda.stakeholder.pk).name == NAME


def test_anonymous_visitors_are_sent_to_sign_in(client, zelda) -> None:
    answer = client.get(f"/privacy/users/{zelda.user.pk}/")
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_the_erase_form_needs_the_word(client, admin_user, zelda) -> None:
    client.force_login(admin_user)
    url = f"/privacy/stakeholders/{zelda.stakeholder.pk}/erase/"
    client.post(url, {"confirm": "yes"})
    assert Stakeholder.objects.get(pk=zelda.stakeholder.pk).name == NAME
    client.post(url, {"confirm": "ERASE"})
    assert find(STRINGS) == {}


def test_the_admin_action_asks_then_erases(client, admin_user, zelda) -> None:
    client.force_login(admin_user)
    url = "/admin/stakeholders/stakeholder/"
    data = {"action": "erase_personal_data", ACTION_CHECKBOX_NAME: [zelda.stakeholder.pk]}
    asked = client.post(url, data)
    assert asked.status_code == 200 and b"Yes, erase them" in asked.content
    assert Stakeholder.objects.get(pk=zelda.stakeholder.pk).name == NAME
    client.post(url, {**data, "post": "yes"})
    assert find(STRINGS) == {}
    assert AuditEvent.objects.filter(action="privacy.erase", actor=admin_user).count() == 1


def test_the_admin_export_action_opens_the_page(client, admin_user, zelda) -> None:
    client.force_login(admin_user)
    data = {"action": "export_personal_data", ACTION_CHECKBOX_NAME: [zelda.user.pk]}
    answer = client.post("/admin/auth/user/", data)
    assert answer.status_code == 302
    assert answer["Location"] == f"/privacy/users/{zelda.user.pk}/"


def test_the_audit_log_is_read_only_in_the_admin(client, admin_user, zelda) -> None:
    client.force_login(admin_user)
    client.get(f"/privacy/users/{zelda.user.pk}/")
    event = AuditEvent.objects.get()
    listing = client.get("/admin/core/auditevent/")
    assert listing.status_code == 200 and b"privacy.export" in listing.content
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert client.post(f"/admin/core/auditevent/{event.pk}/change/", {}).status_code == 403
