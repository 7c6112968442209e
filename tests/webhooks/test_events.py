"""Each business event reaches the subscriptions that want it, once, with what it may reveal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from brm.core import events
from brm.health.engine import compute_health, health_events, recompute_health
from brm.health.models import HealthSnapshot
from brm.webhooks.models import WebhookDelivery
from complaints.services import ComplaintInput, check_deadlines, file_complaint
from complaints.workflow import transition_complaint
from portfolio.models import DemandStatus
from portfolio.services.workflow import transition_demand
from reviews.services import cancel_review, hold_review, plan_review
from satisfaction import answering
from satisfaction.models import Campaign, CampaignStatus, Invitation, Question, new_token
from stakeholders.events import publish_overdue_commitments
from tests.factories import (
    ActionItemFactory,
    DemandFactory,
    ServiceReviewFactory,
    StakeholderFactory,
    SurveyTemplateFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 12, 10, 0, tzinfo=UTC)
EVERYTHING = sorted(events.EVENT_TYPES)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _types():
    return [d.event_type for d in WebhookDelivery.objects.order_by("pk")]


def _complaint(unit, actor):
    return file_complaint(
        ComplaintInput(unit=unit, title="Slow VPN", description="All week.", severity="medium"),
        actor=actor,
    )


def test_complaint_events(subscribe, unit_a, brm):
    subscribe("https://hooks.example.com/c", EVERYTHING)
    complaint = _complaint(unit_a, brm)
    transition_complaint(complaint, "acknowledged", actor=brm, comment="On it.")
    assert _types() == ["complaint.filed", "complaint.status_changed"]
    changed = WebhookDelivery.objects.get(event_type="complaint.status_changed")
    assert changed.payload["data"]["status"] == "acknowledged"
    assert changed.unit_id == unit_a.pk


def test_an_escalation_is_published_once_per_level_reached(subscribe, unit_a, brm, clock):
    subscribe("https://hooks.example.com/c", ["complaint.escalated"])
    _complaint(unit_a, brm)
    clock.shift(timedelta(days=40))
    assert check_deadlines() > 0
    check_deadlines()  # a second run raises nothing and publishes nothing
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["data"]["escalation_level"] == 3


def test_review_events(subscribe, unit_a, brm):
    subscribe("https://hooks.example.com/r", ["review.planned", "review.held", "review.cancelled"])
    planned = plan_review(unit_a, actor=brm, scheduled_at=timezone.now() + timedelta(days=3))
    cancel_review(planned, actor=brm)
    due = ServiceReviewFactory.create(unit=unit_a, scheduled_at=timezone.now() - timedelta(hours=1))
    held, following = hold_review(due, actor=brm, minutes="Went well.")
    assert _types() == ["review.planned", "review.cancelled", "review.held", "review.planned"]
    held_delivery = WebhookDelivery.objects.get(event_type="review.held")
    assert held_delivery.payload["data"]["id"] == held.pk
    assert held_delivery.payload["data"]["status"] == "held"
    assert following is not None


def test_demand_status_changed(subscribe, unit_a, brm):
    subscribe("https://hooks.example.com/d", ["demand.status_changed"])
    demand = DemandFactory.create(unit=unit_a)
    transition_demand(demand, DemandStatus.ASSESSING, actor=brm)
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["data"]["status"] == "assessing"
    assert delivery.payload["data"]["url"].endswith(f"/api/v1/demands/{demand.pk}/")
    assert "planned_total" in delivery.payload["data"]  # the API's annotations are there too


def test_a_commitment_falling_overdue_is_published_once(subscribe, unit_a):
    subscribe("https://hooks.example.com/p", ["commitment.overdue"])
    today = timezone.localdate()
    late = ActionItemFactory.create(unit=unit_a, due_date=today - timedelta(days=1))
    ActionItemFactory.create(unit=unit_a, due_date=today + timedelta(days=1))  # not yet
    ActionItemFactory.create(unit=unit_a, due_date=today - timedelta(days=30))  # long reported
    assert publish_overdue_commitments() == 1
    assert publish_overdue_commitments() == 1  # the hourly job again: nothing new is sent
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["data"]["id"] == late.pk
    assert delivery.payload["data"]["outcome"] == "overdue"
    # Moved to a new date that passes again: a new event.
    late.due_date = today
    late.save()
    assert publish_overdue_commitments(today + timedelta(days=1)) == 1
    assert WebhookDelivery.objects.count() == 2


def _answer(campaign, person):
    raw, digest = new_token()
    invitation = Invitation.objects.create(
        campaign=campaign,
        stakeholder=person,
        token_hash=digest,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=21),
    )
    q = {x.kind: x for x in Question.objects.filter(template=campaign.template)}
    form = answering.form_for(
        invitation,
        {f"q{q['csat'].pk}": "2", f"q{q['nps'].pk}": "3", f"q{q['free_text'].pk}": "My boss..."},
    )
    assert form.is_valid(), form.errors
    return answering.submit_response(invitation, form)


@pytest.mark.parametrize("anonymous", [True, False])
def test_a_survey_response_event_carries_answers_only_when_not_anonymous(
    subscribe, unit_a, brm, anonymous
):
    subscribe("https://hooks.example.com/s", ["survey.response_received"])
    template = SurveyTemplateFactory.create(questions=["csat", "nps", "free_text"])
    campaign = Campaign.objects.create(
        template=template,
        name="Pulse",
        owner=brm,
        anonymous=anonymous,
        status=CampaignStatus.OPEN,
    )
    campaign.units.set([unit_a])
    person = StakeholderFactory.create(unit=unit_a, email="pat@example.com")
    response = _answer(campaign, person)
    (delivery,) = WebhookDelivery.objects.all()
    data = delivery.payload["data"]
    assert data["id"] == response.pk and data["unit"] == unit_a.pk
    text = str(delivery.payload)
    if anonymous:
        assert data["anonymous"] is True
        assert set(data) == {"id", "campaign", "unit", "submitted_at", "anonymous"}
        assert "My boss" not in text and "answers" not in data
        assert str(person.pk) not in str(data.get("stakeholder", ""))
        assert data["submitted_at"].endswith("T12:00:00Z")  # the day only
    else:
        assert data["stakeholder"] == person.pk
        assert sorted(a["score"] for a in data["answers"] if a["score"] is not None) == [2, 3]
        assert "My boss" in text


def test_a_subscription_for_some_units_hears_only_theirs(subscribe, unit_a, unit_b, brm, other_brm):
    mine, _ = subscribe("https://hooks.example.com/a", ["complaint.filed"], units=[unit_a])
    everyone, _ = subscribe("https://hooks.example.com/all", ["complaint.filed"])
    _complaint(unit_a, brm)
    _complaint(unit_b, other_brm)
    assert WebhookDelivery.objects.filter(subscription=mine).count() == 1
    assert WebhookDelivery.objects.get(subscription=mine).unit_id == unit_a.pk
    assert WebhookDelivery.objects.filter(subscription=everyone).count() == 2


def test_only_subscribed_types_are_recorded(subscribe, unit_a, brm):
    subscribe("https://hooks.example.com/r", ["review.held"])
    _complaint(unit_a, brm)
    assert WebhookDelivery.objects.count() == 0


def test_a_change_that_rolls_back_publishes_nothing(subscribe, unit_a, brm):
    from django.db import transaction

    subscribe("https://hooks.example.com/c", ["complaint.filed"])
    with pytest.raises(RuntimeError), transaction.atomic():
        _complaint(unit_a, brm)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the business change fails after publishing")
    assert WebhookDelivery.objects.count() == 0


def test_a_failing_listener_never_undoes_the_business_change(subscribe, unit_a, caplog):
    subscribe("https://hooks.example.com/c", ["complaint.filed"])
    # An event about a record the webhooks cannot show: the listener fails, the caller goes on.
    events.publish("complaint.filed", unit_a, unit_a.pk)
    assert WebhookDelivery.objects.count() == 0
    assert "Event listener" in caplog.text and "No webhook representation" in caplog.text


def test_an_unknown_event_type_is_a_programming_error(unit_a):
    with pytest.raises(ValueError, match="Unknown event type"):
        events.publish("complaint.deleted", unit_a, unit_a.pk)


def test_the_health_recompute_publishes_band_changes_against_the_previous_snapshot(
    subscribe, unit_a
):
    subscribe("https://hooks.example.com/h", ["health.band_changed"])
    (today,) = [h for h in compute_health(NOW) if h.unit_id == unit_a.pk]
    other = "green" if today.band != "green" else "red"
    HealthSnapshot.objects.create(
        unit=unit_a, as_of=timezone.localdate(NOW) - timedelta(days=1), band=other
    )
    recompute_health(NOW)
    recompute_health(NOW)  # the same day again: no second event
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["data"]["band"] == today.band
    assert delivery.payload["data"]["url"].endswith(f"/api/v1/health/{unit_a.pk}/")


def test_health_events_need_a_change_from_the_previous_snapshot(unit_a):
    def snap(band, watermelon, day=date(2027, 5, 12)):
        return HealthSnapshot(unit=unit_a, as_of=day, band=band, watermelon=watermelon)

    before = {unit_a.pk: snap("green", False, date(2027, 5, 11))}
    found = health_events(before, [snap("amber", True)], NOW)
    assert [e.type for e in found] == ["health.band_changed", "health.watermelon_detected"]
    assert found[1].key == f"health.watermelon_detected:{unit_a.pk}:2027-05-12"
    assert health_events(before, [snap("green", False)], NOW) == []
    assert health_events({}, [snap("amber", True)], NOW) == []  # first snapshot: the baseline
    still = {unit_a.pk: snap("amber", True, date(2027, 5, 11))}
    assert health_events(still, [snap("amber", True)], NOW) == []
