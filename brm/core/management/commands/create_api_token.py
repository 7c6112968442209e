from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from brm.core.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument("--name", default="API token", help="What uses the token.")
        parser.add_argument("--days", type=int, default=None, help="Expire after N days.")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active user {options['user']!r}.") from exc
        if options["days"] is not None and options["days"] <= 0:
            raise CommandError("--days must be a positive number.")
        try:
            token, raw = ApiToken.issue(user, options["name"], days=options["days"])
        except ValidationError as exc:
            raise CommandError(f"--name: {' '.join(exc.messages)}") from exc
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.key_id} for {user.username}"
            + (f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "")
            + ". Store it now: it cannot be shown again."
        )
