"""The fast widget renderer writes exactly what Django's widget templates write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from brm.core.renderers import FastWidgetRenderer


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": 'a "quoted" <b>'}))
    number = forms.IntegerField(required=False)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False)
    kind = forms.ChoiceField(choices=[("a", "A & B"), ("b", mark_safe("<i>safe</i>"))])
    grouped = forms.ChoiceField(
        choices=[("", "---"), ("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "X")]
    )
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, '"three"')])
    boxes = forms.MultipleChoiceField(
        choices=[(1, "one"), (2, "two <2>")], widget=forms.CheckboxSelectMultiple
    )
    radio = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)
    area = forms.CharField(widget=forms.Textarea)


DATA: dict[str, Any] = {
    "text": 'it\'s <b>bold</b> & "quoted"',
    "number": "7",
    "when": "2026-01-02",
    "hidden": "h&h",
    "agree": "on",
    "kind": "b",
    "grouped": "pear",
    "many": ["1", "3"],
    "boxes": ["2"],
    "radio": "y",
    "area": "line <1>\nline 2",
}


@pytest.mark.parametrize("data", [None, DATA])
def test_it_writes_what_django_writes(data: dict[str, Any] | None) -> None:
    fast = Everything(data, renderer=FastWidgetRenderer())
    slow = Everything(data, renderer=DjangoTemplates())
    for name in Everything.base_fields:
        assert str(fast[name]) == str(slow[name]), name
        for fast_sub, slow_sub in zip(fast[name].subwidgets, slow[name].subwidgets, strict=True):
            assert fast_sub.tag() == slow_sub.tag(), name
            assert str(fast_sub) == str(slow_sub), name
