"""Making, checking and revoking API tokens (audited)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from renkou.api.models import ApiToken
from renkou.core.audit import audit_record

DEFAULT_DAYS = 90
MAX_DAYS = 366
# Last use is written at most this often, so reads don't each cost a write.
TOUCH_EVERY = datetime.timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: Any, name: str, actor: Any, days: int = DEFAULT_DAYS) -> str:
    """Make a token for ``user`` valid for ``days``; returns the token (shown only now)."""
    name = name.strip()
    if not name:
        raise ValueError("a token needs a name")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    prefix = secrets.token_hex(4)
    token = f"rk_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        name=name[:80],
        prefix=prefix,
        digest=_digest(token),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action="token.create",
        object_type="api_token",
        object_id=row.pk,
        after={"user": user.get_username(), "name": row.name, "prefix": prefix, "days": days},
    )
    return token


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any) -> None:
    """Stop a token from working (kept for the record)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        object_type="api_token",
        object_id=token.pk,
        before={"user": token.user.get_username(), "name": token.name, "prefix": token.prefix},
    )


def token_user(token: str) -> Any | None:
    """The active user of a valid, unexpired, unrevoked token, or None."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "rk":
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if row is None or not hmac.compare_digest(row.digest, _digest(token)):
        return None
    if row.expires_at <= now or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
