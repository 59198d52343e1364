"""Middleware that records the client address for the audit log."""

from __future__ import annotations

import time
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


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>`` so clients and benchmarks see the server's share."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


class SessionTouchMiddleware:
    """Keeps a signed-in session alive while it is used, writing it at most once a minute.

    Saving the session on every request (Django's SESSION_SAVE_EVERY_REQUEST) costs a
    database write per page; the idle timeout only needs minute precision.
    """

    INTERVAL = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            if now - int(session.get("_touched", 0)) >= self.INTERVAL:
                session["_touched"] = now
        return response


class RefuseNulMiddleware:
    """Refuses (400) a query string holding a NUL character.

    PostgreSQL cannot compare or store text with NUL, so such a filter value would end in a
    server error there (found by the API fuzz test on PostgreSQL); SQLite would accept it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            return HttpResponse(
                "查询参数含有 NUL 字符 / a query parameter holds a NUL character",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
