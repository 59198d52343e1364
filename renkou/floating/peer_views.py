"""Pages of the delivery between servers, for a county administrator: the peer servers
(register one, keep the token it issued to us, revoke one), the outbox, and the messages
for areas without a peer (export as xlsx, import the replies)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core.problems import InputRefused
from renkou.core.scoping import user_roles
from renkou.floating import offline, peers
from renkou.floating.models import OutboxItem, OutboxState, Peer
from renkou.registry.validation import EventRefused

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _admin(request: HttpRequest) -> None:
    """Only a county administrator (or the system administrator) manages peers."""
    if not user_roles(request.user) & {"county_admin", "sysadmin"}:
        raise PermissionDenied


def _say(request: HttpRequest, problems: list[Any]) -> None:
    zh = request.LANGUAGE_CODE.startswith("zh")
    for p in problems:
        where = (
            _("%(file)s, row %(row)s, column %(column)s: ")
            % {"file": p.file, "row": p.row, "column": p.column}
            if p.file
            else ""
        )
        messages.error(request, where + (p.message_zh if zh else p.message_en))


def _outbox_counts() -> dict[tuple[int | None, str], int]:
    rows = OutboxItem.objects.values("peer_id", "state").annotate(n=Count("pk"))
    return {(r["peer_id"], r["state"]): r["n"] for r in rows}


@login_required
def peer_list(request: HttpRequest) -> HttpResponse:
    """The peer servers with their outbox; a new one is registered here (our token to it is
    shown once, right after)."""
    _admin(request)
    new_token = ""
    if request.method == "POST":
        try:
            _peer, new_token = peers.peer_create(
                name=request.POST.get("name", ""),
                base_url=request.POST.get("base_url", ""),
                areas=request.POST.get("areas", "").replace("，", ",").split(","),
                their_token=request.POST.get("their_token", ""),
                actor=request.user,
            )
        except EventRefused as refused:
            _say(request, refused.problems)
    counts = _outbox_counts()
    rows = []
    for peer in Peer.objects.all():
        peer.waiting = counts.get((peer.pk, OutboxState.PENDING), 0)
        peer.delivered = counts.get((peer.pk, OutboxState.DELIVERED), 0)
        peer.refused = counts.get((peer.pk, OutboxState.REFUSED), 0)
        peer.last_error = (
            OutboxItem.objects.filter(peer=peer, state=OutboxState.PENDING)
            .exclude(last_error="")
            .order_by("pk")
            .values_list("last_error", flat=True)
            .first()
        )
        rows.append(peer)
    return render(
        request,
        "floating/peers.html",
        {
            "rows": rows,
            "new_token": new_token,
            "no_peer": counts.get((None, OutboxState.NO_PEER), 0),
            "form": request.POST if request.method == "POST" and not new_token else {},
        },
    )


def _peer(pk: int) -> Peer:
    peer = Peer.objects.filter(pk=pk).first()
    if peer is None:
        raise Http404
    return peer


@login_required
@require_POST
def peer_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep the token a peer issued to us."""
    _admin(request)
    peer = _peer(pk)
    try:
        peers.peer_token_set(
            peer=peer, their_token=request.POST.get("their_token", ""), actor=request.user
        )
    except EventRefused as refused:
        _say(request, refused.problems)
    else:
        messages.success(request, _("The peer server's token is kept."))
    return redirect("floating_peers")


@login_required
def peer_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a peer server: GET asks to confirm, POST revokes."""
    _admin(request)
    peer = _peer(pk)
    if request.method != "POST":
        return render(request, "floating/peer_revoke.html", {"peer": peer})
    peers.peer_revoke(peer=peer, actor=request.user)
    messages.success(request, _("The peer server is revoked: its token no longer works."))
    return redirect("floating_peers")


@login_required
def no_peer_export(request: HttpRequest) -> HttpResponse:
    """The messages for areas without a peer, as xlsx (audited: the identity numbers are
    in full, for the receiving office to find the persons)."""
    _admin(request)
    data, _n = offline.no_peer_export(actor=request.user)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="no-peer-messages.xlsx"'
    return response


@login_required
@require_POST
def replies_import(request: HttpRequest) -> HttpResponse:
    """Import the replies to messages sent without a peer, from xlsx: all or nothing."""
    _admin(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("floating_peers")
    try:
        counts = offline.replies_import(raw=upload.read(), name=upload.name, actor=request.user)
    except InputRefused as refused:
        _say(request, refused.problems)
    else:
        messages.success(
            request,
            _("%(stored)s replies imported, %(duplicate)s were here already.") % counts,
        )
    return redirect("floating_peers")
