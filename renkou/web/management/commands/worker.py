"""``renkou worker``: run background tasks from the database queue.

Besides the queued tasks, the worker keeps the statistics of recent periods computed: when
it starts and then every ``RENKOU_STATISTICS_EVERY`` seconds (default 3600; 0 turns the
schedule off) it queues the statistics refresh (unless one is waiting already), which
takes new events in and computes every recent period missing from the cache. It also
makes the scheduled backups (``RENKOU_BACKUP_EVERY_HOURS``, ``renkou.core.backup.schedule``).

It also queues the deliveries to peer servers that are due (``outbox_watch``, every
``RENKOU_OUTBOX_EVERY_SECONDS``), in case a worker stopped before queueing its retry.

It also looks after jobs whose worker died (killed, out of memory, the machine restarted):
when it starts and then every half ``RENKOU_JOB_LEASE_SECONDS`` it reaps them
(``renkou.core.jobs.jobs_reap``): a resumable job is queued again, any other is failed with
the reason and can be started again from its page.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

DEFAULT_EVERY = 3600
log = logging.getLogger(__name__)


def statistics_schedule(every: float, stop: threading.Event) -> None:
    """Queue the statistics refresh now and then every ``every`` seconds until ``stop``."""
    from renkou.analytics.signals import refresh_enqueue

    while not stop.is_set():
        try:
            refresh_enqueue()
        except Exception:  # a failed enqueue is retried at the next tick
            log.exception("could not queue the statistics refresh")
        finally:
            close_old_connections()
        stop.wait(every)


def jobs_watch(every: float, stop: threading.Event) -> None:
    """Reap the jobs of dead workers every ``every`` seconds until ``stop``."""
    from renkou.core.jobs import jobs_reap

    while not stop.wait(every):
        try:
            jobs_reap()
        except Exception:  # tried again at the next tick
            log.exception("could not look after the jobs of stopped workers")
        finally:
            close_old_connections()


def outbox_watch(every: float, stop: threading.Event) -> None:
    """Queue the deliveries to peer servers that are due, every ``every`` seconds (sending
    queues its own; this takes up what a stopped worker left)."""
    from renkou.floating.outbox import deliveries_due, delivery_queue

    while not stop.wait(every):
        try:
            for peer_id in deliveries_due():
                delivery_queue(peer_id)
        except Exception:  # tried again at the next tick
            log.exception("could not queue the deliveries to peer servers")
        finally:
            close_old_connections()


class Command(BaseCommand):
    """Run the django-tasks database worker, and the statistics schedule beside it."""

    help = "Run background tasks"

    def handle(self, *args: Any, **options: Any) -> None:
        from renkou.core.keycheck import KeysDoNotFit, keys_check

        try:
            keys_check()
        except KeysDoNotFit as exc:
            raise CommandError(str(exc)) from exc
        from renkou.core.jobs import jobs_reap
        from renkou.core.leases import this_process

        # Before any task is taken: what a dead worker left running is dealt with first.
        jobs_reap()
        every = float(os.environ.get("RENKOU_STATISTICS_EVERY", DEFAULT_EVERY))
        stop = threading.Event()
        threading.Thread(
            target=jobs_watch,
            args=(max(0.5, settings.RENKOU_JOB_LEASE_SECONDS / 2), stop),
            daemon=True,
            name="jobs-watch",
        ).start()
        threading.Thread(
            target=outbox_watch,
            args=(max(0.5, settings.RENKOU_OUTBOX_EVERY_SECONDS), stop),
            daemon=True,
            name="outbox-watch",
        ).start()
        if every > 0:
            threading.Thread(
                target=statistics_schedule, args=(every, stop), daemon=True, name="statistics"
            ).start()
        if settings.RENKOU_BACKUP_EVERY_HOURS > 0:
            from renkou.core.backup.schedule import backup_schedule

            threading.Thread(
                target=backup_schedule, args=(stop,), daemon=True, name="backups"
            ).start()
        try:
            # The worker's id names its process, so that a task it took and never
            # finished is recognised as a dead worker's (``jobs_reap``).
            call_command("db_worker", worker_id=this_process().name)
        finally:
            stop.set()
