"""Upgrading keeps every row: the re-layering moved models between apps and links between tables.

`tests/test_deployment.py` applies the migrations from zero on the embedded SQLite default; this
module proves the upgrade path on PostgreSQL: a database at the state before the re-layering
(health models in the `brm` app, the register's promises pointing at reviews and plans by
foreign key) migrates forward with its rows, links, content types and permissions intact.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.slow

# The last migration of each app before the re-layering.
BEFORE = [
    ("brm", "0003_health"),
    ("stakeholders", "0003_actionitem_improvement_plan"),
    ("reviews", "0002_unplannedreviewnotice"),
    ("core", None),  # the apps the re-layering created did not exist yet
    ("health", None),
]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_it_upgrades_from_before_the_relayering_without_losing_a_row() -> None:
    executor = _executor()
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old = _executor().loader.project_state([(a, n) for a, n in BEFORE if n]).apps
        User = old.get_model("auth", "User")
        ContentType = old.get_model("contenttypes", "ContentType")
        Permission = old.get_model("auth", "Permission")
        brm = User.objects.create(username="brm")
        unit = old.get_model("stakeholders", "BusinessUnit").objects.create(
            name="Finance", code="fin", brm=brm
        )
        review = old.get_model("reviews", "ServiceReview").objects.create(
            unit=unit,
            scheduled_at="2026-11-02T10:00:00Z",
            period_start=date(2026, 8, 1),
            period_end=date(2026, 10, 31),
        )
        plan = old.get_model("brm", "ImprovementPlan").objects.create(unit=unit, reason="Red")
        snapshot_model = old.get_model("brm", "HealthSnapshot")
        snapshot_model.objects.create(unit=unit, as_of=date(2026, 11, 1), score=42.0, band="red")
        token_model = old.get_model("brm", "ApiToken")
        token_model.objects.create(user=brm, name="ITSM", key_id="abc", secret_hash="x" * 64)
        ActionItem = old.get_model("stakeholders", "ActionItem")
        due = date(2026, 12, 1)
        from_review = ActionItem.objects.create(
            unit=unit, title="Pack", due_date=due, review=review
        )
        from_plan = ActionItem.objects.create(
            unit=unit, title="Meet", due_date=due + timedelta(days=7), improvement_plan=plan
        )
        plain = ActionItem.objects.create(unit=unit, title="Call back", due_date=due)
        # Content types and permissions as `migrate` left them on the old code.
        plan_type = ContentType.objects.create(app_label="brm", model="improvementplan")
        token_type = ContentType.objects.create(app_label="brm", model="apitoken")
        permission = Permission.objects.create(
            content_type=plan_type, codename="change_improvementplan", name="Can change plan"
        )
        brm.user_permissions.add(permission)

        executor = _executor()
        executor.migrate(latest)
        new = _executor().loader.project_state(latest).apps

        plan_links = new.get_model("health", "PlanCommitment").objects.values_list(
            "plan_id", "commitment_id"
        )
        review_links = new.get_model("reviews", "ReviewCommitment").objects.values_list(
            "review_id", "commitment_id"
        )
        assert list(plan_links) == [(plan.pk, from_plan.pk)]
        assert list(review_links) == [(review.pk, from_review.pk)]
        items = new.get_model("stakeholders", "ActionItem").objects.order_by("pk")
        assert list(items.values_list("pk", flat=True)) == [from_review.pk, from_plan.pk, plain.pk]
        assert new.get_model("health", "ImprovementPlan").objects.get().reason == "Red"
        assert new.get_model("health", "HealthSnapshot").objects.get().score == 42.0
        assert new.get_model("core", "ApiToken").objects.get().name == "ITSM"
        NewContentType = new.get_model("contenttypes", "ContentType")
        assert NewContentType.objects.get(pk=plan_type.pk).app_label == "health"
        assert NewContentType.objects.get(pk=token_type.pk).app_label == "core"
        assert not NewContentType.objects.filter(app_label="brm").exists()
        # The permission kept its row and so every user or group that held it.
        kept = new.get_model("auth", "Permission").objects.get(pk=permission.pk)
        assert kept.content_type_id == plan_type.pk
        assert new.get_model("auth", "User").objects.get(pk=brm.pk).user_permissions.count() == 1
    finally:
        _executor().migrate(latest)
