"""The register knows no workflow: the links to reviews and plans moved to those apps."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('stakeholders', '0003_actionitem_improvement_plan'),
        ('health', '0002_plancommitment'),
        ('reviews', '0003_reviewcommitment_servicereview_action_items'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='actionitem',
            name='improvement_plan',
        ),
        migrations.RemoveField(
            model_name='actionitem',
            name='review',
        ),
        migrations.RemoveField(
            model_name='historicalactionitem',
            name='improvement_plan',
        ),
        migrations.RemoveField(
            model_name='historicalactionitem',
            name='review',
        ),
    ]
