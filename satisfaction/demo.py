"""Demo surveys (called by `manage.py seed_demo`): two past quarterly runs with responses.

Deterministic and safe to run twice (skipped when the demo series exists). Legal & Compliance and
Procurement (brm2's units, whose services all meet their SLAs) fall sharply between the runs:
green outside, red inside, the watermelon the health dashboard must surface.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from satisfaction import services
from satisfaction.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Invitation,
    Question,
    Response,
    Schedule,
    SurveyTemplate,
    new_token,
)
from stakeholders.models import BusinessUnit

SERIES = "Quarterly relationship survey"
FALLING = {"legal", "proc"}
SEED = 6


def _template() -> SurveyTemplate:
    template, created = SurveyTemplate.objects.get_or_create(
        name="Quarterly satisfaction",
        defaults={"intro": "Four quick questions about how IT works with your team."},
    )
    if created:
        for i, (kind, text, required) in enumerate(
            [
                ("csat", "Overall, how satisfied are you with IT?", True),
                ("nps", "How likely are you to recommend IT to a colleague?", True),
                ("service_rating", "How do you rate each service you use?", False),
                ("free_text", "What should IT do differently?", False),
            ]
        ):
            Question.objects.create(
                template=template, kind=kind, text=text, required=required, position=i
            )
    return template


COMMENTS_BAD = [
    "Nobody tells us what is going on.",
    "Tickets are closed without asking us.",
    "We only hear from IT when something breaks.",
]
COMMENTS_GOOD = ["Quick and friendly help.", "The monthly check-ins are useful."]


@transaction.atomic
def seed_satisfaction_demo() -> int:
    """Create the series and its two closed runs; returns the number of responses added."""
    if Campaign.objects.filter(name=SERIES).exists():
        return 0
    rng = random.Random(SEED)
    template = _template()
    questions = {q.kind: q for q in template.questions.all()}
    units = list(
        BusinessUnit.objects.filter(active=True).prefetch_related("stakeholders", "services")
    )
    if not units:
        return 0
    brm = units[0].brm
    now = timezone.now()
    series = Campaign.objects.create(
        template=template,
        name=SERIES,
        owner=brm,
        schedule=Schedule.QUARTERLY,
        status=CampaignStatus.SCHEDULED,
        next_run_at=now + timedelta(days=30),
    )
    series.units.set(units)
    added = 0
    for back, quarter in ((150, 0), (60, 1)):
        opened = now - timedelta(days=back)
        run = Campaign.objects.create(
            template=template,
            name=f"{SERIES} — {opened:%b %Y}",
            parent=series,
            owner=brm,
            status=CampaignStatus.CLOSED,
            opened_at=opened,
            closes_at=opened + timedelta(days=21),
            closed_at=opened + timedelta(days=21),
        )
        run.units.set(units)
        for unit in units:
            falling = unit.code in FALLING
            live = [s for s in unit.services.all() if s.lifecycle == "live"]
            for person in unit.stakeholders.all():
                if not person.active or not person.email:
                    continue
                answered_at = opened + timedelta(days=rng.randint(0, 10))
                answered = rng.random() < 0.7
                inv = Invitation.objects.create(
                    campaign=run,
                    stakeholder=person,
                    token_hash=new_token()[1],
                    sent_at=opened,
                    expires_at=opened + timedelta(days=21),
                    answered_at=answered_at if answered else None,
                )
                Invitation.objects.filter(pk=inv.pk).update(created_at=opened)
                if not answered:
                    continue
                mood = (4.2 if quarter == 0 else 2.1) if falling else 4.0
                csat = max(1, min(5, round(rng.gauss(mood, 0.6))))
                nps = max(0, min(10, round(rng.gauss(mood * 2.1, 1.2))))
                response = Response.objects.create(
                    campaign=run, invitation=inv, unit=unit, submitted_at=answered_at
                )
                rows = [
                    Answer(response=response, question=questions["csat"], score=csat),
                    Answer(response=response, question=questions["nps"], score=nps),
                ]
                rows += [
                    Answer(
                        response=response,
                        question=questions["service_rating"],
                        service=s,
                        score=max(1, min(5, round(rng.gauss(mood, 0.7)))),
                    )
                    for s in live
                ]
                if rng.random() < 0.4:
                    pool = COMMENTS_BAD if csat <= 3 else COMMENTS_GOOD
                    rows.append(
                        Answer(
                            response=response,
                            question=questions["free_text"],
                            text=rng.choice(pool),
                        )
                    )
                Answer.objects.bulk_create(rows)
                added += 1
    services.pulse_template()
    return added
