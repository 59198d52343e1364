"""Middleware that records the client address for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from renkou.core.context import ActorContext, reset_context, set_context


class RequestContextMiddleware:
    """Puts the request's client address into the actor context for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_context(ActorContext(ip=request.META.get("REMOTE_ADDR", ""), channel=channel))
        try:
            return self.get_response(request)
        finally:
            reset_context(token)


class PasswordChangeRequiredMiddleware:
    """Sends a user signed in with a one-time password to the password-change page."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and _must_change(user)
        ):
            from django.shortcuts import redirect

            return redirect("password_change")
        return self.get_response(request)


def _must_change(user: object) -> bool:
    state = getattr(user, "password_state", None)
    return bool(state and state.must_change)
