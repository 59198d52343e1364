"""The outbox: messages for areas on other servers, delivered by the worker.

``outbox_write`` is called in the transaction that sends a message, so a message is sent
and waits for its delivery, or neither. ``outbox_deliver`` takes a peer's waiting items in
their order and posts them, in batches, to the peer's inbox (``POST /api/floating/inbox/``
with the token the peer issued to us). A batch that fails (the peer down, an error, its
token refused) is tried again after a pause doubled per failure (``backoff_seconds``); the
items after it wait behind it, so a peer receives its messages in the order they were
sent, each once (it is idempotent by message id, and a batch posted twice is harmless).
An item the peer refuses for its content is kept, marked refused with the peer's reason,
and the next goes on. A message for an area with no peer waits as "no peer", for export.
"""

from __future__ import annotations

import datetime
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from renkou.floating.models import Message, OutboxItem, OutboxState, Peer
from renkou.floating.peers import peer_for_area, their_token

log = logging.getLogger(__name__)
INBOX_PATH = "/api/floating/inbox/"
# How long one worker holds a peer's delivery (renewed per batch).
LEASE = datetime.timedelta(minutes=5)


class DeliveryFailed(Exception):
    """A batch the peer did not take (down, an error, its token refused): tried again."""


# (url, token, body) -> the peer's answer as JSON; raises DeliveryFailed
Post = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def backoff_seconds(attempts: int) -> float:
    """The pause before the next try after ``attempts`` failed ones: the first retry after
    ``RENKOU_OUTBOX_RETRY_SECONDS``, doubled per failure, at most
    ``RENKOU_OUTBOX_RETRY_MAX_SECONDS``."""
    base = settings.RENKOU_OUTBOX_RETRY_SECONDS
    top = settings.RENKOU_OUTBOX_RETRY_MAX_SECONDS
    if attempts <= 0:
        return 0.0
    return float(min(top, base * 2 ** min(attempts - 1, 40)))


def outbox_write(message: Message) -> OutboxItem:
    """The outbox item of a message sent to an area elsewhere (in the sending transaction);
    its delivery is queued when that transaction commits."""
    peer = peer_for_area(message.receiver_area)
    item = OutboxItem.objects.create(
        message=message,
        peer=peer,
        area=message.receiver_area,
        state=OutboxState.PENDING if peer else OutboxState.NO_PEER,
    )
    if peer is not None:
        delivery_queue_on_commit(peer.pk)
    return item


def delivery_queue_on_commit(peer_id: int) -> None:
    """Queue the delivery to a peer once the transaction commits (once per transaction)."""
    from django.db import connection

    key = f"floating.outbox:{peer_id}"
    pending = getattr(connection, "run_on_commit", [])
    if any(getattr(item[1], "outbox_key", None) == key for item in pending):
        return

    def queue() -> None:
        delivery_queue(peer_id)

    queue.outbox_key = key  # type: ignore[attr-defined]
    transaction.on_commit(queue)


def delivery_queue(peer_id: int, run_after: datetime.datetime | None = None) -> None:
    """Queue ``outbox_deliver_task`` for a peer unless one is queued already."""
    from renkou.floating.tasks import outbox_deliver_task

    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_db."):
        from django_tasks_db.models import DBTaskResult, get_date_max

        asap = get_date_max()
        for args, after in DBTaskResult.objects.filter(
            task_path=outbox_deliver_task.module_path, status="READY"
        ).values_list("args_kwargs", "run_after"):
            if (args or {}).get("args") != [peer_id]:
                continue
            if after == asap or (run_after is not None and after <= run_after):
                return  # one waiting will run at that time or sooner
    task = outbox_deliver_task.using(run_after=run_after) if run_after else outbox_deliver_task
    task.enqueue(peer_id)


def http_post(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` as JSON with the bearer token; the answer's JSON (2xx), else
    ``DeliveryFailed``."""
    if not url.startswith(("http://", "https://")):
        raise DeliveryFailed(f"not an http(s) address: {url}")
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.RENKOU_OUTBOX_TIMEOUT_SECONDS
        ) as answer:
            return dict(json.loads(answer.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}") from None
    except (OSError, ValueError, TypeError) as exc:  # refused, timed out, not JSON
        raise DeliveryFailed(str(exc)[:200] or type(exc).__name__) from None


@dataclass
class Delivered:
    """What one delivery run did: items delivered and refused, and when to try again
    (None: nothing left waiting)."""

    delivered: int = 0
    refused: int = 0
    retry_at: datetime.datetime | None = None


def _claim(peer: Peer, now: datetime.datetime) -> bool:
    free = Q(delivering_until__isnull=True) | Q(delivering_until__lt=now)
    return bool(Peer.objects.filter(free, pk=peer.pk).update(delivering_until=now + LEASE))


def outbox_deliver(
    *, peer: Peer, post: Post = http_post, now: Callable[[], datetime.datetime] = timezone.now
) -> Delivered:
    """Deliver a peer's waiting items in order, in batches, until none is left or one
    batch fails (then its first item's next attempt is set by the backoff). One worker at
    a time per peer (a lease on the peer row)."""
    from renkou.floating.wire import message_wire

    done = Delivered()
    if not _claim(peer, now()):
        # another worker delivers to it: look again soon, in case it has just finished
        done.retry_at = now() + datetime.timedelta(seconds=5)
        return done
    try:
        token = their_token(peer)
        while True:
            items = list(
                OutboxItem.objects.filter(peer=peer, state=OutboxState.PENDING)
                .select_related("message")
                .order_by("pk")[: settings.RENKOU_OUTBOX_BATCH]
            )
            if not items:
                return done
            head = items[0]
            if head.next_attempt_at is not None and head.next_attempt_at > now():
                done.retry_at = head.next_attempt_at
                return done
            Peer.objects.filter(pk=peer.pk).update(delivering_until=now() + LEASE)
            fresh = Peer.objects.get(pk=peer.pk)
            try:
                if fresh.revoked_at is not None:
                    raise DeliveryFailed("the peer is revoked")
                if not token:
                    raise DeliveryFailed("no token of the peer's is kept")
                body = {"messages": [message_wire(i.message) for i in items]}
                answer = post(fresh.base_url + INBOX_PATH, token, body)
                try:
                    results = {str(r["message_id"]): r for r in answer["results"]}
                except (KeyError, TypeError):
                    raise DeliveryFailed("the peer's answer is not a list of results") from None
            except DeliveryFailed as exc:
                done.retry_at = _failed(head, str(exc), now())
                return done
            if not _settle(items, results, now(), done):
                done.retry_at = _failed(head, "the peer's answer lacks a message", now())
                return done
    finally:
        Peer.objects.filter(pk=peer.pk).update(delivering_until=None)


def _failed(head: OutboxItem, error: str, at: datetime.datetime) -> datetime.datetime:
    attempts = head.attempts + 1
    retry = at + datetime.timedelta(seconds=backoff_seconds(attempts))
    OutboxItem.objects.filter(pk=head.pk).update(
        attempts=attempts, next_attempt_at=retry, last_error=error[:300]
    )
    log.warning("delivery to peer %s failed (%s); next try at %s", head.peer_id, error, retry)
    return retry


@transaction.atomic
def _settle(
    items: list[OutboxItem], results: dict[str, Any], at: datetime.datetime, done: Delivered
) -> bool:
    """Mark the items of a batch the peer answered: delivered (stored now or before) or
    refused (its reason kept). False if the answer lacks one (the batch is tried again)."""
    if any(str(i.message.message_id) not in results for i in items):
        return False
    delivered = []
    for item in items:
        result = results[str(item.message.message_id)]
        if result.get("status") in ("stored", "duplicate"):
            delivered.append(item.pk)
            continue
        errors = result.get("errors") or []
        reason = "; ".join(str(e.get("message", e)) for e in errors)[:300]
        OutboxItem.objects.filter(pk=item.pk).update(
            state=OutboxState.REFUSED, attempts=F("attempts") + 1, last_error=reason
        )
        done.refused += 1
    OutboxItem.objects.filter(pk__in=delivered).update(
        state=OutboxState.DELIVERED, delivered_at=at, attempts=F("attempts") + 1
    )
    done.delivered += len(delivered)
    return True


def deliveries_due(now: datetime.datetime | None = None) -> list[int]:
    """Peers with an item waiting whose time has come (the worker's safety net)."""
    now = now or timezone.now()
    due = OutboxItem.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        state=OutboxState.PENDING,
        peer__revoked_at__isnull=True,
    )
    return sorted(set(due.values_list("peer_id", flat=True)))
