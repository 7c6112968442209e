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

from brm.core.errors import ForbiddenAction, StateConflict
from complaints import permissions, services, workflow
from complaints.models import Complaint, ComplaintEvent, Feedback, Status

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


@pytest.mark.parametrize("persona", ["leader", "colleague", "executive", "other_brm", "brm"])
def test_it_lets_everyone_who_sees_it_comment(request, persona, complaint) -> None:
    services.add_comment(complaint, actor=request.getfixturevalue(persona), comment="Noted.")

    assert ComplaintEvent.objects.filter(complaint=complaint, kind="comment").count() == 1


def test_it_refuses_comments_from_a_user_without_a_role(no_role_user, complaint) -> None:
    with pytest.raises(ForbiddenAction):
        services.add_comment(complaint, actor=no_role_user, comment="Hello?")

    assert not ComplaintEvent.objects.filter(complaint=complaint, kind="comment").exists()


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


def test_it_refuses_a_leaders_feedback_for_another_unit(leader, unit_b) -> None:
    with pytest.raises(ForbiddenAction):
        services.leave_feedback(
            actor=leader, kind="compliment", message="Hi", about_team="Desk", unit=unit_b
        )

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
