"""Model names reach people inside sentences (the API's stale-write 412, the admin's headings):
every project model's `verbose_name` and `verbose_name_plural` is a translatable string with a
Spanish entry, so a Spanish reader no longer gets "Este registro (commitment) ..." (issue 17)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models as db_models
from django.utils import translation
from django.utils.functional import Promise

from tests.factories import ActionItemFactory

PROJECT_APPS = (
    "brm.",
    "stakeholders.",
    "reviews.",
    "complaints.",
    "portfolio.",
    "satisfaction.",
)


def _project_models() -> list[type[db_models.Model]]:
    # simple-history's historical twins build their names from these ("historical ..."), so
    # they are left out: their names are made once, at import.
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith(PROJECT_APPS) and not hasattr(model, "instance_type")
    ]


def test_every_project_model_names_itself_in_spanish():
    models = _project_models()
    assert len(models) >= 54
    untranslated = []
    for model in models:
        opts = model._meta
        for attr in ("verbose_name", "verbose_name_plural"):
            # Lazy, so the name is looked up in the reader's language when it is shown.
            assert isinstance(opts.original_attrs.get(attr), Promise), (model, attr)
            english = str(getattr(opts, attr))
            with translation.override("es"):
                spanish = str(getattr(opts, attr))
            if spanish == english:
                untranslated.append(f"{model.__name__}.{attr} = {english!r}")
    assert untranslated == []


def test_english_model_names_are_unchanged():
    from stakeholders.models import ActionItem

    with translation.override("en"):
        assert str(ActionItem._meta.verbose_name) == "commitment"
        assert str(ActionItem._meta.verbose_name_plural) == "commitments"


@pytest.mark.django_db
def test_a_stale_write_names_the_record_in_the_readers_language(as_user, brm, unit_a):
    promise = ActionItemFactory.create(unit=unit_a)
    api = as_user(brm)
    url = f"/api/v1/action-items/{promise.pk}/"
    spanish = api.patch(url, {"title": "x"}, HTTP_ACCEPT_LANGUAGE="es", HTTP_IF_MATCH='"999"')
    assert spanish.status_code == 412
    assert spanish.json()["detail"].startswith(
        "Este registro (compromiso) ha cambiado desde que lo leíste: ahora está en la versión"
    )
    english = api.patch(url, {"title": "x"}, HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_MATCH='"999"')
    assert english.status_code == 412
    assert english.json()["detail"].startswith(
        "This commitment has changed since you read it: it is now version"
    )


def test_every_project_app_is_named_in_the_readers_language():
    """The admin's sections are the apps' names: lazy, and translated in the Spanish catalogue."""
    ours = [
        a for a in apps.get_app_configs() if not a.name.startswith(("django", "rest_framework"))
    ]
    ours = [
        a
        for a in ours
        if a.path.startswith(str(settings.BASE_DIR)) and "site-packages" not in a.path
    ]
    assert len(ours) >= 13
    for app in ours:
        assert isinstance(app.verbose_name, Promise), app.label
        with translation.override("es"):
            spanish = str(app.verbose_name)
        assert spanish != str(app.verbose_name) or app.label == "webhooks", app.label
