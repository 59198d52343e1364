"""The inbox of messages from peer servers: ``POST /api/floating/inbox/``.

A peer posts ``{"messages": [wire, …]}`` (``floating.wire.message_wire``) with the token we
issued to it (``Authorization: Bearer rkp_…``). An unknown or revoked token is answered 401
and logged, and nothing is stored. Otherwise each message is stored in its order
(``batch.messages_receive``, as ``wire.message_receive`` stores each: the same message
id twice is stored once) and the answer says, per message id, "stored", "duplicate" or
"refused" with the reasons (zh and en). A peer may send only from its declared areas and
only to ours.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from renkou.api.middleware import api_error
from renkou.floating.batch import Ours, messages_receive
from renkou.floating.models import Peer
from renkou.floating.peers import peer_declares, peer_for_token
from renkou.floating.services import MessageRefused

log = logging.getLogger(__name__)
MAX_MESSAGES = 1000


def _bearer(request: HttpRequest) -> str:
    kind, _sep, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if kind.lower() == "bearer" else ""


def _errors(problems: list[Any]) -> list[dict[str, str]]:
    return [
        {"code": p.code, "field": p.column, "message": p.message_en, "message_zh": p.message_zh}
        for p in problems
    ]


def _check(peer: Peer, wire: Any, ours: Any) -> None:
    """A peer sends only from its declared areas, only to ours."""
    if not isinstance(wire, dict):
        raise MessageRefused.of("bad_message", column="message", value="not an object")
    if not peer_declares(peer, str(wire.get("from", ""))):
        raise MessageRefused.of("not_from_peer", column="from", value=wire.get("from"))
    if not ours(str(wire.get("to", ""))):
        raise MessageRefused.of("not_ours", column="to", value=wire.get("to"))


def _results(peer: Peer, wires: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any] | None] = [None] * len(wires)
    fit: list[tuple[int, Any]] = []
    ours = Ours()
    for n, wire in enumerate(wires):
        try:
            _check(peer, wire, ours)
            fit.append((n, wire))
        except MessageRefused as refused:
            message_id = str(wire.get("message_id", "")) if isinstance(wire, dict) else ""
            out[n] = {
                "message_id": message_id,
                "status": "refused",
                "errors": _errors(refused.problems),
            }
    received = messages_receive(wires=[w for _n, w in fit], actor=f"peer:{peer.name}")
    for (n, _wire), r in zip(fit, received, strict=True):
        out[n] = {"message_id": r.message_id, "status": r.status}
        if r.problems:
            out[n]["errors"] = _errors(r.problems)
    return [r for r in out if r is not None]


@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> JsonResponse:
    """Store the messages a peer server posts, in their order; 401 for a token we did not
    issue or have revoked."""
    token = _bearer(request)
    peer = peer_for_token(token) if token else None
    if peer is None:
        log.warning(
            "floating inbox: refused a token (%s…) from %s",
            token[:12],
            request.META.get("REMOTE_ADDR", ""),
        )
        return api_error(401, "unknown or revoked peer token / 对端令牌无效或已撤销")
    try:
        body = json.loads(request.body or b"{}")
        wires = body["messages"]
        if not isinstance(wires, list) or len(wires) > MAX_MESSAGES:
            raise ValueError("messages")
    except (ValueError, KeyError, TypeError):
        return api_error(400)
    Peer.objects.filter(pk=peer.pk).update(last_seen_at=timezone.now())
    return JsonResponse({"results": _results(peer, wires)})
