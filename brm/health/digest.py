"""The weekly leadership digest: only the changes that matter, not another report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from brm.core import delivery, schedule
from brm.core.delivery import Outcome, Outgoing
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail
from brm.core.roles import GROUP_NAMES, Role
from brm.health.models import DigestLog, HealthSnapshot, ImprovementPlan

DIGEST_EMAIL = "health.digest"  # composer: compose_digest


def digest_context(week_start: date) -> dict[str, object]:
    """What changed since last week, from stored snapshots (a handful of queries)."""
    today = timezone.localdate()  # the site's local date: the digest goes out on a local Monday
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


def leadership_emails() -> list[str]:
    """Who gets the digest: active executives and the head of BRM with an email address."""
    User = get_user_model()
    return sorted(
        set(
            User.objects.filter(is_active=True)
            .filter(Q(groups__name=GROUP_NAMES[Role.EXECUTIVE]) | Q(groups__name="Head of BRM"))
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def compose_digest(row: OutboundEmail) -> Outgoing | None:
    """The digest of `DigestLog` ``row.ref``'s week, to IT leadership; None if that week's
    digest went out already or nobody would receive it. Once the mail server accepted it, the
    log records when and to how many people."""
    log = DigestLog.objects.filter(pk=row.ref, sent_at__isnull=True).first()
    emails = leadership_emails()
    if log is None or not emails:
        return None
    context = digest_context(log.week_start)
    with translation.override(language_for(emails)):  # leadership's language, else the site's
        message = EmailMultiAlternatives(
            subject=gettext("Relationship health: week of %(week)s")
            % {"week": date_format(log.week_start, "j M Y")},
            body=render_to_string("brm/email/digest.txt", context),
            to=emails,
        )
        message.attach_alternative(render_to_string("brm/email/digest.html", context), "text/html")

    def on_sent(sent_at: datetime) -> None:
        DigestLog.objects.filter(pk=log.pk, sent_at__isnull=True).update(
            sent_at=sent_at, recipients=len(emails)
        )

    return Outgoing(message, on_sent)


def send_weekly_digest(today: date | None = None) -> Outcome:
    """Send this week's digest now, through the kernel's delivery path: once per week however
    often it runs; a failed send is retried (by the next run or the outbox sweep)."""
    today = today or timezone.localdate()
    week_start = schedule.week_start(today)  # the local week's Monday (ISO 8601)
    log, _ = DigestLog.objects.get_or_create(week_start=week_start)
    if log.sent_at is not None:
        return Outcome.NOTHING
    return delivery.send_now(DIGEST_EMAIL, log.pk)
