"""The kernel becomes its own app: API tokens move here from `brm` in the migration state only; the
table keeps its name (`brm_apitoken`) and the content type moves with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="core", model="apitoken").delete()
    ContentType.objects.filter(app_label="brm", model="apitoken").update(app_label="core")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('brm', '0003_health'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='ApiToken',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('name', models.CharField(help_text="What uses this token, e.g. 'HR sync'.", max_length=100)),
                    ('key_id', models.CharField(editable=False, max_length=16, unique=True)),
                    ('secret_hash', models.CharField(editable=False, max_length=64)),
                    ('expires_at', models.DateTimeField(blank=True, null=True)),
                    ('revoked_at', models.DateTimeField(blank=True, null=True)),
                    ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'API token',
                    'db_table': 'brm_apitoken',
                    'ordering': ['-created_at'],
                },
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
