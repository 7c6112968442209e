"""`{% complaint_rows %}` (complaints/templatetags/complaint_rows.py) writes what the complaint
table's loop wrote, byte for byte, in English and Spanish (issue 14): the list for IT and for a
unit's people, and the handler's queue (which includes the list's table with `queue`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import QuerySet
from django.template import Template
from django.utils import timezone, translation

from complaints import selectors
from complaints.models import Complaint, Status
from tests.factories import ComplaintFactory, ServiceFactory, UserFactory
from tests.row_tags import HOSTILE, same

pytestmark = pytest.mark.django_db

# Dates are written in the reader's time zone: one away from UTC shows a conversion missed.
ZONE = "Pacific/Auckland"

# The loop as templates/complaints/complaint_list.html's `table` partial had it (commit ceb30cb).
LOOP = Template(
    """{% load i18n brm %}
    {% for c in page.object_list %}
      <tr id="complaint-{{ c.pk }}" class="{% if c.is_overdue %}table-danger{% endif %}">
        <td><a href="{{ c.get_absolute_url }}"><span class="text-body-secondary">{{ c.reference }}</span> {{ c.title }}</a>
          <div class="small text-body-secondary">{% if c.service %}{{ c.service.name }} · {% endif %}{% blocktranslate trimmed with who=c.complainant|person:_("someone") since=c.created_at|timesince %}raised by {{ who }} {{ since }} ago{% endblocktranslate %}{% if is_it_side and not queue %} {% blocktranslate trimmed with handler=c.handler|person:_("nobody yet") %}· handled by {{ handler }}{% endblocktranslate %}{% endif %}</div></td>
        {% if queue or is_it_side %}<td>{{ c.unit.name }}</td>{% endif %}
        <td>{% status_badge c "severity" %}</td>
        <td>{% status_badge c %}{% if c.escalation_level %} <span class="badge text-bg-warning" title="{% translate 'Escalation level' %}">{% blocktranslate trimmed with level=c.escalation_level %}L{{ level }}{% endblocktranslate %}</span>{% endif %}</td>
        <td>{% if c.due_at %}<time datetime="{{ c.due_at|date:'c' }}">{{ c.due_at|date:"j M Y, H:i" }}</time>{% if c.is_overdue %}<div class="small text-danger fw-semibold"><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {% translate "overdue" %}</div>{% endif %}{% else %}—{% endif %}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
)
TAG = Template(
    "{% load complaint_rows %}\n    {% complaint_rows page.object_list is_it_side queue %}\n"
)


def _complaints(unit_a, unit_b, brm) -> None:
    """Every status and severity; overdue to acknowledge, overdue to resolve, on time and with
    no deadline; with a service or none, a complainant and handler or none, escalated or not."""
    now = timezone.now()
    raiser = UserFactory.create(first_name=HOSTILE, last_name="O'Neil")
    plain = UserFactory.create(first_name="", last_name="", username="handler<h>")
    service = ServiceFactory.create(name=f"Payroll {HOSTILE}")
    ComplaintFactory.create(
        unit=unit_a,
        title=HOSTILE,
        service=service,
        complainant=raiser,
        handler=brm,
        severity="critical",
        acknowledge_by=now - timedelta(hours=3),
        escalation_level=2,
    )
    ComplaintFactory.create(
        unit=unit_b,
        title="Slow & <late>",
        status=Status.ACKNOWLEDGED,
        severity="low",
        resolve_by=now - timedelta(days=2),
        escalation_level=1,
    )
    ComplaintFactory.create(
        unit=unit_a, status=Status.INVESTIGATING, severity="high", handler=plain, complainant=brm
    )
    ComplaintFactory.create(unit=unit_b, service=service)  # received, on time
    for status in (Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN):
        ComplaintFactory.create(unit=unit_a, status=status, complainant=raiser)
    # Raised at different ages ("2 hours", "3 days", "1 month"...).
    for n, complaint in enumerate(Complaint.objects.order_by("pk")):
        Complaint.objects.filter(pk=complaint.pk).update(
            created_at=now - timedelta(hours=2 + 31 * n * n)
        )


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize(
    ("is_it_side", "queue"), [(True, False), (False, False), (True, True), (False, True)]
)
def test_it_writes_the_rows_as_the_loop_did(
    admin_user, brm, unit_a, unit_b, language, is_it_side, queue
) -> None:
    _complaints(unit_a, unit_b, brm)
    listed: QuerySet[Any] = selectors.complaint_list(admin_user)  # rows carry `due_at`
    rows = list(listed.order_by("due_at", "-created_at", "-pk"))
    assert {c.status for c in rows} == set(Status)
    assert {c.is_overdue for c in rows} == {True, False}
    assert any(c.due_at is None for c in rows)
    context = {"page": {"object_list": rows}, "is_it_side": is_it_side, "queue": queue}
    with translation.override(language), timezone.override(ZONE):
        ours = same(LOOP, TAG, context)
    assert ours.count("<tr ") == len(rows) == 7
    assert ours.count("table-danger") == 2
    assert ("<td>Finance</td>" in ours) == (is_it_side or queue)


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_the_queues_rows_as_the_loop_did(brm, unit_a, language) -> None:
    # The handler's own queue (open complaints they handle), as its view reads it.
    _complaints(unit_a, unit_a, brm)
    queued: QuerySet[Any] = selectors.complaint_queue(brm)
    rows = list(queued.order_by("due_at", "-created_at", "-pk"))
    assert rows and all(c.handler_id == brm.pk and c.is_open for c in rows)
    context = {"page": {"object_list": rows}, "is_it_side": True, "queue": True}
    with translation.override(language), timezone.override(ZONE):
        ours = same(LOOP, TAG, context)
    assert ours.count("<tr ") == len(rows)
