"""Log filters: a refused request (403) is one line saying who and which path."""

from __future__ import annotations

import logging


class ForbiddenOneLine(logging.Filter):
    """Turn Django's "Forbidden (Permission denied)" record, which carries the traceback of
    ``PermissionDenied``, into one line: method, path and user. A refusal is expected
    behaviour, not an error to debug; the line still says who tried what."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        who = user.get_username() if getattr(user, "is_authenticated", False) else "anonymous"
        record.msg = "Forbidden: %s %s by %s"
        record.args = (
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            who or "anonymous",
        )
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
