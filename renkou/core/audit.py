"""Writing and verifying the hash-chained audit log (the only way rows get into it)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.context import current_context
from renkou.core.models import AuditLog

# What each action code means, for the people reading the trail.
ACTION_LABELS = {
    "person.view": _("Viewed a person's page"),
    "person.unmask": _("Showed an identity number in full"),
    "person.unmask_phone": _("Showed a phone number in full"),
    "person.update": _("Changed a person"),
    "person.rebuild": _("Rebuilt a person from events"),
    "household.view": _("Viewed a household"),
    "household.create": _("Created a household"),
    "event.submit": _("Reported a change"),
    "event.reviewed": _("Reviewed a change"),
    "event.apply": _("Applied a change"),
    "event.applied": _("Applied a change"),
    "event.rejected": _("Rejected a change"),
    "change_report.create": _("Created a change report"),
    "registry.load": _("Loaded register files"),
    "orgunits.load": _("Loaded org units"),
    "keys.rotate": _("Re-encrypted identity numbers"),
    "role.assign": _("Gave a role"),
    "role.revoke": _("Took a role away"),
    "user.create": _("Created a user"),
    "user.password_change": _("Changed a password"),
    "user.otp_setup": _("Set up a second factor"),
    "user.otp_failed": _("Wrong second-factor code"),
    "user.otp_reset": _("Reset a second factor"),
    "user.password_reset": _("Reset a password"),
    "user.deactivate": _("Deactivated a user"),
    "user.reactivate": _("Reactivated a user"),
    "user.move": _("Moved a user to another unit"),
    "user.language": _("Chose a language"),
    "user.delete": _("Removed a demo user"),
    "staff.export": _("Exported the staff list"),
    "token.create": _("Made an API token"),
    "token.revoke": _("Revoked an API token"),
    "api.person.list": _("Listed persons (API)"),
    "api.household.list": _("Listed households (API)"),
    "api.event.list": _("Listed events (API)"),
    "api.change.list": _("Listed changes (API)"),
    "report.generate": _("Made a report"),
    "report.download": _("Downloaded a report"),
}

# Any constant works; it names the PostgreSQL advisory lock that serialises appends so
# the chain has one predecessor per row. SQLite already serialises writers.
_PG_LOCK_KEY = 0x52454E4B


def _canonical(value: Any) -> Any:
    """JSON-ready copy with dates etc. turned into strings, so the hash is reproducible."""
    return _without_nul(json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)))


def _without_nul(value: Any) -> Any:
    """NUL characters removed from every string: PostgreSQL's jsonb cannot hold them (a
    fuzzed query string may carry one, and its audit row must still be written)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _hashed_fields(row: AuditLog) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "ip": row.ip,
        "channel": row.channel,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "before": row.before,
        "after": row.after,
        "reason": row.reason,
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditLog:
    """Append one audit row, chained to the previous one. Call inside the write's transaction."""
    ctx = current_context()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditLog.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        user = actor if getattr(actor, "pk", None) else None
        row = AuditLog(
            at=timezone.now(),
            actor=user,
            actor_label=(user.get_username() if user else str(actor or "system"))[:150],
            ip=ctx.ip,
            channel=ctx.channel,
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            before=_canonical(before),
            after=_canonical(after),
            reason=reason,
            prev_hash=last,
        )
        row.hash = _row_hash(last, _hashed_fields(row))
        row.save(force_insert=True)
    return row


def audit_records(
    *, actor: Any, action: str, object_type: str, rows: list[tuple[Any, Any, Any]]
) -> int:
    """Append one audit row per (object id, before, after) of ``rows``, chained in their
    order, in one insert (a batch of like changes: messages received from a peer). Call
    inside the write's transaction."""
    if not rows:
        return 0
    ctx = current_context()
    user = actor if getattr(actor, "pk", None) else None
    label = (user.get_username() if user else str(actor or "system"))[:150]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditLog.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        at = timezone.now()
        out = []
        for object_id, before, after in rows:
            row = AuditLog(
                at=at,
                actor=user,
                actor_label=label,
                ip=ctx.ip,
                channel=ctx.channel,
                action=action,
                object_type=object_type,
                object_id=str(object_id or ""),
                before=_canonical(before),
                after=_canonical(after),
                reason="",
                prev_hash=last,
            )
            row.hash = last = _row_hash(last, _hashed_fields(row))
            out.append(row)
        AuditLog.objects.bulk_create(out, batch_size=500)
    return len(out)


@dataclass
class ChainProblem:
    """A row whose stored hash or predecessor does not match."""

    row_id: int
    reason: str


def audit_verify(batch: int = 5000) -> Iterator[ChainProblem]:
    """Walk the chain from the first row; yield every row that breaks it."""
    prev = ""
    last_id = 0
    while True:
        rows = list(AuditLog.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return
        for row in rows:
            if row.prev_hash != prev:
                yield ChainProblem(row.id, "previous hash differs (a row was removed or reordered)")
            elif row.hash != _row_hash(prev, _hashed_fields(row)):
                yield ChainProblem(row.id, "content does not match its hash (row was altered)")
            prev = row.hash
            last_id = row.id
