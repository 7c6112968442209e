"""The API of files on complaints, meetings, reviews and demands, per role.

Seeing the record decides seeing its files (404 outside its scope); the record's app decides who
may attach; the uploader or an administrator removes. Anonymous callers get 401.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from brm.core.attachments.models import Attachment
from brm.core.attachments.services import attach_file
from tests.attachments.conftest import EXE, HTML, PDF, stored, upload

pytestmark = pytest.mark.django_db

# record fixture -> API path, then who may attach (201), who sees but may not (403),
# who may not see at all (404). Meetings and reviews answer a role that never writes them
# (leaders) 403 before looking the record up, as their other writes do: the same answer for
# any id, so it confirms nothing.
KINDS = {
    "complaint": (
        "complaints",
        ["leader", "brm", "executive", "admin_user", "integration"],
        ["colleague", "other_brm"],
        ["leader_b"],
    ),
    "meeting": (
        "interactions",
        ["brm", "admin_user", "integration"],
        ["leader", "executive", "other_brm", "leader_b"],
        [],
    ),
    "review": (
        "reviews",
        ["brm", "admin_user", "integration"],
        ["leader", "executive", "other_brm", "leader_b"],
        [],
    ),
    "demand": (
        "demands",
        ["brm", "admin_user"],
        ["leader", "executive", "other_brm", "integration"],
        ["leader_b"],
    ),
}
MATRIX = [
    (kind, who, expected)
    for kind, (_, allowed, forbidden, hidden) in KINDS.items()
    for who, expected in (
        [(w, 201) for w in allowed] + [(w, 403) for w in forbidden] + [(w, 404) for w in hidden]
    )
]


def files_url(kind: str, record) -> str:
    return f"/api/v1/{KINDS[kind][0]}/{record.pk}/attachments/"


@pytest.fixture
def record(request):
    return lambda kind: request.getfixturevalue(kind)


@pytest.mark.parametrize(("kind", "who", "expected"), MATRIX)
def test_upload_per_role(request, as_user, record, kind, who, expected, storage):
    target = record(kind)
    response = as_user(request.getfixturevalue(who)).post(
        files_url(kind, target), {"file": upload("Minutes.pdf")}, format="multipart"
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert (body["filename"], body["content_type"], body["size"]) == (
            "Minutes.pdf",
            "application/pdf",
            len(PDF),
        )
        assert body["download_url"].endswith(f"attachments/{body['id']}/download/")
    else:
        assert not Attachment.objects.exists()
        assert stored(storage) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_upload_needs_credentials(record, kind):
    response = APIClient().post(
        files_url(kind, record(kind)), {"file": upload()}, format="multipart"
    )
    assert response.status_code == 401


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_user_without_a_role_is_refused(as_user, no_role_user, record, kind):
    assert as_user(no_role_user).get(files_url(kind, record(kind))).status_code == 403


def _attached(kind, target, brm):
    return attach_file(target, upload("Pack.pdf"), actor=brm, allowed=True)


READERS = [
    (kind, who, 200)
    for kind, (_, allowed, forbidden, _hidden) in KINDS.items()
    for who in ["brm", "other_brm", "executive", "leader"]
] + [(kind, "leader_b", 404) for kind in KINDS]


@pytest.mark.parametrize(("kind", "who", "expected"), READERS)
def test_list_and_download_follow_the_records_scope(
    request, as_user, record, brm, kind, who, expected
):
    target = record(kind)
    attachment = _attached(kind, target, brm)
    client = as_user(request.getfixturevalue(who))
    listed = client.get(files_url(kind, target))
    one = client.get(f"{files_url(kind, target)}{attachment.pk}/")
    download = client.get(f"{files_url(kind, target)}{attachment.pk}/download/")
    assert (listed.status_code, one.status_code, download.status_code) == (expected,) * 3
    if expected == 200:
        assert [f["filename"] for f in listed.json()["results"]] == ["Pack.pdf"]
        assert b"".join(download.streaming_content) == PDF


def test_download_sends_the_sniffed_type_as_an_attachment(as_user, complaint, leader):
    attachment = attach_file(
        complaint, upload("Q3 «pack».pdf", content_type="text/html"), actor=leader, allowed=True
    )
    response = as_user(leader).get(
        f"/api/v1/complaints/{complaint.pk}/attachments/{attachment.pk}/download/",
        HTTP_ACCEPT="application/pdf",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Q3%20%C2%ABpack%C2%BB.pdf" in response["Content-Disposition"]


def test_a_file_of_another_record_is_not_found_through_this_one(as_user, brm, unit_a, meeting):
    other = type(meeting).objects.create(unit=unit_a, kind=meeting.kind, summary="Another")
    attachment = attach_file(other, upload(), actor=brm, allowed=True)
    response = as_user(brm).get(f"/api/v1/interactions/{meeting.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("invoice.pdf", EXE, "is not a type you may attach"),
        ("logo.png", HTML, "disguised"),
    ],
)
def test_a_refused_file_is_a_400_under_file_and_keeps_nothing(
    as_user, complaint, leader, storage, name, data, message
):
    response = as_user(leader).post(
        f"/api/v1/complaints/{complaint.pk}/attachments/",
        {"file": upload(name, data, content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == 400
    assert message in response.json()["file"][0]
    assert not Attachment.objects.exists()
    assert stored(storage) == []


def test_an_oversized_file_is_a_400_and_keeps_nothing(
    as_user, complaint, leader, storage, settings
):
    settings.BRM_ATTACHMENT_MAX_BYTES = 100
    response = as_user(leader).post(
        f"/api/v1/complaints/{complaint.pk}/attachments/",
        {"file": upload("big.pdf", PDF + b" " * 100)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "at most 100" in response.json()["file"][0]
    assert not Attachment.objects.exists()
    assert stored(storage) == []


def test_an_upload_without_a_file_is_a_400(as_user, complaint, leader):
    response = as_user(leader).post(
        f"/api/v1/complaints/{complaint.pk}/attachments/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("leader", 204), ("admin_user", 204), ("brm", 403), ("executive", 403), ("leader_b", 404)],
)
def test_delete_per_role(request, as_user, complaint, leader, storage, who, expected):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    url = f"/api/v1/complaints/{complaint.pk}/attachments/{attachment.pk}/"
    assert as_user(request.getfixturevalue(who)).delete(url).status_code == expected
    assert Attachment.objects.filter(pk=attachment.pk).exists() == (expected != 204)


def test_listing_costs_the_same_queries_for_2_or_30_files(as_user, review, brm):
    client = as_user(brm)
    url = f"/api/v1/reviews/{review.pk}/attachments/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        attach_file(review, upload(), actor=brm, allowed=True)
    client.get(url)  # the token's last-used write happens once a minute at most
    few = count()
    for _ in range(28):
        attach_file(review, upload(), actor=brm, allowed=True)
    # token, its user and groups, the review in the user's scope, the count, the page of files
    # with their uploaders: the same whatever the number of files.
    assert count() == few <= 7


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_record_id_that_is_not_a_number_is_a_404(as_user, brm, kind):
    response = as_user(brm).post(
        f"/api/v1/{KINDS[kind][0]}/x%09/attachments/", {"file": upload()}, format="multipart"
    )
    assert response.status_code == 404
