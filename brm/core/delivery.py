"""The one delivery path for every notification email: queue, claim, send, mark sent, retry.

A business service writes an `OutboundEmail` row in the same transaction as its change
(`enqueue`), and the row's sending is queued after commit. `deliver` then:

1. claims the row with ONE conditional UPDATE (``state = pending -> sending``) and checks the row
   count, so two workers (or a task run twice) never both send it;
2. asks the row's composer (``settings.DELIVERY_COMPOSERS[kind]``, a dotted path to a function
   ``(OutboundEmail) -> Outgoing | None``) for the email, built from fresh data at send time;
3. sends it through Django's mail API with the row's own `Message-ID` header;
4. marks it sent only AFTER the mail server accepted it, in one transaction with the composer's
   `on_sent` (which records the business fact, e.g. `Handover.pack_sent_at`).

A send that raises gives the claim back (attempt counted, error kept) and is retried later with
a growing delay, up to ``DELIVERY_MAX_ATTEMPTS``. A claim whose worker died (older than
``DELIVERY_CLAIM_TIMEOUT`` seconds, still not sent) is released by the periodic `sweep` and sent
again with the SAME Message-ID, so the mail server or the recipient can drop the duplicate. In
normal running nothing is sent twice; after a crash between the server's acceptance and the sent
mark, the one duplicate carries the same Message-ID. Nothing here imports a business app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from enum import StrEnum
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from brm.core.models import DeliveryState, OutboundEmail
from brm.core.outbox import queue_after_commit

logger = logging.getLogger(__name__)

# Defaults of the settings below (all may be overridden in settings.py).
CLAIM_TIMEOUT_SECONDS = 300  # well past the send task's hard time limit (SEND_TIME_LIMIT)
MAX_ATTEMPTS = 8
RETRY_DELAY_SECONDS = 60  # doubled after every failed attempt, at most RETRY_DELAY_CAP
RETRY_DELAY_CAP = timedelta(hours=6)
FRESH_GRACE = timedelta(minutes=1)  # a new row's own task is still on its way: leave it alone
SEND_TIME_LIMIT = 120  # seconds; the claim timeout must stay well above it
SWEEP_BATCH = 100


@dataclass
class Outgoing:
    """What a composer returns: the email to send and what to record once it was accepted.

    `on_sent(sent_at)` runs in the same transaction as the sent mark, and only once per message.
    """

    email: EmailMessage
    on_sent: Callable[[datetime], None] | None = None


Composer = Callable[[OutboundEmail], Outgoing | None]


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def new_message_id() -> str:
    """An RFC 5322 Message-ID on the site's own domain, drawn once per message."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return make_msgid(idstring="brm", domain=domain)


def enqueue(
    kind: str, ref: int, *, key: str | None = None, to: str = "", queue: bool = True
) -> OutboundEmail:
    """The row for the message `key` (created if new), its sending queued after commit.

    Call it inside the business change's transaction, so the message exists exactly when the
    change does. Idempotent: the same `key` (by default ``"<kind>:<ref>"``, one email per record)
    returns the existing row and queues nothing more (the sweep sends any row still pending).
    `kind` must be a key of ``settings.DELIVERY_COMPOSERS``; `ref` is the id of the business
    record the composer loads; `to` optional fixed recipients. Raises ValueError for an unknown
    kind.
    """
    if kind not in settings.DELIVERY_COMPOSERS:
        raise ValueError(f"Unknown email kind {kind!r}: add it to DELIVERY_COMPOSERS.")
    row, created = OutboundEmail.objects.get_or_create(
        key=key or f"{kind}:{ref}",
        defaults={"kind": kind, "ref": ref, "to": to, "message_id": new_message_id()},
    )
    if created and queue:
        queue_after_commit(deliver_email, row.pk)
    return row


class Outcome(StrEnum):
    """What `send_now` did with one message."""

    SENT = "sent"  # this call sent it
    RETRY = "retry"  # the send raised; pending again, retried later
    FAILED = "failed"  # the send raised and that was the last attempt
    SKIPPED = "skipped"  # nobody to send to, or the notice no longer applies
    NOTHING = "nothing"  # sent before, being sent by another worker, or waiting out its delay


def send_now(kind: str, ref: int, *, key: str | None = None, to: str = "") -> Outcome:
    """For periodic jobs that find due notices themselves: record the message (as `enqueue`)
    and deliver it right here, outside any transaction. A message still waiting out the delay
    after a failed attempt is left to the sweep."""
    row = enqueue(kind, ref, key=key, to=to, queue=False)
    if row.state != DeliveryState.PENDING or (
        row.retry_after is not None and row.retry_after > timezone.now()
    ):
        return Outcome.NOTHING
    if deliver(row.pk):
        return Outcome.SENT
    state = OutboundEmail.objects.filter(pk=row.pk).values_list("state", flat=True).get()
    return {
        DeliveryState.PENDING: Outcome.RETRY,
        DeliveryState.FAILED: Outcome.FAILED,
        DeliveryState.SKIPPED: Outcome.SKIPPED,
    }.get(DeliveryState(state), Outcome.NOTHING)


def claim(pk: int, now: datetime | None = None) -> bool:
    """Take a pending message for sending: one conditional UPDATE, True only for the winner."""
    now = now or timezone.now()
    return (
        OutboundEmail.objects.filter(pk=pk, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        == 1
    )


def deliver(pk: int) -> bool:
    """Claim, compose, send and mark sent one message. True when this call sent it.

    False when another worker holds or finished it, when there was nobody to send to (the row
    becomes SKIPPED), or when the send raised (the claim is released for a later retry; the
    error is logged and kept on the row, never re-raised, so a task retry cannot double it).
    """
    if not claim(pk):
        logger.info("Email %s: already claimed or finished, nothing to do.", pk)
        return False
    row = OutboundEmail.objects.get(pk=pk)
    try:
        outgoing = _composer(row.kind)(row)
        if outgoing is None:
            _finish(row, DeliveryState.SKIPPED, "")
            return False
        email = outgoing.email
        email.extra_headers["Message-ID"] = row.message_id
        email.send()
    except Exception as exc:  # whatever failed, the message must stay deliverable
        logger.exception("Email %s (%s) failed on attempt %s.", pk, row.key, row.attempts)
        release(row, exc)
        return False
    to = ", ".join([*email.to, *email.cc, *email.bcc])
    sent_at = timezone.now()
    with transaction.atomic():  # the sent mark and the business fact, together or not at all
        if _finish(row, DeliveryState.SENT, to, sent_at) and outgoing.on_sent is not None:
            outgoing.on_sent(sent_at)
    return True


def _finish(row: OutboundEmail, state: str, recipients: str, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        OutboundEmail.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
            state=state,
            sent_at=now if state == DeliveryState.SENT else None,
            recipients=recipients,
            last_error="",
            updated_at=now,
        )
    )


def release(row: OutboundEmail, exc: BaseException) -> None:
    """Give a failed claim back: pending again after a growing delay, or FAILED at the cap."""
    now = timezone.now()
    final = row.attempts >= _setting("DELIVERY_MAX_ATTEMPTS", MAX_ATTEMPTS)
    delay = timedelta(
        seconds=_setting("DELIVERY_RETRY_DELAY", RETRY_DELAY_SECONDS) * 2 ** (row.attempts - 1)
    )
    OutboundEmail.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
        state=DeliveryState.FAILED if final else DeliveryState.PENDING,
        claimed_at=None,
        retry_after=now + min(delay, RETRY_DELAY_CAP),
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        updated_at=now,
    )
    if final:
        logger.error("Email %s (%s): giving up after %s attempts.", row.pk, row.key, row.attempts)


def release_stale_claims(now: datetime | None = None) -> int:
    """Give back claims whose worker died: SENDING for longer than the claim timeout.

    Conditional UPDATEs, so two sweeps release each claim once. The row keeps its Message-ID;
    the attempt that died counts towards the cap (a message that kills its worker stops).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=_setting("DELIVERY_CLAIM_TIMEOUT", CLAIM_TIMEOUT_SECONDS))
    stale = OutboundEmail.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff)
    note = "The worker sending it stopped before marking it sent."
    given_up = stale.filter(attempts__gte=_setting("DELIVERY_MAX_ATTEMPTS", MAX_ATTEMPTS)).update(
        state=DeliveryState.FAILED, claimed_at=None, last_error=note, updated_at=now
    )
    released = stale.update(
        state=DeliveryState.PENDING,
        claimed_at=None,
        retry_after=None,
        last_error=note,
        updated_at=now,
    )
    if released or given_up:
        logger.warning("Released %s stale email claim(s); gave up on %s.", released, given_up)
    return released


def retry_failed(emails: QuerySet[OutboundEmail]) -> int:
    """Give emails that were given up on (FAILED) a fresh set of attempts, e.g. after the mail
    server's configuration was fixed; they keep their Message-ID. Returns how many."""
    return emails.filter(state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, attempts=0, retry_after=None, updated_at=timezone.now()
    )


def due_ids(now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Pending messages to (re)try now: past their retry delay, and not created a moment ago
    (those still have their own task on its way)."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(state=DeliveryState.PENDING)
        .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=now))
        .filter(Q(attempts__gt=0) | Q(created_at__lt=now - FRESH_GRACE))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now: datetime | None = None) -> int:
    """Release dead workers' claims, then send what is due (never queued because the broker
    was down, failed before, or released). Returns how many were sent."""
    release_stale_claims(now)
    return sum(deliver(pk) for pk in due_ids(now))


def _composer(kind: str) -> Composer:
    # The kernel imports no business app: the project settings name each kind's composer, the
    # same way they name the mail backend.
    composer: Composer = import_string(settings.DELIVERY_COMPOSERS[kind])
    return composer


@shared_task(
    name="brm.core.deliver_email", time_limit=SEND_TIME_LIMIT, soft_time_limit=SEND_TIME_LIMIT - 20
)
def deliver_email(email_id: int) -> bool:
    """Send one queued email (safe to run twice: the claim lets one run through)."""
    return deliver(email_id)


@shared_task(name="brm.core.sweep_outbound_emails")
def sweep_outbound_emails() -> int:
    """Beat job: release claims of dead workers and send every due pending email."""
    return sweep()
