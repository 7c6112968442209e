"""The service reviews page's row tags (reviews/templatetags/review_rows.py) write what the
template loops they replace wrote, byte for byte, in English and Spanish (issue 14): the reviews
and each unit's review schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template import Template
from django.utils import timezone, translation

from reviews import selectors
from reviews.models import ChangeRequest, ReviewStatus
from stakeholders.models import BusinessUnit
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    ServiceFactory,
    ServiceReviewFactory,
    UserFactory,
)
from tests.row_tags import HOSTILE, same

pytestmark = pytest.mark.django_db

# Dates are written in the reader's time zone: one away from UTC shows a conversion missed.
ZONE = "Asia/Kolkata"

# The loops as templates/reviews/review_list.html had them (commit ceb30cb).
REVIEW_LOOP = Template(
    """{% load i18n brm %}
    {% for r in page.object_list %}
      <tr class="{% if r.overdue_now %}table-warning{% endif %}">
        <td><a href="{{ r.get_absolute_url }}"><time datetime="{{ r.scheduled_at|date:'c' }}">{{ r.scheduled_at|date:"D j M Y, H:i" }}</time></a></td>
        <td>{{ r.unit.name }}{% if is_it_side %}<div class="small text-body-secondary">{{ r.unit.brm|person }}</div>{% endif %}</td>
        <td class="small">{% for s in r.services.all %}{{ s.name }}{% if not forloop.last %}, {% endif %}{% empty %}<span class="text-body-secondary">—</span>{% endfor %}</td>
        <td>{% status_badge r %}{% if r.overdue_now %} <span class="badge text-bg-danger">{% translate "Overdue" %}</span>{% endif %}</td>
        <td>{{ r.open_changes }}</td>
        <td>{{ r.commitment_count }}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
)
REVIEW_TAG = Template("{% load review_rows %}\n    {% review_rows page.object_list is_it_side %}\n")
SCHEDULE_LOOP = Template(
    """{% load i18n brm %}
    {% for u in schedule %}
      <tr class="{% if not u.next_planned_at and u.review_late %}table-danger{% endif %}">
        <td><a href="{{ u.get_absolute_url }}">{{ u.name }}</a>{% if role != 'brm' %} <span class="small text-body-secondary">· {{ u.brm|person }}</span>{% endif %}</td>
        <td>{{ u.review_cadence_days }} {% translate "days" %}</td>
        <td>{% if u.last_held_at %}<time datetime="{{ u.last_held_at|date:'c' }}">{{ u.last_held_at|date:"j M Y" }}</time>{% else %}<span class="text-body-secondary">{% translate "never" %}</span>{% endif %}</td>
        <td><time datetime="{{ u.next_due_at|date:'c' }}">{{ u.next_due_at|date:"j M Y" }}</time>
          {% if not u.next_planned_at and u.review_late %}<span class="badge text-bg-danger">{% translate "Overdue, not planned" %}</span>{% endif %}</td>
        <td>{% if u.next_planned_at %}<a href="{% url 'reviews:review_detail' u.next_planned_id %}">{{ u.next_planned_at|date:"j M Y, H:i" }}</a>{% else %}<span class="text-body-secondary">{% translate "not yet" %}</span>{% endif %}</td>
        <td class="text-end">{% if u.pk in editable_units %}{% if u.next_planned_at %}<a class="btn btn-sm btn-outline-secondary" href="{% url 'reviews:review_detail' u.next_planned_id %}">{% translate "Open planned review" %}</a>{% else %}<a class="btn btn-sm btn-outline-primary" href="{% url 'reviews:review_create' %}?unit={{ u.pk }}">{% translate "Plan review" %}</a>{% endif %}{% endif %}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501
)
SCHEDULE_TAG = Template(
    "{% load review_rows %}\n    {% schedule_rows schedule role editable_units %}\n"
)


def _reviews(brm) -> None:
    """Overdue and on time, planned, held and cancelled; with services or none; with open
    changes and commitments or none; a unit with a relationship manager and one without."""
    now = timezone.now()
    named = BusinessUnitFactory.create(
        name=HOSTILE, brm=UserFactory.create(first_name=HOSTILE, last_name="")
    )
    nobody = BusinessUnitFactory.create(name="Nobody's & co", brm=None)
    services = [ServiceFactory.create(name=f"Pay {HOSTILE}"), ServiceFactory.create(name="HR")]
    overdue = ServiceReviewFactory.create(unit=named, scheduled_at=now - timedelta(days=9))
    overdue.services.set(services)
    ServiceReviewFactory.create(unit=nobody, scheduled_at=now + timedelta(days=3, hours=5))
    held = ServiceReviewFactory.create(
        unit=named,
        status=ReviewStatus.HELD,
        scheduled_at=now - timedelta(days=40),
        held_at=now - timedelta(days=40),
    )
    held.services.set(services[1:])
    for status in ("raised", "accepted", "rejected"):
        ChangeRequest.objects.create(review=held, title=f"Change {status}", status=status)
    held.action_items.add(
        ActionItemFactory.create(unit=named), ActionItemFactory.create(unit=named)
    )
    ServiceReviewFactory.create(
        unit=BusinessUnitFactory.create(name="Third", brm=brm),
        status=ReviewStatus.CANCELLED,
        scheduled_at=now - timedelta(days=1),
    )


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("is_it_side", [True, False])
def test_review_rows_write_what_the_loop_wrote(admin_user, brm, language, is_it_side) -> None:
    _reviews(brm)
    rows = list(
        selectors.with_list_counts(
            selectors.review_page_rows(admin_user).with_overdue(grace_days=2)
        ).order_by("-scheduled_at", "-pk")
    )
    assert {r.overdue_now for r in rows} == {True, False}
    assert {r.status for r in rows} == set(ReviewStatus)
    context = {"page": {"object_list": rows}, "is_it_side": is_it_side}
    with translation.override(language), timezone.override(ZONE):
        ours = same(REVIEW_LOOP, REVIEW_TAG, context)
    assert ours.count("<tr ") == 4
    assert "<td>2</td>" in ours  # the held review's open changes and commitments


def _schedule(brm) -> list[BusinessUnit]:
    """Units late with nothing planned, late with a review planned, never reviewed, held recently
    and with no relationship manager."""
    now = timezone.now()
    late = BusinessUnitFactory.create(name=HOSTILE, brm=brm, review_cadence_days=30)
    planned = BusinessUnitFactory.create(
        name="Planned <p>", brm=UserFactory.create(first_name=HOSTILE, last_name="")
    )
    fresh = BusinessUnitFactory.create(name="Fresh & new", brm=None, review_cadence_days=120)
    BusinessUnit.objects.filter(pk__in=[late.pk, planned.pk]).update(
        created_at=now - timedelta(days=400)
    )
    ServiceReviewFactory.create(
        unit=late,
        status=ReviewStatus.HELD,
        scheduled_at=now - timedelta(days=45),
        held_at=now - timedelta(days=45),
    )
    ServiceReviewFactory.create(unit=planned, scheduled_at=now + timedelta(days=2, hours=7))
    ServiceReviewFactory.create(unit=planned, scheduled_at=now + timedelta(days=20))
    ServiceReviewFactory.create(
        unit=fresh,
        status=ReviewStatus.HELD,
        scheduled_at=now - timedelta(days=3),
        held_at=now - timedelta(days=3),
    )
    return [late, planned, fresh]


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("role", ["brm", "admin"])
@pytest.mark.parametrize("editable", ["some", "all", "none given"])
def test_schedule_rows_write_what_the_loop_wrote(admin_user, brm, language, role, editable) -> None:
    late, planned, fresh = _schedule(brm)
    units = list(selectors.unit_schedule(admin_user))
    assert len(units) == 3
    assert {(u.review_late, bool(u.next_planned_at)) for u in units} == {
        (True, False),
        (True, True),
        (False, False),
    }
    context: dict[str, Any] = {"schedule": units, "role": role}
    if editable == "some":
        context["editable_units"] = {late.pk, planned.pk}
    elif editable == "all":
        context["editable_units"] = {u.pk for u in units}
    with translation.override(language), timezone.override(ZONE):
        ours = same(SCHEDULE_LOOP, SCHEDULE_TAG, context)
    assert ours.count("<tr ") == 3
    assert ours.count("btn-sm") == {"some": 2, "all": 3, "none given": 0}[editable]
