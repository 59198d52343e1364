"""Middleware that records the client address for the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


class SignInStepMiddleware:
    """Base for a step a signed-in user must finish before anything else (account pages,
    static files and the language switch stay reachable)."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
        ):
            target = self.pending_step(user)
            if target:
                from django.shortcuts import redirect

                return redirect(target)
        return self.get_response(request)

    def pending_step(self, user: Any) -> str | None:
        """The URL name of the step the user still owes, or None."""
        raise NotImplementedError


class PasswordChangeRequiredMiddleware(SignInStepMiddleware):
    """Sends a user signed in with a one-time password to the password-change page."""

    def pending_step(self, user: Any) -> str | None:
        state = getattr(user, "password_state", None)
        return "password_change" if state and state.must_change else None
