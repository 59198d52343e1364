"""Template context for every page: the number of unread notifications in the header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def unread(request: HttpRequest) -> dict[str, Any]:
    """``notifications_unread``: counted only if a page shows it (lazily, one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from renkou.notifications.selectors import unread_count

    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user))}
