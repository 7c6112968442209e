"""The relationship-health charts as inline SVG, for documents that run no script (the PDFs).

Each function draws the series a page already computes, the way `static/js/health-charts.js`
draws them on a canvas (same series, labels and colours), through `brm.core.svgcharts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy

from brm.core.svgcharts import Series, bar_chart, line_chart

if TYPE_CHECKING:
    from brm.health.evidence import EvidenceReport

# The colours health-charts.js uses (BAND and the score's blue).
SCORE, RED, GREEN, AMBER = "#0d6efd", "#a61b1b", "#146c43", "#b35c00"

# Evidence columns drawn as bars: each a share (0-100 %) per unit (the column by its CSV
# header, the series by its name in the reader's language).
EVIDENCE_BARS = (
    ("Response rate %", gettext_lazy("Survey response rate"), SCORE, ""),
    ("Stakeholders covered %", gettext_lazy("Stakeholders covered"), AMBER, ""),
    ("SLA met %", gettext_lazy("SLA periods met"), GREEN, ""),
)


def chart_names() -> dict[str, str]:
    """The series and slice names static/js/health-charts.js draws, in the active language
    (the pages hand them over as `json_script` "chart-names"; the script keeps English names
    as its fallback)."""
    return {
        "score": gettext("Score"),
        "perception": gettext("How the business feels"),
        "delivery": gettext("Delivery (SLAs)"),
        "on_time": gettext("Kept on time"),
        "late": gettext("Kept late"),
        "dropped": gettext("Dropped"),
        "overdue": gettext("Still overdue"),
        "complaints": gettext("Complaints"),
    }


def health_history_chart(rows: Sequence[dict[str, Any]]) -> SafeString:
    """Score, perception and delivery over time (0-100) from the unit page's history rows
    (`{"d": "YYYY-MM-DD", "s": score, "p": perception, "dl": delivery}`, oldest first)."""
    labels = [str(r["d"]) for r in rows]
    names = chart_names()
    return line_chart(
        labels,
        [
            Series(names["score"], [r.get("s") for r in rows], SCORE),
            Series(names["perception"], [r.get("p") for r in rows], RED, "6 3"),
            Series(names["delivery"], [r.get("dl") for r in rows], GREEN, "2 2"),
        ],
        title=gettext("Relationship score, perception and delivery over time (0-100)"),
        y_max=100,
    )


def evidence_chart(report: EvidenceReport) -> SafeString:
    """Per unit, the evidence report's shares (survey response rate, stakeholders covered, SLA
    periods met), 0-100 %; a unit without the figure ("" in the report) has no bar."""
    labels = [str(row[0]) for row in report.rows]
    series = []
    for column, label, color, dash in EVIDENCE_BARS:
        i = report.header.index(column)
        values = [row[i] if isinstance(row[i], int | float) else None for row in report.rows]
        series.append(Series(str(label), values, color, dash))
    return bar_chart(
        labels,
        series,
        title=gettext("Coverage and SLA performance per unit, %(start)s to %(end)s (%%)")
        % {
            "start": date_format(report.start, "j M Y"),
            "end": date_format(report.end, "j M Y"),
        },
        unit="%",
        y_max=100,
    )
