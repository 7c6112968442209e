"""`{% service_rows %}` writes the catalogue's rows as the template loop it replaced did
(issue 14): byte for byte, in English and Spanish, IT side or not, with and without an owner,
a workload limit and SLA periods."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from portfolio.models import Lifecycle
from portfolio.selectors.catalogue import service_list
from tests.factories import ServiceFactory, ServiceMetricFactory

pytestmark = pytest.mark.django_db

LOOP = """{% load i18n brm %}
    {% for s in page %}
      <tr>
        <td><a href="{{ s.get_absolute_url }}">{{ s.name }}</a></td>
        <td>{% status_badge s "lifecycle" %}</td>
        <td>{{ s.owner|person:"—" }}</td>
        <td>{{ s.availability_target|floatformat:"-3" }} %</td>
        <td>{% if s.workload_limit %}{{ s.workload_limit }} {{ s.workload_unit }}{% else %}—{% endif %}</td>
        {% if is_it_side %}<td>{{ s.consumer_count }}</td>{% endif %}
        <td>{% if s.periods %}{{ s.periods_met }} / {{ s.periods }}{% else %}<span class="text-body-secondary">{% translate "no data" %}</span>{% endif %}</td>
      </tr>
    {% endfor %}
"""  # noqa: E501 - the template's lines as they were
TAG = "{% load service_rows %}\n    {% service_rows page is_it_side %}\n"


@pytest.mark.parametrize("language", ["en-gb", "es"])
@pytest.mark.parametrize("is_it_side", [True, False])
def test_it_writes_the_rows_as_the_loop_did(brm, unit_a, language, is_it_side) -> None:
    ServiceFactory.create(name="A & <b>", owner=brm, consumers=[unit_a], workload_limit=15000)
    retired = ServiceFactory.create(
        name="Old", lifecycle=Lifecycle.RETIRED, availability_target=Decimal("99.950")
    )
    ServiceMetricFactory.create(service=retired)
    ServiceFactory.create(name="Whole", availability_target=Decimal("98"), workload_unit="x<y")
    page = list(service_list(brm))
    context = {"page": page, "is_it_side": is_it_side}
    with translation.override(language):
        ours = Template(TAG).render(Context(context))
        assert ours == Template(LOOP).render(Context(context))
    assert ours.count("<tr>") == 3
