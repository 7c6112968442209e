"""An iCalendar (RFC 5545) invitation for a review, written by hand: one event, a few fields."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from reviews.models import ReviewStatus, ServiceReview


def escape_text(value: str) -> str:
    """TEXT escaping of RFC 5545 section 3.3.11: backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold lines longer than 75 octets (section 3.1) without splitting a UTF-8 character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        limit = 75 if not out else 74  # continuation lines start with a space
        if len(current) + len(encoded) > limit:
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _mailto(name: str, email: str, extra: str = "") -> str:
    cn = name.replace('"', "'")
    return f'{extra}CN="{cn}":mailto:{email}'


def review_ics(review: ServiceReview, *, attendees: Iterable[tuple[str, str]] = ()) -> str:
    """The invitation as text with CRLF line endings. `attendees` are (name, email) pairs."""
    brm = review.unit.brm
    url = settings.SITE_URL + review.get_absolute_url()
    description = f"Service review with {review.unit.name}.\n"
    if review.agenda:
        description += f"\nAgenda:\n{review.agenda}\n"
    description += f"\nPerformance pack and minutes: {url}"
    cancelled = review.status == ReviewStatus.CANCELLED
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//BRM//Service reviews//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}",
        "BEGIN:VEVENT",
        f"UID:{review.ical_uid}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(review.scheduled_at)}",
        f"DTEND:{_utc(review.ends_at)}",
        # SEQUENCE rises with every saved change, so calendars replace the older invitation.
        f"SEQUENCE:{int(review.updated_at.timestamp()) if review.updated_at else 0}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(f'Service review: {review.unit.name}')}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
    ]
    if review.location:
        lines.append(f"LOCATION:{escape_text(review.location)}")
    if brm is not None and brm.email:
        lines.append(f"ORGANIZER;{_mailto(brm.get_full_name() or brm.get_username(), brm.email)}")
    for name, email in attendees:
        lines.append(
            "ATTENDEE;"
            + _mailto(name or email, email, "ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;")
        )
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def review_recipients(review: ServiceReview) -> list[tuple[str, str]]:
    """Everyone invited, as (name, email): BRM, deputy, IT and business attendees, de-duplicated."""
    people: dict[str, str] = {}
    unit = review.unit
    for user in (unit.brm, unit.deputy, *review.it_attendees.all()):
        if user is not None and user.email:
            people.setdefault(user.email.lower(), user.get_full_name() or user.get_username())
    for person in review.attendees.all():
        if person.email and person.active:
            people.setdefault(person.email.lower(), person.name)
    return [(name, email) for email, name in people.items()]
