"""Flash messages and the pages' own sentences built in Python speak the reader's language
(issue 17): a file added, a survey link that is no more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.attachments.conftest import complaint, storage, upload  # noqa: F401 - fixtures
from tests.factories import choose_language

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_adding_a_file_says_so_in_spanish(client, complaint, leader, storage):  # noqa: F811
    choose_language(leader, "es")
    client.force_login(leader)
    url = f"/complaints/{complaint.pk}/files/"
    body = client.post(url, {"file": upload("Registro.pdf")}, **HX).content.decode()
    assert "«Registro.pdf» añadido." in body


def test_adding_a_file_says_so_in_english(client, complaint, leader, storage):  # noqa: F811
    client.force_login(leader)
    url = f"/complaints/{complaint.pk}/files/"
    body = client.post(url, {"file": upload("Log.pdf")}, **HX).content.decode()
    assert "“Log.pdf” added." in body


def test_an_unknown_survey_link_is_explained_in_the_browsers_language(client):
    url = reverse("satisfaction:answer", args=["not-a-token"])
    spanish = client.get(url, headers={"accept-language": "es"})
    assert spanish.status_code == 404
    assert "No hemos encontrado este enlace de encuesta" in spanish.content.decode()
    english = client.get(url, headers={"accept-language": "en"})
    assert "We could not find this survey link" in english.content.decode()
