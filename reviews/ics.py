"""The calendar invitation of a service review: RFC 5545 (iCalendar) with the iTIP methods of
RFC 5546, built with the `icalendar` library (which escapes TEXT, quotes parameters and folds
lines at 75 octets).

- Text from users (unit and person names, location, agenda) is a value, never a line: control
  characters are turned into spaces in names and parameters, and TEXT escaping keeps newlines
  of the agenda as ``\\n``.
- A REQUEST or CANCEL always has an ORGANIZER: the unit's BRM, else
  ``settings.CALENDAR_ORGANIZER_EMAIL``.
- Times carry their time zone: DTSTART/DTEND with TZID (the site's zone) and its VTIMEZONE;
  DTSTAMP in UTC.
- UID is stable per review; SEQUENCE is `ServiceReview.sequence` (0 when planned, +1 per change);
  a cancelled review is METHOD:CANCEL with STATUS:CANCELLED.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vCalAddress, vText

from brm.core import delivery
from reviews.models import ReviewStatus, ServiceReview

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(value: str) -> str:
    """A name or parameter as one line: every control character (CR, LF, NUL, ...) becomes a
    space, and double quotes (which would end a quoted parameter) become single quotes."""
    return _CONTROL.sub(" ", value).replace('"', "'").strip()


def _address(name: str, email: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{one_line(email)}")
    address.params["cn"] = vText(one_line(name or email))
    for key, value in params.items():
        address.params[key] = value
    return address


def review_ics(review: ServiceReview, *, attendees: Iterable[tuple[str, str]] = ()) -> str:
    """The invitation as text with CRLF line endings. `attendees` are (name, email) pairs.

    METHOD:REQUEST for a planned (or held) review, METHOD:CANCEL once it is cancelled. Its
    words (summary, description, the organizer's name when there is no BRM) are in the active
    language: the recipient's in an email (reviews.notices), the reader's for a download.
    """
    cancelled = review.status == ReviewStatus.CANCELLED
    zone = timezone.get_current_timezone()  # the reader's (the kernel composes per zone)
    url = settings.SITE_URL + review.get_absolute_url()
    description = gettext("Service review with %(unit)s.") % {"unit": review.unit.name} + "\n"
    if review.agenda:
        description += "\n" + gettext("Agenda:") + f"\n{review.agenda}\n"
    description += "\n" + gettext("Performance pack and minutes: %(url)s") % {"url": url}

    cal = Calendar()
    cal.add("prodid", "-//BRM//Service reviews//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", review.ical_uid)
    event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    start = review.scheduled_at.astimezone(zone)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=review.duration_minutes))
    event.add("sequence", review.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    summary = gettext("Service review: %(unit)s") % {"unit": review.unit.name}
    event.add("summary", one_line(summary))
    event.add("description", description)
    event.add("url", url)
    if review.location:
        event.add("location", review.location)
    brm = review.unit.brm
    if brm is not None and brm.email:
        organizer = _address(brm.get_full_name() or brm.get_username(), brm.email)
    else:
        organizer = _address(
            gettext("Business relationship management"), settings.CALENDAR_ORGANIZER_EMAIL
        )
    event.add("organizer", organizer)
    for name, email in attendees:
        event.add(
            "attendee",
            _address(name, email, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp="TRUE"),
        )
    cal.add_component(event)
    cal.add_missing_timezones()
    text: bytes = cal.to_ical()
    return text.decode()


def review_recipients(review: ServiceReview) -> list[tuple[str, str]]:
    """Everyone invited, as (name, email): BRM, deputy, IT and business attendees, de-duplicated,
    only people who can act (the kernel's one recipient filter, `delivery.reachable`)."""
    people: dict[str, str] = {}
    unit = review.unit
    for user in (unit.brm, unit.deputy, *review.it_attendees.all()):
        if user is not None and user.email:
            people.setdefault(user.email.lower(), user.get_full_name() or user.get_username())
    for person in review.attendees.all():
        if person.email and person.active:
            people.setdefault(person.email.lower(), person.name)
    keep = {a.lower() for a in delivery.reachable(people)}
    return [(name, email) for email, name in people.items() if email in keep]
