"""Improvement-plan actions are linked from here, so the register holds no key to health."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    ActionItem = apps.get_model("stakeholders", "ActionItem")
    PlanCommitment = apps.get_model("health", "PlanCommitment")
    PlanCommitment.objects.bulk_create(
        PlanCommitment(plan_id=plan_id, commitment_id=pk)
        for pk, plan_id in ActionItem.objects.filter(improvement_plan__isnull=False)
        .values_list("pk", "improvement_plan_id")
        .iterator()
    )


def copy_back(apps, schema_editor):
    ActionItem = apps.get_model("stakeholders", "ActionItem")
    PlanCommitment = apps.get_model("health", "PlanCommitment")
    for link in PlanCommitment.objects.all().iterator():
        ActionItem.objects.filter(pk=link.commitment_id).update(improvement_plan_id=link.plan_id)


class Migration(migrations.Migration):

    dependencies = [
        ('health', '0001_initial'),
        ('stakeholders', '0003_actionitem_improvement_plan'),
    ]

    operations = [
        migrations.CreateModel(
            name='PlanCommitment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('commitment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='plan_link', to='stakeholders.actionitem')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commitment_links', to='health.improvementplan')),
            ],
            options={
                'verbose_name': 'improvement-plan action',
            },
        ),
        migrations.AddField(
            model_name='improvementplan',
            name='actions',
            field=models.ManyToManyField(blank=True, related_name='+', through='health.PlanCommitment', to='stakeholders.actionitem'),
        ),
        migrations.RunPython(copy_links, copy_back),
    ]
