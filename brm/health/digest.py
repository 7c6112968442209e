"""The weekly leadership digest: only the changes that matter, not another report."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from brm.core.roles import GROUP_NAMES, Role
from brm.health.models import HealthSnapshot, ImprovementPlan


def digest_context(week_start: date) -> dict[str, object]:
    """What changed since last week, from stored snapshots (a handful of queries)."""
    today = timezone.localdate()
    current = {
        s.unit_id: s
        for s in HealthSnapshot.objects.latest_per_unit()
        .filter(unit__active=True)
        .select_related("unit")
    }
    week_ago = today - timedelta(days=7)
    before = {s.unit_id: s for s in HealthSnapshot.objects.latest_per_unit(on_or_before=week_ago)}
    new_red, new_watermelons, drops = [], [], []
    for unit_id, snap in current.items():
        old = before.get(unit_id)
        if snap.band == "red" and (old is None or old.band != "red"):
            new_red.append(snap)
        if snap.watermelon and not (old and old.watermelon):
            new_watermelons.append(snap)
        if old and old.score is not None and snap.score is not None and snap.score < old.score - 5:
            drops.append((snap, round(snap.score - old.score, 1)))
    drops.sort(key=lambda pair: pair[1])
    bands = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for snap in current.values():
        bands[snap.band] = bands.get(snap.band, 0) + 1
    return {
        "week_start": week_start,
        "bands": bands,
        "watermelons": [s for s in current.values() if s.watermelon],
        "new_watermelons": new_watermelons,
        "new_red": new_red,
        "drops": drops[:8],
        "plans_opened": ImprovementPlan.objects.filter(created_at__date__gte=week_ago)
        .select_related("unit")
        .order_by("unit__name"),
        "dashboard_url": settings.SITE_URL + reverse("health:dashboard"),
    }


def send_digest(week_start: date) -> int:
    """Email the digest to IT leadership (executives and the head of BRM); returns recipients."""
    User = get_user_model()
    emails = sorted(
        set(
            User.objects.filter(is_active=True)
            .filter(Q(groups__name=GROUP_NAMES[Role.EXECUTIVE]) | Q(groups__name="Head of BRM"))
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not emails:
        return 0
    context = digest_context(week_start)
    message = EmailMultiAlternatives(
        subject=f"Relationship health: week of {week_start:%d %b %Y}",
        body=render_to_string("brm/email/digest.txt", context),
        to=emails,
    )
    message.attach_alternative(render_to_string("brm/email/digest.html", context), "text/html")
    message.send()
    return len(emails)
