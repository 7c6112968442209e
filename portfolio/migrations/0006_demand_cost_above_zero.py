"""A business case's estimated cost is absent or more than 0 (#11): the model validator
`validate_estimated_cost` and the CheckConstraint ``demand_cost_above_zero`` (it was ``>= 0``).
A 0 stored before this rule was never scored (it counted as not assessed), so it becomes
"not assessed" (NULL) here, which the new constraint allows."""

import django.db.models
from django.db import migrations, models

import portfolio.models.demand


def zero_cost_is_not_assessed(apps, schema_editor):
    Demand = apps.get_model("portfolio", "Demand")
    Demand.objects.filter(estimated_cost=0).update(estimated_cost=None, priority_score=None)


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0005_record_versions"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="demand",
            name="demand_cost_not_negative",
        ),
        migrations.RunPython(zero_cost_is_not_assessed, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="demand",
            name="estimated_cost",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="One-off, all in; more than 0.",
                max_digits=14,
                null=True,
                validators=[portfolio.models.demand.validate_estimated_cost],
            ),
        ),
        migrations.AlterField(
            model_name="historicaldemand",
            name="estimated_cost",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="One-off, all in; more than 0.",
                max_digits=14,
                null=True,
                validators=[portfolio.models.demand.validate_estimated_cost],
            ),
        ),
        migrations.AddConstraint(
            model_name="demand",
            constraint=models.CheckConstraint(
                condition=django.db.models.Q(
                    ("estimated_cost__isnull", True), ("estimated_cost__gt", 0), _connector="OR"
                ),
                name="demand_cost_above_zero",
            ),
        ),
    ]
