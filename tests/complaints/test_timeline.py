"""The complaint timeline is append-only: not through the model, the admin, nor the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import AppendOnlyError, Complaint, ComplaintEvent


@pytest.fixture
def event(complaint):
    return complaint.events.get()


def test_it_refuses_to_change_an_event(event):
    event.comment = "Rewritten history"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        ComplaintEvent.objects.filter(pk=event.pk).update(comment="Rewritten")
    event.refresh_from_db()
    assert event.comment != "Rewritten history"


def test_it_refuses_to_delete_an_event(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        ComplaintEvent.objects.filter(pk=event.pk).delete()
    assert ComplaintEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_shows_events_read_only(client, admin_user, event):
    client.force_login(admin_user)
    change = reverse("admin:complaints_complaintevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert b'name="comment"' not in page.content  # shown, not editable
    assert client.post(change, {"comment": "Rewritten"}).status_code == 403
    delete = reverse("admin:complaints_complaintevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:complaints_complaintevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.comment != "Rewritten"


def test_the_admin_cannot_delete_a_complaint(client, admin_user, complaint):
    client.force_login(admin_user)
    url = reverse("admin:complaints_complaint_delete", args=[complaint.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_the_admin_moves_a_complaint_only_through_the_workflow(client, admin_user, complaint):
    client.force_login(admin_user)
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    form = {
        "title": complaint.title,
        "description": complaint.description,
        "remedy_requested": "",
        "service": "",
        "severity": complaint.severity,
        "transition_to": "acknowledged",
        "transition_comment": "Seen by admin.",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "1",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint.refresh_from_db()
    assert complaint.status == "acknowledged"
    assert complaint.events.last().comment == "Seen by admin."
    # A move the workflow refuses leaves the status alone.
    client.post(url, {**form, "transition_to": "withdrawn", "transition_comment": "No."})
    complaint.refresh_from_db()
    assert complaint.status == "acknowledged"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_api_offers_no_way_to_change_the_timeline(as_user, admin_user, event, method):
    api = as_user(admin_user)
    base = f"/api/v1/complaints/{event.complaint_id}/"
    for url in (f"{base}events/", base):
        response = getattr(api, method)(url, {"comment": "Rewritten"})
        assert response.status_code == 405, (url, response.status_code)
    event.refresh_from_db()
    assert event.comment != "Rewritten"
