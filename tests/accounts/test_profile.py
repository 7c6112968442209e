"""The profile page keeps the person's language: chosen there, or the browser's when empty."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brm.core.models import UserPreference
from brm.core.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _form(client, **changes):
    """The profile form as the page fills it, with `changes`."""
    form = client.get(reverse("core:profile")).context["form"]
    return {**{name: form[name].value() or "" for name in form.fields}, **changes}


def test_it_saves_a_language_and_pages_use_it(client):
    user = UserFactory.create(role=Role.BRM)
    client.force_login(user)
    saved = client.post(reverse("core:profile"), _form(client, language="es"))
    assert saved.status_code == 302
    assert UserPreference.for_user(user).language == "es"
    page = client.get(reverse("core:profile"))
    assert page.wsgi_request.LANGUAGE_CODE == "es"


def test_it_refuses_a_language_the_site_does_not_speak(client):
    user = UserFactory.create(role=Role.BRM)
    client.force_login(user)
    response = client.post(reverse("core:profile"), _form(client, language="xx"))
    assert response.status_code == 400
    assert UserPreference.for_user(user).language == ""
