"""The shell every signed-in page shares (templates/base.html, issue 14): its navigation is
drawn once per role, language and (for leaders) unit and kept in the process
(brm.core.templatetags.shell), never per person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from brm.core.roles import Role
from brm.core.templatetags.shell import NavKey, shared_part
from tests.factories import UserFactory

# Links only the IT side is offered (templates/includes/nav.html); a leader must never see them.
IT_ONLY = ("Dashboard", "Business units", "Stakeholder map", "Recognition", "My complaint queue")
LEADER_ONLY = ("Our relationship with IT", "Promises IT made", "Your voice")


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts and ends without fragments a previous one drew."""
    shared_part.cache_clear()
    yield
    shared_part.cache_clear()


def nav_of(client: Client, user: User, **headers: Any) -> str:
    """The `<nav>` of the profile page (every role may open it) as `user` sees it."""
    client.force_login(user)
    response = client.get(reverse("core:profile"), headers=headers)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<nav ") : html.index("</nav>")]


def test_it_shows_each_role_its_own_navigation(client, brm, executive, leader):
    seen = {user.username: nav_of(client, user) for user in (brm, executive, leader)}
    assert "My relationships" in seen["brm"]
    assert "My relationships" not in seen["cio"]
    assert "?mine=1" in seen["brm"]
    assert "?mine=1" not in seen["cio"]
    for label in IT_ONLY:
        assert label in seen["cio"]
        assert label not in seen["leader"]
    for label in LEADER_ONLY:
        assert label in seen["leader"]
        assert label not in seen["cio"]


def test_it_never_shows_a_leader_what_an_it_page_drew_before(client, admin_user, leader):
    nav_of(client, admin_user)  # the administrator's fragment is cached first
    html = nav_of(client, leader)
    for label in (*IT_ONLY, "Import", "Admin", "API"):
        assert f">{label}<" not in html
    assert reverse("admin:index") not in html
    assert reverse("imports:upload") not in html


def test_it_links_each_leader_to_their_own_unit(client, leader, leader_b, unit_a, unit_b):
    mine = nav_of(client, leader)
    theirs = nav_of(client, leader_b)
    assert reverse("stakeholders:unit_detail", args=[unit_a.pk]) in mine
    assert reverse("stakeholders:unit_detail", args=[unit_b.pk]) not in mine
    assert reverse("stakeholders:unit_detail", args=[unit_b.pk]) in theirs
    assert reverse("health:unit_health", args=[unit_b.pk]) in theirs


def test_it_shows_staff_the_admin_link_and_no_one_else(client, admin_user, brm):
    assert reverse("admin:index") in nav_of(client, admin_user)
    assert reverse("admin:index") not in nav_of(client, brm)


def test_it_speaks_the_language_of_each_request(client, brm):
    with translation.override("es"):
        spanish = gettext("Business units")
    assert spanish != "Business units"  # the catalogue translates it, so the test can tell
    assert "Business units" in nav_of(client, brm, accept_language="en-GB")
    html = nav_of(client, brm, accept_language="es")
    assert spanish in html
    assert ">Business units<" not in html
    assert "Business units" in nav_of(client, brm, accept_language="en-GB")


def test_it_shows_each_person_their_own_name_escaped(client, brm):
    other = UserFactory.create(username="second", first_name="<Sam>", role=Role.BRM)
    assert 'title="Bianca Reyes · Relationship manager' in nav_of(client, brm)
    html = nav_of(client, other)
    assert "&lt;Sam&gt;" in html
    assert "<Sam>" not in html
    assert "Bianca" not in html


def test_it_names_someone_without_a_first_name_by_their_username(db, client):
    user = UserFactory.create(username="plainuser", first_name="", last_name="", role=Role.BRM)
    html = nav_of(client, user)
    assert 'aria-label="plainuser · Relationship manager' in html
    assert 'title="plainuser · ' in html


def test_the_log_out_form_has_the_requests_csrf_token(client, brm):
    tokens = [
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', nav_of(client, brm))
        for _ in range(2)
    ]
    assert tokens[0] is not None
    assert tokens[1] is not None
    assert tokens[0].group(1) != tokens[1].group(1)  # masked anew each time: never cached


def test_the_shared_part_reads_nothing_but_its_key():
    key = NavKey(
        role="leader",
        is_it_side=False,
        my_unit_id=7,
        is_staff=False,
        language="en-gb",
        script_prefix="/",
        urlconf=None,
    )
    with translation.override("en-gb"):
        parts = shared_part(key)
    assert parts[1::2] == ("person", "name", "name", "csrf_input")  # filled in per request
    html = "".join(parts[::2])
    assert reverse("stakeholders:unit_detail", args=[7]) in html
    assert "Business leader" in html  # the role's label
    assert "csrfmiddlewaretoken" not in html
