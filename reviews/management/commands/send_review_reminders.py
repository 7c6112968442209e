"""Run the review reminder job by hand (the same code the beat schedule runs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reviews.notices import send_review_notices


class Command(BaseCommand):
    help = (
        "Send due review reminders, overdue notices and review-due-none-planned notices; "
        "anything already sent is skipped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = send_review_notices()
        for review_id, email in run.reminders:
            self.stdout.write(f"reminder  review {review_id} -> {email}")
        for review_id, email in run.overdue:
            self.stdout.write(f"overdue   review {review_id} -> {email}")
        for unit_id, email in run.unplanned:
            self.stdout.write(f"unplanned unit {unit_id} -> {email}")
        for what, email in run.failed:
            self.stderr.write(f"FAILED    {what} -> {email}")
        if run.released:
            self.stdout.write(f"{run.released} stale claim(s) released and retried.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(run.reminders)} reminder(s), {len(run.overdue)} overdue notice(s), "
                f"{len(run.unplanned)} review-due-none-planned notice(s) sent."
            )
        )
