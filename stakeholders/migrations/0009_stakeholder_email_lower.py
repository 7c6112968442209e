import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    """An index on lower(email): a bulk import finds people by email whatever its case."""

    dependencies = [
        ("stakeholders", "0008_blank_external_id_is_null"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stakeholder",
            index=models.Index(
                django.db.models.functions.text.Lower("email"), name="stakeholder_email_lower"
            ),
        ),
    ]
