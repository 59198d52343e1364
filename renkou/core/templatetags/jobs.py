"""How a background job's progress and result read on a page (``core/_job.html``).

A job's runner returns plain keys (``{"periods": 1, "stored": 40}``); these are their names
as users read them, translated, and the steps a runner reports by a plain word.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import template
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

register = template.Library()

RESULT_LABELS: dict[str, str | Promise] = {
    # analytics: computing a period
    "periods": _("Periods computed"),
    "stored": _("Figures stored"),
    # quality: a run of the logic checks
    "persons": _("Persons checked"),
    "findings": _("Findings"),
    "persons_with_error": _("Persons with an error"),
    "seconds": _("Seconds taken"),
    # benefits: a cycle's computation
    "cycle": _("Benefit cycle"),
    "eligible": _("Eligible"),
    "not_eligible": _("Not eligible"),
    "undecided": _("Undecided"),
    # exchange and reports
    "import": _("Roster import"),
    "created": _("Rows staged"),
    "refused": _("Rows refused"),
    "files": _("Files"),
    # exchange: rows by linkage outcome
    "matched": _("Matched"),
    "conflicts": _("Matched with conflicts"),
    "possible": _("Possible match"),
    "missing": _("Missing from the register"),
    # benefits: a fact file
    "fact_import": _("Fact import"),
    "rows": _("Rows"),
    "recorded": _("Recorded"),
    "unchanged": _("Already recorded"),
}
STEP_LABELS: dict[str, str | Promise] = {
    "snapshot": _("taking in new events and computing"),
    "read": _("reading the register"),
    "features": _("preparing the checks"),
    "rules": _("running the rules"),
    "store": _("storing the findings"),
    "read_file": _("reading the file"),
    "validate": _("checking the rows"),
    "save": _("saving"),
    "done": _("done"),
}


@register.filter
def job_result(result: Any) -> list[tuple[str, Any]]:
    """A job's result as (translated name, value) pairs; a list is shown by its length."""
    if not isinstance(result, dict):
        return []
    out = []
    for key, value in result.items():
        name = RESULT_LABELS.get(key)
        if name is None:
            continue  # an internal key with no name for users
        out.append((str(name), len(value) if isinstance(value, list | tuple) else value))
    return out


@register.filter
def job_step(step: str) -> str:
    """A runner's step in words (steps already in words are shown as they are)."""
    return str(STEP_LABELS.get(step, step))


@register.simple_tag(takes_context=True)
def job_refresh(context: dict[str, Any], refresh: Any = False) -> bool:
    """Whether the page asked for its content to be swapped in again when the job ends: by
    including the partial ``with refresh=True``, or, in a poll's answer, by ``?refresh=1``."""
    request: HttpRequest | None = context.get("request")
    return bool(refresh) or (request is not None and request.GET.get("refresh") == "1")


@register.simple_tag(takes_context=True)
def job_page(context: dict[str, Any]) -> str:
    """The path of the page that polls this job (htmx tells it), when the poll is answered
    by the job-status view; "" otherwise. Only the path and query of the page's own site."""
    request: HttpRequest | None = context.get("request")
    if request is None or getattr(request.resolver_match, "url_name", "") != "job_status":
        return ""
    current = request.headers.get("hx-current-url", "")
    if not current:
        return ""
    parts = urlsplit(current)
    if parts.netloc and parts.netloc != request.get_host():
        return ""
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


@register.simple_tag(takes_context=True)
def job_restartable(context: dict[str, Any], job: Any) -> bool:
    """Whether the page's user may start this failed job again (and nobody did yet)."""
    from renkou.core.views_jobs import job_may_restart

    request: HttpRequest | None = context.get("request")
    if request is None or job.status != "failed" or job.retries.exists():
        return False
    return job_may_restart(request.user, job)
