"""Loading demo data sends nothing: neither the emails its services record (queued tasks, the
outbox sweep) nor what the survey, complaint and attestation jobs find in it right after
(thank-yous for old answers, reminders long past due, escalations, overdue-review and "review
due, none planned" notices for reviews that fell due long ago) goes out: the kernel's one
max-age rule, brm.core.delivery.too_old. (Review reminders for the demo's upcoming reviews are
real future events and still go out when due.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from brm.core import delivery
from brm.core.models import DeliveryState, OutboundEmail
from complaints import tasks as complaint_tasks
from portfolio.tasks import attestation as attestation_tasks
from reviews import tasks as review_tasks
from satisfaction import tasks as survey_tasks
from tests.mail import send_queued


@pytest.mark.django_db(transaction=True)
def test_seeding_the_demo_sends_nothing(mailoutbox):
    with send_queued():  # a queued task would run at once, as a worker would
        call_command("seed_demo", verbosity=0)
        assert mailoutbox == []
        survey_tasks.dispatch_due_campaigns()
        survey_tasks.send_survey_reminders()
        complaint_tasks.check_complaint_deadlines()
        complaint_tasks.close_follow_up_loops()
        attestation_tasks.request_benefit_attestations()
        reviews = review_tasks.send_review_reminders()
    assert (reviews["overdue"], reviews["unplanned"], reviews["failed"]) == (0, 0, 0)
    assert not OutboundEmail.objects.filter(state=DeliveryState.PENDING).exists()
    assert delivery.sweep(timezone.now() + timedelta(days=3)) == 0
    assert [m.subject for m in mailoutbox if not m.subject.startswith("Reminder:")] == []
