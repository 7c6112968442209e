"""The dashboard's row tags (brm/health/templatetags/health_rows.py) write what the template
loops they replace wrote, byte for byte, in English and Spanish (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from brm.health.facts import watermelon_reason_text
from brm.health.models import HealthSnapshot
from brm.health.templatetags.health_rows import drop_items, history_rows, watermelon_rows
from tests.factories import BusinessUnitFactory, UserFactory

pytestmark = pytest.mark.django_db

# The loops as templates/brm/dashboard.html had them, over snapshots in full.
WATERMELON_LOOP = Template(
    """{% load i18n health_facts brm %}{% for s in rows %}
      <tr>
        <td><a class="fw-semibold" href="{% url 'health:unit_health' s.unit_id %}">{{ s.unit.name }}</a></td>
        <td><span class="badge band-green">{{ s.delivery|floatformat:0 }}</span></td>
        <td><span class="badge band-red">{{ s.perception|floatformat:0 }}</span>{% if s.perception_change %} <span class="small {% if s.perception_change < 0 %}text-danger{% else %}text-body-secondary{% endif %}">{% if s.perception_change > 0 %}+{% endif %}{{ s.perception_change|floatformat:0 }} {% translate "on the previous window" %}</span>{% endif %}{% with reason=s|watermelon_reason %}{% if reason %}<div class="small text-body-secondary">{{ reason }}</div>{% endif %}{% endwith %}</td>
        <td>{% include "brm/includes/score_badge.html" with snap=s %}</td>
        <td>{% include "brm/includes/sparkline.html" with hist=history|get_item:s.unit_id name=s.unit.name sid="wm" %}</td>
        <td>{{ s.unit.brm|person:_("unassigned") }}</td>
      </tr>
    {% endfor %}"""  # noqa: E501
)
DROP_LOOP = Template(
    """{% load brm %}{% for s in rows %}<li class="list-group-item d-flex justify-content-between align-items-center"><a href="{% url 'health:unit_health' s.unit_id %}">{{ s.unit.name }}</a><span>{% include "brm/includes/score_badge.html" with snap=s %} <span class="text-danger small fw-semibold">{{ s.trend|floatformat:1 }}</span></span></li>{% endfor %}"""  # noqa: E501
)
FACTS = [
    {
        "key": "perception",
        "facts": [
            {"text": "x", "kind": "figure", "visibility": "everyone"},
            {
                "text": "Watermelon (SLAs green): How the business feels is 30, below 50",
                "kind": "watermelon",
                "visibility": "everyone",
                "msg": "watermelon.low",
                "params": {"value": 30.4, "floor": 50},
            },
        ],
    }
]
# (score, band, delivery, perception, perception_change, trend, watermelon, brm)
CASES: list[tuple[Any, ...]] = [
    (41.5, "red", 92.5, 30.4, -12.5, -10.05, True, "full"),
    (None, "none", 99.0, 0.4, 0.4, -0.04, True, "username"),
    (55.0, "amber", 80.49, 49.5, 3.0, -0.25, True, None),
    (72.45, "green", 100.0, 0.0, None, None, False, "full"),
]


def _rows() -> tuple[list[HealthSnapshot], list[dict[str, Any]], dict[int, Any]]:
    """Snapshots as the template read them, and the same as featured rows with their points."""
    snapshots, rows, history = [], [], {}
    for i, (score, band, delivery, perception, change, trend, wm, brm) in enumerate(CASES):
        user = None
        if brm == "full":
            user = UserFactory.create(first_name="Ana <b>", last_name="O'Neil")
        elif brm == "username":
            user = UserFactory.create(first_name="", last_name="", username=f"brm{i}")
        unit = BusinessUnitFactory.create(name=f"Unit & <{i}>", brm=user)
        s = HealthSnapshot(
            pk=i + 1,
            unit=unit,
            score=score,
            band=band,
            delivery=delivery,
            perception=perception,
            perception_change=change,
            trend=trend,
            watermelon=wm,
            watermelon_reason="Stored <reason>",
            components=FACTS if i == 0 else [],
        )
        points = [
            {"d": f"2026-01-0{j + 1}", "s": v, "p": 1.0, "dl": None}
            for j, v in enumerate([None, 50.5, 30.49] if i % 2 else [44.5, 61.0])
        ]
        if i < 3:
            history[unit.pk] = points
        snapshots.append(s)
        rows.append(
            {
                "pk": s.pk,
                "unit_id": unit.pk,
                "unit__name": unit.name,
                "unit__brm_id": user.pk if user else None,
                "unit__brm__first_name": user.first_name if user else None,
                "unit__brm__last_name": user.last_name if user else None,
                "unit__brm__username": user.username if user else None,
                "band": band,
                "score": score,
                "delivery": delivery,
                "perception": perception,
                "perception_change": change,
                "trend": trend,
                "watermelon": wm,
                "watermelon_reason": s.watermelon_reason,
                "reason": "",
                "points": history.get(unit.pk),
            }
        )
    return snapshots, rows, history


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_it_writes_the_watermelon_rows_and_drops_as_the_template_loops(language: str) -> None:
    snapshots, rows, history = _rows()
    with translation.override(language):
        for s, row in zip(snapshots, rows, strict=True):
            row["reason"] = watermelon_reason_text(s)
        context = Context({"rows": snapshots, "history": history})
        assert watermelon_rows(rows) == WATERMELON_LOOP.render(context)
        assert drop_items(rows) == DROP_LOOP.render(context)


# The unit health page's "Figures" loop as templates/brm/unit_health.html had it.
HISTORY_LOOP = Template(
    """{% for h in history %}<tr><td>{{ h.d }}</td><td>{{ h.s|floatformat:0 }}</td><td>{{ h.p|floatformat:0 }}</td><td>{{ h.dl|floatformat:0 }}</td></tr>{% endfor %}"""  # noqa: E501
)


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_it_writes_the_history_figures_as_the_template_loop(language: str) -> None:
    # Halves, negatives rounding to zero, no figure at all and a hundred, as unit_history's points.
    points: list[dict[str, Any]] = [
        {"d": "2026-11-28", "s": 72.5, "p": 64.49, "dl": 99.5},
        {"d": "2026-11-29", "s": -0.4, "p": None, "dl": 100.0},
        {"d": "2026-11-30", "s": None, "p": 0.5, "dl": 12.0},
    ]
    with translation.override(language):
        assert history_rows(points) == HISTORY_LOOP.render(Context({"history": points}))
        assert history_rows([]) == ""
