"""Add the demo complaints and compliments to an existing demo database (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from complaints.demo import seed_complaints_demo


class Command(BaseCommand):
    help = "Create demo complaints and compliments if there are none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_complaints_demo()
        self.stdout.write(self.style.SUCCESS(f"{created} demo complaints created."))
