"""``renkou keys rotate``: re-encrypt identity numbers under the newest key (docs/keys.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from renkou.registry.keyrotation import identity_tokens_by_key, identity_tokens_rotate


class Command(BaseCommand):
    """Key maintenance."""

    help = "Encryption keys: rotate (re-encrypt stored identity numbers with the first key)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rotate", help="re-encrypt tokens that are under an older key")
        sub.add_parser("status", help="how many tokens are under each key")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            done = identity_tokens_rotate(actor="cli")
            self.stdout.write(f"re-encrypted: {done['persons']} persons, {done['events']} events")
        for key_id, n in sorted(identity_tokens_by_key().items()):
            self.stdout.write(f"{key_id}: {n} person tokens")
