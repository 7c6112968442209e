"""Record links built once per view name (`brm.core.links.detail_url`) and choice labels read
from a map built once per field (`TimeStampedModel._get_FIELD_display`), issue 14."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from brm.core.links import detail_url
from stakeholders.models import RoleType, Stakeholder

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "viewname",
    ["stakeholders:stakeholder_detail", "stakeholders:unit_detail", "complaints:complaint_detail"],
)
def test_it_builds_the_same_url_as_reverse(viewname):
    for pk in (1, 7, 123456):
        assert detail_url(viewname, pk) == reverse(viewname, args=[pk])


def test_it_follows_the_script_prefix():
    try:
        set_script_prefix("/brm/")
        assert detail_url("stakeholders:stakeholder_detail", 3) == "/brm/stakeholders/3/"
    finally:
        set_script_prefix("/")
    assert detail_url("stakeholders:stakeholder_detail", 3) == "/stakeholders/3/"


def test_it_refuses_what_reverse_refuses():
    with pytest.raises(NoReverseMatch):
        detail_url("stakeholders:stakeholder_detail", None)  # type: ignore[arg-type]


def test_a_model_links_to_its_page(unit_a):
    person = Stakeholder(pk=42, unit=unit_a, name="Ann")
    assert person.get_absolute_url() == reverse("stakeholders:stakeholder_detail", args=[42])
    assert unit_a.get_absolute_url() == reverse("stakeholders:unit_detail", args=[unit_a.pk])


def test_a_choice_label_is_djangos_in_the_readers_language(unit_a):
    person = Stakeholder(unit=unit_a, name="Ann", role_type=RoleType.SPONSOR)
    assert person.get_role_type_display() == str(RoleType.SPONSOR.label)
    with translation.override("es"):
        assert person.get_role_type_display() == "Patrocinador"
    person.role_type = "not-a-choice"
    assert person.get_role_type_display() == "not-a-choice"  # as Django: the stored value
