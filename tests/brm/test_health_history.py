"""Health history as it stood then, falls computed without stored snapshots, per-signal
watermelons (issue 11, "Health history")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from brm.health import components
from brm.health.dashboard import SPARKLINES_OF_WATERMELONS, _featured, featured_rows
from brm.health.demo import seed_health_demo
from brm.health.engine import compute_health, recompute_health
from brm.health.facts import watermelon_reason_text
from brm.health.models import COMPONENTS, HealthSettings, HealthSnapshot
from brm.health.selectors import latest_snapshots, score_history
from complaints.models import Complaint, ComplaintEvent, EventKind, Status
from stakeholders.models import ActionStatus
from tests.brm.health_fixtures import NOW, metrics, survey, texts
from tests.factories import (
    ActionItemFactory,
    BusinessUnitFactory,
    ComplaintFactory,
    InteractionFactory,
    ServiceReviewFactory,
    StakeholderFactory,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _complaint(unit, severity: str, filed: datetime, *, ack_hours: int, resolve_hours: int):
    """A complaint filed at `filed` with its "filed" event and deadlines, as the service files."""
    complaint = ComplaintFactory.create(
        unit=unit,
        severity=severity,
        acknowledge_by=filed + timedelta(hours=ack_hours),
        resolve_by=filed + timedelta(hours=resolve_hours),
    )
    Complaint.objects.filter(pk=complaint.pk).update(created_at=filed)
    ComplaintEvent.objects.create(
        complaint=complaint, kind=EventKind.FILED, to_status=Status.RECEIVED, created_at=filed
    )
    return complaint


def _move(complaint, source: str, target: str, at: datetime, **fields) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=EventKind.TRANSITION,
        from_status=source,
        to_status=target,
        created_at=at,
    )
    Complaint.objects.filter(pk=complaint.pk).update(status=target, **fields)


def _escalate(complaint, level: int, at: datetime) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint, kind=EventKind.ESCALATION, level=level, created_at=at
    )
    Complaint.objects.filter(pk=complaint.pk).update(escalation_level=level)


# --- History means as it stood then -------------------------------------------------------------


def test_a_back_filled_history_counts_only_the_complaints_open_on_each_date():
    unit = BusinessUnitFactory.create()
    # A, medium: filed 40 days ago (resolve within 5 days), acknowledged the next day, resolved
    # 20 days ago and closed 18 days ago.
    a = _complaint(unit, "medium", ago(40), ack_hours=8, resolve_hours=120)
    _move(a, Status.RECEIVED, Status.ACKNOWLEDGED, ago(39), acknowledged_at=ago(39))
    _move(a, Status.ACKNOWLEDGED, Status.RESOLVED, ago(20), resolved_at=ago(20))
    _move(a, Status.RESOLVED, Status.CLOSED, ago(18), closed_at=ago(18))
    # B, high: filed 10 days ago, never acknowledged, escalated to level 1 then 2.
    b = _complaint(unit, "high", ago(10), ack_hours=4, resolve_hours=48)
    _escalate(b, 1, ago(9))
    _escalate(b, 2, ago(8))

    for when in (ago(45), ago(30), ago(15), ago(8.5), NOW):
        recompute_health(when, propose=False)
    history = {s.as_of: s for s in HealthSnapshot.objects.filter(unit=unit)}

    # 45 days ago nothing had been filed: no complaint data (not 100, not a negative age).
    assert history[ago(45).date()].complaints is None
    # 30 days ago A was open for 10 days and past its resolve-by: 8 * (1 + 10/30) + 10.
    then = history[ago(30).date()]
    assert then.complaints == round(100 - (8 * (1 + 10 / 30) + 10), 1) == 79.3
    rows = {r["key"]: r for r in then.components}
    assert "1 medium complaint open for 10 days" in texts(rows["complaints"]["facts"])
    assert "1 past the acknowledge or resolve deadline" in texts(rows["complaints"]["facts"])
    # 15 days ago A was closed and B not yet filed.
    assert history[ago(15).date()].complaints == 100.0
    # Eight and a half days ago B was a day old, past acknowledge-by, at level 1 only:
    # 15 * (1 + 1/30) + 10 + 5 * 1.
    assert history[ago(8.5).date()].complaints == 69.5
    # Today B is 10 days old at level 2: 15 * (1 + 10/30) + 10 + 5 * 2.
    assert history[NOW.date()].complaints == 60.0


def test_a_reopened_complaint_is_open_again_with_only_its_new_cycles_escalations():
    unit = BusinessUnitFactory.create()
    c = _complaint(unit, "low", ago(60), ack_hours=24, resolve_hours=240)
    _escalate(c, 1, ago(55))  # first cycle
    _move(c, Status.RECEIVED, Status.RESOLVED, ago(50), resolved_at=ago(50))
    # Reopened 40 days ago with a fresh resolve-by (the stored one now).
    _move(c, Status.RESOLVED, Status.INVESTIGATING, ago(40), resolved_at=None, resolve_by=ago(30))
    cfg = HealthSettings.get()
    first_cycle = components.complaints(ago(54), cfg)[unit.pk]
    # 6 days old, received, past acknowledge-by, level 1: 4 * (1 + 6/30) + 10 + 5.
    assert first_cycle.value == round(100 - (4 * 1.2 + 10 + 5), 1)
    assert first_cycle.data == {"open": 1, "overdue": 1, "escalated": 1}
    assert components.complaints(ago(45), cfg)[unit.pk].data["open"] == 0  # resolved then
    reopened = components.complaints(ago(35), cfg)[unit.pk]
    # Open again, 25 days old, resolve-by ahead, the first cycle's escalation not counted.
    assert reopened.data == {"open": 1, "overdue": 0, "escalated": 0}
    assert reopened.value == round(100 - 4 * (1 + 25 / 30), 1)


def test_a_past_date_counts_contacts_and_reviews_before_it_only():
    with time_machine.travel(ago(400), tick=False):
        unit = BusinessUnitFactory.create(review_cadence_days=90)
    person = StakeholderFactory.create(unit=unit, name="Key Person", influence=5, interest=5)
    for days in (100, 5):
        InteractionFactory.create(unit=unit, occurred_at=ago(days)).attendees.add(person)
    for days in (200, 10):
        ServiceReviewFactory.create(
            unit=unit, status="held", scheduled_at=ago(days), held_at=ago(days)
        )
    cfg = HealthSettings.get()
    today = components.engagement(NOW, cfg)[unit.pk]
    assert today.value == 100.0
    then = components.engagement(ago(20), cfg)[unit.pk]
    # 20 days ago: last met 80 days before (expected every 30), last review held 180 days
    # before (due 90 days earlier, 100 - 100 * 90/90 = 0).
    assert "Key Person not met for 80 days (expected every 30 days)" in texts(then.facts)
    assert "Service review overdue by 90 days" in texts(then.facts)
    assert then.value == 0.0


def test_a_past_date_sees_promises_done_later_as_open_or_overdue_then():
    unit = BusinessUnitFactory.create()
    due = ago(20).date()
    ActionItemFactory.create(
        unit=unit, due_date=due, status=ActionStatus.DONE, completed_at=ago(25)
    )  # kept on time
    ActionItemFactory.create(
        unit=unit, due_date=due, status=ActionStatus.DONE, completed_at=ago(5)
    )  # done late, 5 days ago
    cfg = HealthSettings.get()
    then = components.commitments(ago(10), cfg)[unit.pk]
    assert then.data | {} == {
        "due": 2,
        "on_time": 1,
        "late": 0,
        "dropped": 0,
        "overdue": 1,
        "open": 0,
    }
    assert "1 overdue" in texts(then.facts)
    today = components.commitments(NOW, cfg)[unit.pk]
    assert (today.data["late"], today.data["overdue"]) == (1, 0)


def test_every_component_of_the_demo_history_is_within_0_and_100():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", verbosity=0)
        if not HealthSnapshot.objects.exists():
            seed_health_demo()
    snapshots = list(HealthSnapshot.objects.all())
    assert len(snapshots) > 100
    outside = [
        (s.unit_id, s.as_of, name, getattr(s, name))
        for s in snapshots
        for name in COMPONENTS
        if getattr(s, name) is not None and not 0 <= getattr(s, name) <= 100
    ]
    assert outside == []
    assert all(s.score is None or 0 <= s.score <= 100 for s in snapshots)


def test_the_dashboards_sparklines_are_the_score_history_of_the_units_featured(
    executive, django_assert_num_queries
):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", verbosity=0)
        if not HealthSnapshot.objects.exists():
            seed_health_demo()
        latest = latest_snapshots(executive)
        with django_assert_num_queries(1):  # the rows with their points (role read above)
            watermelons, drops = featured_rows(executive)  # the fixed SQL
        # The same rows as the ORM's query picks and reads (what a scoped reader gets).
        assert (watermelons, drops) == featured_rows(executive, _featured(latest))
        full = {s.pk: s for s in latest}
        assert watermelons and drops
        drawn = watermelons[:SPARKLINES_OF_WATERMELONS] + drops
        histories = score_history([row["unit_id"] for row in drawn])
        for row in watermelons + drops:
            expected = histories.get(row["unit_id"]) if row in drawn else None
            assert row["points"] == expected
            assert row["reason"] == watermelon_reason_text(full[row["pk"]])


# --- The fall rule and the trend need no stored snapshot -------------------------------------


def test_a_fresh_installation_flags_a_falling_unit_on_its_first_recompute():
    unit = BusinessUnitFactory.create()
    metrics(unit, met=4, missed=0)
    for days in (150, 140, 130):
        InteractionFactory.create(unit=unit, occurred_at=ago(days), sentiment=2)
    for days in (30, 20, 10, 5):
        InteractionFactory.create(unit=unit, occurred_at=ago(days), sentiment=0 if days < 25 else 2)
    assert not HealthSnapshot.objects.exists()
    recompute_health(NOW, propose=False)
    snap = HealthSnapshot.objects.get(unit=unit)
    # Previous window: +2 (100); this one: (2 + 0 + 0 + 0) / 4 = 0.5 -> 62.5.
    assert snap.perception == 62.5
    assert snap.perception_change == -37.5
    assert snap.watermelon is True
    assert "How the business feels fell 38 points" in snap.watermelon_reason
    assert "Meeting sentiment fell 38 points (from 100 to 62 of 100)" in snap.watermelon_reason


# --- A steep fall of one signal is enough ------------------------------------------------------


def _steady_meetings(unit) -> None:
    for days in (170, 150, 120, 60, 40, 20):
        InteractionFactory.create(unit=unit, occurred_at=ago(days), sentiment=1)


def test_a_steep_csat_fall_alone_flags_a_watermelon_and_says_which_signal_fell():
    unit = BusinessUnitFactory.create()
    metrics(unit, met=4, missed=0)
    _steady_meetings(unit)
    survey(unit, [(5, None), (4, None), (5, None), (4, None)], at=ago(120))  # CSAT 4.5
    survey(unit, [(4, None), (4, None), (4, None), (3, None), (3, None)])  # CSAT 3.6
    health = {h.unit_id: h for h in compute_health(NOW)}[unit.pk]
    perception = health.components["perception"]
    # The blend moves by only about 14 points (surveys 87.5 -> 65, sentiment steady at 75) ...
    assert perception.value == 68.8
    assert perception.data["previous"] == 82.8
    assert health.perception_change == -14.0  # not more than 15: the blend alone would not warn
    # ... but survey satisfaction alone fell by 22.5 points on 4 and 5 answers.
    assert health.watermelon is True
    assert health.watermelon_reason == (
        "Survey satisfaction fell 22 points (from 88 to 65 of 100) against the previous 90 days"
    )
    assert "CSAT 3.6 (down from 4.5) from 5 survey responses" in texts(perception.facts)
    assert any(
        f.startswith("Watermelon (SLAs green): Survey satisfaction")
        for f in texts(perception.facts)
    )


def test_a_fall_in_complaint_resolution_ratings_flags_a_watermelon():
    unit = BusinessUnitFactory.create()
    metrics(unit, met=4, missed=0)
    _steady_meetings(unit)
    # 4.67 -> 3.67 of 5: 25 points on the ratings' scale, 10 on the blend.
    for days, rating in ((150, 5), (140, 5), (130, 4), (30, 4), (20, 4), (10, 3)):
        ComplaintFactory.create(
            unit=unit, status="closed", resolution_rating=rating, rated_at=ago(days)
        )
    health = {h.unit_id: h for h in compute_health(NOW)}[unit.pk]
    assert health.watermelon is True
    assert health.perception_change == -10.0
    assert health.watermelon_reason == (
        "Complaint-resolution ratings fell 25 points (from 92 to 67 of 100) against the previous "
        "90 days"
    )


def test_a_fall_on_too_few_answers_does_not_warn():
    cfg = HealthSettings.get()
    cfg.watermelon_min_answers = 5
    cfg.save()
    unit = BusinessUnitFactory.create()
    metrics(unit, met=4, missed=0)
    _steady_meetings(unit)
    survey(unit, [(5, None), (4, None), (5, None), (4, None)], at=ago(120))
    survey(unit, [(4, None), (4, None), (4, None), (3, None), (3, None)])
    health = {h.unit_id: h for h in compute_health(NOW)}[unit.pk]
    assert health.watermelon is False  # 4 answers before: not enough to call it a fall


def test_a_steep_fall_with_red_delivery_is_no_watermelon():
    unit = BusinessUnitFactory.create()
    metrics(unit, met=1, missed=3)
    survey(unit, [(5, None), (4, None), (5, None), (4, None)], at=ago(120))
    survey(unit, [(4, None), (4, None), (4, None), (3, None), (3, None)])
    health = {h.unit_id: h for h in compute_health(NOW)}[unit.pk]
    assert health.watermelon is False
    assert health.watermelon_reason == ""
