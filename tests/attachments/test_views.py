"""The pages of files: on the complaint, review and demand pages and a meeting's own page;
upload with and without htmx, errors next to the field, scoped downloads, removal."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brm.core.attachments.models import Attachment
from brm.core.attachments.services import attach_file
from tests.attachments.conftest import EXE, HTML, PDF, stored, upload

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def files_url(record, prefix: str) -> str:
    return f"/{prefix}/{record.pk}/files/"


def test_the_complaint_page_offers_the_complainant_an_upload_form(client, complaint, leader):
    client.force_login(leader)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert 'id="attachments"' in page
    assert 'id="attachment-form"' in page
    assert 'id="attachments-empty"' in page


def test_an_observer_sees_the_files_but_no_upload_form(client, complaint, leader, colleague):
    attach_file(complaint, upload("Evidence.pdf"), actor=leader, allowed=True)
    client.force_login(colleague)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Evidence.pdf" in page
    assert 'id="attachment-form"' not in page
    assert "Remove" not in page


def test_htmx_upload_swaps_the_region_in(client, complaint, leader, storage):
    client.force_login(leader)
    response = client.post(
        files_url(complaint, "complaints"), {"file": upload("Screenshot.png", PDF)}, **HX
    )
    # A PDF named .png is refused: the region comes back with the error next to the field.
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'class="invalid-feedback d-block" id="id_file_error"' in body
    assert "disguised" in body
    assert not Attachment.objects.exists() and stored(storage) == []

    response = client.post(files_url(complaint, "complaints"), {"file": upload("Log.pdf")}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Log.pdf" in body and "“Log.pdf” added." in body
    assert "attachmentsChanged" in response["HX-Trigger"]
    assert Attachment.objects.get().uploaded_by == leader


def test_without_javascript_a_refused_file_is_a_400_page_with_the_error(
    client, complaint, leader, storage
):
    client.force_login(leader)
    response = client.post(files_url(complaint, "complaints"), {"file": upload("a.pdf", EXE)})
    assert response.status_code == 400
    assert "is not a type you may attach" in response.content.decode()
    assert not Attachment.objects.exists() and stored(storage) == []


def test_without_javascript_an_upload_goes_back_to_the_record(client, complaint, leader):
    client.force_login(leader)
    page = f"/complaints/{complaint.pk}/"
    response = client.post(files_url(complaint, "complaints"), {"file": upload(), "next": page})
    assert response.status_code == 302 and response["Location"] == page


def test_an_oversized_file_is_refused_with_a_clear_error(
    client, complaint, leader, storage, settings
):
    settings.BRM_ATTACHMENT_MAX_BYTES = 50
    client.force_login(leader)
    response = client.post(files_url(complaint, "complaints"), {"file": upload()}, **HX)
    assert "files may be at most 50\xa0bytes" in response.content.decode()
    assert not Attachment.objects.exists() and stored(storage) == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("leader", 302),
        ("brm", 302),
        ("executive", 302),
        ("colleague", 403),
        ("other_brm", 403),
        ("leader_b", 404),
        ("no_role_user", 403),
    ],
)
def test_complaint_upload_per_role(request, client, complaint, storage, who, expected):
    client.force_login(request.getfixturevalue(who))
    response = client.post(files_url(complaint, "complaints"), {"file": upload()})
    assert response.status_code == expected
    assert Attachment.objects.exists() == (expected == 302)


def test_anonymous_users_are_sent_to_sign_in(client, complaint, leader):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    for url in (
        files_url(complaint, "complaints"),
        f"/complaints/{complaint.pk}/files/{attachment.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("leader", 200), ("colleague", 200), ("other_brm", 200), ("leader_b", 404)],
)
def test_complaint_download_per_role(request, client, complaint, leader, who, expected):
    attachment = attach_file(complaint, upload("Notes.txt", HTML), actor=leader, allowed=True)
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"/complaints/{complaint.pk}/files/{attachment.pk}/")
    assert response.status_code == expected
    if expected == 200:
        # HTML text kept as a .txt is handed out as text, never rendered.
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="Notes.txt"'
        assert b"".join(response.streaming_content) == HTML


@pytest.mark.parametrize(
    ("who", "expected"),
    [("leader", 302), ("admin_user", 302), ("brm", 403), ("colleague", 403), ("leader_b", 404)],
)
def test_complaint_delete_per_role(request, client, complaint, leader, storage, who, expected):
    attachment = attach_file(complaint, upload(), actor=leader, allowed=True)
    client.force_login(request.getfixturevalue(who))
    response = client.post(f"/complaints/{complaint.pk}/files/{attachment.pk}/delete/")
    assert response.status_code == expected
    assert Attachment.objects.exists() == (expected != 302)


def test_htmx_delete_swaps_the_region(client, complaint, leader):
    attachment = attach_file(complaint, upload("Old.pdf"), actor=leader, allowed=True)
    client.force_login(leader)
    response = client.post(f"/complaints/{complaint.pk}/files/{attachment.pk}/delete/", **HX)
    body = response.content.decode()
    assert "<html" not in body and "“Old.pdf” removed." in body and 'id="attachments-empty"' in body


@pytest.mark.parametrize(
    ("kind", "prefix", "page"),
    [("review", "reviews", "/reviews/{pk}/"), ("demand", "demands", "/demands/{pk}/")],
)
def test_review_and_demand_pages_list_their_files(request, client, brm, kind, prefix, page):
    record = request.getfixturevalue(kind)
    client.force_login(brm)
    response = client.post(files_url(record, prefix), {"file": upload("Business case.pdf")})
    assert response.status_code == 302
    body = client.get(page.format(pk=record.pk)).content.decode()
    attachment = Attachment.objects.get()
    assert f'href="/{prefix}/{record.pk}/files/{attachment.pk}/"' in body
    assert "Business case.pdf" in body


@pytest.mark.parametrize(
    ("kind", "prefix", "who", "expected"),
    [
        ("meeting", "meetings", "brm", 302),
        ("meeting", "meetings", "leader", 403),
        ("meeting", "meetings", "executive", 403),
        ("meeting", "meetings", "leader_b", 404),
        ("review", "reviews", "other_brm", 403),
        ("review", "reviews", "leader_b", 404),
        ("demand", "demands", "admin_user", 302),
        ("demand", "demands", "leader", 403),
        ("demand", "demands", "executive", 403),
        ("demand", "demands", "leader_b", 404),
    ],
)
def test_upload_per_role_on_meetings_reviews_and_demands(
    request, client, kind, prefix, who, expected
):
    record = request.getfixturevalue(kind)
    client.force_login(request.getfixturevalue(who))
    response = client.post(files_url(record, prefix), {"file": upload()})
    assert response.status_code == expected


def test_the_unit_timeline_lists_a_meetings_files(client, meeting, brm, leader):
    for name in ("Slides.pdf", "Minutes.pdf"):
        attach_file(meeting, upload(name), actor=brm, allowed=True)
    client.force_login(leader)
    body = client.get(f"/units/{meeting.unit_id}/").content.decode()
    link = f'href="/meetings/{meeting.pk}/files/"><i class="bi bi-paperclip" aria-hidden="true">'
    assert f"{link}</i> 2 files" in body
    files_page = client.get(f"/meetings/{meeting.pk}/files/")
    assert files_page.status_code == 200 and "Slides.pdf" in files_page.content.decode()
    assert 'id="attachment-form"' not in files_page.content.decode()  # leaders read only


def test_a_meeting_without_files_offers_its_files_link_only_to_who_may_add_one(
    client, meeting, brm, leader
):
    link = f'href="/meetings/{meeting.pk}/files/"'
    for who, shown in ((brm, True), (leader, False)):
        client.force_login(who)
        page = client.get(f"/units/{meeting.unit_id}/").content.decode()
        region = client.get(f"/units/{meeting.unit_id}/timeline/").content.decode()
        assert (link in page, link in region) == (shown, shown), who.username


def test_the_files_page_costs_the_same_queries_for_2_or_20_files(client, complaint, leader):
    client.force_login(leader)
    url = files_url(complaint, "complaints")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        attach_file(complaint, upload(), actor=leader, allowed=True)
    client.get(url)
    few = count()
    for _ in range(18):
        attach_file(complaint, upload(), actor=leader, allowed=True)
    # session, user, groups, the leader's unit, the complaint in scope, its files with their
    # uploaders: the same for any number of files.
    assert count() == few <= 7
