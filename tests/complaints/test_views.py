"""Pages: filing, "your complaints", the BRM work queue, a complaint's page, feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from complaints import workflow
from complaints.models import Complaint, Feedback
from tests.factories import ComplaintFactory, ServiceFactory

NEW = reverse("complaints:complaint_create")
LIST = reverse("complaints:complaint_list")


def _detail(c) -> str:
    return reverse("complaints:complaint_detail", args=[c.pk])


# --- Filing -----------------------------------------------------------------------------------


def test_it_lets_a_leader_file_in_plain_language(client, leader, unit_a):
    service = ServiceFactory.create(name="Payroll", consumers=[unit_a])
    client.force_login(leader)
    page = client.get(NEW)
    assert page.status_code == 200
    assert b"Payroll" in page.content and b'name="unit"' not in page.content
    response = client.post(
        NEW,
        {
            "title": "Payslips wrong",
            "description": "Overtime missing.",
            "severity": "high",
            "service": service.pk,
            "remedy_requested": "Correct and re-issue",
        },
        follow=True,
    )
    complaint = Complaint.objects.get()
    assert response.redirect_chain[-1][0] == _detail(complaint)
    assert complaint.unit == unit_a and complaint.complainant == leader
    assert complaint.reference.encode() in response.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "description": "x", "severity": "low"}, "title"),
        ({"title": "   ", "description": "x", "severity": "low"}, "title"),
        ({"title": "x" * 201, "description": "x", "severity": "low"}, "title"),
        ({"title": "t", "description": "x" * 5001, "severity": "low"}, "description"),
        ({"title": "t", "description": "x", "severity": "apocalyptic"}, "severity"),
        ({"title": "t", "description": "x", "severity": "low", "service": 999999}, "service"),
    ],
)
def test_it_shows_errors_and_keeps_input(client, leader, data, field):
    client.force_login(leader)
    response = client.post(NEW, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"nothing was saved" in response.content
    assert not Complaint.objects.exists()


def test_a_leader_cannot_file_for_another_unit(client, leader, unit_b):
    client.force_login(leader)
    client.post(NEW, {"title": "t", "description": "d", "severity": "low", "unit": unit_b.pk})
    assert Complaint.objects.get().unit != unit_b


def test_an_executive_does_not_file(client, executive):
    client.force_login(executive)
    assert client.get(NEW).status_code == 403


# --- Scope ------------------------------------------------------------------------------------


def test_a_leader_cannot_see_another_units_complaint_by_id(client, leader, unit_b):
    other = ComplaintFactory.create(unit=unit_b)
    client.force_login(leader)
    assert client.get(_detail(other)).status_code == 404
    url = reverse("complaints:complaint_transition", args=[other.pk])
    assert client.post(url, {"to": "withdrawn", "comment": "x"}).status_code == 404


def test_your_complaints_lists_the_units_and_nothing_else(client, leader, unit_a, unit_b):
    mine = ComplaintFactory.create(unit=unit_a, title="Ours")
    ComplaintFactory.create(unit=unit_b, title="Theirs")
    client.force_login(leader)
    response = client.get(LIST)
    assert [c.pk for c in response.context["page"].object_list] == [mine.pk]
    assert b"Your complaints" in response.content


def test_anonymous_users_are_sent_to_log_in(client, complaint):
    assert client.get(_detail(complaint)).status_code == 302


# --- The work queue ---------------------------------------------------------------------------


def test_the_queue_filters_and_sorts_by_deadline(client, brm, unit_a, unit_b):
    soon = ComplaintFactory.create(unit=unit_a, severity="critical")
    later = ComplaintFactory.create(unit=unit_a, severity="low")
    other = ComplaintFactory.create(unit=unit_b, severity="high")
    done = ComplaintFactory.create(unit=unit_a, severity="critical", status="closed")
    client.force_login(brm)
    rows = client.get(LIST).context["page"].object_list
    assert [c.pk for c in rows] == [soon.pk, other.pk, later.pk]  # open only, nearest first
    rows = client.get(LIST, {"unit": unit_a.pk, "severity": "critical"}).context["page"]
    assert [c.pk for c in rows.object_list] == [soon.pk]
    rows = client.get(LIST, {"status": "closed"}).context["page"].object_list
    assert [c.pk for c in rows] == [done.pk]


def test_the_queue_shows_only_overdue_when_asked(client, brm, unit_a):
    from django.utils import timezone

    late = ComplaintFactory.create(unit=unit_a, acknowledge_by=timezone.now() - timedelta(hours=1))
    ComplaintFactory.create(unit=unit_a)
    client.force_login(brm)
    rows = client.get(LIST, {"overdue": "true"}).context["page"].object_list
    assert [c.pk for c in rows] == [late.pk]


def test_the_queue_answers_htmx_with_the_results_fragment(client, brm, unit_a):
    ComplaintFactory.create(unit=unit_a)
    client.force_login(brm)
    response = client.get(LIST, {"search": "Complaint"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="complaint-results"' in response.content


@pytest.mark.parametrize("rows", [5, 50])
def test_the_queue_runs_a_fixed_number_of_queries(
    client, brm, unit_a, rows, django_assert_num_queries
):
    for _ in range(rows):
        ComplaintFactory.create(unit=unit_a, complainant=brm)
    client.force_login(brm)
    client.get(LIST)  # warm the session and content types
    # 1 session, 2 user with their role, 3 units for the filter's choices,
    # 4 COUNT of the filtered ids for the paginator, 5 the page of complaints with unit,
    # service and complainant.
    with django_assert_num_queries(5) as ctx:
        response = client.get(LIST + "?page_size=50")
    assert len(response.context["page"].object_list) == rows
    (count,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT")]
    assert "JOIN" not in count and '"title"' not in count  # the ids, not the rows' columns


def test_the_csv_export_has_one_row_per_complaint(client, brm, unit_a):
    ComplaintFactory.create(unit=unit_a, title="=cmd()")
    client.force_login(brm)
    response = client.get(reverse("complaints:complaint_export"))
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Reference,Business unit")
    assert len(lines) == 2 and "'=cmd()" in lines[1]


def test_leaders_get_no_export(client, leader):
    client.force_login(leader)
    assert client.get(reverse("complaints:complaint_export")).status_code == 403


# --- A complaint's page -----------------------------------------------------------------------


def test_the_page_offers_only_the_actors_transitions(client, complaint, brm, leader, executive):
    client.force_login(brm)
    body = client.get(_detail(complaint)).content.decode()
    assert 'value="acknowledged"' in body and 'value="withdrawn"' not in body
    client.force_login(leader)
    body = client.get(_detail(complaint)).content.decode()
    assert 'value="withdrawn"' in body and 'value="acknowledged"' not in body
    client.force_login(executive)
    body = client.get(_detail(complaint)).content.decode()
    assert 'id="transition-form"' not in body and 'id="comment-form"' in body


def test_a_brm_moves_a_complaint_inline(client, complaint, brm):
    client.force_login(brm)
    url = reverse("complaints:complaint_transition", args=[complaint.pk])
    response = client.post(
        url, {"to": "acknowledged", "comment": "We are on it."}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content and b"We are on it." in response.content
    assert "complaintChanged" in response.headers["HX-Trigger"]
    complaint.refresh_from_db()
    assert complaint.status == "acknowledged"


def test_a_forbidden_transition_is_a_clear_error(client, complaint, leader):
    client.force_login(leader)
    url = reverse("complaints:complaint_transition", args=[complaint.pk])
    response = client.post(url, {"to": "resolved", "comment": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 403  # the complainant never resolves: a role refusal
    assert b"Your role may not make this change." in response.content
    response = client.post(url, {"to": "resolved", "comment": "x"}, follow=True)
    assert b"Your role may not make this change." in response.content
    complaint.refresh_from_db()
    assert complaint.status == "received"


def test_an_empty_comment_is_a_clear_error(client, complaint, brm):
    client.force_login(brm)
    url = reverse("complaints:complaint_transition", args=[complaint.pk])
    response = client.post(
        url, {"to": "acknowledged", "comment": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    complaint.refresh_from_db()
    assert complaint.status == "received"


def test_the_complainant_rates_once_through_the_page(client, complaint, brm, leader):
    workflow.transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    workflow.transition_complaint(complaint, "resolved", actor=brm, comment="Fixed.")
    client.force_login(leader)
    assert b'id="rating-form"' in client.get(_detail(complaint)).content
    url = reverse("complaints:complaint_rate", args=[complaint.pk])
    assert client.post(url, {"rating": "9"}, headers={"HX-Request": "true"}).status_code == 400
    assert client.post(url, {"rating": "4"}, headers={"HX-Request": "true"}).status_code == 200
    assert client.post(url, {"rating": "5"}, headers={"HX-Request": "true"}).status_code == 409
    complaint.refresh_from_db()
    assert complaint.resolution_rating == 4


def test_a_comment_lands_on_the_timeline(client, complaint, executive):
    client.force_login(executive)
    url = reverse("complaints:complaint_comment", args=[complaint.pk])
    response = client.post(url, {"comment": "Keep me posted."}, follow=True)
    assert b"Keep me posted." in response.content
    assert complaint.events.last().actor == executive


def test_a_brm_links_work_and_closes_the_loop(client, complaint, brm, leader):
    client.force_login(brm)
    link = reverse("complaints:complaint_follow_up", args=[complaint.pk, "link"])
    done = reverse("complaints:complaint_follow_up", args=[complaint.pk, "done"])
    assert client.post(link, {"kind": "change", "reference": "CR-9"}).status_code == 302
    assert client.post(done, {"outcome": "Shipped."}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.follow_up_outcome == "Shipped."
    client.force_login(leader)
    assert (
        client.post(link, {"kind": "change", "reference": "CR-1"}, follow=True).status_code == 200
    )
    complaint.refresh_from_db()
    assert complaint.follow_up_reference == "CR-9"


# --- Reports and feedback ---------------------------------------------------------------------


def test_reports_are_for_brms_and_the_cio(client, leader, executive, brm, unit_a):
    ComplaintFactory.create(unit=unit_a, severity="critical")
    url = reverse("complaints:complaint_reports")
    client.force_login(leader)
    assert client.get(url).status_code == 403
    for user in (executive, brm):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b'data-chart="complaints-open"' in response.content
        assert response.context["report"].open_total == 1


def test_a_leader_leaves_a_compliment_that_shows_on_the_feed(client, leader, brm, unit_a):
    client.force_login(leader)
    response = client.post(
        reverse("complaints:feedback_create"),
        {"kind": "compliment", "about_person": brm.pk, "message": "Bianca saved our month-end."},
        follow=True,
    )
    assert b"Bianca saved our month-end." in response.content
    feedback = Feedback.objects.get()
    assert feedback.unit == unit_a and feedback.author == leader


def test_feedback_needs_a_recipient_and_a_message(client, leader):
    client.force_login(leader)
    response = client.post(reverse("complaints:feedback_create"), {"kind": "compliment"})
    assert response.status_code == 200
    assert {"about_team", "message"} <= set(response.context["form"].errors)
    assert not Feedback.objects.exists()


def test_the_feed_hides_other_units_from_leaders(client, leader, unit_a, unit_b):
    from tests.factories import FeedbackFactory

    ours = FeedbackFactory.create(unit=unit_a)
    FeedbackFactory.create(unit=unit_b)
    client.force_login(leader)
    rows = client.get(reverse("complaints:feedback_list")).context["page"].object_list
    assert [f.pk for f in rows] == [ours.pk]


def test_compliments_show_on_the_units_timeline(client, leader, brm, unit_a, unit_b):
    from tests.factories import FeedbackFactory

    FeedbackFactory.create(unit=unit_a, author=leader, message="The desk was brilliant.")
    FeedbackFactory.create(unit=unit_a, kind="suggestion", message="A status page, please.")
    FeedbackFactory.create(unit=unit_b, message="Other unit's praise.")
    client.force_login(leader)
    body = client.get(reverse("stakeholders:unit_detail", args=[unit_a.pk])).content.decode()
    assert "The desk was brilliant." in body
    assert "A status page, please." not in body and "Other unit's praise." not in body


def test_the_demo_data_is_idempotent(unit_a, unit_b, leader):
    from complaints.demo import seed_complaints_demo

    assert seed_complaints_demo() == 30
    assert seed_complaints_demo() == 0
    assert Complaint.objects.filter(escalation_level__gt=0).exists()
    assert Complaint.objects.filter(status="closed", resolution_rating__isnull=False).exists()
    assert Feedback.objects.filter(kind="compliment").count() == 8
