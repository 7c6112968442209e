"""The series names static/js/app.js gives its charts, in the reader's language (issue 17).

A page with one of app.js's charts renders `{% app_chart_names %}` (brm.core.templatetags.brm):
a `json_script` element with id "chart-names" holding `{key: name}` in the active language,
which app.js's `name(key, english)` reads; the script keeps the English name as its fallback
(a page without the element, or a key missing from it). The keys are the script's, not shown.
The relationship-health pages hand static/js/health-charts.js their own names the same way
(brm.health.charts.chart_names); a page holds one "chart-names" element, never both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

APP_CHART_NAMES: dict[str, _StrPromise] = {
    # The handover pack's monthly sentiment (-2..+2).
    "sentiment": gettext_lazy("Average sentiment"),
    # The complaint reports: share of complaints acknowledged / resolved within their target.
    "ack_on_time": gettext_lazy("Acknowledged on time"),
    "resolved_on_time": gettext_lazy("Resolved on time"),
    # A service's periods (the service page; the review's performance pack sparkline).
    "availability": gettext_lazy("Availability %"),
    "target": gettext_lazy("Target %"),
    "incidents": gettext_lazy("Incidents"),
    # A demand's benefit per period.
    "planned": gettext_lazy("Planned"),
    "realised": gettext_lazy("Realised"),
    # A campaign's results: answers per score, CSAT and NPS per run.
    "answers": gettext_lazy("Answers"),
    "csat": gettext_lazy("CSAT (1-5)"),
    "nps": gettext_lazy("NPS"),
}


def app_chart_names() -> dict[str, str]:
    """`APP_CHART_NAMES` rendered in the active language: `{key: name}`, strings only."""
    return {key: str(name) for key, name in APP_CHART_NAMES.items()}
