"""Import jobs through the API: upload, dry run in a worker task, progress, confirm; per role."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from brm.imports.jobs import run_import_job
from brm.imports.models import ImportJob
from stakeholders.models import Stakeholder
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"
PEOPLE = b"\xef\xbb\xbfEmail;Name;Unit\r\nana@example.com;Ana;fin\r\nbo@example.com;Bo;fin\r\n"


def _upload(client, data: bytes = PEOPLE, **extra):
    body = {"kind": "stakeholders", "file": SimpleUploadedFile("people.csv", data)} | extra
    return client.post(URL, body, format="multipart")


def test_dry_run_then_confirm(
    as_user, admin_user, unit_a, django_capture_on_commit_callbacks
) -> None:
    client = as_user(admin_user)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = _upload(client)
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["id"]
    assert (answer.json()["status"], answer.json()["dry_run"]) == ("queued", True)
    assert len(queued) == 1  # the task is published after commit, by the kernel's outbox
    run_import_job(job_id)  # what the worker runs
    run_import_job(job_id)  # a second delivery of the same task does nothing
    status = client.get(f"{URL}{job_id}/").json()
    assert status["status"] == "done"
    assert status["progress"] == {"done": 2, "total": 2}
    assert (status["result"]["new"], status["result"]["saved"]) == (2, False)
    assert not Stakeholder.objects.filter(email="ana@example.com").exists()

    with django_capture_on_commit_callbacks(execute=False):
        confirmed = client.post(f"{URL}{job_id}/confirm/")
    assert confirmed.status_code == 202
    run_import_job(confirmed.json()["id"])
    real = client.get(f"{URL}{confirmed.json()['id']}/").json()
    assert (real["result"]["new"], real["result"]["saved"], real["preview"]) == (2, True, job_id)
    assert Stakeholder.objects.filter(email__endswith="@example.com").count() == 2


def test_a_dry_run_with_errors_cannot_be_confirmed(as_user, admin_user, unit_a) -> None:
    client = as_user(admin_user)
    job_id = _upload(client, b"Email,Name,Unit\nx@example.com,X,nowhere\n").json()["id"]
    run_import_job(job_id)
    result = client.get(f"{URL}{job_id}/").json()["result"]
    assert result["errors"] == [
        {"row": 2, "column": "unit", "message": "No business unit has the code or name 'nowhere'."}
    ]
    assert client.post(f"{URL}{job_id}/confirm/").status_code == 409


def test_bad_uploads_are_400(as_user, admin_user) -> None:
    client = as_user(admin_user)
    assert client.post(URL, {"kind": "stakeholders"}, format="multipart").status_code == 400
    assert _upload(client, kind="planets").status_code == 400
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_user", 202),
        ("integration", 202),
        ("executive", 403),
        ("brm", 403),
        ("leader", 403),
        ("no_role_user", 403),
    ],
)
def test_who_may_import(request, as_user, unit_a, persona, expected) -> None:
    user = request.getfixturevalue(persona)
    assert _upload(as_user(user)).status_code == expected


def test_others_cannot_follow_or_confirm_a_job(as_user, admin_user, executive, brm, api) -> None:
    job = ImportJob.objects.create(kind="stakeholders", data=PEOPLE, created_by=admin_user)
    for user in (executive, brm):
        assert as_user(user).get(f"{URL}{job.pk}/").status_code == 403
        assert as_user(user).post(f"{URL}{job.pk}/confirm/").status_code == 403
    assert api.get(f"{URL}{job.pk}/").status_code == 401


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("services", b"Code,Name\nemail,Email\n"),
        ("consumers", b"Service,Unit\nemail,fin\n"),
        (
            "metrics",
            b"Service,Period start,Period end,Availability\nemail,2026-01-01,2026-01-31,99\n",
        ),
    ],
)
def test_the_catalogue_kinds_run_as_jobs(as_user, integration, unit_a, kind, data) -> None:
    if kind != "services":
        ServiceFactory.create(code="email", name="Email")
    client = as_user(integration)
    answer = _upload(client, data, kind=kind, dry_run="false")
    assert answer.status_code == 202, answer.content
    run_import_job(answer.json()["id"])
    result = client.get(f"{URL}{answer.json()['id']}/").json()["result"]
    assert (result["kind"], result["new"], result["saved"], result["errors"]) == (kind, 1, True, [])
