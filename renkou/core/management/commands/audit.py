"""``renkou audit verify``: prove the audit log has not been altered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renkou.core.audit import audit_verify
from renkou.core.models import AuditLog


class Command(BaseCommand):
    """Check the audit log's hash chain."""

    help = "Audit log: verify the hash chain"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="walk the hash chain and report altered or missing rows")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(audit_verify())
        for p in problems[:50]:
            self.stdout.write(f"row {p.row_id}: {p.reason}")
        if problems:
            raise CommandError(f"{len(problems)} audit rows break the chain / 审计日志被篡改")
        self.stdout.write(f"{AuditLog.objects.count()} audit rows, chain intact / 审计链完整")
