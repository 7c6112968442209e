"""Stored health facts get a kind and a visibility (issue 15: meeting sentiment shown to leaders).

Snapshots stored before this held each fact as a plain string. This converts them once, by the
sentences the engine wrote then (the only place that reads their wording; from now on the engine
writes the kind itself, `brm.health.facts`): meeting sentiment and the named stakeholders'
expected contact frequency become IT-only, the watermelon sentence splits into one fact per
reason. Reversing turns them back into strings.
"""

from __future__ import annotations

import re

from django.db import migrations

WATERMELON = "Watermelon (SLAs green): "
NAMED_CONTACT = re.compile(r" \(expected every \d+ days\)$")
BATCH = 500


def _fact(text, kind, visibility="everyone"):
    return {"text": text, "kind": kind, "visibility": visibility}


def _convert(text):
    if text.startswith("Meeting sentiment "):
        return [_fact(text, "sentiment", "analysis")]
    if text.startswith(WATERMELON):
        return [
            _fact(
                WATERMELON + reason,
                "watermelon",
                "analysis" if reason.startswith("Meeting sentiment") else "everyone",
            )
            for reason in text.removeprefix(WATERMELON).split("; ")
        ]
    if NAMED_CONTACT.search(text):
        return [_fact(text, "analysis", "analysis")]
    return [_fact(text, "figure")]


def _rows(apps):
    snapshot = apps.get_model("health", "HealthSnapshot")
    return snapshot, snapshot.objects.only("pk", "components").order_by("pk")


def forwards(apps, schema_editor):
    snapshot, rows = _rows(apps)
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        changed = False
        for component in row.components or []:
            facts = []
            for fact in component.get("facts", []):
                if isinstance(fact, str):
                    facts += _convert(fact)
                    changed = True
                else:
                    facts.append(fact)
            component["facts"] = facts
        if changed:
            batch.append(row)
        if len(batch) >= BATCH:
            snapshot.objects.bulk_update(batch, ["components"])
            batch = []
    if batch:
        snapshot.objects.bulk_update(batch, ["components"])


def backwards(apps, schema_editor):
    snapshot, rows = _rows(apps)
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        for component in row.components or []:
            component["facts"] = [
                f["text"] if isinstance(f, dict) else f for f in component.get("facts", [])
            ]
        batch.append(row)
        if len(batch) >= BATCH:
            snapshot.objects.bulk_update(batch, ["components"])
            batch = []
    if batch:
        snapshot.objects.bulk_update(batch, ["components"])


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0003_watermelon_per_signal"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
