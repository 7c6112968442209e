"""One currency (issue 15): DemandSettings.currency goes; money everywhere is shown in
settings.BRM_CURRENCY (the BRM_CURRENCY environment variable, default EUR).

Backward compatibility, the cheap part: an installation whose demand settings named another
currency than BRM_CURRENCY is told, when this migration runs, which value to set.
"""

from django.conf import settings
from django.db import migrations


def warn_if_different(apps, schema_editor):
    row = apps.get_model("portfolio", "DemandSettings").objects.first()
    wanted = getattr(settings, "BRM_CURRENCY", "EUR")
    if row is not None and row.currency and row.currency.upper() != wanted:
        print(  # noqa: T201 - a migration's note to the operator
            f"\n  Demand settings used {row.currency.upper()}, the site shows {wanted}: "
            f"set BRM_CURRENCY={row.currency.upper()} to keep showing amounts in "
            f"{row.currency.upper()}."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0007_service_code"),
    ]

    operations = [
        migrations.RunPython(warn_if_different, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="demandsettings",
            name="currency",
        ),
    ]
