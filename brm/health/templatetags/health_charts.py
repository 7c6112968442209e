"""`{% load health_charts %}`: the health charts as inline SVG (`brm.health.charts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import template
from django.utils.safestring import SafeString

from brm.health import charts

if TYPE_CHECKING:
    from brm.health.evidence import EvidenceReport

register = template.Library()


@register.filter
def history_svg(rows: Sequence[dict[str, Any]]) -> SafeString:
    """`{{ history|history_svg }}`: score, perception and delivery over time."""
    return charts.health_history_chart(rows)


@register.filter
def evidence_svg(report: EvidenceReport) -> SafeString:
    """`{{ report|evidence_svg }}`: the evidence report's shares per unit."""
    return charts.evidence_chart(report)
