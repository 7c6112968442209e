"""Who may file, move, comment on, rate and follow up a complaint is decided in the services.

Every test but the API ones calls a service directly, so the rule holds for any entry point. A
role refusal is `ForbiddenAction` (403) and writes nothing; `StateConflict` (409) is kept for
what the complaint's state does not allow now.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from brm.core.errors import ForbiddenAction, InputError, StateConflict
from complaints import permissions, services, workflow
from complaints.models import Complaint, ComplaintEvent, Feedback, Status
from tests.factories import ServiceFactory

URL = "/api/v1/complaints/"


def _input(unit) -> services.ComplaintInput:
    return services.ComplaintInput(
        unit=unit, title="Reports late", description="Again this month.", severity="medium"
    )


def _events(complaint: Complaint) -> int:
    return ComplaintEvent.objects.filter(complaint=complaint).count()


# --- Filing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "unit"),
    [("leader", "unit_a"), ("brm", "unit_a"), ("admin_user", "unit_b")],
)
def test_it_lets_leaders_brms_and_admins_file(request, persona, unit) -> None:
    actor, target = request.getfixturevalue(persona), request.getfixturevalue(unit)

    complaint = services.file_complaint(_input(target), actor=actor)

    assert complaint.pk is not None and complaint.unit == target
    assert permissions.may_file(actor, target)


@pytest.mark.parametrize(
    ("persona", "unit"),
    [
        ("executive", "unit_a"),
        ("integration", "unit_a"),
        ("no_role_user", "unit_a"),
        ("other_brm", "unit_a"),  # a BRM files only for the units they manage
        ("leader", "unit_b"),  # a leader files only for their own unit
    ],
)
def test_it_refuses_filing_to_other_roles_and_units(request, persona, unit) -> None:
    actor, target = request.getfixturevalue(persona), request.getfixturevalue(unit)

    with pytest.raises(ForbiddenAction):
        services.file_complaint(_input(target), actor=actor)

    assert not Complaint.objects.exists()
    assert not ComplaintEvent.objects.exists()
    assert not permissions.may_file(actor, target)


# --- Transitions -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["brm", "admin_user", "integration"])
def test_it_lets_the_handlers_acknowledge(request, persona, complaint) -> None:
    actor = request.getfixturevalue(persona)

    workflow.transition_complaint(complaint, Status.ACKNOWLEDGED, actor=actor, comment="Seen.")

    assert Complaint.objects.get(pk=complaint.pk).status == Status.ACKNOWLEDGED
    assert workflow.may_acknowledge(actor, complaint)


@pytest.mark.parametrize("persona", ["leader", "colleague", "executive", "other_brm"])
def test_it_refuses_acknowledging_to_everyone_else(request, persona, complaint) -> None:
    actor = request.getfixturevalue(persona)
    before = _events(complaint)

    with pytest.raises(ForbiddenAction):
        workflow.transition_complaint(complaint, Status.ACKNOWLEDGED, actor=actor, comment="Hm.")

    assert Complaint.objects.get(pk=complaint.pk).status == Status.RECEIVED
    assert _events(complaint) == before
    assert not workflow.may_acknowledge(actor, complaint)


def test_it_refuses_a_handler_withdrawing_the_complaint(brm, complaint) -> None:
    # Only the person who raised it withdraws it: a role refusal (it used to be a 409).
    with pytest.raises(ForbiddenAction):
        workflow.transition_complaint(complaint, Status.WITHDRAWN, actor=brm, comment="No.")

    assert Complaint.objects.get(pk=complaint.pk).status == Status.RECEIVED


def test_it_refuses_the_complainant_resolving_their_own_complaint(brm, leader, complaint) -> None:
    workflow.transition_complaint(complaint, Status.ACKNOWLEDGED, actor=brm, comment="Seen.")

    with pytest.raises(ForbiddenAction):
        workflow.transition_complaint(complaint, Status.RESOLVED, actor=leader, comment="Done?")

    assert Complaint.objects.get(pk=complaint.pk).status == Status.ACKNOWLEDGED


def test_a_passed_reopening_window_is_a_state_conflict_not_a_refusal(
    brm, leader, complaint
) -> None:
    workflow.transition_complaint(complaint, Status.ACKNOWLEDGED, actor=brm, comment="a")
    workflow.transition_complaint(complaint, Status.RESOLVED, actor=brm, comment="b")
    complaint.refresh_from_db()

    later = timezone.now() + timedelta(days=400)
    with time_machine.travel(later, tick=False), pytest.raises(StateConflict) as exc:
        workflow.transition_complaint(
            complaint, Status.INVESTIGATING, actor=leader, comment="Still broken."
        )

    assert not isinstance(exc.value, ForbiddenAction)
    assert Complaint.objects.get(pk=complaint.pk).status == Status.RESOLVED


def test_a_move_the_state_does_not_allow_stays_a_conflict_for_a_handler(brm, complaint) -> None:
    with pytest.raises(StateConflict) as exc:
        workflow.transition_complaint(complaint, Status.CLOSED, actor=brm, comment="x")

    assert not isinstance(exc.value, ForbiddenAction)


# --- Comments and ratings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["brm", "deputy", "admin_user", "integration", "leader", "executive"]
)
def test_it_lets_those_who_answer_for_it_the_complainant_and_the_cio_comment(
    request, persona, complaint
) -> None:
    actor = request.getfixturevalue(persona)

    services.add_comment(complaint, actor=actor, comment="Noted.")

    assert ComplaintEvent.objects.filter(complaint=complaint, kind="comment").count() == 1
    assert permissions.may_comment(actor, complaint)


@pytest.mark.parametrize("persona", ["other_brm", "colleague", "no_role_user"])
def test_it_refuses_comments_from_other_brms_other_leaders_and_no_role(
    request, persona, complaint
) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.add_comment(complaint, actor=actor, comment="Hello?")

    assert not ComplaintEvent.objects.filter(complaint=complaint, kind="comment").exists()
    assert not permissions.may_comment(actor, complaint)


@pytest.mark.parametrize(("persona", "status"), [("executive", 201), ("other_brm", 403)])
def test_the_api_and_the_page_apply_the_comment_rule(
    client, as_user, request, persona, status, complaint
) -> None:
    actor = request.getfixturevalue(persona)
    client.force_login(actor)

    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    response = as_user(actor).post(
        f"{URL}{complaint.pk}/comments/", {"comment": "From the top."}, format="json"
    )
    posted = client.post(
        f"/complaints/{complaint.pk}/comment/", {"comment": "Via the page."}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == status
    assert ('id="comment-form"' in page) is (status == 201)
    assert (posted.status_code == 403) is (status == 403)
    expected = 2 if status == 201 else 0
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="comment").count() == expected


@pytest.mark.parametrize("persona", ["brm", "colleague", "executive", "admin_user"])
def test_it_refuses_rating_to_anyone_but_the_complainant(request, persona, brm, complaint) -> None:
    workflow.transition_complaint(complaint, Status.ACKNOWLEDGED, actor=brm, comment="a")
    workflow.transition_complaint(complaint, Status.RESOLVED, actor=brm, comment="b")

    with pytest.raises(ForbiddenAction):
        services.rate_resolution(complaint, 5, actor=request.getfixturevalue(persona))

    assert Complaint.objects.get(pk=complaint.pk).resolution_rating is None


def test_it_lets_the_complainant_rate(brm, leader, complaint) -> None:
    workflow.transition_complaint(complaint, Status.ACKNOWLEDGED, actor=brm, comment="a")
    workflow.transition_complaint(complaint, Status.RESOLVED, actor=brm, comment="b")

    services.rate_resolution(complaint, 4, actor=leader)

    assert Complaint.objects.get(pk=complaint.pk).resolution_rating == 4


# --- Follow-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "executive", "other_brm"])
def test_it_refuses_follow_up_work_to_non_handlers(request, persona, brm, complaint) -> None:
    actor = request.getfixturevalue(persona)

    with pytest.raises(ForbiddenAction):
        services.link_follow_up(complaint, actor=actor, kind="demand", reference="D-7")
    with pytest.raises(ForbiddenAction):
        services.create_follow_up_commitment(
            complaint, actor=actor, title="Fix it", due_date=timezone.localdate()
        )
    services.link_follow_up(complaint, actor=brm, kind="demand", reference="D-7")
    with pytest.raises(ForbiddenAction):
        services.complete_follow_up(complaint, actor=actor, outcome="Delivered.")

    fresh = Complaint.objects.get(pk=complaint.pk)
    assert (fresh.follow_up_reference, fresh.follow_up_done_at) == ("D-7", None)
    assert fresh.follow_up_action is None


def test_it_lets_the_handler_link_and_finish_follow_up_work(brm, complaint) -> None:
    services.link_follow_up(complaint, actor=brm, kind="demand", reference="D-7")
    services.complete_follow_up(complaint, actor=brm, outcome="Delivered.")

    assert Complaint.objects.get(pk=complaint.pk).follow_up_done_at is not None


# --- Feedback ------------------------------------------------------------------------------------


def test_it_files_a_leaders_feedback_under_their_own_unit(leader, unit_a) -> None:
    feedback = services.leave_feedback(
        actor=leader, kind="compliment", message="Great fix.", about_team="Service desk"
    )

    assert feedback.unit == unit_a


@pytest.mark.parametrize(
    ("persona", "unit"),
    [
        ("leader", "unit_b"),  # a leader: their own unit only
        ("brm", "unit_b"),  # a BRM: the units they manage or deputise for
        ("other_brm", "unit_a"),
        ("executive", "unit_a"),  # IT leadership works with no unit in particular
    ],
)
def test_it_refuses_feedback_about_a_unit_the_author_does_not_work_with(
    request, persona, unit
) -> None:
    actor, target = request.getfixturevalue(persona), request.getfixturevalue(unit)

    with pytest.raises(InputError) as refused:
        services.leave_feedback(
            actor=actor, kind="compliment", message="Hi", about_team="Desk", unit=target
        )

    assert refused.value.field == "unit"
    assert not Feedback.objects.exists()
    assert not permissions.may_leave_feedback(actor, target)


@pytest.mark.parametrize(
    ("persona", "unit"),
    [
        ("leader", "unit_a"),
        ("brm", "unit_a"),
        ("deputy", "unit_a"),
        ("admin_user", "unit_b"),
        ("integration", "unit_b"),
    ],
)
def test_it_lets_authors_leave_feedback_about_a_unit_they_work_with(request, persona, unit) -> None:
    actor, target = request.getfixturevalue(persona), request.getfixturevalue(unit)

    feedback = services.leave_feedback(
        actor=actor, kind="compliment", message="Thanks!", about_team="Desk", unit=target
    )

    assert feedback.unit == target


@pytest.mark.parametrize("persona", ["executive", "other_brm", "brm"])
def test_it_staff_may_leave_feedback_about_no_unit(request, persona) -> None:
    feedback = services.leave_feedback(
        actor=request.getfixturevalue(persona), kind="suggestion", message="Idea", about_team="Ops"
    )

    assert feedback.unit is None


def test_the_api_answers_400_on_the_unit_and_the_form_offers_only_own_units(
    client, as_user, brm, unit_a, unit_b
) -> None:
    response = as_user(brm).post(
        "/api/v1/feedback/",
        {"kind": "compliment", "message": "Hi", "about_team": "Desk", "unit": unit_b.pk},
        format="json",
    )
    client.force_login(brm)
    form = client.get("/feedback/new/").context["form"]
    posted = client.post(
        "/feedback/new/",
        {"kind": "compliment", "message": "Hi", "about_team": "Desk", "unit": unit_b.pk},
    )

    assert response.status_code == 400 and "unit" in response.json()
    assert list(form.fields["unit"].queryset) == [unit_a]
    assert posted.status_code == 200 and posted.context["form"].errors["unit"]
    assert not Feedback.objects.exists()


def test_it_refuses_feedback_from_a_user_without_a_role(no_role_user) -> None:
    with pytest.raises(ForbiddenAction):
        services.leave_feedback(
            actor=no_role_user, kind="compliment", message="Hi", about_team="Desk"
        )

    assert not Feedback.objects.exists()


# --- Through the API: role refusals that used to be 409 are 403 -------------------------------


def test_the_api_answers_403_when_the_complainant_tries_to_resolve(
    as_user, brm, leader, complaint
) -> None:
    url = f"{URL}{complaint.pk}/transition/"
    as_user(brm).post(url, {"to": "acknowledged", "comment": "Seen."})

    response = as_user(leader).post(url, {"to": "resolved", "comment": "Done?"})

    assert response.status_code == 403, response.json()
    assert Complaint.objects.get(pk=complaint.pk).status == Status.ACKNOWLEDGED


def test_the_api_answers_403_when_a_handler_rates(as_user, brm, complaint) -> None:
    url = f"{URL}{complaint.pk}/"
    as_user(brm).post(f"{url}transition/", {"to": "acknowledged", "comment": "a"})
    as_user(brm).post(f"{url}transition/", {"to": "resolved", "comment": "b"})

    response = as_user(brm).post(f"{url}rate/", {"rating": 4})

    assert response.status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).resolution_rating is None


def test_the_api_still_answers_409_for_a_state_conflict(as_user, brm, complaint) -> None:
    response = as_user(brm).post(
        f"{URL}{complaint.pk}/transition/", {"to": "closed", "comment": "x"}
    )

    assert response.status_code == 409


# --- Scope: a complaint names a service of its own unit (issue 12) -----------------------------


@pytest.mark.parametrize(("persona", "unit"), [("leader", "unit_a"), ("brm", "unit_a")])
def test_a_complaint_names_only_a_service_its_unit_consumes(request, persona, unit) -> None:
    actor, target = request.getfixturevalue(persona), request.getfixturevalue(unit)
    own = ServiceFactory.create(name="Payroll", consumers=[target])
    foreign = ServiceFactory.create(name="Fleet tracking", consumers=[])

    with pytest.raises(InputError) as refused:
        services.file_complaint(
            services.ComplaintInput(
                unit=target, title="Down", description="Again.", severity="low", service=foreign
            ),
            actor=actor,
        )
    complaint = services.file_complaint(
        services.ComplaintInput(
            unit=target, title="Down", description="Again.", severity="low", service=own
        ),
        actor=actor,
    )

    assert refused.value.field == "service"
    assert list(Complaint.objects.values_list("service", flat=True)) == [own.pk]
    assert complaint.service == own


def test_the_complaint_api_and_form_refuse_another_units_service(
    client, as_user, leader, brm, unit_a, unit_b
) -> None:
    own = ServiceFactory.create(name="Payroll", consumers=[unit_a])
    foreign = ServiceFactory.create(name="Fleet tracking", consumers=[unit_b])
    body = {"unit": unit_a.pk, "title": "Down", "description": "Again.", "severity": "low"}

    api = as_user(brm).post(URL, {**body, "service": foreign.pk}, format="json")
    client.force_login(leader)
    choices = list(client.get("/complaints/new/").context["form"].fields["service"].queryset)
    client.force_login(brm)
    brm_choices = list(client.get("/complaints/new/").context["form"].fields["service"].queryset)
    posted = client.post("/complaints/new/", {**body, "service": foreign.pk})

    assert api.status_code == 400 and "service" in api.json()
    assert choices == [own] and brm_choices == [own]
    assert posted.status_code == 200 and posted.context["form"].errors["service"]
    assert not Complaint.objects.exists()
