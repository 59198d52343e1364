"""Peer servers: registering one (with the tokens each side issues), revoking it, and
finding the peer of an area or of a token that came in. Each change in one transaction,
audited; the token we issue is shown once and only its SHA-256 kept (as ``api.tokens``);
the token the peer issued to us is kept encrypted (we must send it)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone

from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.floating.models import Peer
from renkou.floating.services import MessageRefused
from renkou.orgunits.models import Level, OrgUnit

TOKEN_PREFIX = "rkp"  # noqa: S105 (the tokens' marker, not a secret)
_AREA = re.compile(r"\d{2}(\d{2}){0,2}")  # a GB/T 2260 province, prefecture or county


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _areas_clean(areas: list[str]) -> list[str]:
    out: list[str] = []
    for area in areas:
        text = str(area).strip()
        if not _AREA.fullmatch(text):
            raise MessageRefused.of("bad_area", column="areas", value=text)
        ours = OrgUnit.objects.filter(level__gte=Level.COUNTY)
        if ours.filter(code__startswith=text).exists() or ours.filter(code=text[:6]).exists():
            # one of our counties, or a province or prefecture holding one: ours stay here
            raise MessageRefused.of("our_area", column="areas", value=text)
        if text not in out:
            out.append(text)
    if not out:
        raise MessageRefused.of(
            "required", column="areas", field_zh="辖区代码", field_en="its areas"
        )
    return out


def _url_clean(url: str) -> str:
    text = url.strip().rstrip("/")
    parts = urlparse(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MessageRefused.of("bad_url", column="base_url", value=text)
    return text


def _snapshot(peer: Peer) -> dict[str, Any]:
    return {
        "name": peer.name,
        "base_url": peer.base_url,
        "areas": peer.areas,
        "prefix": peer.prefix,
        "their_token": bool(peer.their_token_enc),
        "revoked": peer.revoked_at is not None,
    }


def _audit(peer: Peer, action: str, actor: Any, before: dict[str, Any] | None) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="floating_peer",
        object_id=peer.pk,
        before=before,
        after=_snapshot(peer),
    )


@transaction.atomic
def peer_create(
    *, name: str, base_url: str, areas: list[str], their_token: str, actor: Any
) -> tuple[Peer, str]:
    """Register a peer server; returns it and the token we issue to it (shown only now).
    ``their_token`` (the one it issued to us) may come later (``peer_token_set``)."""
    name = name.strip()[:80]
    if not name:
        raise MessageRefused.of("required", column="name", field_zh="名称", field_en="a name")
    if Peer.objects.filter(name=name).exists():
        raise MessageRefused.of("peer_exists", column="name", value=name)
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    peer = Peer.objects.create(
        name=name,
        base_url=_url_clean(base_url),
        areas=_areas_clean(areas),
        prefix=prefix,
        digest=_digest(token),
        their_token_enc=crypto.encrypt(their_token.strip()) if their_token.strip() else "",
    )
    _audit(peer, "floating.peer_create", actor, None)
    _no_peer_route(peer)
    return peer, token


def _no_peer_route(peer: Peer) -> int:
    """Messages that waited as "no peer" for the new peer's areas, and were not exported
    (to be sent by other means), now wait for its delivery, in their order."""
    from renkou.floating.models import OutboxItem, OutboxState
    from renkou.floating.outbox import delivery_queue_on_commit

    waiting = OutboxItem.objects.filter(state=OutboxState.NO_PEER, exported_at__isnull=True)
    routed = [i.pk for i in waiting.only("pk", "area") if peer_for_area(i.area) == peer]
    OutboxItem.objects.filter(pk__in=routed).update(peer=peer, state=OutboxState.PENDING)
    if routed:
        delivery_queue_on_commit(peer.pk)
    return len(routed)


@transaction.atomic
def peer_token_set(*, peer: Peer, their_token: str, actor: Any) -> Peer:
    """Keep the token the peer issued to us (replacing an earlier one)."""
    peer = Peer.objects.select_for_update().get(pk=peer.pk)
    if not their_token.strip():
        raise MessageRefused.of(
            "required", column="their_token", field_zh="对方令牌", field_en="its token"
        )
    before = _snapshot(peer)
    peer.their_token_enc = crypto.encrypt(their_token.strip())
    peer.save(update_fields=["their_token_enc"])
    _audit(peer, "floating.peer_token", actor, before)
    return peer


@transaction.atomic
def peer_revoke(*, peer: Peer, actor: Any) -> Peer:
    """Stop exchanging with a peer: its token is refused from now on, nothing more is
    delivered to it (what waits for it stays in the outbox)."""
    peer = Peer.objects.select_for_update().get(pk=peer.pk)
    if peer.revoked_at is not None:
        return peer
    before = _snapshot(peer)
    peer.revoked_at = timezone.now()
    peer.save(update_fields=["revoked_at"])
    _audit(peer, "floating.peer_revoke", actor, before)
    return peer


def peer_for_token(token: str) -> Peer | None:
    """The active peer that sent ``token`` (one we issued), or None."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != TOKEN_PREFIX:
        return None
    peer = Peer.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if peer is None or not hmac.compare_digest(peer.digest, _digest(token)):
        return None
    return peer


def peer_for_area(area: str) -> Peer | None:
    """The active peer whose declared areas hold ``area`` (the longest prefix), or None."""
    best, length = None, 0
    for peer in Peer.objects.filter(revoked_at__isnull=True):
        for prefix in peer.areas:
            if area.startswith(prefix) and len(prefix) > length:
                best, length = peer, len(prefix)
    return best


def peer_declares(peer: Peer, area: str) -> bool:
    """Whether ``area`` is inside one of the peer's declared areas."""
    return any(area.startswith(p) for p in peer.areas)


def their_token(peer: Peer) -> str:
    """The token the peer issued to us, in clear (to send it), or ''."""
    return crypto.decrypt(peer.their_token_enc) if peer.their_token_enc else ""
