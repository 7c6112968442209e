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

import copy
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from enum import StrEnum
from html import escape
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import EmailAlternative
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext, ngettext, override

from brm.core.i18n import language_for, languages_of, shared_language, writing_for
from brm.core.models import (
    AddressOptOut,
    DeferredEmail,
    DeliveryMode,
    DeliveryState,
    Notification,
    OutboundEmail,
    UserPreference,
)
from brm.core.outbox import queue_after_commit
from brm.core.validators import header_text

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
    `link` is the record the message is about, for the in-app inbox (a ``SITE_URL`` address or a
    site path); when empty, the first ``SITE_URL`` link in the text body is taken.
    """

    email: EmailMessage
    on_sent: Callable[[datetime], None] | None = None
    link: str = ""


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
    becomes SKIPPED: nobody composed, or every recipient inactive or opted out), or when the send
    raised (the claim is released for a later retry; the error is logged and kept on the row,
    never re-raised, so a task retry cannot double it). Recipients who chose a daily summary for
    the kind get it there (`DeferredEmail`) instead. Every recipient with a login also finds it
    in their in-app inbox (`notify_in_app`, in the sent mark's transaction: once per message).
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
        original = outgoing.email
        people = recipients_for(row.kind, [*original.to, *original.cc, *original.bcc])
        readers = _PerReader(row, outgoing)  # the copies per zone, reused for the inbox
        messages = _messages(row, outgoing, people, readers)
        deferred = [p for p in people if p.mode == DeliveryMode.DAILY]
        if not messages and not deferred:
            _finish(row, DeliveryState.SKIPPED, "")
            return False
        for email in messages:
            email.extra_headers["Message-ID"] = row.message_id
            email.send()
    except Exception as exc:  # whatever failed, the message must stay deliverable
        logger.exception("Email %s (%s) failed on attempt %s.", pk, row.key, row.attempts)
        release(row, exc)
        return False
    sent_to = [a for m in messages for a in (*m.to, *m.cc, *m.bcc)]
    to = ", ".join([*sent_to, *(f"{p.email} (daily summary)" for p in deferred)])
    sent_at = timezone.now()
    with transaction.atomic():  # the sent mark and the business fact, together or not at all
        if _finish(row, DeliveryState.SENT, to, sent_at):
            for person in deferred:
                _defer(row, readers.email(person), person)
            notify_in_app(row, outgoing, people, readers)
            if outgoing.on_sent is not None:
                outgoing.on_sent(sent_at)
    return True


# --- How old an event may be and still be notified ---------------------------------------------


def notification_cutoff(now: datetime | None = None) -> datetime:
    """The oldest instant an event may have and still get its reminder, notice or thank-you:
    `now` minus ``settings.NOTIFICATION_MAX_AGE_DAYS`` days (3 by default). Querysets filter
    with it (``answered_at__gte=notification_cutoff()``); `too_old` asks it for one moment."""
    return (now or timezone.now()) - timedelta(days=settings.NOTIFICATION_MAX_AGE_DAYS)


def too_old(moment: datetime | None, now: datetime | None = None) -> bool:
    """The one rule for stale notifications: True when `moment` (the event a message is about:
    an answer, a reminder's due date, the instant a review became overdue or a unit's review
    fell due) lies more than NOTIFICATION_MAX_AGE_DAYS before `now`, so its message is never
    sent (a backlog, demo data, a long outage). None (no event yet) is never too old."""
    return moment is not None and moment < notification_cutoff(now)


# --- Who receives it: one filter for every kind -----------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One address a message goes to, how (`mode`) and in which time zone it is written."""

    email: str
    mode: DeliveryMode
    zone: ZoneInfo


def kind_is_required(kind: str) -> bool:
    """True for kinds the law or ISO 10002 requires (``NOTIFICATION_KINDS[kind]["required"]``):
    no unsubscribe, preferences not applied. Unknown kinds are not required."""
    entry = getattr(settings, "NOTIFICATION_KINDS", {}).get(kind, {})
    return bool(entry.get("required", False))


def _norm(addresses: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        if address and address.strip():
            seen.setdefault(address.strip().lower(), address.strip())
    return list(seen.values())


def _users_by_address(addresses: list[str]) -> dict[str, list[object]]:
    User = get_user_model()
    out: dict[str, list[object]] = {}
    users = (
        User.objects.annotate(address=Lower("email"))
        .filter(address__in=[a.lower() for a in addresses])
        .select_related("preference")
    )
    for user in users:
        out.setdefault(user.address, []).append(user)
    return out


def reachable(addresses: Iterable[str]) -> list[str]:
    """The addresses that belong to somebody who can act, in their order, without duplicates.

    An address is dropped when every record that owns it is inactive: users with
    ``is_active=False``, and the owners each ``settings.DELIVERY_ADDRESS_CHECKS`` function
    reports (``(addresses) -> {lower-cased address: any owner active}``, e.g. stakeholders). An
    address nobody owns (a fixed recipient) is kept.
    """
    wanted = _norm(addresses)
    if not wanted:
        return []
    activity: dict[str, bool] = {}
    for address, users in _users_by_address(wanted).items():
        activity[address] = any(u.is_active for u in users)  # type: ignore[attr-defined]
    for path in getattr(settings, "DELIVERY_ADDRESS_CHECKS", []):
        check: Callable[[list[str]], dict[str, bool]] = import_string(path)
        for address, active in check(wanted).items():
            activity[address] = activity.get(address, False) or active
    return [a for a in wanted if activity.get(a.lower(), True)]


def recipients_for(kind: str, addresses: Iterable[str]) -> list[Recipient]:
    """The recipients of a message of `kind`: reachable addresses (`reachable`), each with its
    delivery mode (``IMMEDIATE`` for a required kind; else the person's preference, and those
    who chose ``OFF`` are left out) and time zone (the user's, else the site's)."""
    people = reachable(addresses)
    users = _users_by_address(people)
    required = kind_is_required(kind)
    opted_out = set()
    if not required:
        opted_out = set(
            AddressOptOut.objects.filter(
                email__in=[a.lower() for a in people], kind__in=[kind, "*"]
            ).values_list("email", flat=True)
        )
    site_zone = ZoneInfo(settings.TIME_ZONE)
    out: list[Recipient] = []
    for address in people:
        pref = _preference(users.get(address.lower(), []))
        mode = DeliveryMode.IMMEDIATE
        if not required:
            if address.lower() in opted_out:
                mode = DeliveryMode.OFF
            elif pref is not None:
                mode = pref.mode(kind)
        if mode == DeliveryMode.OFF:
            continue
        out.append(Recipient(address, mode, pref.zone if pref is not None else site_zone))
    return out


def _preference(users: list[object]) -> UserPreference | None:
    for user in users:
        if user.is_active:  # type: ignore[attr-defined]
            try:
                return user.preference  # type: ignore[attr-defined,no-any-return]
            except UserPreference.DoesNotExist:
                return None
    return None


def time_zone_of(address: str) -> ZoneInfo:
    """The time zone a message to `address` is written in: its user's, else the site's."""
    pref = _preference(_users_by_address([address]).get(address.lower(), []))
    return pref.zone if pref is not None else ZoneInfo(settings.TIME_ZONE)


# --- Unsubscribe links -------------------------------------------------------------------------

UNSUBSCRIBE_SALT = "brm.core.unsubscribe"
ALL_KINDS = "*"


def unsubscribe_token(address: str, kind: str) -> str:
    """A signed token (django.core.signing, the site's secret) naming an address and a kind
    (``"*"``: every kind that may be refused); it needs no login and does not expire."""
    return signing.dumps({"e": address.lower(), "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    """(address, kind) of a token made by `unsubscribe_token`; None if forged or damaged."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        return None
    kind = data.get("k")
    if not isinstance(kind, str):
        return None
    return data["e"], kind


def unsubscribe_url(address: str, kind: str) -> str:
    return settings.SITE_URL + reverse("core:unsubscribe", args=[unsubscribe_token(address, kind)])


def unsubscribe(address: str, kind: str) -> int:
    """Stop emails of `kind` (``"*"``: all that may be refused) to `address`: the preference of
    every user with that address becomes OFF for it, or an `AddressOptOut` is recorded for an
    address without a login. Required kinds cannot be refused. Returns how many records changed."""
    kinds = [
        k
        for k in getattr(settings, "NOTIFICATION_KINDS", {})
        if (kind == ALL_KINDS or k == kind) and not kind_is_required(k)
    ]
    if not kinds:
        return 0
    users = _users_by_address([address]).get(address.lower(), [])
    if not users:
        AddressOptOut.objects.get_or_create(email=address.lower(), kind=kind)
        return 1
    for user in users:
        pref = UserPreference.for_user(user)
        pref.notifications = {**pref.notifications, **dict.fromkeys(kinds, DeliveryMode.OFF)}
        pref.save(update_fields=["notifications", "updated_at"])
    return len(users)


# --- Copies per recipient ------------------------------------------------------------------------


def _messages(
    row: OutboundEmail, outgoing: Outgoing, people: list[Recipient], readers: _PerReader
) -> list[EmailMessage]:
    """The emails to send now: for a required kind one per time zone (all its recipients
    together); otherwise one per recipient, with its unsubscribe link and headers. Each zone's
    email is composed once (`readers.in_zone`), and the inbox reuses it."""
    immediate = [p for p in people if p.mode == DeliveryMode.IMMEDIATE]
    if kind_is_required(row.kind):
        groups: dict[str, list[Recipient]] = {}
        for person in immediate:
            groups.setdefault(person.zone.key, []).append(person)
        return [_copy(readers.in_zone(g[0].zone), [p.email for p in g]) for g in groups.values()]
    out = []
    for person in immediate:
        email = _copy(readers.in_zone(person.zone), [person.email])
        _add_unsubscribe(email, person.email, row.kind, readers.written_in_language())
        out.append(email)
    return out


def _in_zone(
    row: OutboundEmail, outgoing: Outgoing, zone: ZoneInfo, language: str | None = None
) -> EmailMessage:
    """The email as composed in `zone`, and in `language` when given (composed again when the
    zone differs from the current or a language is given; the composer's `language_for` then
    answers `language`, brm.core.i18n.writing_for)."""
    if zone.key == timezone.get_current_timezone_name() and language is None:
        return outgoing.email
    with timezone.override(zone):
        if language is None:
            again = _composer(row.kind)(row)
        else:
            with writing_for(language), override(language):
                again = _composer(row.kind)(row)
    return again.email if again is not None else outgoing.email


class _PerReader:
    """A message as composed for its readers, each composition made once per zone and language.

    `in_zone(zone)`: the email as sent to that zone, in the recipients' shared language
    (`language_for` of its addresses, what the composer asked). `email(person)`: what one person
    keeps (their inbox item, their daily summary's item), in their time zone and their own
    language (`UserPreference.language`, else the site's): composed again for a reader of
    another language. One query, on the first `email`."""

    def __init__(self, row: OutboundEmail, outgoing: Outgoing) -> None:
        self.row, self.outgoing = row, outgoing
        self.languages: dict[str, str] | None = None
        self.written_in = ""
        self.composed: dict[tuple[str, str | None], EmailMessage] = {}

    def in_zone(self, zone: ZoneInfo, language: str | None = None) -> EmailMessage:
        """`_in_zone`, composed once per (zone, language); None: the language it went in."""
        key = (zone.key, language)
        if key not in self.composed:
            self.composed[key] = _in_zone(self.row, self.outgoing, zone, language)
        return self.composed[key]

    def written_in_language(self) -> str:
        """The language the email went in (`language_for` of its addresses, as the composer
        asked). One query on first use, shared with `email`."""
        if self.languages is None:
            # The people are among the email's addresses (`recipients_for`): one query answers
            # both what it was written in and each reader's language.
            sent = self.outgoing.email
            self.languages = languages_of([*sent.to, *sent.cc, *sent.bcc])
            self.written_in = shared_language(self.languages.values())
        return self.written_in

    def email(self, person: Recipient) -> EmailMessage:
        self.written_in_language()
        assert self.languages is not None
        language = self.languages.get(person.email.lower(), settings.LANGUAGE_CODE)
        return self.in_zone(person.zone, None if language == self.written_in else language)


def _copy(email: EmailMessage, to: list[str]) -> EmailMessage:
    """The copy of `email` that goes to `to`. Every message sent passes here, so this is where
    its subject becomes one header line (`header_text`): a name with CR/LF from any composer can
    neither add a header nor make the mail library refuse the message."""
    wanted = {a.lower() for a in to}
    message = copy.copy(email)
    message.subject = header_text(str(email.subject))
    message.to = [a for a in email.to if a.lower() in wanted]
    message.cc = [a for a in email.cc if a.lower() in wanted]
    message.bcc = [a for a in email.bcc if a.lower() in wanted]
    message.extra_headers = dict(email.extra_headers)
    if isinstance(email, EmailMultiAlternatives):
        message.alternatives = list(email.alternatives)  # type: ignore[attr-defined]
    return message


def _add_unsubscribe(email: EmailMessage, address: str, kind: str, language: str) -> None:
    """The unsubscribe link in the text and HTML bodies, in `language` (the one the body was
    written in), and RFC 2369/8058 headers."""
    # The daily summary gathers every kind the person may refuse: its link refuses them all.
    url = unsubscribe_url(address, ALL_KINDS if kind == DAILY_SUMMARY_EMAIL else kind)
    email.extra_headers["List-Unsubscribe"] = f"<{url}>"
    email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    marked = settings.NOTIFICATION_KINDS.get(kind, {}).get("label")
    with override(language):
        # The kinds' labels are marked with gettext_noop in settings: translated here.
        label = gettext(str(marked)) if marked else gettext("these emails")
        line = gettext("Stop emails like this (%(kind)s):") % {"kind": label}
        link_text = gettext("unsubscribe")
    email.body = f"{email.body.rstrip()}\n\n-- \n{line} {url}\n"
    if isinstance(email, EmailMultiAlternatives):
        note = (
            f'<p style="font-size:small;color:#666">{escape(line)} '
            f'<a href="{escape(url)}">{escape(link_text)}</a></p>'
        )
        email.alternatives = [
            EmailAlternative(
                _with_footer(str(content), note) if mimetype == "text/html" else content, mimetype
            )
            for content, mimetype in email.alternatives
        ]


def _with_footer(html: str, note: str) -> str:
    at = html.lower().rfind("</body>")
    return html + note if at < 0 else html[:at] + note + html[at:]


# --- The in-app inbox ---------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"']+")


def site_path(url: str) -> str:
    """The site path of `url` when it is on ``SITE_URL`` (or already a path), else "".

    Only a path starting with a single "/" is returned, so an inbox link can never lead off the
    site (no scheme, no "//host", nor "/\\host", which browsers read alike)."""
    base = settings.SITE_URL.rstrip("/")
    path = url[len(base) :] if base and url.startswith(base + "/") else url
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else ""


def _link_of(outgoing: Outgoing, body: str) -> str:
    if outgoing.link:
        return site_path(outgoing.link)[:500]
    for match in _URL.finditer(body):
        path = site_path(match.group(0).rstrip(").,;:!?"))
        if path:
            return path[:500]
    return ""


def notify_in_app(
    row: OutboundEmail,
    outgoing: Outgoing,
    people: list[Recipient],
    readers: _PerReader | None = None,
) -> int:
    """Put the message in the in-app inbox of every active user among `people` (the recipients
    `recipients_for` kept: preferences applied as for the email, required kinds always), as
    composed in their time zone and language (`_PerReader`; `readers` shares one with the
    daily summary's items). Called inside the sent mark's transaction, so a message is
    notified exactly when it is marked sent; the unique (email, user) constraint keeps a second
    call harmless. The daily summary is not notified: what it gathers already was. Returns how
    many users it was for."""
    if row.kind == DAILY_SUMMARY_EMAIL or not people:
        return 0
    users = _users_by_address([p.email for p in people])
    readers = readers or _PerReader(row, outgoing)
    items: dict[int, Notification] = {}
    for person in people:
        account: Any
        for account in users.get(person.email.lower(), []):
            if not account.is_active or account.pk in items:
                continue
            email = readers.email(person)
            body = str(email.body)
            items[account.pk] = Notification(
                user=account,
                email=row,
                kind=row.kind,
                subject=header_text(str(email.subject), limit=255),
                body=body[:20000],
                link=_link_of(outgoing, body),
            )
    Notification.objects.bulk_create(items.values(), ignore_conflicts=True)
    return len(items)


# --- Daily summaries ---------------------------------------------------------------------------

DAILY_SUMMARY_EMAIL = "core.daily_summary"  # composer: compose_daily_summary


def _defer(row: OutboundEmail, email: EmailMessage, person: Recipient) -> None:
    """Hold `email` (as composed for `person`, `_PerReader`) for their daily summary."""
    DeferredEmail.objects.create(
        email=person.email.lower(),
        kind=row.kind,
        subject=header_text(str(email.subject), limit=255),
        body=str(email.body),
    )


def send_daily_summaries(now: datetime | None = None) -> int:
    """Queue one summary per address with deferred notifications (each address once a day:
    key ``core.daily_summary:<address>:<date>``). Returns how many were queued."""
    now = now or timezone.now()
    addresses = (
        DeferredEmail.objects.filter(summarised_at__isnull=True)
        .values_list("email", flat=True)
        .distinct()
    )
    count = 0
    for address in sorted(set(addresses)):
        key = f"{DAILY_SUMMARY_EMAIL}:{address}:{timezone.localdate(now).isoformat()}"
        row = enqueue(DAILY_SUMMARY_EMAIL, 0, key=key, to=address)
        count += row.state == DeliveryState.PENDING
    return count


def compose_daily_summary(row: OutboundEmail) -> Outgoing | None:
    """The summary of every notification held back for ``row.to``; None if there is none.
    Its own sentences are in the recipient's language (`language_for`); each item keeps the
    subject and body it was written with."""
    items = list(DeferredEmail.objects.filter(email=row.to, summarised_at__isnull=True))
    if not items:
        return None
    count = len(items)
    with override(language_for([row.to])):
        intro = ngettext(
            "%(count)s notification since the last summary:",
            "%(count)s notifications since the last summary:",
            count,
        ) % {"count": count}
        subject = ngettext(
            "Your daily summary: %(count)s notification",
            "Your daily summary: %(count)s notifications",
            count,
        ) % {"count": count}
    parts = [f"{intro}\n"]
    for item in items:
        parts.append(f"== {item.subject} ==\n\n{item.body.strip()}\n")
    email = EmailMessage(subject=subject, body="\n".join(parts), to=[row.to])
    ids = [item.pk for item in items]

    def on_sent(sent_at: datetime) -> None:
        DeferredEmail.objects.filter(pk__in=ids, summarised_at__isnull=True).update(
            summarised_at=sent_at
        )

    return Outgoing(email, on_sent)


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


def skip_unsent(emails: QuerySet[OutboundEmail], reason: str) -> int:
    """Mark pending `emails` SKIPPED for good (e.g. those loading demo data recorded): neither a
    queued task nor the sweep sends them, since both must claim a PENDING row. Returns how many."""
    return emails.filter(state=DeliveryState.PENDING).update(
        state=DeliveryState.SKIPPED, last_error=reason[:2000], updated_at=timezone.now()
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


@shared_task(name="brm.core.send_daily_summaries")
def send_daily_summaries_task() -> int:
    """Beat job: queue each person's daily summary of held-back notifications."""
    return send_daily_summaries()


@shared_task(name="brm.core.sweep_outbound_emails")
def sweep_outbound_emails() -> int:
    """Beat job: release claims of dead workers and send every due pending email."""
    return sweep()
