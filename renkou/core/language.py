"""A signed-in user's own language: kept when they switch it, given back when they sign in."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from renkou.core.accounts import user_language, user_language_set


class UserLanguageMiddleware:
    """After the language switch (Django's ``set_language``) stores the choice on the user;
    after a sign-in sets the language cookie to the user's choice, so that the first page
    after signing in, on any browser, is in their language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "POST" or response.status_code not in (301, 302):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        name = settings.LANGUAGE_COOKIE_NAME
        if request.path == reverse("set_language") and name in response.cookies:
            user_language_set(user=user, language=response.cookies[name].value, actor=user)
        elif request.path == reverse(settings.LOGIN_URL):
            language = user_language(user)
            if language:
                response.set_cookie(
                    name,
                    language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    domain=settings.LANGUAGE_COOKIE_DOMAIN,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
        return response
