"""Follow-up work: linking the unit's change requests, demands and commitments, and the job that
tells the complainant once the linked work is finished (closing the loop)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services, tasks, workflow
from complaints.models import ComplaintEvent, ComplaintNotification
from reviews.models import ChangeRequest
from reviews.services import decide_change_request
from stakeholders.models import ActionItem
from stakeholders.services import complete_action_item, drop_action_item
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    DemandFactory,
    ServiceReviewFactory,
)
from tests.mail import send_queued

URL = "/api/v1/complaints/"
KINDS = ["change_request", "demand", "action_item"]
FIELD = {
    "change_request": "follow_up_change",
    "demand": "follow_up_demand",
    "action_item": "follow_up_action",
}
DERIVED_KIND = {"change_request": "change", "demand": "demand", "action_item": "improvement"}


def make_work(param: str, unit, **fields):
    """An open record of `unit` of the given kind."""
    if param == "change_request":
        review = ServiceReviewFactory.create(unit=unit)
        return ChangeRequest.objects.create(
            review=review, title=fields.pop("title", "Move the batch window"), **fields
        )
    if param == "demand":
        return DemandFactory.create(unit=unit, status=fields.pop("status", "approved"), **fields)
    return ActionItemFactory.create(unit=unit, **fields)


@pytest.fixture
def work(request, unit_a):
    return make_work(request.param, unit_a)


def _send_now():
    """Queued sends run in-process (the broker is mocked away)."""
    return send_queued()


def _run_job(django_capture_on_commit_callbacks):
    with _send_now(), django_capture_on_commit_callbacks(execute=True):
        return tasks.close_follow_up_loops()


def _outcome_mail(mailoutbox):
    return [m for m in mailoutbox if "outcome of the work" in m.subject]


# --- Linking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("param", KINDS)
def test_it_links_each_kind_of_work(complaint, brm, unit_a, param):
    record = make_work(param, unit_a)
    services.link_follow_up(complaint, actor=brm, work=record, reference="asked by the CFO")
    complaint.refresh_from_db()
    assert complaint.follow_up_kind == DERIVED_KIND[param]
    assert complaint.follow_up_work == record
    assert [getattr(complaint, f"{f}_id") for f in FIELD.values()].count(None) == 2
    assert complaint.follow_up_reference == "asked by the CFO"
    assert str(record.title) in complaint.events.last().comment


def test_relinking_replaces_the_previous_link(complaint, brm, unit_a):
    services.link_follow_up(complaint, actor=brm, work=make_work("demand", unit_a))
    item = make_work("action_item", unit_a)
    services.link_follow_up(complaint, actor=brm, work=item)
    complaint.refresh_from_db()
    assert complaint.follow_up_demand_id is None
    assert complaint.follow_up_action == item
    assert complaint.follow_up_kind == "improvement"


@pytest.mark.parametrize("param", KINDS)
def test_the_service_refuses_another_units_record(complaint, brm, unit_b, param):
    with pytest.raises(workflow.InputError) as refused:
        services.link_follow_up(complaint, actor=brm, work=make_work(param, unit_b))
    assert refused.value.field == param
    complaint.refresh_from_db()
    assert complaint.follow_up_kind == ""


def test_outside_work_still_needs_a_reference(complaint, brm):
    with pytest.raises(workflow.InputError):
        services.link_follow_up(complaint, actor=brm, kind="change", reference=" ")
    services.link_follow_up(complaint, actor=brm, kind="change", reference="EXT-1")
    assert complaint.follow_up_work is None


def test_only_a_handler_links_a_record(complaint, leader, other_brm, unit_a):
    record = make_work("demand", unit_a)
    for someone in (leader, other_brm):
        with pytest.raises(workflow.TransitionError):
            services.link_follow_up(complaint, actor=someone, work=record)


# --- The page ---------------------------------------------------------------------------------


def _link_url(complaint):
    return reverse("complaints:complaint_follow_up", args=[complaint.pk, "link"])


def test_the_form_offers_the_units_open_work_only(client, complaint, brm, unit_a, unit_b):
    mine = make_work("change_request", unit_a, title="Ours, open")
    decided = make_work("change_request", unit_a, title="Ours, rejected", status="rejected")
    theirs = make_work("demand", unit_b, title="Theirs")
    client.force_login(brm)
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert f'value="change_request:{mine.pk}"' in page
    assert f'value="change_request:{decided.pk}"' not in page
    assert f'value="demand:{theirs.pk}"' not in page
    assert "Create a commitment for this" in page


@pytest.mark.parametrize("param", KINDS)
def test_the_form_links_a_record(client, complaint, brm, unit_a, param):
    record = make_work(param, unit_a)
    client.force_login(brm)
    response = client.post(_link_url(complaint), {"work": f"{param}:{record.pk}"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.follow_up_work == record


@pytest.mark.parametrize("param", KINDS)
def test_the_form_refuses_another_units_record(client, complaint, brm, unit_b, param):
    record = make_work(param, unit_b)
    client.force_login(brm)
    response = client.post(
        _link_url(complaint), {"work": f"{param}:{record.pk}"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    complaint.refresh_from_db()
    assert complaint.follow_up_kind == ""


def test_the_form_creates_a_commitment_and_links_it(client, complaint, brm, unit_a):
    client.force_login(brm)
    due = timezone.localdate() + timedelta(days=14)
    body = {"work": "new", "title": "Run reports before 8am", "due_date": due.isoformat()}
    assert client.post(_link_url(complaint), body).status_code == 302
    complaint.refresh_from_db()
    item = complaint.follow_up_action
    assert (item.unit, item.title, item.due_date) == (unit_a, "Run reports before 8am", due)
    assert (item.owner_side, item.owner, item.status) == ("it", brm, "open")
    assert complaint.follow_up_kind == "improvement"


def test_a_new_commitment_needs_a_title_and_a_due_date(client, complaint, brm):
    client.force_login(brm)
    response = client.post(_link_url(complaint), {"work": "new"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize("viewer", ["brm", "leader"])
def test_the_page_shows_the_linked_work_with_its_live_status(
    client, complaint, brm, leader, unit_a, viewer
):
    item = make_work("action_item", unit_a, title="Add a second batch run")
    services.link_follow_up(complaint, actor=brm, work=item)
    complete_action_item(item, actor=brm)
    client.force_login(brm if viewer == "brm" else leader)
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert f'href="{item.get_absolute_url()}"' in page
    assert "Add a second batch run" in page
    assert ">Done</span>" in page


def test_a_linked_change_links_to_its_review(client, complaint, brm, leader, unit_a):
    change = make_work("change_request", unit_a)
    services.link_follow_up(complaint, actor=brm, work=change)
    client.force_login(leader)
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert f"/reviews/{change.review_id}/#change-{change.pk}" in page
    assert ">Raised</span>" in page


# --- The API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("param", KINDS)
def test_the_api_links_a_record_by_id(as_user, complaint, brm, unit_a, param):
    record = make_work(param, unit_a)
    response = as_user(brm).post(f"{URL}{complaint.pk}/follow-up/", {param: record.pk})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body[FIELD[param]] == record.pk
    assert body["follow_up_kind"] == DERIVED_KIND[param]
    assert {"follow_up_change", "follow_up_demand", "follow_up_action"} <= body.keys()
    assert body["follow_up_done_at"] is None


@pytest.mark.parametrize("param", KINDS)
def test_the_api_answers_another_units_id_like_an_unknown_one(
    as_user, complaint, brm, unit_b, param
):
    record = make_work(param, unit_b)
    api = as_user(brm)
    other = api.post(f"{URL}{complaint.pk}/follow-up/", {param: record.pk})
    unknown = api.post(f"{URL}{complaint.pk}/follow-up/", {param: record.pk + 1000})
    assert (other.status_code, unknown.status_code) == (400, 400)
    assert other.json()[param][0].replace(str(record.pk), "N") == unknown.json()[param][0].replace(
        str(record.pk + 1000), "N"
    )
    complaint.refresh_from_db()
    assert complaint.follow_up_kind == ""


def test_the_api_refuses_two_links_at_once(as_user, complaint, brm, unit_a):
    body = {
        "demand": make_work("demand", unit_a).pk,
        "action_item": make_work("action_item", unit_a).pk,
    }
    response = as_user(brm).post(f"{URL}{complaint.pk}/follow-up/", body)
    assert response.status_code == 400
    assert set(response.json()) == {"demand", "action_item"}


def test_the_api_refuses_a_leader(as_user, complaint, leader, unit_a):
    record = make_work("demand", unit_a)
    response = as_user(leader).post(f"{URL}{complaint.pk}/follow-up/", {"demand": record.pk})
    assert response.status_code == 403  # a role refusal, never a 409


# --- Closing the loop -------------------------------------------------------------------------


def _finish(record, brm, how: str) -> None:
    if isinstance(record, ChangeRequest):
        if how == "implemented":
            decide_change_request(record, actor=brm, status="accepted")
        decide_change_request(record, actor=brm, status=how, decision="Batch moves to 5am")
    elif isinstance(record, ActionItem):
        if how == "done":
            complete_action_item(record, actor=brm)
        else:
            drop_action_item(record, actor=brm, reason="Not needed")
    else:
        type(record).objects.filter(pk=record.pk).update(status=how, status_reason="Board said")


FINISHES = [
    ("change_request", "implemented", "The change “Move the batch window” was implemented: Batch"),
    ("change_request", "rejected", "The change “Move the batch window” was rejected: Batch"),
    ("demand", "delivered", "was delivered: Board said"),
    ("demand", "benefits_realised", "was delivered and its benefits are realised"),
    ("demand", "rejected", "was rejected: Board said"),
    ("demand", "withdrawn", "was withdrawn"),
    ("action_item", "done", "is done."),
    ("action_item", "dropped", "was dropped."),
]


@pytest.mark.parametrize(("param", "how", "says"), FINISHES)
def test_the_job_closes_the_loop_once(
    complaint, brm, leader, unit_a, mailoutbox, django_capture_on_commit_callbacks, param, how, says
):
    record = make_work(param, unit_a)
    services.link_follow_up(complaint, actor=brm, work=record)
    _finish(record, brm, how)
    mailoutbox.clear()
    assert _run_job(django_capture_on_commit_callbacks) == 1
    assert _run_job(django_capture_on_commit_callbacks) == 0
    complaint.refresh_from_db()
    assert complaint.follow_up_done_at is not None
    assert says in complaint.follow_up_outcome
    mails = _outcome_mail(mailoutbox)
    assert len(mails) == 1
    assert mails[0].to == [leader.email]
    assert says in mails[0].body
    event = complaint.events.last()
    assert (event.kind, event.actor) == ("follow_up", None)  # the system closed it


@pytest.mark.parametrize(
    ("param", "status"),
    [
        ("change_request", "raised"),
        ("change_request", "accepted"),  # decided, but the change is still to be implemented
        ("demand", "assessing"),
        ("demand", "in_delivery"),
        ("action_item", "open"),
    ],
)
def test_nothing_happens_while_the_work_is_open(
    complaint, brm, unit_a, mailoutbox, django_capture_on_commit_callbacks, param, status
):
    record = make_work(param, unit_a)
    type(record).objects.filter(pk=record.pk).update(status=status)
    services.link_follow_up(complaint, actor=brm, work=record)
    mailoutbox.clear()
    assert _run_job(django_capture_on_commit_callbacks) == 0
    complaint.refresh_from_db()
    assert complaint.follow_up_done_at is None
    assert _outcome_mail(mailoutbox) == []


def test_the_job_leaves_an_outcome_recorded_by_hand_alone(
    complaint, brm, unit_a, django_capture_on_commit_callbacks
):
    item = make_work("action_item", unit_a)
    services.link_follow_up(complaint, actor=brm, work=item)
    services.complete_follow_up(complaint, actor=brm, outcome="Fixed early.")
    complete_action_item(item, actor=brm)
    assert _run_job(django_capture_on_commit_callbacks) == 0
    complaint.refresh_from_db()
    assert complaint.follow_up_outcome == "Fixed early."
    assert ComplaintNotification.objects.filter(complaint=complaint, kind="follow_up").count() == 1


def test_the_claim_refuses_work_that_was_relinked_meanwhile(complaint, brm, unit_a):
    old = make_work("action_item", unit_a)
    services.link_follow_up(complaint, actor=brm, work=old)
    services.link_follow_up(complaint, actor=brm, work=make_work("demand", unit_a))
    with pytest.raises(workflow.TransitionError):
        services.complete_follow_up(complaint, actor=None, outcome="Old work done.", work=old)
    assert not ComplaintEvent.objects.filter(complaint=complaint, comment="Old work done.")


@pytest.mark.parametrize("rows", [5, 50])
def test_the_job_finds_its_candidates_in_one_query(unit_a, rows, django_assert_num_queries):
    for i in range(rows):
        param = KINDS[i % 3]
        ComplaintFactory.create(unit=unit_a, **{FIELD[param]: make_work(param, unit_a)})
    # 1 the complaints whose linked work is finished (none: all still open), with that work.
    with django_assert_num_queries(1):
        assert services.close_follow_up_loops() == 0


def test_close_follow_up_loops_runs_every_ten_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["close-complaint-follow-up-loops"]
    assert entry == {"task": "complaints.tasks.close_follow_up_loops", "schedule": 600.0}
