"""Every list filter shows what its label says (issue 15: filters that did not filter).

`/units/?mine=1` showed the box ticked and listed every unit (django-filter's BooleanFilter read
only "true"/"false"); `/surveys/?unit=<id>` ignored the unit; Status = Closed on /surveys/ found
nothing because a series' runs close, not the series. Each test asks a list with one filter and
checks both that the matching rows are there and that the others are not.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_filters import BooleanFilter, FilterSet

from brm.core.filtering import FlagFilter
from complaints.filters import ComplaintFilterSet, FeedbackFilterSet
from portfolio.filters.catalogue import ServiceFilterSet
from portfolio.filters.demand import DemandFilterSet
from reviews.filters import ServiceReviewFilterSet
from satisfaction.filters import CampaignFilterSet
from satisfaction.models import Campaign
from stakeholders.filters import ActionItemFilterSet, BusinessUnitFilterSet, StakeholderFilterSet
from tests.factories import (
    ActionItemFactory,
    ComplaintFactory,
    ServiceReviewFactory,
    SurveyTemplateFactory,
)

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Each list page, its template and the one FilterSet its view builds.
LISTS: dict[str, tuple[str, type[FilterSet]]] = {
    "stakeholders:unit_list": ("stakeholders/unit_list.html", BusinessUnitFilterSet),
    "stakeholders:stakeholder_list": ("stakeholders/stakeholder_list.html", StakeholderFilterSet),
    "stakeholders:action_list": ("stakeholders/action_list.html", ActionItemFilterSet),
    "reviews:review_list": ("reviews/review_list.html", ServiceReviewFilterSet),
    "portfolio:service_list": ("portfolio/service_list.html", ServiceFilterSet),
    "demands:demand_list": ("portfolio/demand_list.html", DemandFilterSet),
    "complaints:complaint_list": ("complaints/complaint_list.html", ComplaintFilterSet),
    "complaints:feedback_list": ("complaints/feedback_list.html", FeedbackFilterSet),
    "satisfaction:campaign_list": ("satisfaction/campaign_list.html", CampaignFilterSet),
}
# Query parameters a list reads besides its filters.
NOT_FILTERS = {"page", "page_size", "view", "next", "before", "ordering"}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_control_of_a_list_form_is_a_filter_of_its_filterset(name):
    template, filterset = LISTS[name]
    html = (TEMPLATES / template).read_text()
    form = html[html.index("<form") : html.index("</form>")]
    controls = set(re.findall(r'<(?:input|select)[^>]*\bname="([a-z_]+)"', form))
    assert controls - NOT_FILTERS <= set(filterset.base_filters), controls


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_link_into_a_list_uses_its_filters_names(name):
    _, filterset = LISTS[name]
    link = re.compile(r"\{% url '" + re.escape(name) + r"'[^%]*%\}\?([a-z_]+)=")
    used = {param for path in TEMPLATES.rglob("*.html") for param in link.findall(path.read_text())}
    assert used - NOT_FILTERS <= set(filterset.base_filters), used


def test_every_yes_no_filter_reads_1_and_on():
    for _, filterset in LISTS.values():
        for field, flt in filterset.base_filters.items():
            if isinstance(flt, BooleanFilter):
                assert isinstance(flt, FlagFilter), f"{filterset.__name__}.{field}"


# --- Behaviour: each filter's rows match its label -------------------------------------------


def _names(html: str, names: list[str]) -> set[str]:
    return {n for n in names if n in html}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1", "true", "on", "yes"])
def test_only_units_i_manage_lists_only_mine_and_ticks_the_box(client, brm, unit_a, unit_b, value):
    client.force_login(brm)
    html = client.get(f"/units/?mine={value}").content.decode()
    assert _names(html, ["Finance", "Operations"]) == {"Finance"}
    assert re.search(r'name="mine"[^>]*checked', html)


@pytest.mark.django_db
def test_all_units_when_the_box_is_not_ticked(client, brm, unit_a, unit_b):
    client.force_login(brm)
    html = client.get("/units/?mine=0").content.decode()
    assert _names(html, ["Finance", "Operations"]) == {"Finance", "Operations"}
    assert not re.search(r'name="mine"[^>]*checked', html)


@pytest.fixture
def surveys(db, brm, unit_a, unit_b):
    template = SurveyTemplateFactory.create(name="Built-in")
    now = timezone.now()

    def make(name, units, status, parent=None):
        campaign = Campaign.objects.create(
            template=template, name=name, owner=brm, status=status, parent=parent
        )
        campaign.units.set(units)
        return campaign

    series = make("Finance quarterly", [unit_a], "open")
    run = make("Finance quarterly Q3", [unit_a], "closed", parent=series)
    run.closed_at = now - timedelta(days=3)
    run.save()
    make("Operations check-in", [unit_b], "open")
    make("Operations draft", [unit_b], "draft")
    return series


@pytest.mark.django_db
def test_surveys_of_one_unit_list_only_that_units(client, executive, unit_a, surveys):
    client.force_login(executive)
    html = client.get(f"/surveys/?unit={unit_a.pk}").content.decode()
    names = ["Finance quarterly", "Operations check-in", "Operations draft"]
    assert _names(html, names) == {"Finance quarterly"}


@pytest.mark.django_db
def test_closed_surveys_include_a_series_whose_run_closed(client, executive, surveys):
    client.force_login(executive)
    html = client.get("/surveys/?status=closed").content.decode()
    assert "No surveys" not in html
    assert _names(html, ["Finance quarterly", "Operations check-in"]) == {"Finance quarterly"}


@pytest.mark.django_db
def test_draft_surveys_are_only_drafts(client, executive, surveys):
    client.force_login(executive)
    html = client.get("/surveys/?status=draft").content.decode()
    names = ["Finance quarterly", "Operations check-in", "Operations draft"]
    assert _names(html, names) == {"Operations draft"}


@pytest.mark.django_db
def test_a_leader_cannot_list_another_units_surveys(client, leader, unit_b, surveys):
    client.force_login(leader)
    html = client.get(f"/surveys/?unit={unit_b.pk}").content.decode()
    assert _names(html, ["Operations check-in", "Operations draft"]) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1", "true"])
def test_only_my_complaints_and_overdue_complaints(client, brm, unit_a, unit_b, value):
    ComplaintFactory.create(
        unit=unit_a, title="Mine overdue", resolve_by=timezone.now() - timedelta(days=2)
    )
    ComplaintFactory.create(
        unit=unit_b, title="Theirs overdue", resolve_by=timezone.now() - timedelta(days=2)
    )
    client.force_login(brm)
    names = ["Mine overdue", "Theirs overdue"]
    assert _names(client.get(f"/complaints/?mine={value}").content.decode(), names) == {
        "Mine overdue"
    }


@pytest.mark.django_db
def test_only_my_units_reviews(client, brm, unit_a, unit_b):
    ServiceReviewFactory.create(unit=unit_a, agenda="Finance agenda")
    ServiceReviewFactory.create(unit=unit_b, agenda="Operations agenda")
    client.force_login(brm)
    html = client.get("/reviews/?mine=1").content.decode()
    assert "Finance" in html
    assert not re.search(r"<td[^>]*>\s*<a[^>]*>Operations</a>", html)
    assert re.search(r'name="mine"[^>]*checked', html)


@pytest.mark.django_db
def test_only_overdue_promises(client, brm, unit_a):
    today = timezone.localdate()
    ActionItemFactory.create(unit=unit_a, title="Late promise", due_date=today - timedelta(days=3))
    ActionItemFactory.create(
        unit=unit_a, title="Future promise", due_date=today + timedelta(days=3)
    )
    client.force_login(brm)
    html = client.get("/commitments/?overdue=1&mine=0").content.decode()
    assert _names(html, ["Late promise", "Future promise"]) == {"Late promise"}
    assert re.search(r'name="overdue"[^>]*checked', html)
