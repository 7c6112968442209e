"""Every status value shown as a badge has a tone, and every tone is readable (issue 15).

Demand statuses were white text on a transparent badge: their CSS family had no rules. Now one
mapping (brm.core.badges.STATUS_TONES) gives each value a tone, and each tone's colours are
checked here for WCAG contrast (4.5:1 for normal text).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template import Context, Template

from brm.core.badges import STATUS_TONES, TONES
from stakeholders.models import OUTCOME_LABELS
from tests.factories import DemandFactory

CSS = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tone_colours(tone: str) -> tuple[str, str]:
    rule = re.search(rf"\.tone-{re.escape(tone)}\s*\{{([^}}]*)\}}", CSS)
    assert rule, f"no .tone-{tone} rule in app.css"
    background = re.search(r"background:\s*(#[0-9a-fA-F]{3,6})", rule.group(1))
    colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", rule.group(1))
    assert background and colour, f".tone-{tone} must set both background and color"
    return colour.group(1), background.group(1)


@pytest.mark.parametrize("tone", sorted(TONES))
def test_every_tone_is_readable(tone):
    fg, bg = _tone_colours(tone)
    assert contrast(fg, bg) >= 4.5, f".tone-{tone}: {fg} on {bg}"


@pytest.mark.parametrize("key", sorted(STATUS_TONES))
def test_every_value_of_every_badged_field_has_a_known_tone(key):
    app_label, model_name, field_name = key.split(".")
    model = apps.get_model(app_label, model_name)
    if field_name == "outcome":  # a computed property of ActionItem, not a column
        values = set(OUTCOME_LABELS)
    else:
        values = {str(value) for value, _ in model._meta.get_field(field_name).choices}
    assert set(STATUS_TONES[key]) == values
    assert set(STATUS_TONES[key].values()) <= set(TONES)


def test_no_template_colours_a_badge_by_a_per_model_class():
    # A class built from a stored value (`demand-status-{{ d.status }}`) needs a CSS rule per
    # value; the ones left are sentiment (-2..2) and health bands, whose values are fixed.
    dynamic = re.compile(r'class="badge[^"]*\{\{')
    allowed = ("sentiment-{{", "band-{{", "{% if")
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {line.strip()[:120]}"
        for path in TEMPLATES.rglob("*.html")
        for line in path.read_text().splitlines()
        for match in dynamic.finditer(line)
        if not any(ok in line[match.start() : match.start() + 80] for ok in allowed)
    ]
    assert offenders == []


@pytest.mark.django_db
def test_the_tag_renders_the_label_in_the_tone_of_the_value():
    demand = DemandFactory.create(status="in_delivery")
    html = Template('{% load brm %}{% status_badge d id="s" extra="ms-1" %}').render(
        Context({"d": demand})
    )
    assert html == '<span class="badge tone-progress ms-1" id="s">In delivery</span>'
