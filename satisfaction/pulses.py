"""Pulse surveys after a service review is held or a complaint is resolved.

A periodic job finds recent sources without a pulse, so no other app's code changes; the unique
(source_type, source_id) on `Pulse` makes each source trigger once however often the job runs.
Recipients still pass the fatigue rule (it counts campaigns and pulses alike).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from complaints import selectors as complaint_selectors
from reviews import selectors as review_selectors
from satisfaction import services
from satisfaction.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Pulse,
    PulseSource,
    SatisfactionSettings,
)
from stakeholders.models import BusinessUnit, Stakeholder


def queue_pulse(
    kind: str,
    unit: BusinessUnit,
    stakeholders: list[Stakeholder],
    source_id: int,
    *,
    now: datetime | None = None,
    note: str = "",
) -> Pulse | None:
    """Record a pulse for this source and schedule its campaign now. None if it already exists.

    A source with nobody to ask still gets its Pulse row (with no campaign), so it is not
    reconsidered on every run.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            pulse = Pulse.objects.create(
                source_type=kind, source_id=source_id, unit=unit, note=note[:200]
            )
            people = [s for s in stakeholders if s.active]
            if not people:
                return pulse
            campaign = Campaign.objects.create(
                template=services.pulse_template(),
                name=f"Pulse: {note or PulseSource(kind).label} ({unit.name})"[:150],
                kind=CampaignKind.PULSE,
                status=CampaignStatus.SCHEDULED,
                next_run_at=now,
                anonymous=False,
                max_reminders=1,
                reminder_days=3,
            )
            campaign.units.set([unit])
            campaign.recipients.set(people)
            pulse.campaign = campaign
            pulse.save(update_fields=["campaign"])
    except IntegrityError:
        return None
    return pulse


def find_pulse_sources(now: datetime | None = None) -> list[Pulse]:
    """Create pulses for reviews held and complaints resolved recently that have none yet."""
    now = now or timezone.now()
    conf = SatisfactionSettings.get()
    if not conf.pulses_enabled:
        return []
    since = now - timedelta(days=conf.pulse_lookback_days)
    created: list[Pulse] = []
    done_reviews = Pulse.objects.filter(source_type=PulseSource.REVIEW).values("source_id")
    reviews = review_selectors.held_between(since, now).exclude(pk__in=done_reviews)
    for review in reviews:
        people = [a for a in review.attendees.all() if a.email]
        note = f"service review on {timezone.localdate(review.held_at):%d %b %Y}"
        pulse = queue_pulse(PulseSource.REVIEW, review.unit, people, review.pk, now=now, note=note)
        if pulse:
            created.append(pulse)
    done_complaints = Pulse.objects.filter(source_type=PulseSource.COMPLAINT).values("source_id")
    complaints = complaint_selectors.resolved_between(since, now).exclude(pk__in=done_complaints)
    for complaint in complaints:
        person = (
            getattr(complaint.complainant, "stakeholder", None) if complaint.complainant else None
        )
        people = [person] if person is not None and person.email else []
        note = f"complaint {complaint.reference or complaint.pk}"
        pulse = queue_pulse(
            PulseSource.COMPLAINT, complaint.unit, people, complaint.pk, now=now, note=note
        )
        if pulse:
            created.append(pulse)
    return created
