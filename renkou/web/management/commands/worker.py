"""``renkou worker``: run background tasks from the database queue."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Run the django-tasks database worker."""

    help = "Run background tasks"

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("db_worker")
