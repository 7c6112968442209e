"""`{% demand_rows %}` (portfolio/templatetags/demand_rows.py) writes what the ranked demand
table's loop wrote, byte for byte, in English and Spanish (issue 14): numbered or not, IT side or
not, placed by hand or not, scored or not, with amounts or none, in more than one currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.template import Template
from django.utils import translation

from portfolio.models import DemandStatus
from portfolio.selectors import demand as selectors
from tests.factories import (
    BenefitRecordFactory,
    BusinessUnitFactory,
    DemandFactory,
    UserFactory,
)
from tests.row_tags import HOSTILE, same

pytestmark = pytest.mark.django_db


# The loop as templates/portfolio/demand_list.html had it (commit ceb30cb).
LOOP = Template(
    """{% load i18n brm %}
    {% for d in page.object_list %}
      <tr id="demand-{{ d.pk }}">
        <td>{% if d.position %}{{ d.position }}{% endif %}{% if d.rank_override %} <span class="badge text-bg-warning" title="{% translate 'Placed by hand:' %} {{ d.override_reason }}">{% translate "moved" %}</span>{% endif %}</td>
        <td><a href="{{ d.get_absolute_url }}"><span class="text-body-secondary">{{ d.reference }}</span> {{ d.title }}</a>
          {% if d.rank_override %}<div class="small text-body-secondary">{% if d.position and d.position != d.rank_override %}{% blocktranslate trimmed with position=d.rank_override who=d.override_by|person:_("someone") %}Moved by hand (asked for position {{ position }}) by {{ who }}{% endblocktranslate %}{% else %}{% blocktranslate trimmed with who=d.override_by|person:_("someone") %}Moved by hand by {{ who }}{% endblocktranslate %}{% endif %}: “{{ d.override_reason }}”</div>{% endif %}</td>
        {% if is_it_side %}<td>{{ d.unit.name }}</td>{% endif %}
        <td>{% status_badge d %}</td>
        <td class="text-end">{% if d.priority_score is not None %}{{ d.priority_score }}{% else %}<span class="text-body-secondary">{% translate "not scored" %}</span>{% endif %}</td>
        <td class="text-end">{% if d.expected_benefit is not None %}{{ d.expected_benefit|money:currency }}{% else %}—{% endif %}</td>
        <td class="text-end">{% if d.estimated_cost is not None %}{{ d.estimated_cost|money:currency }}{% else %}—{% endif %}</td>
        <td class="text-end">{% if d.planned_total %}{{ d.leakage|money:currency }}{% else %}—{% endif %}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
)
TAG = Template(
    "{% load demand_rows %}\n    {% demand_rows page.object_list is_it_side currency %}\n"
)


def _demands(unit_a) -> None:
    """Hand-placed where it lands and where it does not, by someone and by nobody recorded;
    scored and not; with benefits, costs and benefit records or none; several statuses."""
    mover = UserFactory.create(first_name=HOSTILE, last_name="O'Neil")
    other = BusinessUnitFactory.create(name=f"Ops {HOSTILE}")
    DemandFactory.create(
        unit=unit_a,
        title=HOSTILE,
        priority_score=Decimal("12.50"),
        rank_override=1,
        override_reason=f"Board said {HOSTILE}",
        override_by=mover,
        expected_benefit=Decimal("1234567.89"),
        estimated_cost=Decimal("250000"),
    )
    DemandFactory.create(
        unit=other,
        status=DemandStatus.APPROVED,
        priority_score=Decimal("99.99"),
        rank_override=1500,
        override_reason="Later <please>",
        expected_benefit=Decimal("0"),
    )
    DemandFactory.create(unit=unit_a, status=DemandStatus.ASSESSING, priority_score=Decimal("70"))
    DemandFactory.create(unit=other, status=DemandStatus.REJECTED)  # not scored, no amounts
    delivered = DemandFactory.create(
        unit=unit_a,
        status=DemandStatus.DELIVERED,
        priority_score=Decimal("45.05"),
        estimated_cost=Decimal("0.5"),
    )
    BenefitRecordFactory.create(
        demand=delivered, planned_amount=Decimal("1000"), realised_amount=Decimal("1800.25")
    )
    realised = DemandFactory.create(
        unit=other, status=DemandStatus.BENEFITS_REALISED, priority_score=Decimal("8")
    )
    BenefitRecordFactory.create(demand=realised, planned_amount=Decimal("5000"))


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("is_it_side", [True, False])
@pytest.mark.parametrize("first", [1, 1000, None])  # page 1, a far page, unranked (no numbers)
@pytest.mark.parametrize("currency", ["EUR", "SEK"])
def test_it_writes_the_rows_as_the_loop_did(
    admin_user, unit_a, language, is_it_side, first, currency
) -> None:
    _demands(unit_a)
    rows: list[Any] = list(
        selectors.demand_rows(admin_user, ranked=first is not None).select_related(
            "unit", "override_by"
        )
    )
    if first is not None:
        rows = list(selectors.number_board(rows, first))
    assert len(rows) == 6
    context = {
        "page": {"object_list": rows},
        "is_it_side": is_it_side,
        "currency": currency,
    }
    with translation.override(language):
        ours = same(LOOP, TAG, context)
    assert ours.count("<tr ") == 6
    assert ours.count("text-bg-warning") == 2
