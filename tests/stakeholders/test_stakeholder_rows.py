"""The register's row tags (stakeholders/templatetags/stakeholder_rows.py) write what the template
loops they replace wrote, byte for byte, in English and Spanish (issue 14): the unit list, the
stakeholder register, the commitments with their "Done" form and the power/interest map."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import QueryDict
from django.template import Template
from django.test import RequestFactory
from django.utils import timezone, translation

from stakeholders import selectors
from stakeholders.models import ActionStatus, InteractionKind, OwnerSide, RoleType, Stakeholder
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    InteractionFactory,
    StakeholderFactory,
    UserFactory,
)
from tests.row_tags import HOSTILE, same

pytestmark = pytest.mark.django_db

# Dates are written in the reader's time zone: one away from UTC shows a conversion missed.
ZONE = "America/Mexico_City"

# The loops as the templates under templates/stakeholders/ had them (commit ceb30cb).
UNIT_LOOP = Template(
    """{% load i18n brm %}
    {% for unit in page.object_list %}
      <tr>
        <td><a href="{{ unit.get_absolute_url }}" class="fw-semibold">{{ unit.name }}</a> <span class="badge text-bg-light border">{{ unit.code }}</span>{% if unit.parent %}<div class="small text-body-secondary">{% blocktranslate trimmed with parent=unit.parent.name %}in {{ parent }}{% endblocktranslate %}</div>{% endif %}</td>
        <td>{% if unit.brm %}{{ unit.brm|person }}{% else %}{% translate "— nobody assigned" %}{% endif %}{% if unit.deputy %}<div class="small text-body-secondary">{% blocktranslate trimmed with name=unit.deputy|person %}deputy {{ name }}{% endblocktranslate %}</div>{% endif %}</td>
        <td class="text-end">{{ unit.stakeholder_count }}</td>
        <td class="text-end">{{ unit.open_commitments }}</td>
        <td class="text-end">{% if unit.overdue_commitments %}<span class="badge text-bg-danger">{{ unit.overdue_commitments }} {% translate "overdue" %}</span>{% else %}<span class="text-body-secondary">0</span>{% endif %}</td>
        <td>{% if unit.last_contact_at %}<time datetime="{{ unit.last_contact_at|date:'c' }}" title="{{ unit.last_contact_at|date:'j M Y' }}">{% blocktranslate with since=unit.last_contact_at|timesince %}{{ since }} ago{% endblocktranslate %}</time>{% else %}<span class="text-warning-emphasis">{% translate "never" %}</span>{% endif %}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
)
UNIT_TAG = Template("{% load stakeholder_rows %}\n    {% unit_rows page.object_list %}\n")
STAKEHOLDER_LOOP = Template(
    """{% load i18n brm %}
    {% for s in page.object_list %}
      <tr class="{% if not s.active %}text-body-secondary{% endif %}">
        <td><a href="{{ s.get_absolute_url }}" class="fw-semibold">{{ s.name }}</a>{% if not s.active %} <span class="badge text-bg-secondary">{% translate "inactive" %}</span>{% endif %}<div class="small text-body-secondary">{{ s.job_title }}</div></td>
        <td><a href="{{ s.unit.get_absolute_url }}">{{ s.unit.name }}</a></td>
        <td>{{ s.get_role_type_display }}</td>
        <td class="text-center"><span class="score score-{{ s.influence }}">{{ s.influence }}</span></td>
        <td class="text-center"><span class="score score-{{ s.interest }}">{{ s.interest }}</span></td>
        <td>{% if s.last_met_at %}<time datetime="{{ s.last_met_at|date:'c' }}">{{ s.last_met_at|date:"j M Y" }}</time>{% else %}<span class="text-body-secondary">{% translate "not yet" %}</span>{% endif %}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501
)
STAKEHOLDER_TAG = Template(
    "{% load stakeholder_rows %}\n    {% stakeholder_rows page.object_list %}\n"
)
COMMITMENT_LOOP = Template(
    """{% load i18n brm %}
    {% for item in page.object_list %}
      {% partialdef row inline %}
      <tr id="commitment-{{ item.pk }}" class="{% if item.is_overdue %}table-danger{% endif %}">
        <td><a href="{{ item.get_absolute_url }}">{{ item.title }}</a>{% if item.interaction %}<div class="small text-body-secondary">{% blocktranslate trimmed with kind=item.interaction.get_kind_display|lower day=item.interaction.occurred_at|date:"j M" %}from {{ kind }} on {{ day }}{% endblocktranslate %}</div>{% endif %}</td>
        <td>{{ item.unit.name }}</td>
        <td>{{ item.owner_name }} <span class="small text-body-secondary">({{ item.get_owner_side_display }})</span></td>
        <td><time datetime="{{ item.due_date|date:'Y-m-d' }}">{{ item.due_date|date:"j M Y" }}</time>{% if item.is_overdue %}<div class="small text-danger fw-semibold"><i class="bi bi-exclamation-triangle" aria-hidden="true"></i> {% blocktranslate count n=item.days_overdue %}{{ n }} day{% plural %}{{ n }} days{% endblocktranslate %} {% translate "overdue" %}</div>{% endif %}</td>
        <td>{% status_badge item "outcome" %}</td>
        <td class="text-end">
          {% if item.status == "open" and item.unit_id in editable_units %}
          <form method="post" action="{% url 'stakeholders:action_transition' item.pk 'done' %}" hx-post="{% url 'stakeholders:action_transition' item.pk 'done' %}" hx-target="#commitment-{{ item.pk }}" hx-swap="outerHTML" class="m-0">
            {% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}">
            <button class="btn btn-sm btn-outline-success" type="submit" aria-label="{% blocktranslate trimmed with title=item.title %}Mark “{{ title }}” done{% endblocktranslate %}"><i class="bi bi-check2" aria-hidden="true"></i> {% translate "Done" %}</button>
          </form>
          {% endif %}
        </td>
      </tr>
      {% endpartialdef %}
    {% endfor %}
"""  # noqa: E501
)
COMMITMENT_TAG = Template(
    "{% load stakeholder_rows %}\n    {% commitment_rows page.object_list editable_units %}\n"
)
MAP_LOOP = Template(
    """{% load i18n brm %}
    {% for row in grid %}
      <tr>
        <th scope="row">{% translate "Influence" %} {{ row.0.influence }}</th>
        {% for cell in row %}
        <td class="map-cell q-{{ cell.quadrant }}{% if not cell.count %} empty{% endif %}">
          {% if cell.count %}
          <a class="map-count" href="{% url 'stakeholders:stakeholder_list' %}{% querystring map_query|default:request.GET influence=cell.influence interest=cell.interest active="true" page=None %}" aria-label="{% blocktranslate trimmed count n=cell.count with influence=cell.influence interest=cell.interest %}{{ n }} stakeholder with influence {{ influence }} and interest {{ interest }}{% plural %}{{ n }} stakeholders with influence {{ influence }} and interest {{ interest }}{% endblocktranslate %}">{{ cell.count }}</a>
          <ul class="map-names">
            {% for p in cell.people %}<li><a href="{% url 'stakeholders:stakeholder_detail' p.id %}">{{ p.name }}</a></li>{% endfor %}
            {% if cell.more %}<li class="text-body-secondary">+{{ cell.more }} {% translate "more" %}</li>{% endif %}
          </ul>
          {% else %}<span class="visually-hidden">{% translate "none" %}</span>{% endif %}
        </td>
        {% endfor %}
      </tr>
    {% endfor %}
"""  # noqa: E501
)
MAP_TAG = Template("{% load stakeholder_rows %}\n    {% map_rows grid %}\n")


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_unit_rows_write_what_the_loop_wrote(admin_user, brm, language) -> None:
    manager = UserFactory.create(first_name=HOSTILE, last_name="O'Neil")
    deputy = UserFactory.create(first_name="", last_name="", username="dep<u>")
    parent = BusinessUnitFactory.create(name=f"Group {HOSTILE}", code="grp", brm=brm)
    busy = BusinessUnitFactory.create(
        name=HOSTILE, code="c<&", parent=parent, brm=manager, deputy=deputy
    )
    BusinessUnitFactory.create(name="Quiet & empty", code="q", brm=None)  # no one, nothing, never
    StakeholderFactory.create(unit=busy)
    StakeholderFactory.create(unit=busy)
    StakeholderFactory.create(unit=busy, active=False)
    today = timezone.localdate()
    ActionItemFactory.create(unit=busy, due_date=today - timedelta(days=2))
    ActionItemFactory.create(unit=busy, due_date=today + timedelta(days=2))
    ActionItemFactory.create(unit=parent, due_date=today - timedelta(days=9))
    InteractionFactory.create(unit=busy, occurred_at=timezone.now() - timedelta(days=4, hours=3))
    InteractionFactory.create(unit=parent, occurred_at=timezone.now() - timedelta(days=400))
    units = list(selectors.unit_list(admin_user))
    assert len(units) == 3
    with translation.override(language), timezone.override(ZONE):
        ours = same(UNIT_LOOP, UNIT_TAG, {"page": {"object_list": units}})
    assert ours.count("<tr>") == len(units)


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_stakeholder_rows_write_what_the_loop_wrote(admin_user, unit_a, language) -> None:
    people = [
        StakeholderFactory.create(
            unit=unit_a, name=HOSTILE, job_title=HOSTILE, role_type=RoleType.SPONSOR, influence=5
        ),
        StakeholderFactory.create(unit=unit_a, name="Ann", job_title="", active=False, interest=1),
        StakeholderFactory.create(
            unit=BusinessUnitFactory.create(name=f"Unit {HOSTILE}"), role_type=RoleType.OTHER
        ),
    ]
    meeting = InteractionFactory.create(
        unit=unit_a, occurred_at=timezone.now() - timedelta(days=40)
    )
    meeting.attendees.add(people[0], people[1])
    later = InteractionFactory.create(unit=unit_a, occurred_at=timezone.now() - timedelta(hours=5))
    later.attendees.add(people[0])
    rows: list[Any] = list(selectors.stakeholder_list(admin_user).order_by("name", "pk"))
    assert {p.last_met_at is None for p in rows} == {True, False}
    with translation.override(language), timezone.override(ZONE):
        ours = same(STAKEHOLDER_LOOP, STAKEHOLDER_TAG, {"page": {"object_list": rows}})
    assert ours.count("<tr ") == 3


def _commitments(unit_a, unit_b, brm) -> None:
    """Open, overdue by one day and by many, done on time and late, dropped; from a meeting or
    not; IT's or the business's, with an owner or without."""
    today = timezone.localdate()
    now = timezone.now()
    call = InteractionFactory.create(
        unit=unit_a, kind=InteractionKind.CALL, occurred_at=now - timedelta(days=70)
    )
    workshop = InteractionFactory.create(
        unit=unit_b, kind=InteractionKind.WORKSHOP, occurred_at=now - timedelta(days=3)
    )
    person = StakeholderFactory.create(unit=unit_a, name=f"Bo {HOSTILE}")
    ActionItemFactory.create(
        unit=unit_a, title=HOSTILE, owner=brm, interaction=call, due_date=today - timedelta(days=1)
    )
    ActionItemFactory.create(
        unit=unit_b, title="Late <2>", interaction=workshop, due_date=today - timedelta(days=12)
    )
    ActionItemFactory.create(
        unit=unit_a,
        owner_side=OwnerSide.BUSINESS,
        owner_stakeholder=person,
        due_date=today + timedelta(days=5),
    )
    ActionItemFactory.create(unit=unit_a, owner_side=OwnerSide.BUSINESS, due_date=today)
    ActionItemFactory.create(
        unit=unit_a,
        status=ActionStatus.DONE,
        completed_at=now - timedelta(days=1),
        due_date=today - timedelta(days=4),
    )
    ActionItemFactory.create(
        unit=unit_a,
        status=ActionStatus.DONE,
        completed_at=now - timedelta(days=6),
        due_date=today,
        owner=brm,
    )
    ActionItemFactory.create(unit=unit_b, status=ActionStatus.DROPPED, due_date=today)


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("editable", ["one unit", "both units", "none given"])
def test_commitment_rows_write_what_the_loop_wrote(
    admin_user, brm, unit_a, unit_b, language, editable
) -> None:
    _commitments(unit_a, unit_b, brm)
    items = list(selectors.action_item_list(admin_user).order_by("due_date", "pk"))
    assert {a.outcome for a in items} == {"open", "overdue", "on_time", "late", "dropped"}
    request = RequestFactory().get("/commitments/")
    request.META["QUERY_STRING"] = f"search={HOSTILE}&status=open"
    context: dict[str, Any] = {
        "page": {"object_list": items},
        "request": request,
        "csrf_token": "t0ken<&>",
    }
    if editable == "one unit":
        context["editable_units"] = {unit_a.pk}
    elif editable == "both units":
        context["editable_units"] = {unit_a.pk, unit_b.pk}
    with translation.override(language), timezone.override(ZONE):
        ours = same(COMMITMENT_LOOP, COMMITMENT_TAG, context)
    assert ours.count("<tr ") == len(items)
    forms = {"one unit": 3, "both units": 4, "none given": 0}[editable]
    assert ours.count("<form ") == forms
    assert ours.count("csrfmiddlewaretoken") == forms


def test_commitment_rows_without_a_request_write_what_the_loop_wrote(admin_user, unit_a) -> None:
    # The tag is also rendered for one row (`action_list.html#row`); without a request in the
    # context the form's "next" is empty, as `{{ request.get_full_path }}` was.
    ActionItemFactory.create(unit=unit_a, title=HOSTILE)
    items = list(selectors.action_item_list(admin_user))
    context = {"page": {"object_list": items}, "editable_units": {unit_a.pk}}
    ours = same(COMMITMENT_LOOP, COMMITMENT_TAG, context)
    assert 'name="next" value=""' in ours


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("query", ["request", "map_query"])
def test_map_rows_write_what_the_loop_wrote(admin_user, unit_a, language, query) -> None:
    # A crowded cell (more than the names shown), cells of one and of two, hostile names, the
    # four quadrants and empty cells.
    for n in range(selectors.MAP_NAMES_SHOWN + 2):
        StakeholderFactory.create(unit=unit_a, name=f"{HOSTILE} {n}", influence=5, interest=5)
    StakeholderFactory.create(unit=unit_a, name="Solo", influence=5, interest=1)
    for name in ("Al", "Bea"):
        StakeholderFactory.create(unit=unit_a, name=name, influence=1, interest=4)
    StakeholderFactory.create(unit=unit_a, name="Low", influence=2, interest=2)
    StakeholderFactory.create(unit=unit_a, name="Gone", influence=2, interest=2, active=False)
    people = Stakeholder.objects.filter(active=True).order_by("name")
    grid = selectors.stakeholder_grid(people)
    request = RequestFactory().get(
        "/stakeholders/map/", {"unit": unit_a.pk, "role_type": HOSTILE, "page": "2"}
    )
    context: dict[str, Any] = {"grid": grid, "request": request}
    if query == "map_query":
        context["map_query"] = {"unit": unit_a.pk}
    with translation.override(language):
        ours = same(MAP_LOOP, MAP_TAG, context)
    assert ours.count('class="map-count"') == 4
    assert ours.count("<tr>") == 5


def test_map_rows_with_the_request_as_a_query_dict(unit_a) -> None:
    # `map_query` given as a QueryDict (several values per key) links as the loop did.
    StakeholderFactory.create(unit=unit_a, name=HOSTILE, influence=3, interest=3)
    grid = selectors.stakeholder_grid(Stakeholder.objects.order_by("name"))
    query = QueryDict(mutable=True)
    query.setlist("unit", [str(unit_a.pk), "7"])
    context = {"grid": grid, "request": RequestFactory().get("/"), "map_query": query}
    ours = same(MAP_LOOP, MAP_TAG, context)
    assert ours.count('class="map-count"') == 1
