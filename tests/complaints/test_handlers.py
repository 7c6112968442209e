"""Complaint handlers (ISO 10002 "complaint handler", issue 15): who handles a complaint, who may
assign it, reassigning with a reason, the email to the new handler, and each person's queue.

Rules: `complaints.permissions` (`may_assign`, `may_be_handler`, `HANDLER_ROLES`), enforced by
`complaints.services.assign_complaint`; the queue is `complaints.selectors.complaint_queue`.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brm.core import delivery
from brm.core.errors import ForbiddenAction, InputError, StaleVersion, StateConflict
from brm.core.models import OutboundEmail, UserPreference
from brm.core.roles import Role, role_of, users_with_role
from complaints import permissions, services, workflow
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    EventKind,
    NotificationKind,
    Status,
)
from tests.factories import ComplaintFactory, UserFactory, add_role
from tests.mail import send_queued

QUEUE = reverse("complaints:complaint_queue")
API = "/api/v1/complaints/"


def _assign_url(c: Complaint) -> str:
    return reverse("complaints:complaint_assign", args=[c.pk])


@pytest.fixture
def specialist(db):
    """A BRM of no unit involved: someone in IT a complaint may be handed to."""
    return UserFactory.create(username="specialist", first_name="Sam", role=Role.BRM)


@pytest.fixture
def assigners(admin_user, executive, brm, deputy):
    return {"admin": admin_user, "executive": executive, "brm": brm, "deputy": deputy}


@pytest.fixture
def refused(other_brm, leader, integration, no_role_user):
    return {
        "other_brm": other_brm,
        "leader": leader,
        "integration": integration,
        "no_role": no_role_user,
    }


def _assignments(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.filter(kind=EventKind.ASSIGNMENT).order_by("pk"))


# --- Who handles, who may be assigned ---------------------------------------------------------


def test_it_makes_the_units_brm_the_handler_when_filed(complaint, brm):
    assert complaint.handler == brm


def test_it_leaves_a_complaint_without_handler_when_the_unit_has_no_brm(file, unit_a, leader):
    unit_a.brm = None
    unit_a.save()
    assert file().handler is None


def test_users_with_role_agrees_with_role_of(admin_user, brm, executive, integration, leader):
    both = UserFactory.create(username="both", role=Role.EXECUTIVE)
    add_role(both, Role.INTEGRATION)  # integration wins in role_of: not a handler
    gone = UserFactory.create(username="gone", role=Role.BRM, is_active=False)
    people = [admin_user, brm, executive, integration, leader, both, gone]
    chosen = set(users_with_role(permissions.HANDLER_ROLES))
    for person in people:
        person.__dict__.pop("_brm_role", None)
        assert (person in chosen) == (role_of(person) in permissions.HANDLER_ROLES), person


# --- Assigning: the service -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "executive", "brm", "deputy"])
def test_it_lets_the_units_brms_the_cio_and_admins_assign(complaint, specialist, assigners, who):
    actor = assigners[who]
    services.assign_complaint(complaint, specialist, actor=actor, reason="Knows the vendor.")
    complaint.refresh_from_db()
    assert complaint.handler == specialist
    [event] = _assignments(complaint)
    assert (event.actor, event.handler, event.comment) == (actor, specialist, "Knows the vendor.")


@pytest.mark.parametrize("who", ["other_brm", "leader", "integration", "no_role"])
def test_it_refuses_everyone_else_and_writes_nothing(complaint, specialist, refused, who, brm):
    version = complaint.version
    with pytest.raises(ForbiddenAction):
        services.assign_complaint(complaint, specialist, actor=refused[who], reason="Mine now.")
    complaint.refresh_from_db()
    assert (complaint.handler, complaint.version) == (brm, version)
    assert _assignments(complaint) == []


def test_a_reassignment_needs_a_reason(complaint, specialist, brm):
    with pytest.raises(InputError) as error:
        services.assign_complaint(complaint, specialist, actor=brm, reason="   ")
    assert error.value.field == "reason"
    complaint.refresh_from_db()
    assert complaint.handler == brm and _assignments(complaint) == []


def test_a_first_assignment_needs_no_reason(complaint, specialist, admin_user):
    Complaint.objects.filter(pk=complaint.pk).update(handler=None)
    complaint.refresh_from_db()
    services.assign_complaint(complaint, specialist, actor=admin_user)
    assert complaint.handler == specialist


@pytest.mark.parametrize("who", ["leader", "integration", "no_role", "inactive"])
def test_it_refuses_an_assignee_without_an_it_role(complaint, refused, brm, who):
    person = (
        UserFactory.create(username="left", role=Role.BRM, is_active=False)
        if who == "inactive"
        else refused[who]
    )
    with pytest.raises(InputError) as error:
        services.assign_complaint(complaint, person, actor=brm, reason="Try them.")
    assert error.value.field == "handler"
    complaint.refresh_from_db()
    assert complaint.handler == brm


def test_the_cio_and_an_admin_may_be_handlers(complaint, executive, admin_user, brm):
    services.assign_complaint(complaint, executive, actor=brm, reason="Needs the CIO.")
    services.assign_complaint(complaint, admin_user, actor=brm, reason="Access rights.")
    assert complaint.handler == admin_user
    assert [e.handler for e in _assignments(complaint)] == [executive, admin_user]


def test_the_assigned_person_works_the_complaint(complaint, specialist, brm):
    assert not permissions.may_handle(specialist, complaint)  # a BRM of another unit
    services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor contact.")
    assert permissions.may_handle(specialist, complaint)
    workflow.transition_complaint(complaint, "acknowledged", actor=specialist, comment="On it.")
    assert complaint.status == Status.ACKNOWLEDGED


def test_a_closed_complaint_is_not_assigned(complaint, specialist, brm, leader):
    workflow.transition_complaint(complaint, "withdrawn", actor=leader, comment="Sorted.")
    with pytest.raises(StateConflict) as error:
        services.assign_complaint(complaint, specialist, actor=brm, reason="Late.")
    assert not isinstance(error.value, ForbiddenAction)  # a state, not a role: 409


def test_a_stale_version_is_refused(complaint, specialist, executive, brm):
    read_at = complaint.version
    services.assign_complaint(complaint, executive, actor=brm, reason="CIO first.")
    with pytest.raises(StaleVersion):
        services.assign_complaint(
            complaint, specialist, actor=brm, reason="Me.", expected_version=read_at
        )
    complaint.refresh_from_db()
    assert complaint.handler == executive


def test_assigning_the_current_handler_again_changes_nothing(complaint, specialist, brm):
    services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor contact.")
    version = complaint.version
    services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor contact.")
    complaint.refresh_from_db()
    assert complaint.version == version and len(_assignments(complaint)) == 1


def test_each_assignment_is_in_the_audit_trail(complaint, specialist, brm):
    services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor contact.")
    record = complaint.history.order_by("-history_id").first()
    assert record.handler_id == specialist.pk
    assert record.history_change_reason == "Reassigned"
    assert not hasattr(record, "description")  # people's words stay out of the history


def test_escalation_still_goes_to_the_unit(complaint, specialist, brm, deputy):
    services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor contact.")
    assert services.escalation_recipients(complaint, 1) == sorted([brm.email, deputy.email])


# --- The email to the new handler -------------------------------------------------------------


def _send(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    with send_queued(), django_capture_on_commit_callbacks(execute=True):
        return fn(*args, **kwargs)


def test_the_new_handler_is_emailed_once(
    complaint, specialist, brm, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    assign = services.assign_complaint
    _send(django_capture_on_commit_callbacks, assign, complaint, specialist, actor=brm, reason="V")
    _send(django_capture_on_commit_callbacks, assign, complaint, specialist, actor=brm, reason="V")
    [note] = ComplaintNotification.objects.filter(kind=NotificationKind.ASSIGNMENT)
    row = OutboundEmail.objects.get(key=f"{workflow.NOTIFICATION_EMAIL}:{note.pk}")
    assert row.kind == workflow.STAFF_NOTIFICATION_EMAIL  # optional: preferences apply
    assert delivery.deliver(row.pk) is False  # a second delivery of the same row sends nothing
    [email] = mailoutbox
    assert email.to == [specialist.email]
    assert email.subject == f"Complaint {complaint.reference} is assigned to you"
    assert "Why: V" in email.body and reverse("complaints:complaint_queue") in email.body
    note.refresh_from_db()
    assert note.sent_at is not None and note.recipients == specialist.email


def test_the_new_handlers_preference_applies(
    complaint, specialist, brm, mailoutbox, django_capture_on_commit_callbacks
):
    UserPreference.objects.create(user=specialist, notifications={"complaints.staff": "off"})
    mailoutbox.clear()
    _send(
        django_capture_on_commit_callbacks,
        services.assign_complaint,
        complaint,
        specialist,
        actor=brm,
        reason="Vendor contact.",
    )
    assert mailoutbox == []


def test_nobody_is_emailed_for_taking_a_complaint_themselves(
    complaint, executive, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    _send(
        django_capture_on_commit_callbacks,
        services.assign_complaint,
        complaint,
        executive,
        actor=executive,
        reason="I'll take it.",
    )
    assert mailoutbox == [] and len(_assignments(complaint)) == 1


def test_a_quick_reassignment_emails_only_the_last_handler(
    complaint, specialist, executive, brm, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=False):
        services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor.")
        services.assign_complaint(complaint, executive, actor=brm, reason="Needs the CIO.")
    for row in OutboundEmail.objects.filter(kind=workflow.STAFF_NOTIFICATION_EMAIL):
        delivery.deliver(row.pk)
    assert [m.to for m in mailoutbox] == [[executive.email]]


def test_the_handler_hears_the_complainants_news(
    complaint, specialist, brm, leader, mailoutbox, django_capture_on_commit_callbacks
):
    services.assign_complaint(complaint, specialist, actor=brm, reason="Vendor contact.")
    mailoutbox.clear()
    _send(
        django_capture_on_commit_callbacks,
        services.add_comment,
        complaint,
        actor=leader,
        comment="Still broken today.",
    )
    assert specialist.email in {a for m in mailoutbox for a in m.to}


# --- Pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("executive", 200), ("brm", 200)]
    + [("leader", 403), ("integration", 403), ("no_role", 403)],
)
def test_the_queue_page_is_for_people_in_it(client, assigners, refused, who, status):
    client.force_login({**assigners, **refused}[who])
    assert client.get(QUEUE).status_code == status


def test_the_queue_page_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_queue_shows_only_my_open_complaints(client, brm, specialist, unit_a, unit_b):
    mine = ComplaintFactory.create(unit=unit_b, handler=specialist, title="Mine to handle")
    ComplaintFactory.create(unit=unit_a, handler=brm, title="The BRM's own")
    ComplaintFactory.create(unit=unit_a, title="Nobody's yet")
    ComplaintFactory.create(unit=unit_a, handler=specialist, status="resolved", title="Done")
    client.force_login(specialist)
    response = client.get(QUEUE)
    assert [c.pk for c in response.context["page"].object_list] == [mine.pk]
    assert b"Mine to handle" in response.content and b"The BRM&#x27;s own" not in response.content


def test_the_queue_is_sorted_by_the_next_deadline_and_filters_like_the_list(
    client, specialist, unit_a
):
    later = ComplaintFactory.create(unit=unit_a, handler=specialist, severity="low")
    sooner = ComplaintFactory.create(unit=unit_a, handler=specialist, severity="critical")
    client.force_login(specialist)
    rows = client.get(QUEUE).context["page"].object_list
    assert [c.pk for c in rows] == [sooner.pk, later.pk]
    rows = client.get(QUEUE + "?severity=low").context["page"].object_list
    assert [c.pk for c in rows] == [later.pk]


def test_the_queue_swaps_only_its_results_for_htmx(client, specialist, unit_a):
    ComplaintFactory.create(unit=unit_a, handler=specialist)
    client.force_login(specialist)
    response = client.get(QUEUE, headers={"HX-Request": "true"})
    assert b"<html" not in response.content and b'id="queue-results"' in response.content


@pytest.mark.parametrize("rows", [3, 30])
def test_the_queue_runs_a_fixed_number_of_queries(
    client, specialist, unit_a, rows, django_assert_num_queries
):
    for _ in range(rows):
        ComplaintFactory.create(unit=unit_a, handler=specialist)
    client.force_login(specialist)
    client.get(QUEUE)  # warm the session and content types
    # 1 session, 2 user with their role, 3 units for the filter's choices,
    # 4 COUNT for the paginator, 5 the page with unit, service, complainant and handler.
    with django_assert_num_queries(5):
        response = client.get(QUEUE + "?page_size=50")
    assert len(response.context["page"].object_list) == rows


def test_the_navigation_links_the_queue_for_people_in_it_only(client, brm, leader, integration):
    link = f'href="{QUEUE}"'.encode()
    for user, shown in [(brm, True), (leader, False), (integration, False)]:
        client.force_login(user)
        assert (link in client.get(reverse("complaints:complaint_list")).content) is shown


def test_the_list_filters_the_complaints_i_handle(client, brm, specialist, unit_a):
    ComplaintFactory.create(unit=unit_a, handler=brm)
    mine = ComplaintFactory.create(unit=unit_a, handler=specialist)
    client.force_login(specialist)
    rows = client.get(reverse("complaints:complaint_list") + "?handler=me").context["page"]
    assert [c.pk for c in rows.object_list] == [mine.pk]


@pytest.mark.parametrize("who", ["admin", "executive", "brm", "deputy"])
def test_the_assign_form_is_offered_and_works(client, complaint, specialist, assigners, who):
    client.force_login(assigners[who])
    page = client.get(reverse("complaints:complaint_detail", args=[complaint.pk]))
    assert b'id="assign-form"' in page.content
    response = client.post(
        _assign_url(complaint),
        {"handler": specialist.pk, "reason": "Vendor contact.", "version": complaint.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and b"handles it now" in response.content
    complaint.refresh_from_db()
    assert complaint.handler == specialist


@pytest.mark.parametrize("who", ["other_brm", "leader"])
def test_the_assign_form_is_refused_to_others(client, complaint, specialist, refused, who, brm):
    client.force_login(refused[who])
    page = client.get(reverse("complaints:complaint_detail", args=[complaint.pk]))
    assert page.status_code == 200 and b'id="assign-form"' not in page.content
    response = client.post(_assign_url(complaint), {"handler": specialist.pk, "reason": "x"})
    assert response.status_code == 403
    complaint.refresh_from_db()
    assert complaint.handler == brm


def test_the_form_asks_for_a_reason_when_reassigning(client, complaint, specialist, brm):
    client.force_login(brm)
    response = client.post(
        _assign_url(complaint), {"handler": specialist.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400 and b"Say why you are reassigning it." in response.content
    complaint.refresh_from_db()
    assert complaint.handler == brm


def test_the_form_does_not_offer_or_accept_a_business_leader(client, complaint, leader, brm):
    client.force_login(brm)
    page = client.get(reverse("complaints:complaint_detail", args=[complaint.pk]))
    assert f'value="{leader.pk}"'.encode() not in page.content
    body = {"handler": leader.pk, "reason": "x"}
    response = client.post(_assign_url(complaint), body, headers={"HX-Request": "true"})
    assert response.status_code == 400
    complaint.refresh_from_db()
    assert complaint.handler == brm


def test_the_form_refuses_a_stale_page(client, complaint, specialist, executive, brm):
    read_at = complaint.version
    services.assign_complaint(complaint, executive, actor=brm, reason="CIO first.")
    client.force_login(brm)
    response = client.post(
        _assign_url(complaint),
        {"handler": specialist.pk, "reason": "Me.", "version": read_at},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 412 and b"Someone else saved" in response.content
    complaint.refresh_from_db()
    assert complaint.handler == executive


def test_the_timeline_shows_the_assignment(client, complaint, specialist, brm):
    services.assign_complaint(complaint, specialist, actor=brm, reason="Knows the vendor.")
    client.force_login(brm)
    page = client.get(reverse("complaints:complaint_detail", args=[complaint.pk])).content
    assert b"Assigned to Sam" in page and b"Knows the vendor." in page


# --- API --------------------------------------------------------------------------------------


def _assign(client, complaint, **body):
    return client.post(f"{API}{complaint.pk}/assign/", body, format="json")


@pytest.mark.parametrize("who", ["admin", "executive", "brm", "deputy"])
def test_the_api_assigns_for_the_allowed_roles(as_user, complaint, specialist, assigners, who):
    response = _assign(as_user(assigners[who]), complaint, handler=specialist.pk, reason="V.")
    assert response.status_code == 200, response.json()
    assert response.json()["handler"] == specialist.pk
    complaint.refresh_from_db()
    assert response["ETag"] == f'"{complaint.version}"'


@pytest.mark.parametrize("who", ["other_brm", "leader", "integration"])
def test_the_api_refuses_other_roles(as_user, complaint, specialist, refused, who):
    response = _assign(as_user(refused[who]), complaint, handler=specialist.pk, reason="V.")
    assert response.status_code == 403 and "detail" in response.json()


def test_the_api_refuses_a_user_without_a_role_before_anything(as_user, complaint, no_role_user):
    assert _assign(as_user(no_role_user), complaint, handler=no_role_user.pk).status_code == 403


def test_the_api_hides_another_units_complaint(as_user, leader_b, complaint, brm):
    assert _assign(as_user(leader_b), complaint, handler=brm.pk).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "No handler."}, "handler"),
        ({"handler": 999999, "reason": "Nobody."}, "handler"),
        ({"handler": "me", "reason": "Not an id."}, "handler"),
        ({"handler": "LEADER", "reason": "A business leader."}, "handler"),
        ({"handler": "SPECIALIST"}, "reason"),
        ({"handler": "SPECIALIST", "reason": "x" * 5001}, "reason"),
    ],
)
def test_the_api_answers_bad_input_with_400(
    as_user, complaint, brm, leader, specialist, body, field
):
    ids = {"LEADER": leader.pk, "SPECIALIST": specialist.pk}
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = _assign(as_user(brm), complaint, **body)
    assert response.status_code == 400 and field in response.json()
    complaint.refresh_from_db()
    assert complaint.handler == brm


def test_the_api_honours_if_match(as_user, complaint, specialist, executive, brm):
    api = as_user(brm)
    tag = api.get(f"{API}{complaint.pk}/")["ETag"]
    assert _assign(api, complaint, handler=executive.pk, reason="CIO first.").status_code == 200
    stale = api.post(
        f"{API}{complaint.pk}/assign/",
        {"handler": specialist.pk, "reason": "Me."},
        format="json",
        headers={"If-Match": tag},
    )
    assert stale.status_code == 412 and "detail" in stale.json()
    complaint.refresh_from_db()
    assert stale["ETag"] == f'"{complaint.version}"' and complaint.handler == executive
    fresh = api.post(
        f"{API}{complaint.pk}/assign/",
        {"handler": specialist.pk, "reason": "Me."},
        format="json",
        headers={"If-Match": stale["ETag"]},
    )
    assert fresh.status_code == 200 and fresh.json()["handler"] == specialist.pk


def test_the_api_answers_409_for_a_closed_complaint(as_user, complaint, specialist, brm, leader):
    workflow.transition_complaint(complaint, "withdrawn", actor=leader, comment="Sorted.")
    assert _assign(as_user(brm), complaint, handler=specialist.pk, reason="x").status_code == 409


def test_the_api_lists_the_complaints_i_handle(as_user, brm, specialist, unit_a):
    ComplaintFactory.create(unit=unit_a, handler=brm)
    mine = ComplaintFactory.create(unit=unit_a, handler=specialist)
    data = as_user(specialist).get(API + "?handler=me").json()
    assert [row["id"] for row in data["results"]] == [mine.pk]
    by_id = as_user(brm).get(f"{API}?handler={specialist.pk}").json()
    assert [row["id"] for row in by_id["results"]] == [mine.pk]


def test_the_api_queue_runs_the_same_queries_at_any_size(as_user, specialist, unit_a):
    api = as_user(specialist)
    api.get(API + "?handler=me")  # the token's last-used stamp is written on the first call
    counts = []
    for rows in (3, 30):
        ComplaintFactory.create_batch(rows, unit=unit_a, handler=specialist)
        # Authentication and role, then COUNT and one page of complaints with their relations.
        with CaptureQueriesContext(connection) as queries:
            response = api.get(API + "?handler=me&page_size=50")
        assert response.json()["count"] == len(response.json()["results"])
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_api_refuses_a_bad_handler_filter(as_user, brm):
    response = as_user(brm).get(API + "?handler=someone")
    assert response.status_code == 400 and "handler" in response.json()


def test_the_schema_documents_assign_and_the_handler_filter(client, brm):
    client.force_login(brm)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assign = schema["paths"]["/api/v1/complaints/{id}/assign/"]["post"]
    assert {"200", "400", "403", "404", "409", "412"} <= set(assign["responses"])
    assert any(p["name"] == "If-Match" for p in assign["parameters"])
    listing = schema["paths"]["/api/v1/complaints/"]["get"]
    assert any(p["name"] == "handler" for p in listing["parameters"])


def test_may_assign_refuses_an_anonymous_user(complaint):
    assert not permissions.may_assign(AnonymousUser(), complaint)
    assert not permissions.may_be_handler(AnonymousUser())
