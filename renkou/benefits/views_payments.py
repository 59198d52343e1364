"""Payment pages: write a payment file, download it (audited export), import the bank's
result (and, on a demo installation, a sample of such a result to try the import with)."""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.benefits import selectors
from renkou.benefits.payments import NothingToPay, batch_create, batch_file, batch_reconcile
from renkou.benefits.services import CycleError
from renkou.core.files import scratch_directory
from renkou.core.scoping import may
from renkou.registry.models import Person

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
MAX_RESULT_BYTES = 50 * 1024 * 1024


HELD_SHOWN = 20


def _held_message(
    text: str, missing: list[int], waiting: list[int], payee_of: dict[int, int]
) -> str:
    """Why nothing (or not everyone) was paid, with who is held: each payee linked to their
    benefits page, where the account is entered."""

    def payees(ids: list[int]) -> list[int]:
        return list(dict.fromkeys(payee_of.get(pid, pid) for pid in ids))

    shown = [*payees(missing)[:HELD_SHOWN], *payees(waiting)[:HELD_SHOWN]]
    names = dict(Person.objects.filter(pk__in=shown).values_list("pk", "name"))

    def who(ids: list[int], label: str) -> SafeString:
        if not ids:
            return mark_safe("")
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("benefits_person", args=[pid]), names.get(pid, pid))
                for pid in ids[:HELD_SHOWN]
            ),
        )
        more = _(" and %(n)s more") % {"n": len(ids) - HELD_SHOWN} if len(ids) > HELD_SHOWN else ""
        return format_html(" {} {}{}.", label, links, more)

    return format_html(
        "{}{}{}",
        text,
        who(payees(missing), _("Without a bank account:")),
        who(payees(waiting), _("Waiting for a corrected account (the last payment failed):")),
    )


@login_required
@require_POST
def batch_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Put every due and failed month of the cycle into a new payment file."""
    cycle = selectors.cycle_get(request.user, pk)
    if not may(request.user, "benefits", cycle.orgunit_id):
        raise PermissionDenied
    try:
        result = batch_create(cycle=cycle, path=None, actor=request.user)
    except NothingToPay as nothing:
        messages.error(
            request, _held_message(str(nothing), nothing.missing, nothing.waiting, nothing.payee_of)
        )
    except CycleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Payment file %(id)s: %(lines)s lines, %(total)s yuan;"
                " %(missing)s without a bank account."
            )
            % {
                "id": result.batch.pk,
                "lines": result.lines,
                "total": result.total,
                "missing": len(result.missing_account),
            },
        )
        if result.missing_account or result.waiting_account:
            messages.warning(
                request,
                _held_message(
                    _("Not in this file:"),
                    result.missing_account,
                    result.waiting_account,
                    result.payee_of,
                ),
            )
    return redirect("benefits_cycle", pk=cycle.pk)


@login_required
def batch_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The payment file with full identity numbers and accounts, as the bank needs it."""
    if fmt not in FORMATS:
        raise Http404
    batch = selectors.batch_get(request.user, pk)
    if not may(request.user, "benefits", batch.cycle.orgunit_id):
        raise PermissionDenied
    data = batch_file(batch=batch, suffix=f".{fmt}", actor=request.user)
    response = HttpResponse(data, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="payments-{batch.pk}.{fmt}"'
    return response


@login_required
@require_POST
def batch_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the bank's result for a payment file: paid, or failed with the bank's reason."""
    batch = selectors.batch_get(request.user, pk)
    if not may(request.user, "benefits", batch.cycle.orgunit_id):
        raise PermissionDenied
    upload = request.FILES.get("result")
    name = Path(upload.name or "").name if upload else ""
    if upload is None or Path(name).suffix.lower() not in (".xlsx", ".csv"):
        messages.error(request, _("Choose the bank's result file (xlsx or csv)."))
    elif upload.size > MAX_RESULT_BYTES:
        messages.error(request, _("%(file)s is larger than 50 MB.") % {"file": name})
    else:
        # the bank's result names persons: kept in the data directory's private scratch,
        # owner-only, and removed when read (never the system temp folder)
        with scratch_directory("renkou-result-") as tmp:
            path = tmp / name
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                counts = batch_reconcile(batch=batch, path=path, actor=request.user)
            except CycleError as exc:
                messages.error(request, _("Nothing was imported: %(reason)s") % {"reason": exc})
            else:
                messages.success(
                    request,
                    _("Payment file %(id)s: %(paid)s paid, %(failed)s failed.")
                    % {"id": batch.pk, **counts},
                )
    return redirect("benefits_cycle", pk=batch.cycle_id)


@login_required
def batch_result_sample(request: HttpRequest, pk: int) -> HttpResponse:
    """On a demo installation only: the result a bank might send back for this payment
    file (references and statuses, no personal data), every 25th line failed, so that a
    reconciliation can be tried before a real bank's file comes."""
    from renkou.benefits.fact_files import demo_installation, result_sample_xlsx

    batch = selectors.batch_get(request.user, pk)
    if not may(request.user, "benefits", batch.cycle.orgunit_id) or not demo_installation():
        raise PermissionDenied
    response = HttpResponse(result_sample_xlsx(batch), content_type=FORMATS["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="bank-result-{batch.pk}.xlsx"'
    return response
