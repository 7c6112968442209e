"""Relationship health becomes its own app: its models move here from `brm` in the migration
state only. The tables keep their names (`brm_*`, see each model's `db_table`), so no row moves;
content types and their permissions are carried over to the new app label."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["digestlog", "healthsettings", "healthsnapshot", "improvementplan", "maturityassessment"]


def move_content_types(apps, schema_editor):
    """Keep each model's content type (and so its permissions and admin log) under the new label."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="health", model__in=MOVED).delete()
    ContentType.objects.filter(app_label="brm", model__in=MOVED).update(app_label="health")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('brm', '0003_health'),
        ('stakeholders', '0003_actionitem_improvement_plan'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='DigestLog',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('week_start', models.DateField(unique=True)),
                    ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ('recipients', models.PositiveIntegerField(default=0)),
                ],
                options={
                    'db_table': 'brm_digestlog',
                },
            ),
            migrations.CreateModel(
                name='HealthSettings',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('weight_perception', models.PositiveSmallIntegerField(default=30, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('weight_delivery', models.PositiveSmallIntegerField(default=20, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('weight_complaints', models.PositiveSmallIntegerField(default=20, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('weight_engagement', models.PositiveSmallIntegerField(default=15, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('weight_commitments', models.PositiveSmallIntegerField(default=15, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('green_from', models.PositiveSmallIntegerField(default=70, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('amber_from', models.PositiveSmallIntegerField(default=50, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('watermelon_delivery_from', models.PositiveSmallIntegerField(default=80, help_text='Delivery at or above this counts as green.', validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('watermelon_perception_below', models.PositiveSmallIntegerField(default=50, help_text='Perception below this counts as red.', validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('watermelon_perception_drop', models.PositiveSmallIntegerField(default=15, help_text='A fall of more than this many points in 30 days.', validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)])),
                    ('window_days', models.PositiveSmallIntegerField(default=90, help_text='How far back surveys, SLA periods, sentiment and commitments count.', validators=[django.core.validators.MinValueValidator(14), django.core.validators.MaxValueValidator(730)])),
                    ('contact_days_manage', models.PositiveSmallIntegerField(default=30)),
                    ('contact_days_satisfy', models.PositiveSmallIntegerField(default=60)),
                    ('contact_days_inform', models.PositiveSmallIntegerField(default=60)),
                    ('contact_days_monitor', models.PositiveSmallIntegerField(default=120)),
                ],
                options={
                    'verbose_name': 'health settings',
                    'verbose_name_plural': 'health settings',
                    'db_table': 'brm_healthsettings',
                },
            ),
            migrations.CreateModel(
                name='ImprovementPlan',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('status', models.CharField(choices=[('active', 'Active'), ('completed', 'Completed'), ('abandoned', 'Abandoned')], default='active', max_length=10)),
                    ('reason', models.TextField(max_length=2000)),
                    ('score_at_start', models.FloatField(blank=True, null=True)),
                    ('closed_at', models.DateTimeField(blank=True, null=True)),
                    ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='improvement_plans', to='stakeholders.businessunit')),
                ],
                options={
                    'db_table': 'brm_improvementplan',
                    'ordering': ['-created_at'],
                },
            ),
            migrations.CreateModel(
                name='HealthSnapshot',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('as_of', models.DateField(db_index=True)),
                    ('score', models.FloatField(blank=True, null=True)),
                    ('band', models.CharField(choices=[('green', 'Green'), ('amber', 'Amber'), ('red', 'Red'), ('none', 'No data')], default='none', max_length=5)),
                    ('perception', models.FloatField(blank=True, null=True)),
                    ('delivery', models.FloatField(blank=True, null=True)),
                    ('complaints', models.FloatField(blank=True, null=True)),
                    ('engagement', models.FloatField(blank=True, null=True)),
                    ('commitments', models.FloatField(blank=True, null=True)),
                    ('trend', models.FloatField(blank=True, help_text='Score change against 30 days earlier.', null=True)),
                    ('perception_change', models.FloatField(blank=True, null=True)),
                    ('watermelon', models.BooleanField(db_index=True, default=False)),
                    ('components', models.JSONField(default=list)),
                    ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='health_snapshots', to='stakeholders.businessunit')),
                ],
                options={
                    'db_table': 'brm_healthsnapshot',
                    'ordering': ['-as_of', 'unit'],
                    'constraints': [models.UniqueConstraint(fields=('unit', 'as_of'), name='health_one_snapshot_per_day')],
                },
            ),
            migrations.CreateModel(
                name='MaturityAssessment',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('side', models.CharField(choices=[('it', 'IT (the BRM)'), ('business', "Business (the unit's leader)")], max_length=10)),
                    ('level', models.PositiveSmallIntegerField(choices=[(1, 'Ad hoc'), (2, 'Order taker'), (3, 'Service provider'), (4, 'Trusted advisor'), (5, 'Strategic partner')])),
                    ('comment', models.TextField(blank=True, max_length=2000)),
                    ('rated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='maturity_assessments', to='stakeholders.businessunit')),
                ],
                options={
                    'db_table': 'brm_maturityassessment',
                    'ordering': ['-created_at'],
                    'constraints': [models.CheckConstraint(condition=models.Q(('level__gte', 1), ('level__lte', 5)), name='maturity_level_1_5')],
                },
            ),
            migrations.AddConstraint(
                model_name='improvementplan',
                constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('unit',), name='one_active_plan_per_unit'),
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
