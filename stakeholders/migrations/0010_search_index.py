"""The global search's GIN indexes (brm.core.search.SearchDocument), PostgreSQL only.

`AddSearchIndex` creates each index on PostgreSQL and records it in the state everywhere: Django
writes ``CREATE INDEX ... USING gin (to_tsvector('english'::regconfig, ...))`` on every
database, and SQLite (``make run``) refuses it ("unrecognized token"). The expression must stay
the one `SearchDocument.vector()` builds, or the search reads every row again.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

from brm.core.search import AddSearchIndex


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0009_stakeholder_email_lower"),
    ]

    operations = [
        AddSearchIndex(
            model_name="businessunit",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "name", "code", "description", config="english"
                ),
                name="unit_search",
            ),
        ),
        AddSearchIndex(
            model_name="stakeholder",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "name", "job_title", "email", config="english"
                ),
                name="stakeholder_search",
            ),
        ),
        AddSearchIndex(
            model_name="interaction",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("summary", "notes", config="english"),
                name="interaction_search",
            ),
        ),
    ]
