"""The models of `brm` now live in `brm.core` (API tokens) and `brm.health`; this app keeps only
their history. State only: the tables stay, owned by the new apps."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('brm', '0003_health'),
        ('core', '0001_initial'),
        ('health', '0001_initial'),
        ('stakeholders', '0004_remove_actionitem_improvement_plan_and_more'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.RemoveField(
                model_name='apitoken',
                name='user',
            ),
            migrations.DeleteModel(
                name='DigestLog',
            ),
            migrations.DeleteModel(
                name='HealthSettings',
            ),
            migrations.RemoveConstraint(
                model_name='healthsnapshot',
                name='health_one_snapshot_per_day',
            ),
            migrations.RemoveConstraint(
                model_name='improvementplan',
                name='one_active_plan_per_unit',
            ),
            migrations.RemoveConstraint(
                model_name='maturityassessment',
                name='maturity_level_1_5',
            ),
            migrations.DeleteModel(
                name='ApiToken',
            ),
            migrations.RemoveField(
                model_name='improvementplan',
                name='created_by',
            ),
            migrations.RemoveField(
                model_name='improvementplan',
                name='unit',
            ),
            migrations.RemoveField(
                model_name='maturityassessment',
                name='rated_by',
            ),
            migrations.RemoveField(
                model_name='maturityassessment',
                name='unit',
            ),
            migrations.DeleteModel(
                name='HealthSnapshot',
            ),
            migrations.DeleteModel(
                name='ImprovementPlan',
            ),
            migrations.DeleteModel(
                name='MaturityAssessment',
            ),
            ],
            database_operations=[],
        ),
    ]
