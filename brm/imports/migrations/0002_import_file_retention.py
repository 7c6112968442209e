from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_import_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="importjob",
            index=models.Index(
                fields=["finished_at"],
                condition=models.Q(file_deleted_at__isnull=True),
                name="import_job_file_kept",
            ),
        ),
    ]
