"""Operations on survey campaigns, shared by views, API, admin and jobs.

Campaign workflow: draft -> scheduled -> open -> closed (a draft or scheduled one may also be
closed). A recurring campaign stays scheduled; each run is a child campaign that opens and closes.
Emails go out from `satisfaction.mailing`, queued after commit so a down broker fails nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brm.core.audit import set_change_reason
from brm.core.errors import InputError, StateConflict
from brm.core.roles import require, stored_user
from brm.core.schedule import next_after
from satisfaction import mailing
from satisfaction.audience import AudiencePlan, plan_audience
from satisfaction.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Invitation,
    Question,
    SatisfactionSettings,
    Schedule,
    Skip,
    SurveyTemplate,
    new_token,
)
from satisfaction.permissions import (
    may_build_surveys,
    may_change_campaign,
    may_delete_template,
    may_edit_template,
    may_run_campaign,
    may_survey_unit,
)
from stakeholders.models import BusinessUnit, RoleType

if TYPE_CHECKING:
    from brm.core.roles import AnyUser

__all__ = ["StateConflict"]

CAMPAIGN_FIELDS = (
    "template",
    "name",
    "role_types",
    "sample_size",
    "schedule",
    "interval_days",
    "next_run_at",
    "anonymous",
    "max_reminders",
    "reminder_days",
)


def run_step(campaign: Campaign) -> relativedelta | None:
    """How far apart a campaign's runs are: 3 calendar months (quarterly), `interval_days`
    days, or None for a one-off campaign."""
    if campaign.schedule == Schedule.ONCE:
        return None
    if campaign.schedule == Schedule.QUARTERLY:
        return relativedelta(months=3)
    return relativedelta(days=campaign.interval_days or 90)


def following_run(campaign: Campaign, after: datetime) -> datetime | None:
    """When a recurring campaign runs next: the first occurrence after `after` of "every step
    from the first run" (`brm.core.schedule.next_after`), in the site's local time.

    Counted from the anchor (`first_run_at`), never from the previous run, so a quarterly
    campaign first run on 31 Aug at 09:00 runs on 30 Nov, 28 Feb, 31 May and 31 Aug, always at
    09:00 local whatever summer time does. A schedule that slipped lands on its grid again in
    one step. None for a one-off campaign.
    """
    step = run_step(campaign)
    if step is None:
        return None
    anchor = campaign.first_run_at or campaign.next_run_at or after
    return next_after(anchor, step, after)


def _check(actor: AnyUser | None, units: Iterable[BusinessUnit], fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    units = list(units)
    if not units:
        errors["units"] = gettext("Choose at least one business unit.")
    else:
        # A unit outside the actor's reach is reported on the field (400), like a bad choice.
        strangers = [u.name for u in units if not may_survey_unit(actor, u)]
        if strangers:
            errors["units"] = gettext("You run surveys only for units you manage: %(units)s.") % {
                "units": ", ".join(strangers)
            }
    bad = [r for r in fields.get("role_types") or [] if r not in RoleType.values]
    if bad:
        errors["role_types"] = gettext("Unknown role types: %(types)s.") % {"types": ", ".join(bad)}
    if fields.get("schedule") == Schedule.EVERY_N_DAYS and not fields.get("interval_days"):
        errors["interval_days"] = gettext("Say how many days apart the runs are.")
    if fields.get("sample_size") == 0:
        errors["sample_size"] = gettext(
            "A sample needs at least one person; leave empty to ask everyone."
        )
    template = fields.get("template")
    if template is not None and not template.questions.exists():
        errors["template"] = gettext("This template has no questions yet.")
    if errors:
        raise ValidationError(errors)


def _require_change(actor: AnyUser | None, campaign: Campaign) -> None:
    require(
        may_change_campaign(actor, campaign),
        gettext("You may read this campaign but not change it."),
    )


@transaction.atomic
def create_campaign(
    *, actor: AnyUser | None, units: Iterable[BusinessUnit], **fields: Any
) -> Campaign:
    """A draft campaign. It sends nothing until it is scheduled.

    Raises `ForbiddenAction` (nothing written) unless `may_run_campaign(actor)`, and
    `ValidationError` on `units` for a unit outside `may_survey_unit`.
    """
    require(
        may_run_campaign(actor), gettext("Relationship managers and administrators run surveys.")
    )
    units = list(units)
    _check(actor, units, fields)
    conf = SatisfactionSettings.get()
    fields.setdefault("max_reminders", conf.default_max_reminders)
    fields.setdefault("reminder_days", conf.default_reminder_days)
    campaign = Campaign.objects.create(
        owner=stored_user(actor), **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS}
    )
    campaign.units.set(units)
    return campaign


@transaction.atomic
def update_campaign(
    campaign: Campaign,
    *,
    actor: AnyUser | None,
    units: Iterable[BusinessUnit] | None = None,
    **fields: Any,
) -> Campaign:
    """Change a campaign that has not been sent yet (draft or scheduled).

    Raises `ForbiddenAction` unless `may_change_campaign`, `StateConflict` once it was sent.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_change(actor, campaign)
    if campaign.status not in {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED}:
        raise StateConflict(
            gettext("This campaign has been sent; its audience and questions are fixed.")
        )
    merged = {k: getattr(campaign, k) for k in CAMPAIGN_FIELDS} | fields
    new_units = list(units) if units is not None else list(campaign.units.all())
    _check(actor, new_units, merged)
    for key, value in fields.items():
        if key in CAMPAIGN_FIELDS:
            setattr(campaign, key, value)
    if campaign.status == CampaignStatus.SCHEDULED and "next_run_at" in fields:
        campaign.first_run_at = campaign.next_run_at  # a moved start moves the anchor
    campaign.save()
    if units is not None:
        campaign.units.set(new_units)
    return campaign


@transaction.atomic
def schedule_campaign(campaign: Campaign, *, actor: AnyUser | None) -> Campaign:
    """Draft -> scheduled. Without a start time it goes out at the next dispatch run.

    Raises `ForbiddenAction` unless `may_change_campaign`, `StateConflict` unless a draft.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_change(actor, campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise StateConflict(
            gettext("This campaign is already %(status)s.")
            % {"status": campaign.get_status_display().lower()}
        )
    if not plan_audience(campaign).selected:
        raise StateConflict(
            gettext("Nobody would receive this survey: every candidate was skipped.")
        )
    campaign.status = CampaignStatus.SCHEDULED
    campaign.next_run_at = campaign.next_run_at or timezone.now()
    campaign.first_run_at = campaign.next_run_at  # the anchor every later run counts from
    set_change_reason(campaign, "Scheduled")
    campaign.save()
    return campaign


@transaction.atomic
def close_campaign(campaign: Campaign, *, actor: AnyUser | None) -> Campaign:
    """Stop a campaign: links stop working, no more reminders, no more runs.

    Raises `ForbiddenAction` unless `may_change_campaign`, `StateConflict` if already closed.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_change(actor, campaign)
    if campaign.status == CampaignStatus.CLOSED:
        raise StateConflict(gettext("This campaign is already closed."))
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.next_run_at = None
    set_change_reason(campaign, "Closed")
    campaign.save()
    return campaign


@transaction.atomic
def delete_campaign(campaign: Campaign, *, actor: AnyUser | None) -> None:
    """Delete a campaign nobody was sent yet (a sent one is closed instead).

    Raises `ForbiddenAction` unless `may_change_campaign`, `StateConflict` once invitations exist.
    """
    _require_change(actor, campaign)
    if campaign.invitations.exists():
        raise StateConflict(gettext("This campaign was sent; close it instead of deleting it."))
    campaign.delete()


# --- Questionnaires ---------------------------------------------------------------------------


# A questionnaire people answer in a few minutes; thousands of questions are a mistake or abuse.
MAX_QUESTIONS = 100


@transaction.atomic
def save_template(
    template: SurveyTemplate,
    *,
    actor: AnyUser | None,
    questions: Iterable[dict[str, Any]] | None = None,
) -> SurveyTemplate:
    """Save a new or changed questionnaire; with `questions`, replace its questions.

    Raises `ForbiddenAction` (nothing saved) unless `may_build_surveys` (new) or
    `may_edit_template` (existing: administrators and survey owners), and `StateConflict` when
    questions people have answered would be replaced (copy the template instead).
    Raises `InputError` ("questions", 400) for more than `MAX_QUESTIONS` questions.
    """
    if questions is not None:
        questions = list(questions)
        if len(questions) > MAX_QUESTIONS:
            raise InputError(
                "questions",
                gettext("A survey has at most %(MAX_QUESTIONS)s questions.")
                % {"MAX_QUESTIONS": MAX_QUESTIONS},
            )
    if template.pk is None:
        require(
            may_build_surveys(actor),
            gettext("Relationship managers and administrators build surveys."),
        )
    else:
        require(
            may_edit_template(actor, template),
            gettext(
                "Shared questionnaires are changed by their survey owners; copy it to adapt it."
            ),
        )
        if questions is not None and template.questions.filter(answers__isnull=False).exists():
            raise StateConflict(
                gettext("People have answered this template; copy it to change questions.")
            )
    template.save()
    if questions is not None:
        template.questions.all().delete()
        Question.objects.bulk_create([Question(template=template, **q) for q in questions])
    return template


@transaction.atomic
def delete_template(template: SurveyTemplate, *, actor: AnyUser | None) -> None:
    """Delete a questionnaire no campaign uses.

    Raises `ForbiddenAction` unless `may_delete_template`, `StateConflict` while campaigns use it.
    """
    require(
        may_delete_template(actor, template),
        gettext("Shared questionnaires are deleted by administrators and survey owners."),
    )
    if template.campaigns.exists():
        raise StateConflict(gettext("Campaigns use this template; mark it inactive instead."))
    template.delete()


def _open_run(
    campaign: Campaign, now: datetime, conf: SatisfactionSettings
) -> tuple[Campaign, AudiencePlan]:
    """Create the invitations and skip records of one run and open it."""
    plan = plan_audience(campaign, now=now, conf=conf)
    expires = now + timedelta(days=conf.invitation_valid_days)
    # The token is drawn again when the email is sent; this one is never shown to anyone.
    Invitation.objects.bulk_create(
        [
            Invitation(
                campaign=campaign, stakeholder=p, token_hash=new_token()[1], expires_at=expires
            )
            for p in plan.selected
        ],
        ignore_conflicts=True,
    )
    Skip.objects.bulk_create(
        [
            Skip(campaign=campaign, stakeholder=s.stakeholder, reason=s.reason, detail=s.detail)
            for s in plan.skipped
        ],
        ignore_conflicts=True,
    )
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = now
    campaign.closes_at = expires
    campaign.next_run_at = None
    set_change_reason(campaign, "Sent")
    campaign.save()
    return campaign, plan


def _child_run(series: Campaign, now: datetime) -> Campaign:
    label = f"{timezone.localdate(now):%b %Y}"
    run = Campaign.objects.create(
        **{k: getattr(series, k) for k in CAMPAIGN_FIELDS if k != "next_run_at"}
        | {"schedule": Schedule.ONCE, "interval_days": None, "name": f"{series.name} — {label}"},
        kind=series.kind,
        parent=series,
        owner=series.owner,
        status=CampaignStatus.SCHEDULED,
    )
    run.units.set(series.units.all())
    return run


@transaction.atomic
def dispatch_campaign(campaign_id: int, *, now: datetime | None = None) -> Campaign | None:
    """Send a due campaign: create invitations (fatigue and sample applied), record skips.

    The claim is a conditional UPDATE of `next_run_at` (still due, still scheduled), so two
    workers never send the same run. A recurring campaign spawns a run and moves to its next date.
    Returns the run that was opened, or None if another worker got there first.
    """
    now = now or timezone.now()
    conf = SatisfactionSettings.get()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.next_run_at is None:
        return None
    claimed = Campaign.objects.filter(
        pk=campaign.pk,
        status=CampaignStatus.SCHEDULED,
        next_run_at=campaign.next_run_at,
        next_run_at__lte=now,
    ).update(next_run_at=following_run(campaign, now), updated_at=now)
    if not claimed:
        return None
    run = _child_run(campaign, now) if campaign.is_recurring else campaign
    run, _plan = _open_run(run, now, conf)
    mailing.queue_invitations(run)  # each sent after commit, once
    return run


def due_campaign_ids(now: datetime | None = None) -> list[int]:
    return list(
        Campaign.objects.filter(
            status=CampaignStatus.SCHEDULED, next_run_at__lte=now or timezone.now()
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def close_expired_campaigns(now: datetime | None = None) -> int:
    """Open runs whose links have all expired are closed (the record of when the survey ended)."""
    now = now or timezone.now()
    return Campaign.objects.filter(status=CampaignStatus.OPEN, closes_at__lte=now).update(
        status=CampaignStatus.CLOSED, closed_at=now, updated_at=now
    )


def pulse_template() -> SurveyTemplate:
    """The configured pulse template, or the built-in two-question one (created once)."""
    conf = SatisfactionSettings.get()
    if conf.pulse_template is not None:
        return conf.pulse_template
    template, created = SurveyTemplate.objects.get_or_create(
        name="Pulse (built-in)",
        defaults={"intro": "Two quick questions about how things went. It takes 20 seconds."},
    )
    if created or not template.questions.exists():
        template.questions.create(
            kind="csat", text="How satisfied are you with how this was handled?", position=1
        )
        template.questions.create(
            kind="free_text", text="Anything we should do differently?", required=False, position=2
        )
    return template


CAMPAIGN_KIND_PULSE = CampaignKind.PULSE
