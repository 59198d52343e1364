"""Every error the API answers from 400 to 499 is its JSON error shape, never an HTML page.

DRF shapes the errors its views raise (``renkou.api.errors``); the rest come from outside
them: Django's own 400, 404 and 405 pages, a middleware's plain-text refusal, or a body too
large for ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (refused here with 413 before anything reads it).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def _message(status: int, limit: int | None) -> str:
    messages = {
        400: _("The request is malformed."),
        404: _("There is nothing at this address of the API."),
        405: _("This method is not allowed here."),
        413: _("The request body is larger than %(limit)s bytes.") % {"limit": limit},
    }
    return messages.get(status) or HTTPStatus(status).phrase


def api_error(status: int, message: str = "") -> JsonResponse:
    """The API's error shape for ``status`` (its message in the request's language)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    error = {
        "field": "",
        "code": CODES.get(status, "error"),
        "message": message or _message(status, limit),
    }
    return JsonResponse({"errors": [error]}, status=status)


class ApiErrorMiddleware:
    """Refuses oversized API bodies with 413 and turns non-JSON API errors into JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return api_error(400)
        if limit is not None and int(length) > limit:
            return api_error(413)
        response = self.get_response(request)
        if 400 <= response.status_code < 500 and "json" not in response.get("Content-Type", ""):
            return api_error(response.status_code, _plain_text(response))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A body found too large while read (no length was declared) is a 413 too."""
        if request.path.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return api_error(413)
        return None


def _plain_text(response: HttpResponse) -> str:
    """A short plain-text refusal's own words (they say why); '' for a page or a stream."""
    if getattr(response, "streaming", False):
        return ""
    if not response.get("Content-Type", "").startswith("text/plain"):
        return ""
    text = response.content.decode(response.charset or "utf-8", "replace").strip()
    return text if len(text) <= 500 else ""
