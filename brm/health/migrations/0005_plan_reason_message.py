# Issue 17: a proposed plan stores its reason as a message id and parameters (rendered in the
# reader's language, brm.health.facts.plan_reason_text); existing plans keep their English reason.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('health', '0004_structured_facts'),
    ]

    operations = [
        migrations.AddField(
            model_name='improvementplan',
            name='reason_msg',
            field=models.CharField(blank=True, default='', max_length=40),
        ),
        migrations.AddField(
            model_name='improvementplan',
            name='reason_params',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
