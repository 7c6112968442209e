from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import time_machine

from reviews import services
from reviews.models import ReviewSettings, ReviewStatus, ServiceReview
from tests.factories import ServiceFactory, ServiceMetricFactory, ServiceReviewFactory
from tests.reviews.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def review(unit_a, brm, cfo, email_service):
    return services.plan_review(
        unit_a, actor=brm, scheduled_at=NOW + timedelta(days=7), attendees=[cfo]
    )


@pytest.fixture
def held(unit_a, brm, email_service):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        review = services.plan_review(
            unit_a,
            actor=brm,
            scheduled_at=NOW - timedelta(hours=2),
            period_start=date(2026, 8, 1),
            period_end=date(2026, 10, 31),
        )
    services.add_commitment(
        review, services.CommitmentSpec("Send the capacity plan", date(2026, 12, 20)), actor=brm
    )
    return services.hold_review(review, actor=brm, minutes="We agreed to add capacity.")[0]


def test_it_sends_anonymous_users_to_log_in(client, review):
    response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("brm", 200), ("other_brm", 200), ("executive", 200), ("leader", 200), ("leader_b", 404)],
)
def test_it_scopes_the_review_page(client, request, review, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/reviews/{review.pk}/").status_code == expected


def test_it_shows_a_leader_the_minutes_and_the_promises_it_made(client, leader, held):
    client.force_login(leader)
    page = client.get(f"/reviews/{held.pk}/").content.decode()
    assert "We agreed to add capacity." in page
    assert "Send the capacity plan" in page
    assert "Promises made at this review" in page
    assert 'id="minutes-form"' not in page  # read only


def test_it_refuses_a_leader_editing_a_held_review(client, leader, held):
    client.force_login(leader)
    response = client.post(f"/reviews/{held.pk}/minutes/", {"minutes": "Rewritten"})
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.minutes == "We agreed to add capacity."


def test_it_refuses_a_brm_of_another_unit(client, other_brm, review):
    client.force_login(other_brm)
    assert client.post(f"/reviews/{review.pk}/hold/").status_code == 403
    assert client.get(f"/reviews/new/?unit={review.unit_id}").status_code == 403


def test_it_shows_the_frozen_pack_of_a_held_review(client, brm, held, email_service):
    email_service.metrics.update(availability=10)
    client.force_login(brm)
    page = client.get(f"/reviews/{held.pk}/").content.decode()
    assert "99.500 %" in page  # (99.9 + 99.1) / 2, as presented at the review
    assert 'data-chart="availability"' in page


def test_it_plans_a_review_from_the_form(client, brm, unit_a, cfo, email_service):
    client.force_login(brm)
    assert client.get(f"/reviews/new/?unit={unit_a.pk}").status_code == 200
    response = client.post(
        f"/reviews/new/?unit={unit_a.pk}",
        {
            "scheduled_at": "2026-12-01T10:00",
            "duration_minutes": 60,
            "attendees": [cfo.pk],
            "services": [email_service.pk],
            "agenda": "Quarterly",
        },
    )
    review = ServiceReview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{review.pk}/"
    assert list(review.attendees.all()) == [cfo]


def test_it_keeps_input_and_shows_an_error_for_a_review_in_the_past(client, brm, unit_a):
    client.force_login(brm)
    response = client.post(
        f"/reviews/new/?unit={unit_a.pk}",
        {"scheduled_at": "2026-11-01T10:00", "duration_minutes": 60, "agenda": "Keep me"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A review is planned for a time in the future." in page
    assert "Keep me" in page
    assert not ServiceReview.objects.exists()


def test_it_marks_a_review_held_and_plans_the_next(client, brm, unit_a):
    review = ServiceReviewFactory.create(unit=unit_a, scheduled_at=NOW - timedelta(hours=1))
    client.force_login(brm)
    response = client.post(
        f"/reviews/{review.pk}/hold/", {"minutes": "Good review", "outcome": "On track"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.minutes) == (ReviewStatus.HELD, "Good review")
    assert ServiceReview.objects.filter(unit=unit_a, status=ReviewStatus.PLANNED).count() == 1


def test_it_saves_minutes_in_place_with_htmx(client, brm, review):
    client.force_login(brm)
    response = client.post(
        f"/reviews/{review.pk}/minutes/",
        {"minutes": "Draft notes", "outcome": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="minutes"' in page
    assert "Minutes saved." in page


def test_it_adds_a_commitment_with_htmx_and_shows_errors_in_place(client, brm, review):
    client.force_login(brm)
    bad = client.post(
        f"/reviews/{review.pk}/commitments/",
        {"c-title": "No date", "c-owner_side": "it"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400
    assert "A commitment needs a due date." in bad.content.decode()
    ok = client.post(
        f"/reviews/{review.pk}/commitments/",
        {"c-title": "Ship it", "c-owner_side": "it", "c-due_date": "2026-12-10"},
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 200
    assert "commitmentChanged" in ok["HX-Trigger"]
    assert review.action_items.get().title == "Ship it"


def test_it_raises_a_change_with_htmx(client, brm, review, email_service):
    client.force_login(brm)
    response = client.post(
        f"/reviews/{review.pk}/changes/",
        {"kind": "scope", "service": email_service.pk, "title": "Add shared mailboxes"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Add shared mailboxes" in response.content.decode()


def test_it_serves_the_ics_download(client, leader, review):
    client.force_login(leader)
    response = client.get(f"/reviews/{review.pk}/invite.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert b"ATTENDEE;" in response.content


def test_it_flags_overdue_reviews_and_units_on_the_brms_page(client, brm, unit_a):
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        services.plan_review(unit_a, actor=brm, scheduled_at=NOW - timedelta(days=5))
    client.force_login(brm)
    page = client.get("/reviews/").content.decode()
    assert "1 review overdue" in page
    page = client.get("/reviews/?view=overdue").content.decode()
    assert "Overdue" in page


def test_it_flags_a_unit_whose_review_is_due_but_not_planned(client, brm, unit_a):
    unit_a.__class__.objects.filter(pk=unit_a.pk).update(created_at=NOW - timedelta(days=200))
    client.force_login(brm)
    page = client.get("/reviews/").content.decode()
    assert "Overdue, not planned" in page
    assert f"/reviews/new/?unit={unit_a.pk}" in page


def test_it_shows_the_month_view(client, brm, review):
    client.force_login(brm)
    page = client.get("/reviews/calendar/?month=2026-12").content.decode()
    assert "December 2026" in page
    assert review.get_absolute_url() in page
    assert client.get("/reviews/calendar/?month=bad").status_code == 200


def test_it_renders_the_list_fragment_for_htmx(client, brm, review):
    client.force_login(brm)
    response = client.get("/reviews/?view=all", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="review-results"' in page


def _reviews(unit, n):
    for i in range(n):
        r = ServiceReviewFactory.create(unit=unit, scheduled_at=NOW + timedelta(days=i + 1))
        r.services.set(unit.services.all())


def test_it_lists_reviews_in_a_fixed_number_of_queries(
    client, brm, unit_a, email_service, django_assert_num_queries
):
    client.force_login(brm)
    client.get("/reviews/")
    # session, user with their role, count, review settings, unit schedule (which rows the BRM
    # may plan for read from the rows), overdue count, units for the filter, page of reviews,
    # their services (prefetch)
    _reviews(unit_a, 5)
    with django_assert_num_queries(9):
        assert client.get("/reviews/?page_size=100").status_code == 200
    _reviews(unit_a, 45)
    with django_assert_num_queries(9):
        response = client.get("/reviews/?page_size=100")
    assert response.content.decode().count('class="badge tone-') == 50


def test_it_shows_the_pack_page_in_a_fixed_number_of_queries(
    client, brm, unit_a, django_assert_num_queries
):
    def build(n):
        services_ = [ServiceFactory.create(consumers=[unit_a]) for _ in range(n)]
        for s in services_:
            for month in (9, 10):
                ServiceMetricFactory.create(
                    service=s,
                    period_start=date(2026, month, 1),
                    period_end=date(2026, month, 28),
                )
        return ServiceReviewFactory.create(
            unit=unit_a, period_start=date(2026, 8, 1), period_end=date(2026, 10, 31)
        )

    client.force_login(brm)
    small = build(2)
    small.services.set(unit_a.services.all())
    client.get(f"/reviews/{small.pk}/")
    # session, user with their role, review with unit and BRMs, covered services (read once: the
    # pack uses them too), pack aggregates, pack trend, attendees, IT attendees, history, unit
    # for history labels, review settings, commitments, change requests, the choices of the
    # forms: IT people, stakeholders, services for a change, and the review's files
    with django_assert_num_queries(17) as small_ctx:
        client.get(f"/reviews/{small.pk}/")
    big = build(10)
    big.services.set(unit_a.services.all())
    with django_assert_num_queries(len(small_ctx.captured_queries)):
        client.get(f"/reviews/{big.pk}/")


# --- Overdue: one rule for the badge, the banner and the tab ----------------------------------


def _slipped(unit, brm, hours_ago):
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        return services.plan_review(
            unit, actor=brm, scheduled_at=NOW - timedelta(hours=hours_ago), location="Room 4"
        )


def test_it_shows_no_overdue_badge_within_the_grace_days(client, brm, unit_a):
    _slipped(unit_a, brm, hours_ago=12)  # past its time, but the grace is one day
    client.force_login(brm)
    page = client.get("/reviews/?view=all").content.decode()
    assert 'id="overdue-alert"' not in page
    assert '<span class="badge text-bg-danger">Overdue</span>' not in page
    assert len(_csv(client.get("/reviews/export.csv?view=overdue"))) == 1  # the header only


def test_it_agrees_on_overdue_in_the_badge_the_banner_and_the_tab(client, brm, unit_a):
    _slipped(unit_a, brm, hours_ago=50)
    settings_ = ReviewSettings.get()
    settings_.overdue_grace_days = 3
    settings_.save()
    client.force_login(brm)
    page = client.get("/reviews/?view=all").content.decode()
    assert 'id="overdue-alert"' not in page
    assert '<span class="badge text-bg-danger">Overdue</span>' not in page
    assert "No reviews here" in client.get("/reviews/?view=overdue").content.decode()
    settings_.overdue_grace_days = 2
    settings_.save()
    page = client.get("/reviews/?view=all").content.decode()
    assert "1 review overdue" in page
    assert page.count('<span class="badge text-bg-danger">Overdue</span>') == 1
    page = client.get("/reviews/?view=overdue").content.decode()
    assert page.count('<span class="badge text-bg-danger">Overdue</span>') == 1


# --- CSV export -------------------------------------------------------------------------------


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body)))


def test_it_exports_the_reviews_as_csv_with_the_lists_filters(client, brm, unit_a, email_service):
    services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=3))
    _slipped(unit_a, brm, hours_ago=50)
    client.force_login(brm)
    rows = _csv(client.get("/reviews/export.csv?view=all"))
    assert rows[0][:6] == [
        "Id",
        "When",
        "Business unit",
        "Relationship manager",
        "Status",
        "Overdue",
    ]
    assert len(rows) == 3
    assert [r[5] for r in rows[1:]] == ["no", "yes"]  # newest first, as on the page
    assert rows[1][6] == "Email"
    rows = _csv(client.get("/reviews/export.csv?view=overdue"))
    assert len(rows) == 2 and rows[1][2] == "Finance"


def test_it_neutralises_formulas_in_the_csv(client, brm, unit_a):
    review = services.plan_review(unit_a, actor=brm, scheduled_at=NOW + timedelta(days=3))
    ServiceReview.objects.filter(pk=review.pk).update(location='=HYPERLINK("http://x")')
    client.force_login(brm)
    rows = _csv(client.get("/reviews/export.csv"))
    assert rows[1][9] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize(("persona", "rows"), [("leader", 1), ("leader_b", 0), ("executive", 1)])
def test_it_scopes_the_csv_to_what_the_user_may_see(client, request, review, persona, rows):
    client.force_login(request.getfixturevalue(persona))
    assert len(_csv(client.get("/reviews/export.csv?view=all"))) == 1 + rows


def test_it_refuses_a_csv_filter_by_another_units_id(client, leader_b, review, unit_a):
    client.force_login(leader_b)
    assert client.get(f"/reviews/export.csv?unit={unit_a.pk}").status_code == 400


def test_it_links_the_csv_with_the_current_filters(client, brm, review):
    client.force_login(brm)
    page = client.get("/reviews/?view=all&search=fin").content.decode()
    assert 'href="/reviews/export.csv?view=all&amp;search=fin"' in page
    fragment = client.get("/reviews/?view=held", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-swap-oob="true"' in fragment and "export.csv?view=held" in fragment


def test_it_exports_in_a_fixed_number_of_queries(
    client, brm, unit_a, email_service, django_assert_num_queries
):
    client.force_login(brm)
    _csv(client.get("/reviews/export.csv"))  # creates the settings row
    # session, user with their role, review settings, the reviews (server-side cursor), their
    # services (one prefetch per chunk of 500)
    _reviews(unit_a, 5)
    with django_assert_num_queries(5):
        assert len(_csv(client.get("/reviews/export.csv?view=all"))) == 6
    _reviews(unit_a, 45)
    with django_assert_num_queries(5):
        assert len(_csv(client.get("/reviews/export.csv?view=all"))) == 51


def test_it_sends_a_plan_request_without_a_valid_unit_to_the_schedule(client, brm):
    client.force_login(brm)
    for query in ("", "?unit=abc", "?unit=-1"):
        response = client.get(f"/reviews/new/{query}")
        assert response.status_code == 302 and response.url.endswith("#unit-schedule")
