"""Charts read their data from `json_script` elements: the id must be right and the element real.

Issue 15: the performance pack's Trend column showed `<script id="trend-" ...>` as text, because
`{{ rows|json_script:"trend-"|add:sid }}` applies `add` to the *output* of json_script (the id
was "trend-" and the escaped markup became plain text). The rule: a json_script expression ends
with json_script, and its id is built beforehand with `{% with %}`.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# `{{ ... |json_script:<arg>|<another filter> ... }}`: a filter applied to json_script's output.
CHAINED = re.compile(r"\|\s*json_script(?::(?:\"[^\"]*\"|'[^']*'|[\w.]+))?\s*\|")


def canvas_sources_resolve(html: str) -> list[str]:
    """Problems with charts in a rendered page: sources with no json_script, escaped scripts."""
    problems = []
    ids = set(re.findall(r'<script id="([^"]+)" type="application/json">', html))
    for source in re.findall(r'<canvas[^>]*data-source="([^"]*)"', html):
        if source not in ids:
            problems.append(f"canvas data-source={source!r} has no json_script element")
    if "&lt;script" in html:
        problems.append("a <script> element was escaped into text")
    return problems


def test_it_never_filters_the_output_of_json_script():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in CHAINED.finditer(path.read_text())
    ]
    assert offenders == []


def test_the_check_catches_the_issue_15_pattern():
    assert CHAINED.search('{{ s.trend|json_script:"trend-"|add:sid }}')
    assert not CHAINED.search("{{ s.trend|json_script:data_id }}")
    assert canvas_sources_resolve(
        '&lt;script id=&quot;trend-&quot;&gt;<canvas data-chart="x" data-source="trend-7">'
    )
