"""A blank external id is stored as NULL (issue 12): the field becomes the kernel's
NullableUniqueCharField, and rows saved with "" before are set to NULL, so a second record
without an HR/CRM id no longer clashes on the unique index."""

from __future__ import annotations

from django.db import migrations

import brm.core.models.fields


def blank_to_null(apps, schema_editor):
    for name in ("Stakeholder", "HistoricalStakeholder"):
        model = apps.get_model("stakeholders", name)
        model.objects.filter(external_id__regex=r"^\s*$").update(external_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0007_record_versions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalstakeholder",
            name="external_id",
            field=brm.core.models.fields.NullableUniqueCharField(
                blank=True,
                db_index=True,
                help_text="Identifier in the HR or CRM system this record is synced from.",
                max_length=64,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="stakeholder",
            name="external_id",
            field=brm.core.models.fields.NullableUniqueCharField(
                blank=True,
                help_text="Identifier in the HR or CRM system this record is synced from.",
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.RunPython(blank_to_null, migrations.RunPython.noop),
    ]
