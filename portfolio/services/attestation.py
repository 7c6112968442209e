"""Benefit attestation: after delivery, the sponsor is asked to confirm the realised benefits.

`BenefitAttestation` is the business record of each request. `open_due_attestations` creates
the rows that fell due (each demand and period once) together with their emails, which go
through the kernel's one delivery path (`brm.core.delivery`: claimed once, marked sent only
after the mail server accepted it, retried after a failure or a dead worker);
`compose_benefit_attestation` builds the email at send time. The job in
`portfolio.tasks.attestation` calls this module; nothing here imports a task.

The sponsor answers without a login: the email carries a signed link (`attestation_token`,
django.core.signing under the site's secret) to `confirm_by_link`, which is single-use even under
concurrency: ONE conditional UPDATE on the attestation row itself (``answered_at IS NULL``) claims
it, and every other submission gets `LinkUsed` (410). A leader of the unit may still confirm
while signed in (`portfolio.services.demand.confirm_benefits`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from brm.core import delivery
from brm.core.delivery import Outgoing
from brm.core.errors import InputError, StateConflict
from brm.core.i18n import language_for
from brm.core.models import OutboundEmail
from portfolio.models.demand import (
    AFTER_DELIVERY,
    BenefitAttestation,
    BenefitRecord,
    Demand,
    DemandSettings,
    DemandStatus,
)

logger = logging.getLogger(__name__)

ATTESTATION_EMAIL = "portfolio.benefit_attestation"  # composer: compose_benefit_attestation
TOKEN_SALT = "portfolio.benefit-attestation"


class LinkUsed(StateConflict):
    """The attestation link was used already: the page answers 410 Gone."""


def attestation_token(attestation_id: int) -> str:
    """The signed token of the sponsor's link for attestation `attestation_id` (no expiry: the
    link works until it is used)."""
    return signing.dumps({"att": attestation_id}, salt=TOKEN_SALT)


def attestation_for_token(token: str) -> BenefitAttestation | None:
    """The attestation a link names, or None for a forged or damaged token."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    pk = data.get("att") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        return None
    return (
        BenefitAttestation.objects.select_related("demand__sponsor", "demand__unit")
        .filter(pk=pk)
        .first()
    )


@transaction.atomic
def confirmable_records(demand: Demand, record_ids: Iterable[int | str]) -> QuerySet[BenefitRecord]:
    """The demand's benefit figures a sponsor ticked, checked for confirming (one COUNT query).

    The one rule for both ways a sponsor confirms (the signed link here, a leader's login in
    `services.demand.confirm_benefits`). Raises `StateConflict` (409) before the demand is
    delivered, `InputError` (400, field "records") for no ticked figure or an unknown one.
    """
    if demand.status not in {DemandStatus.DELIVERED, DemandStatus.BENEFITS_REALISED}:
        raise StateConflict(gettext("Benefits are confirmed once the demand is delivered."))
    ids = {int(i) for i in record_ids}
    if not ids:
        raise InputError("records", gettext("Tick the figures you confirm."))
    records = BenefitRecord.objects.filter(demand=demand, pk__in=ids)
    if records.count() != len(ids):
        raise InputError("records", gettext("Unknown benefit record."))
    return records


def confirm_by_link(attestation: BenefitAttestation, record_ids: list[int]) -> int:
    """The sponsor confirms realised figures through the emailed link; returns how many.

    Single use: one conditional UPDATE on the attestation row (``answered_at IS NULL``) claims
    it, so of concurrent submissions exactly one confirms and the others raise `LinkUsed` (410).
    Raises `InputError` (400, nothing claimed) for no or unknown figures, `StateConflict` (409)
    when the demand is no longer delivered.
    """
    demand = attestation.demand
    records = confirmable_records(demand, record_ids)
    now = timezone.now()
    claimed = BenefitAttestation.objects.filter(pk=attestation.pk, answered_at__isnull=True).update(
        answered_at=now, updated_at=now
    )
    if claimed != 1:
        raise LinkUsed(gettext("This link was used already: the figures were confirmed."))
    return records.filter(confirmed_at__isnull=True).update(confirmed_at=now, updated_at=now)


def attestation_due(delivered: date, today: date, interval: int, rounds: int) -> tuple[int, date]:
    """The latest round due by `today` (0 if none yet) and its date.

    Round k falls due `interval * k` days after delivery, for k = 1..`rounds`; after the last
    round the sponsor is not asked again.
    """
    if rounds <= 0 or today < delivered:
        return 0, delivered
    k = min((today - delivered).days // interval, rounds)
    return k, delivered + timedelta(days=interval * k)


def open_due_attestations(today: date | None = None) -> list[int]:
    """Create the attestation requests that fell due by `today` and return their ids.

    One request per demand and period: the unique (demand, due_on) claims it, so a second run,
    or a concurrent one, finds it taken and returns nothing for it. Only delivered demands with
    a sponsor are asked. Each request's email is recorded with it and sent after commit.
    """
    today = today or timezone.localdate()
    config = DemandSettings.get()
    created: list[int] = []
    candidates = Demand.objects.filter(
        status__in=AFTER_DELIVERY, delivered_at__isnull=False, sponsor__isnull=False
    ).values_list("pk", "delivered_at")
    for pk, delivered_at in candidates:
        delivered = timezone.localdate(delivered_at)
        k, due = attestation_due(
            delivered, today, config.attestation_interval_days, config.attestation_rounds
        )
        if k == 0:
            continue
        try:
            with transaction.atomic():
                att = BenefitAttestation.objects.create(demand_id=pk, due_on=due, round=k)
                # Its email, in the same transaction: sent after commit, once.
                delivery.enqueue(ATTESTATION_EMAIL, att.pk)
        except IntegrityError:
            continue
        created.append(att.pk)
    return created


def compose_benefit_attestation(row: OutboundEmail) -> Outgoing | None:
    """The email asking the sponsor of attestation ``row.ref`` to confirm the realised benefits,
    with a signed single-use link to the confirmation page (no login needed); None if the
    request is gone, was answered, or the sponsor has no email address. Once the mail server
    accepted it, the request records when and to whom it went."""
    att = (
        BenefitAttestation.objects.select_related("demand__sponsor", "demand__unit")
        .filter(pk=row.ref, answered_at__isnull=True)
        .first()
    )
    if att is None:
        return None
    demand = att.demand
    sponsor = demand.sponsor
    if sponsor is None or not sponsor.email:
        return None
    to = [sponsor.email]
    # The figures the sponsor is asked about, summed as the portfolio sums them (one query);
    # the template shows them with the money filter, in the site's one currency. The totals
    # are annotated by `with_benefits`; the plugin cannot follow them there.
    totals = (
        Demand.objects.with_benefits()
        .filter(pk=demand.pk)
        .values("planned_total", "realised_total", "confirmed_total")  # type: ignore[misc]
        .get()
    )
    context = {
        "attestation": att,
        "demand": demand,
        "totals": totals,
        "sponsor": sponsor,
        "url": settings.SITE_URL
        + reverse("demands:attestation_answer", args=[attestation_token(att.pk)]),
    }
    with translation.override(language_for(to)):  # the sponsor's language, else the site's
        email = EmailMessage(
            subject=_("Please confirm the benefits of %(reference)s: %(title)s")
            % {"reference": demand.reference, "title": demand.title},
            body=render_to_string("portfolio/demand_email_attestation.txt", context),
            to=to,
        )

    def on_sent(sent_at: datetime) -> None:
        BenefitAttestation.objects.filter(pk=att.pk, sent_at__isnull=True).update(
            sent_at=sent_at, recipients=", ".join(to)
        )

    return Outgoing(email, on_sent)
