"""Commitments made at a review are linked from here, so the register holds no key to reviews."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    ActionItem = apps.get_model("stakeholders", "ActionItem")
    ReviewCommitment = apps.get_model("reviews", "ReviewCommitment")
    ReviewCommitment.objects.bulk_create(
        ReviewCommitment(review_id=review_id, commitment_id=pk)
        for pk, review_id in ActionItem.objects.filter(review__isnull=False)
        .values_list("pk", "review_id")
        .iterator()
    )


def copy_back(apps, schema_editor):
    ActionItem = apps.get_model("stakeholders", "ActionItem")
    ReviewCommitment = apps.get_model("reviews", "ReviewCommitment")
    for link in ReviewCommitment.objects.all().iterator():
        ActionItem.objects.filter(pk=link.commitment_id).update(review_id=link.review_id)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0002_unplannedreviewnotice'),
        ('stakeholders', '0003_actionitem_improvement_plan'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewCommitment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('commitment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review_link', to='stakeholders.actionitem')),
                ('review', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commitment_links', to='reviews.servicereview')),
            ],
            options={
                'verbose_name': 'commitment made at a review',
            },
        ),
        migrations.AddField(
            model_name='servicereview',
            name='action_items',
            field=models.ManyToManyField(blank=True, related_name='+', through='reviews.ReviewCommitment', to='stakeholders.actionitem'),
        ),
        migrations.RunPython(copy_links, copy_back),
    ]
