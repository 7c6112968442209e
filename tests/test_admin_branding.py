"""The admin is branded and /favicon.ico answers (issue 15)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_says_whose_it_is(client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert "BRM administration" in html
    assert "Django administration" not in html
    assert 'rel="icon"' in html


def test_favicon_ico_leads_to_the_vendored_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    assert client.get(response["Location"]).status_code == 200
