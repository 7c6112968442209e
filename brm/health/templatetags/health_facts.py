"""`{% load health_facts %}`: stored health facts in the reader's language (`brm.health.facts`)."""

from __future__ import annotations

from django import template

from brm.health.facts import watermelon_reason_text
from brm.health.models import HealthSnapshot

register = template.Library()


@register.filter
def watermelon_reason(snapshot: HealthSnapshot) -> str:
    """Why `snapshot`'s unit is a watermelon, every reason, in the active language ("" when it
    is not one). For IT's pages and emails only (a fall of meeting sentiment is IT's to read);
    the snapshot's `components` must be loaded."""
    return watermelon_reason_text(snapshot)
