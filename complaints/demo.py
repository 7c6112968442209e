"""Demo complaints and compliments for `manage.py seed_demo`: deterministic and idempotent.

Records are written directly (not through the services) so that their history can lie in the
past: the timeline is append-only, so each event is created with its own time. Every outbox row
is marked sent, so seeding never emails anyone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from random import Random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from brm.core.roles import GROUP_NAMES, Role
from complaints.models import (
    HEAD_OF_BRM_GROUP,
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    ComplaintNotification,
    ComplaintSettings,
    EventKind,
    Feedback,
    FeedbackKind,
    NotificationKind,
    Status,
)
from complaints.services import wanted_level
from stakeholders.models import BusinessUnit, Stakeholder

SEED = 20261125
PASSWORD = "demo1234"

TITLES = [
    ("Month-end reports arrive late", "The finance reports came two days late again."),
    ("VPN drops every hour", "Field staff lose the VPN every hour and have to log in again."),
    ("Laptop replacement took six weeks", "A new starter had no laptop for six weeks."),
    ("Service desk closed my ticket unresolved", "The ticket was closed but nothing was fixed."),
    ("CRM is slow in the mornings", "Saving a customer takes a minute between 8 and 10."),
    ("Password resets take too long", "Locked-out staff wait half a day for a reset."),
    ("Payslips missing overtime", "Overtime hours were not on this month's payslips."),
    ("Store tills froze on Saturday", "Tills in 12 stores froze for an hour at peak time."),
]
COMMENTS = {
    Status.ACKNOWLEDGED: "Thank you for raising this; we are looking into it.",
    Status.INVESTIGATING: "Reproduced the problem; the vendor is involved.",
    Status.RESOLVED: "Root cause fixed and monitored for a week.",
    Status.CLOSED: "Closed with the complainant's agreement.",
    Status.WITHDRAWN: "No longer needed.",
}
PATHS = {
    Status.RECEIVED: [],
    Status.ACKNOWLEDGED: [Status.ACKNOWLEDGED],
    Status.INVESTIGATING: [Status.ACKNOWLEDGED, Status.INVESTIGATING],
    Status.RESOLVED: [Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.RESOLVED],
    Status.CLOSED: [Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.RESOLVED, Status.CLOSED],
    Status.WITHDRAWN: [Status.ACKNOWLEDGED, Status.WITHDRAWN],
}
COMPLIMENTS = [
    ("Service desk", "Fixed our printer crisis before the board meeting. Thank you!"),
    ("Network team", "The new Wi-Fi in the warehouse is a game changer."),
    ("ERP project", "Go-live was the smoothest we have ever had."),
    ("Field support", "Came out on a Sunday to get the stores running."),
]


def _head_of_brm() -> User | None:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="headbrm",
        defaults={"first_name": "Hana", "last_name": "Head", "email": "headbrm@demo.example"},
    )
    if created:
        user.set_password(PASSWORD)
        user.save()
    user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[Role.BRM])[0])
    user.groups.add(Group.objects.get_or_create(name=HEAD_OF_BRM_GROUP)[0])
    return user


@transaction.atomic
def seed_complaints_demo() -> int:
    """Create about 30 complaints across severities and states, some escalated, and compliments.

    Returns the number of complaints created (0 when they already exist).
    """
    _head_of_brm()
    if Complaint.objects.exists():
        return 0
    rng = random.Random(SEED)
    now = timezone.now()
    targets = ComplaintSettings.get()
    units = list(BusinessUnit.objects.filter(active=True).order_by("pk"))
    if not units:
        return 0
    leaders = {
        s.unit_id: s.user for s in Stakeholder.objects.filter(user__isnull=False, active=True)
    }
    statuses = [
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.INVESTIGATING,
        Status.RESOLVED,
        Status.CLOSED,
        Status.CLOSED,
        Status.WITHDRAWN,
    ]
    created = 0
    for n in range(30):
        unit = units[n % len(units)] if n % 3 else units[0]  # Finance gets the most
        severity = rng.choice(["low", "medium", "medium", "high", "critical"])
        status = rng.choice(statuses)
        # Most open ones are recent, so only some have run past their deadlines; a few have
        # dragged on for weeks, which is what the ageing chart is there to show.
        if status in OPEN_STATUSES:
            hours = rng.randint(2, 24 * 6) if n % 4 else rng.randint(24 * 8, 24 * 45)
        else:
            hours = rng.randint(24, 24 * 60)
        filed = now - timedelta(hours=hours)
        title, description = rng.choice(TITLES)
        complaint = Complaint(
            unit=unit,
            complainant=leaders.get(unit.pk) or unit.brm,
            handler=unit.brm,
            title=title,
            description=description,
            severity=severity,
            status=Status.RECEIVED,
            remedy_requested=rng.choice(["", "Fix it for good, not a workaround."]),
        )
        complaint.set_deadlines(filed, targets)
        complaint.save()
        Complaint.objects.filter(pk=complaint.pk).update(
            created_at=filed, reference=Complaint.make_reference(complaint.pk, filed)
        )
        complaint.refresh_from_db()
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=EventKind.FILED,
            actor=complaint.complainant,
            to_status=Status.RECEIVED,
            comment=description,
            created_at=filed,
        )
        ComplaintNotification.objects.create(
            complaint=complaint, kind=NotificationKind.ACKNOWLEDGEMENT, sent_at=filed
        )
        _walk(complaint, PATHS[status], filed, now, rng)
        if n % 5 == 2:
            _reassign(complaint, units[(n + 1) % len(units)].brm, filed)
        _escalate_history(complaint, now, targets)
        created += 1
    _compliments(units, leaders, now)
    return created


def _walk(
    complaint: Complaint, path: list[Status], filed: datetime, now: datetime, rng: Random
) -> None:
    at, source = filed, Status.RECEIVED
    fields: dict[str, object] = {}
    for target in path:
        at = min(at + timedelta(hours=rng.randint(1, 60)), now - timedelta(minutes=5))
        actor = complaint.complainant if target == Status.WITHDRAWN else complaint.unit.brm
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=EventKind.TRANSITION,
            actor=actor,
            from_status=source,
            to_status=target,
            comment=COMMENTS[target],
            created_at=at,
        )
        if target == Status.ACKNOWLEDGED:
            fields["acknowledged_at"] = at
        elif target == Status.RESOLVED:
            fields.update(resolved_at=at, resolution=COMMENTS[target])
        elif target == Status.CLOSED:
            fields.update(closed_at=at, resolution_rating=rng.choice([2, 3, 4, 4, 5, 5]))
            fields["rated_at"] = at
        source = target
    if path:
        fields["status"] = path[-1]
        Complaint.objects.filter(pk=complaint.pk).update(**fields)
        complaint.refresh_from_db()


def _reassign(complaint: Complaint, handler: User | None, filed: datetime) -> None:
    """Some open complaints were handed to another relationship manager an hour after filing."""
    if handler is None or handler == complaint.handler or complaint.status not in OPEN_STATUSES:
        return
    at = filed + timedelta(hours=1)
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        kind=EventKind.ASSIGNMENT,
        actor=complaint.unit.brm,
        handler=handler,
        comment="They know this service's vendor best.",
        created_at=at,
    )
    ComplaintNotification.objects.create(
        complaint=complaint, kind=NotificationKind.ASSIGNMENT, event=event, sent_at=at
    )
    Complaint.objects.filter(pk=complaint.pk).update(handler=handler)
    complaint.refresh_from_db()


def _escalate_history(complaint: Complaint, now: datetime, targets: ComplaintSettings) -> None:
    """Open complaints past their deadlines get the escalations the checker would have made."""
    level = wanted_level(complaint, now, targets)
    for step in range(1, level + 1):
        event = ComplaintEvent.objects.create(
            complaint=complaint,
            kind=EventKind.ESCALATION,
            level=step,
            comment=f"Not handled in time; escalated (level {step}).",
            created_at=now - timedelta(minutes=10 * (4 - step)),
        )
        ComplaintNotification.objects.create(
            complaint=complaint,
            kind=NotificationKind.ESCALATION,
            event=event,
            level=step,
            sent_at=event.created_at,
        )
    if level:
        Complaint.objects.filter(pk=complaint.pk).update(escalation_level=level)


def _compliments(units: list[BusinessUnit], leaders: dict[int, User | None], now: datetime) -> None:
    for i, (team, message) in enumerate(COMPLIMENTS * 2):
        unit = units[i % len(units)]
        feedback = Feedback.objects.create(
            kind=FeedbackKind.COMPLIMENT,
            author=leaders.get(unit.pk) or unit.brm,
            about_person=unit.brm if i % 2 else None,
            about_team=team,
            unit=unit,
            message=message,
        )
        Feedback.objects.filter(pk=feedback.pk).update(created_at=now - timedelta(days=3 * i + 1))
    Feedback.objects.create(
        kind=FeedbackKind.SUGGESTION,
        author=leaders.get(units[0].pk) or units[0].brm,
        about_team="Service desk",
        unit=units[0],
        message="A status page for outages would save us many calls.",
    )
