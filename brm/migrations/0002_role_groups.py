"""Create the role groups so a fresh install has them before anyone is assigned."""

from __future__ import annotations

from django.db import migrations

ROLE_GROUPS = ["BRM", "Business leader", "Executive", "Integration"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("brm", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
