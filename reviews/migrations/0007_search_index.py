"""The global search's GIN index (brm.core.search.SearchDocument), PostgreSQL only.

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
        ("reviews", "0006_record_versions"),
    ]

    operations = [
        AddSearchIndex(
            model_name="servicereview",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "agenda", "outcome", "minutes", "location", config="english"
                ),
                name="review_search",
            ),
        ),
    ]
