"""Hospitals' pushed notifications (实时通): senders, and receiving one notification.

A notification is one roster row sent as JSON with the sender's own id. It is validated
like a row of an uploaded roster, staged in the sender's roster of the day (one import per
sender, kind and day, so the worklist groups them) and linked at once by identity number.
A birth without the mother's number is linked by her name in the background, with the
model kept for the receiving unit (``exchange.tasks``); other rows without a number, and
births when no kept model is usable, are linked when the day's roster is linked again.
The same id with the same content is recognised; with other content it is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from renkou.api.tokens import token_create
from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.core.problems import InputRefused, problem
from renkou.exchange.kinds import KINDS, HeaderMapping
from renkou.exchange.linking import roster_link
from renkou.exchange.models import PushNotification, RosterImport, RosterRow, Sender
from renkou.exchange.services import _validate_row
from renkou.orgunits.models import OrgUnit

# What a notification's "kind" says, and the roster kind it is a row of.
NOTIFICATION_KINDS = {"birth": "hospital_births", "death": "hospital_deaths"}


@dataclass
class Received:
    """A notification's staged row and whether this call staged it (False: a repeat)."""

    notification: PushNotification
    created: bool


@transaction.atomic
def sender_create(
    *, code: str, name: str, orgunit: OrgUnit, actor: Any, days: int = 366
) -> tuple[Sender, str]:
    """Register a hospital with its own role-less account; returns it and a first token."""
    code = code.strip()
    if not code or Sender.objects.filter(code=code).exists():
        raise ValueError(f"sender code {code!r} is empty or taken")
    user = get_user_model().objects.create_user(username=f"sender:{code}"[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    sender = Sender.objects.create(code=code, name=name.strip()[:120], orgunit=orgunit, user=user)
    audit_record(
        actor=actor,
        action="exchange.sender_create",
        object_type="sender",
        object_id=sender.pk,
        after={"code": code, "name": sender.name, "orgunit": orgunit.pk},
    )
    token = token_create(user=user, name=f"push {code}", actor=actor, days=days)
    return sender, token


def _fingerprint(body: dict[str, Any]) -> str:
    content = {k: v for k, v in sorted(body.items()) if k != "id"}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _day_roster(sender: Sender, kind: str) -> RosterImport:
    """The sender's roster of ``kind`` for today, created at the first notification."""
    day = timezone.localdate().isoformat()
    digest = hashlib.sha256(f"push:{sender.code}:{day}".encode()).hexdigest()
    imp, _created = RosterImport.objects.get_or_create(
        kind=kind,
        content_hash=digest,
        defaults={
            "orgunit": sender.orgunit,
            "file_name": f"实时通 {sender.name} {day}"[:255],
            "created_by": sender.user,
            "mapping": {"push": sender.code},
        },
    )
    return imp


@transaction.atomic
def notification_receive(*, sender: Sender, body: dict[str, Any]) -> Received:
    """Validate, stage and link one notification; refuse it whole with its problems."""
    name = f"{sender.code}:{body.get('id', '')}"
    kind = NOTIFICATION_KINDS.get(str(body.get("kind", "")))
    if kind is None:
        raise InputRefused(
            [problem("unknown_kind", file=name, column="kind", value=body.get("kind"))]
        )
    ref = str(body.get("id", "")).strip()
    if not ref:
        raise InputRefused([problem("required", file=name, column="id")])
    Sender.objects.select_for_update().filter(pk=sender.pk).first()  # one at a time per sender
    fingerprint = _fingerprint(body)
    existing = PushNotification.objects.filter(sender=sender, sender_ref=ref).first()
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise InputRefused([problem("conflict", file=name, column="id", value=ref)])
        return Received(existing, created=False)
    roster_kind = KINDS[kind]
    mapping = HeaderMapping(columns={c.name: i for i, c in enumerate(roster_kind.columns)})
    cells = [body.get(c.name) for c in roster_kind.columns]
    values, hashes, problems = _validate_row(roster_kind, mapping, cells, timezone.localdate())
    if problems:
        raise InputRefused(
            [
                problem(
                    code,
                    file=name,
                    column=column,
                    value=value,
                    **{k: x for k, x in params.items() if k != "value"},
                )
                for column, value, code, params in problems
            ]
        )
    imp = _day_roster(sender, kind)
    number = (imp.rows.aggregate(n=Max("row_number"))["n"] or 0) + 1
    original = {
        c.name: "" if body.get(c.name) is None else str(body.get(c.name))
        for c in roster_kind.columns
    }
    row = RosterRow.objects.create(
        roster_import=imp,
        row_number=number,
        values=values,
        id_hashes=hashes,
        original_enc=crypto.encrypt(json.dumps({"id": ref, **original}, ensure_ascii=False)),
    )
    RosterImport.objects.filter(pk=imp.pk).update(rows_total=number, rows_staged=imp.rows.count())
    notification = PushNotification.objects.create(
        sender=sender, sender_ref=ref, kind=kind, fingerprint=fingerprint, row=row
    )
    audit_record(
        actor=sender.user,
        action="exchange.push",
        object_type="roster_row",
        object_id=row.pk,
        after={"sender": sender.code, "id": ref, "kind": kind, "import": imp.pk},
    )
    roster_link(roster_import=imp, actor=sender.user, row_ids=[row.pk], probabilistic=False)
    if kind == "hospital_births" and not hashes.get("mother_id"):
        # Without the mother's number: linked by her name in the background, with the
        # unit's kept model, once this notification is committed.
        transaction.on_commit(lambda: _link_births_later(imp.pk))
    return Received(notification, created=True)


def _link_births_later(roster_import_id: int) -> None:
    from renkou.exchange.tasks import pushed_births_link_task

    pushed_births_link_task.enqueue(roster_import_id)
