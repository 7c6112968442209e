"""The relationship-health charts as inline SVG, for documents that run no script (the PDFs).

Each function draws the series a page already computes, the way `static/js/health-charts.js`
draws them on a canvas (same series, labels and colours), through `brm.core.svgcharts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString

from brm.core.svgcharts import Series, bar_chart, line_chart

if TYPE_CHECKING:
    from brm.health.evidence import EvidenceReport

# The colours health-charts.js uses (BAND and the score's blue).
SCORE, RED, GREEN, AMBER = "#0d6efd", "#a61b1b", "#146c43", "#b35c00"

# Evidence columns drawn as bars: each a share (0-100 %) per unit.
EVIDENCE_BARS = (
    ("Response rate %", "Survey response rate", SCORE, ""),
    ("Stakeholders covered %", "Stakeholders covered", AMBER, ""),
    ("SLA met %", "SLA periods met", GREEN, ""),
)


def health_history_chart(rows: Sequence[dict[str, Any]]) -> SafeString:
    """Score, perception and delivery over time (0-100) from the unit page's history rows
    (`{"d": "YYYY-MM-DD", "s": score, "p": perception, "dl": delivery}`, oldest first)."""
    labels = [str(r["d"]) for r in rows]
    return line_chart(
        labels,
        [
            Series("Score", [r.get("s") for r in rows], SCORE),
            Series("How the business feels", [r.get("p") for r in rows], RED, "6 3"),
            Series("Delivery (SLAs)", [r.get("dl") for r in rows], GREEN, "2 2"),
        ],
        title="Relationship score, perception and delivery over time (0-100)",
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
        series.append(Series(label, values, color, dash))
    return bar_chart(
        labels,
        series,
        title=f"Coverage and SLA performance per unit, {report.start} to {report.end} (%)",
        unit="%",
        y_max=100,
    )
