"""Run the review reminder job by hand (the same code the beat schedule runs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reviews.services import send_review_notices


class Command(BaseCommand):
    help = "Send due review reminders and overdue notices; anything already sent is skipped."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        run = send_review_notices()
        for review_id, email in run.reminders:
            self.stdout.write(f"reminder  review {review_id} -> {email}")
        for review_id, email in run.overdue:
            self.stdout.write(f"overdue   review {review_id} -> {email}")
        for review_id, email in run.failed:
            self.stderr.write(f"FAILED    review {review_id} -> {email}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(run.reminders)} reminder(s), {len(run.overdue)} overdue notice(s) sent."
            )
        )
