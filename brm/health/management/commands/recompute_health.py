from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from brm.health.engine import recompute_health


class Command(BaseCommand):
    help = "Recompute every business unit's relationship health now (idempotent per day)."

    def handle(self, *args: Any, **options: Any) -> None:
        stored = recompute_health()
        bands: dict[str, int] = {}
        for snap in stored:
            bands[snap.band] = bands.get(snap.band, 0) + 1
        watermelons = sum(1 for s in stored if s.watermelon)
        self.stdout.write(
            f"Health recomputed for {len(stored)} units: "
            + ", ".join(f"{n} {band}" for band, n in sorted(bands.items()))
            + f"; {watermelons} watermelon(s)."
        )
