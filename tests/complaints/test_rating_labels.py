"""Each point of the resolution rating says what it means (issue 15)."""

from __future__ import annotations

from complaints.forms import RATING_LABELS, RatingForm


def test_every_rating_has_a_label_on_its_button():
    html = str(RatingForm()["rating"])
    for value, label in RATING_LABELS.items():
        assert f"{value} · {label}" in html
    assert list(RATING_LABELS) == [1, 2, 3, 4, 5]


def test_the_form_still_stores_the_number():
    form = RatingForm({"rating": "4"})
    assert form.is_valid()
    assert form.cleaned_data["rating"] == 4
