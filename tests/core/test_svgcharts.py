"""Charts drawn on the server as inline SVG (brm.core.svgcharts): for PDFs, which run no script."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from brm.core.svgcharts import Series, bar_chart, describe, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, checked to be well-formed XML


def test_it_draws_a_line_per_series_with_a_gap_for_missing_values():
    svg = parse(
        line_chart(
            ["1 Jan", "2 Jan", "3 Jan", "4 Jan"],
            [Series("Score", [40, 50, None, 70], "#00f"), Series("Other", [None] * 4, "#f00")],
            title="Score over time",
            y_max=100,
        )
    )
    lines = svg.findall(f".//{SVG}polyline")
    dots = svg.findall(f".//{SVG}circle")
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2
    assert len(dots) == 1  # the lone point after the gap


def test_it_is_an_image_named_by_its_title_and_described_in_figures():
    svg = parse(line_chart(["a", "b"], [Series("Score", [40, 70], "#00f")], title="Trend"))
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "Trend"
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.get("id") == desc_id
    assert desc.text == "Score: 40 on a, 70 on b (lowest 40, highest 70)."


def test_it_escapes_labels_and_titles():
    markup = bar_chart(["<script>x</script>"], [Series('A "b" & c', [1], "#000")], title="<b>t</b>")
    assert "<script>" not in markup and "<b>" not in markup
    parse(markup)  # still well-formed


def test_it_draws_a_bar_per_value_scaled_to_the_maximum():
    svg = parse(
        bar_chart(
            ["Finance", "Operations"],
            [Series("SLA met", [100, 50], "#0a0"), Series("Response", [None, 25], "#00a")],
            title="Per unit",
            unit="%",
            y_max=100,
        )
    )
    heights = [float(r.get("height", "0")) for r in svg.findall(f".//{SVG}rect")]
    assert len(heights) == 3  # the missing value draws no bar
    assert heights[0] == 2 * heights[1] == 4 * heights[2]


def test_it_says_no_data_for_an_empty_chart():
    assert describe([], [Series("Score", [], "#000")]) == "No data."
    parse(line_chart([], [Series("Score", [], "#000")], title="Empty"))
