"""People's data (GDPR arts. 15, 17 and 5(1)(e)): the kernel's part, and the shapes every app's
part uses.

A `Person` is who an export or an erasure is about: a login (`user_id`), a register entry
(`stakeholder_id`), or both, with every address and name they were ever known by (read from the
records and their history before anything is changed). Each app exports `export_part(person)`
(a dict of JSON lists) and `erase_part(person)` (counts of what it changed) in its `privacy`
module; `brm.privacy` collects them. This module holds the kernel's part: the account, its
preferences and API tokens, emails in the outbox and the daily-summary queue addressed to them,
address opt-outs and the audit events about them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q
from django.utils import timezone

from brm.core.attachments.models import Attachment
from brm.core.models import (
    AddressOptOut,
    ApiToken,
    AuditEvent,
    DeferredEmail,
    DeliveryState,
    Notification,
    OutboundEmail,
    UserPreference,
)

# What an erased person is shown as, wherever a name or text about them stood.
ERASED = "erased"
ERASED_NAME = "(erased)"
ERASED_TEXT = "[erased]"


@dataclass(frozen=True)
class Person:
    """Who an export or erasure is about.

    `emails` are lower-cased; `names` (full names) and `phones` as they were stored; `other`
    holds identifiers such as a username or an HR id.
    """

    user_id: int | None = None
    stakeholder_id: int | None = None
    emails: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    other: frozenset[str] = field(default=frozenset())

    @property
    def strings(self) -> frozenset[str]:
        """The strings that identify them in free text: addresses, full names and phones, at
        least 3 characters long (shorter ones match everywhere). A username or an HR id (`other`)
        is replaced where it is stored, never searched for in text: "admin" is somebody's
        username and a word in many notes."""
        return frozenset(s for s in (*self.emails, *self.names, *self.phones) if len(s) >= 3)

    def merged(self, other: Person) -> Person:
        return Person(
            user_id=self.user_id or other.user_id,
            stakeholder_id=self.stakeholder_id or other.stakeholder_id,
            emails=self.emails | other.emails,
            names=self.names | other.names,
            phones=self.phones | other.phones,
            other=self.other | other.other,
        )


def person_from_values(
    *,
    user_id: int | None = None,
    stakeholder_id: int | None = None,
    emails: Iterable[str] = (),
    names: Iterable[str] = (),
    phones: Iterable[str] = (),
    other: Iterable[str] = (),
) -> Person:
    """A `Person` from raw values: blanks dropped, addresses lower-cased, text stripped."""

    def clean(values: Iterable[str]) -> frozenset[str]:
        return frozenset(v.strip() for v in values if v and v.strip() and v.strip() != ERASED_NAME)

    return Person(
        user_id=user_id,
        stakeholder_id=stakeholder_id,
        emails=frozenset(e.lower() for e in clean(emails)),
        names=clean(names),
        phones=clean(phones),
        other=clean(other),
    )


def person_for_user(user: User) -> Person:
    """The account's own identifiers (username, names, address)."""
    return person_from_values(
        user_id=user.pk,
        emails=[user.email],
        names=[user.get_full_name()],
        other=[user.username],
    )


def scrub(text: str, person: Person) -> str:
    """`text` with every personal string of `person` replaced by "[erased]" (case-insensitive;
    longer strings first so a full name goes before its parts)."""
    if not text:
        return text
    for value in sorted(person.strings, key=len, reverse=True):
        text = re.sub(re.escape(value), ERASED_TEXT, text, flags=re.IGNORECASE)
    return text


def mentions(person: Person, *fields: str) -> Q:
    """A condition matching rows where any of `fields` contains any personal string of `person`
    (case-insensitive); matches nothing when there is none."""
    condition = Q(pk__in=[])
    for value in person.strings:
        for name in fields:
            condition |= Q(**{f"{name}__icontains": value})
    return condition


def scrub_rows(queryset: models.QuerySet[Any], person: Person, fields: Iterable[str]) -> int:
    """Scrub `fields` of every row of `queryset` that mentions `person`, with `update()` (no
    history row, no version bump: this is the erasure, not an edit). Returns rows changed."""
    names = list(fields)
    changed = 0
    for row in queryset.filter(mentions(person, *names)).values("pk", *names):
        values = {n: scrub(row[n], person) for n in names if isinstance(row[n], str)}
        changed += queryset.filter(pk=row["pk"]).update(**values)
    return changed


def jsonable(value: Any) -> Any:
    """A stored value as JSON (dates ISO 8601, decimals as strings)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def cell(value: Any) -> str | int | float | bool | None:
    """One stored value as a flat JSON value: a nested one (a JSON column) as JSON text, so
    every row of an export is {column: string | number | boolean | null}."""
    value = jsonable(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value  # type: ignore[no-any-return]


def rows(queryset: models.QuerySet[Any], *fields: str) -> list[dict[str, Any]]:
    """`queryset.values(*fields)` as flat JSON rows (`cell`), in the order of their ids."""
    return [{k: cell(v) for k, v in row.items()} for row in queryset.values(*fields).order_by("pk")]


def _addressed_to(person: Person, *fields: str) -> Q:
    condition = Q(pk__in=[])
    for email in person.emails:
        for name in fields:
            condition |= Q(**{f"{name}__icontains": email})
    return condition


def _without(addresses: str, person: Person) -> str:
    kept = [a.strip() for a in addresses.split(",") if a.strip()]
    return ", ".join(a for a in kept if a.lower() not in person.emails)


def outbox_for(person: Person) -> models.QuerySet[OutboundEmail]:
    """Outbox rows addressed to the person (fixed recipient or recorded recipients)."""
    return OutboundEmail.objects.filter(_addressed_to(person, "to", "recipients", "key"))


def export_part(person: Person) -> dict[str, Any]:
    """The kernel's records about `person`: account, preferences, API token names (never their
    secrets), their inbox, files they attached, outbox and daily-summary copies addressed to
    them, address opt-outs, audit events about them."""
    part: dict[str, Any] = {}
    if person.user_id is not None:
        users = User.objects.filter(pk=person.user_id)
        part["account"] = rows(
            users,
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "date_joined",
            "last_login",
        )
        part["groups"] = rows(
            User.groups.through.objects.filter(user_id=person.user_id), "group__name"
        )
        part["preferences"] = rows(
            UserPreference.objects.filter(user_id=person.user_id), "time_zone", "notifications"
        )
        part["api_tokens"] = rows(
            ApiToken.objects.filter(user_id=person.user_id),
            "name",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        )
    part["inbox"] = rows(
        Notification.objects.filter(user_id=person.user_id or 0),
        "kind",
        "subject",
        "body",
        "link",
        "created_at",
        "read_at",
    )
    part["attachments"] = rows(
        Attachment.objects.filter(uploaded_by_id=person.user_id or 0),
        "record_type__model",
        "record_id",
        "filename",
        "content_type",
        "size",
        "created_at",
    )
    part["outbox"] = rows(
        outbox_for(person), "kind", "ref", "to", "recipients", "state", "created_at", "sent_at"
    )
    part["daily_summary_queue"] = rows(
        DeferredEmail.objects.filter(email__in=person.emails),
        "email",
        "kind",
        "subject",
        "body",
        "created_at",
        "summarised_at",
    )
    part["opt_outs"] = rows(
        AddressOptOut.objects.filter(email__in=person.emails), "email", "kind", "created_at"
    )
    part["audit_events"] = rows(
        AuditEvent.objects.filter(_about(person)),
        "at",
        "action",
        "subject_type",
        "subject_id",
        "details",
    )
    return part


def _about(person: Person) -> Q:
    condition = Q(pk__in=[])
    if person.user_id is not None:
        condition |= Q(subject_type="user", subject_id=person.user_id)
    if person.stakeholder_id is not None:
        condition |= Q(subject_type="stakeholder", subject_id=person.stakeholder_id)
    return condition


def erase_part(person: Person) -> dict[str, int]:
    """Erase the kernel's records about `person`; counts of rows changed or removed.

    The account stays (complaints, meetings and history point at it) but is shown as erased:
    username `erased-<id>`, no names, no address, no password, inactive; its API tokens are
    revoked and renamed, its preferences and inbox removed. Files they attached stay with their
    records, their names scrubbed. Outbox rows addressed to them lose the address
    (a pending one is skipped, never sent); daily-summary copies and opt-outs for their addresses
    are deleted. Audit events hold no personal data (`core.AuditEvent`) and stay. Running it
    again changes nothing.
    """
    counts: dict[str, int] = {}
    if person.user_id is not None:
        counts["account"] = (
            User.objects.filter(pk=person.user_id)
            .exclude(username=f"{ERASED}-{person.user_id}", is_active=False)
            .update(
                username=f"{ERASED}-{person.user_id}",
                first_name="",
                last_name=ERASED_NAME,
                email="",
                password="!",  # unusable: Django's UNUSABLE_PASSWORD_PREFIX
                is_active=False,
                is_staff=False,
                is_superuser=False,
            )
        )
        if counts["account"]:
            User.groups.through.objects.filter(user_id=person.user_id).delete()
        tokens = ApiToken.objects.filter(user_id=person.user_id)
        counts["api_tokens"] = tokens.exclude(name=ERASED_NAME).update(name=ERASED_NAME)
        ApiToken.objects.filter(user_id=person.user_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        counts["preferences"] = UserPreference.objects.filter(user_id=person.user_id).delete()[0]
    # Their inbox copies go; other people's copies lose every mention of them.
    counts["inbox"] = Notification.objects.filter(user_id=person.user_id or 0).delete()[0]
    counts["inbox"] += scrub_rows(Notification.objects.all(), person, ["subject", "body"])
    # Files they attached stay with their records (evidence, minutes); names that name them go.
    counts["attachments"] = scrub_rows(Attachment.objects.all(), person, ["filename"])
    counts["attachments"] += scrub_rows(
        Attachment.history.model.objects.all(), person, ["filename"]
    )
    outbox = 0
    for row in outbox_for(person):
        values: dict[str, Any] = {
            "to": _without(row.to, person),
            "recipients": _without(row.recipients, person),
            "key": scrub_key(row.key, row.pk, person),
            "last_error": scrub(row.last_error, person),
        }
        if row.state in (DeliveryState.PENDING, DeliveryState.SENDING):
            values["state"] = DeliveryState.SKIPPED
        outbox += OutboundEmail.objects.filter(pk=row.pk).update(**values)
    counts["outbox"] = outbox
    counts["daily_summary_queue"] = DeferredEmail.objects.filter(email__in=person.emails).delete()[
        0
    ]
    counts["opt_outs"] = AddressOptOut.objects.filter(email__in=person.emails).delete()[0]
    # The admin's own log names the records it changed ("Zoe Example" changed).
    counts["admin_log"] = scrub_rows(
        LogEntry.objects.all(), person, ["object_repr", "change_message"]
    )
    return counts


def scrub_key(key: str, pk: int, person: Person) -> str:
    """An outbox key without the person's address, still unique (the row's id stands in)."""
    for email in person.emails:
        key = re.sub(re.escape(email), f"{ERASED}-{pk}", key, flags=re.IGNORECASE)
    return key


def remove_old_notifications(
    *, read_before: datetime | None, unread_before: datetime | None
) -> dict[str, int]:
    """Retention of the in-app inbox: delete notifications read before `read_before` and
    unread ones received before `unread_before` (None keeps that kind). Returns
    `{"read_notifications": n, "unread_notifications": n}` for the kinds given; a second run
    deletes nothing more. Run before `remove_old_outbox`, whose emails an inbox still shows
    stay: the copies freed here go the same night."""
    removed: dict[str, int] = {}
    if read_before is not None:
        removed["read_notifications"] = Notification.objects.filter(
            read_at__lt=read_before
        ).delete()[0]
    if unread_before is not None:
        removed["unread_notifications"] = (
            Notification.objects.unread().filter(created_at__lt=unread_before).delete()[0]
        )
    return removed


def remove_old_outbox(before: datetime) -> int:
    """Retention: delete outbox rows in a final state (sent, skipped, failed) created before
    `before` that no inbox shows, and daily-summary copies created before it and already
    summarised. Returns rows deleted; a second run deletes nothing more."""
    final = [DeliveryState.SENT, DeliveryState.SKIPPED, DeliveryState.FAILED]
    # An email still shown in someone's inbox stays: deleting it would empty their inbox.
    old = OutboundEmail.objects.filter(state__in=final, created_at__lt=before)
    emails = old.filter(inbox_items__isnull=True).delete()[0]
    deferred = DeferredEmail.objects.filter(
        summarised_at__isnull=False, created_at__lt=before
    ).delete()[0]
    return emails + deferred
