"""``renkou token``: API tokens for programs (create, list, revoke)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.api import tokens
from renkou.api.models import ApiToken


class Command(BaseCommand):
    """API token maintenance."""

    help = "API tokens: create USER --name NAME [--days N] | list [USER] | revoke PREFIX"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token; it is printed once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--days", type=int, default=tokens.DEFAULT_DAYS)
        listing = sub.add_parser("list", help="tokens and their state")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="stop a token from working")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                user = get_user_model().objects.get(username=options["username"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user {options['username']!r}") from None
            try:
                token = tokens.token_create(
                    user=user, name=options["name"], days=options["days"], actor="cli"
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(token)
        elif action == "list":
            rows = ApiToken.objects.select_related("user")
            if options["username"]:
                rows = rows.filter(user__username=options["username"])
            for t in rows:
                state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
                self.stdout.write(f"rk_{t.prefix}_…  {t.user.username}  {t.name}  {state}")
        else:
            row = ApiToken.objects.filter(prefix=options["prefix"].removeprefix("rk_")).first()
            if row is None:
                raise CommandError(f"no token {options['prefix']!r}")
            tokens.token_revoke(token=row, actor="cli")
            self.stdout.write(f"revoked rk_{row.prefix}_…")
