"""Background work of the floating app (run by ``renkou worker``): deliveries to peers."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from renkou.floating.models import Peer


@task()
def outbox_deliver_task(peer_id: int) -> dict[str, Any]:
    """Deliver what waits for a peer, in order; if something is left (the peer down, a
    failed batch), this task is queued again for the time of the next try."""
    from renkou.floating.outbox import delivery_queue, outbox_deliver

    peer = Peer.objects.filter(pk=peer_id, revoked_at__isnull=True).first()
    if peer is None:
        return {"delivered": 0, "note": "no_peer"}
    done = outbox_deliver(peer=peer)
    if done.retry_at is not None:
        delivery_queue(peer_id, run_after=done.retry_at)
    return {
        "delivered": done.delivered,
        "refused": done.refused,
        "retry_at": done.retry_at.isoformat() if done.retry_at else None,
    }
