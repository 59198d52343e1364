"""The notification list: mark one or all read, open each one's object."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.notifications import services
from renkou.notifications.models import Notification
from renkou.notifications.selectors import link_of, message_of, notifications_for
from renkou.web.lists import paginate

SHOWN = 50  # a page of the list


def _own(user: Any, pk: int) -> Notification:
    notification = notifications_for(user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's latest notifications, unread first marked, newest first."""
    show = request.GET.get("show", "all")
    qs = notifications_for(request.user)
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = paginate(request, qs.order_by("-created_at", "-pk"), per_page=SHOWN)
    rows = list(page.rows)
    for n in rows:
        n.message = message_of(n)
        n.link = link_of(n)
    return render(
        request,
        "notifications/list.html",
        {"notifications": rows, "page": page, "show": "unread" if show == "unread" else "all"},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a notification read and go to its object."""
    notification = _own(request.user, pk)
    services.notification_mark_read(notification=notification, actor=request.user)
    return redirect(link_of(notification))


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read."""
    notification = _own(request.user, pk)
    services.notification_mark_read(notification=notification, actor=request.user)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all shown notifications read."""
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("Marked read: %(count)d") % {"count": count})
    return redirect("notification_list")
