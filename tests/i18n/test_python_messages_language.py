"""The API's errors and the pages' flash messages built in Python speak the reader's language
(issue 17): a Spanish reader gets the Spanish catalogue's sentence, an English one the English."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from brm.core.models import Notification, OutboundEmail
from tests.factories import StakeholderFactory, choose_language

pytestmark = pytest.mark.django_db
URL = "/api/v1/stakeholders/{}/"


def test_a_missing_if_match_is_explained_in_the_callers_language(as_user, brm, unit_a, settings):
    settings.BRM_API_REQUIRE_IF_MATCH = True
    person = StakeholderFactory.create(unit=unit_a)
    api = as_user(brm)
    spanish = api.patch(URL.format(person.pk), {"phone": "555"}, HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 428
    assert spanish.json()["detail"] == (
        f'Envía If-Match: "{person.version}" (el ETag de la versión que leíste) con PUT, PATCH y '
        "DELETE."
    )
    english = api.patch(URL.format(person.pk), {"phone": "555"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"].startswith(f'Send If-Match: "{person.version}"')


def test_a_stale_if_match_is_explained_in_spanish_to_a_spanish_user(client, brm, unit_a):
    choose_language(brm, "es")
    person = StakeholderFactory.create(unit=unit_a)
    client.force_login(brm)
    response = client.patch(
        URL.format(person.pk),
        {"phone": "555"},
        content_type="application/json",
        headers={"if-match": '"999"'},
    )
    assert response.status_code == 412
    assert "ha cambiado desde que lo leíste" in response.json()["detail"]
    assert "Vuelve a leerlo y aplica de nuevo tu cambio." in response.json()["detail"]


def test_marking_the_inbox_read_says_so_in_spanish(client, leader):
    choose_language(leader, "es")
    for n in range(2):
        email = OutboundEmail.objects.create(
            kind="complaint.filed", ref=n, key=f"note-{n}", message_id=f"<{n}@test>"
        )
        Notification.objects.create(user=leader, email=email, kind=email.kind, subject=f"Note {n}")
    client.force_login(leader)
    page = client.post(reverse("core:inbox_read_all"), follow=True).content.decode()
    assert "2 notificaciones marcadas como leídas." in page


def test_the_mfa_requirement_speaks_the_users_language_before_their_page_does(
    client, brm, settings
):
    """RequireMfaMiddleware answers before the middleware that applies a person's language."""
    settings.BRM_MFA_REQUIRED_ROLES = ["brm"]
    choose_language(brm, "es")
    client.force_login(brm)
    api = client.get("/api/v1/stakeholders/")
    assert api.status_code == 403
    assert api.json()["detail"] == "Configura la autenticación en dos pasos antes de usar la API."
    page = client.get("/profile/")
    assert page["Location"] == reverse("mfa_activate_totp")
    flashed = [str(m) for m in get_messages(page.wsgi_request)]
    assert "Tu rol exige la autenticación en dos pasos: configúrala para continuar." in flashed


def test_a_refusal_from_a_service_is_in_the_readers_language(leader, unit_a):
    """`roles.require`'s message is the 403 people read: Spanish for a Spanish reader."""
    from django.utils import translation

    from brm.core.errors import ForbiddenAction
    from stakeholders.services import log_interaction

    for language, sentence in [
        ("es", "Solo los responsables de relación de negocio de la unidad registran reuniones."),
        ("en", "Only the unit's relationship managers log meetings."),
    ]:
        with translation.override(language), pytest.raises(ForbiddenAction) as refused:
            log_interaction(unit_a, actor=leader, fields={"summary": "Catch-up"})
        assert str(refused.value) == sentence
