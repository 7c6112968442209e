"""Bulk import pages: upload, dry run with htmx-polled progress, row errors, confirm; per role."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from brm.imports.jobs import run_import_job
from brm.imports.models import ImportJob
from stakeholders.models import BusinessUnit
from tests.factories import choose_language

pytestmark = pytest.mark.django_db

UNITS = b"Code,Name\nhr,People\nit,Technology\n"


def _upload(client, data: bytes = UNITS):
    file = SimpleUploadedFile("units.csv", data)
    return client.post(reverse("imports:upload"), {"kind": "units", "file": file})


def test_upload_preview_confirm(client, admin_user) -> None:
    client.force_login(admin_user)
    assert client.get(reverse("imports:upload")).status_code == 200
    answer = _upload(client)
    job = ImportJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("imports:job", args=[job.pk])
    page = client.get(answer["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page  # polls while queued
    run_import_job(job.pk)
    region = client.get(answer["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in region  # done: polling stops
    assert '<th scope="row">New</th><td>2</td>' in region and "Import these rows" in region
    assert not BusinessUnit.objects.filter(code__in=["hr", "it"]).exists()
    confirmed = client.post(reverse("imports:confirm", args=[job.pk]))
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert confirmed["Location"] == reverse("imports:job", args=[real.pk])
    run_import_job(real.pk)
    assert "Imported: 2 new" in client.get(confirmed["Location"]).content.decode()
    assert BusinessUnit.objects.filter(code__in=["hr", "it"]).count() == 2


def test_row_errors_are_shown_and_cannot_be_confirmed(client, admin_user) -> None:
    client.force_login(admin_user)
    _upload(client, b"Code,Name\nhr,People\nnot a slug!,Bad\n")
    job = ImportJob.objects.get()
    run_import_job(job.pk)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert '<td>3</td><td><code lang="en">code</code></td>' in page
    assert "Import these rows" not in page
    assert client.post(reverse("imports:confirm", args=[job.pk])).status_code == 409
    assert not BusinessUnit.objects.filter(code="hr").exists()


@pytest.mark.parametrize("persona", ["executive", "brm", "leader", "no_role_user"])
def test_others_get_403(request, client, admin_user, persona) -> None:
    job = ImportJob.objects.create(kind="units", data=UNITS, created_by=admin_user)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("imports:upload")).status_code == 403
    assert _upload(client).status_code == 403
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 403
    assert client.post(reverse("imports:confirm", args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1


def test_a_spanish_reader_gets_spanish_labels_and_the_english_header_names(
    client, admin_user, django_capture_on_commit_callbacks
) -> None:
    """The headers are the files' contract, so they stay English (as code) beside Spanish
    descriptions; the row errors are written in the language the dry run was started in."""
    choose_language(admin_user, "es")
    client.force_login(admin_user)
    upload = client.get(reverse("imports:upload")).content.decode()
    assert "Columnas del archivo" in upload and "Qué importar" in upload
    assert '<code lang="en">email</code>' in upload and "Dirección de correo electrónico" in upload
    assert "Admite: Cliente, Usuario, Patrocinador" in upload  # the role's labels, in Spanish
    with (
        mock.patch.object(run_import_job, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _upload(client, b"Code,Name,Review cadence days\nhr,People,x\nhr,Other,30\n,Blank,30\n")
    job = ImportJob.objects.get()
    queued.assert_called_once_with(job.pk, "es")
    run_import_job(job.pk, "es")
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Simulación de unidades de negocio: units.csv" in page
    assert '<th scope="row">Errores</th><td>3</td>' in page
    assert "El archivo tiene errores; corrígelos y vuelve a subirlo." in page
    assert '<td>2</td><td><code lang="en">review cadence days</code></td>' in page
    assert "«x» no es un número entero." in page
    assert "La fila 2 tiene la misma clave (code) con otros valores." in page
    assert "La celda «code» está vacía; todas las filas la necesitan." in page
    assert "Columnas que lee esta importación" in page and "Encabezado" in page
    assert '<code lang="en">code</code> <span class="badge text-bg-secondary">clave</span>' in page
    for english in ("Rows in the file", "Errors by row", "The file has errors", "What it holds"):
        assert english not in page
