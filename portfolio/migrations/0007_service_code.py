"""A natural key for services (bulk import, exports): `code`, unique when given, blank as NULL.

Existing services get a code made from their name (slugified, made unique with a number), so
every stored service can be named in an import file from the start.
"""

import django.core.validators
from django.db import migrations
from django.utils.text import slugify

import brm.core.models.fields

MAX_LENGTH = 40


def fill_codes(apps, schema_editor):
    Service = apps.get_model("portfolio", "Service")
    HistoricalService = apps.get_model("portfolio", "HistoricalService")
    taken = set(Service.objects.exclude(code=None).values_list("code", flat=True))
    for service in Service.objects.filter(code=None).order_by("pk"):
        base = slugify(service.name)[:MAX_LENGTH] or f"service-{service.pk}"
        code, n = base, 1
        while code in taken:
            n += 1
            suffix = f"-{n}"
            code = base[: MAX_LENGTH - len(suffix)] + suffix
        taken.add(code)
        # update(): a back-fill, not anyone's edit (no new version, no history row).
        Service.objects.filter(pk=service.pk).update(code=code)
        HistoricalService.objects.filter(id=service.pk).update(code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0006_demand_cost_above_zero"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalservice",
            name="code",
            field=brm.core.models.fields.NullableUniqueCharField(
                blank=True,
                db_index=True,
                help_text="Short code, e.g. 'email' (letters, digits, - and _).",
                max_length=40,
                null=True,
                validators=[django.core.validators.validate_slug],
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="code",
            field=brm.core.models.fields.NullableUniqueCharField(
                blank=True,
                help_text="Short code, e.g. 'email' (letters, digits, - and _).",
                max_length=40,
                null=True,
                unique=True,
                validators=[django.core.validators.validate_slug],
            ),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
    ]
