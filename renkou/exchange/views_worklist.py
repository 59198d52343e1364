"""The worklist of an import: rows by outcome with their evidence, and the actions on them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core.scoping import may, restrict
from renkou.exchange import labels
from renkou.exchange import worklist as actions
from renkou.exchange import worklist_bulk as bulk
from renkou.exchange.evidence import evidence_lines, month_only_text
from renkou.exchange.kinds import KINDS
from renkou.exchange.models import Decision, Outcome, RosterImport, RosterRow
from renkou.exchange.views import _import_for, zh
from renkou.registry.models import Person
from renkou.registry.validation import EventRefused
from renkou.web.lists import (
    Column,
    bulk_messages,
    export_requested,
    list_export,
    paginate,
    selected_ids,
)

PAGE = 50
# What the worklist shows unless asked otherwise: the rows a person has to look at.
NEEDS_A_LOOK = (Outcome.CONFLICTS, Outcome.POSSIBLE, Outcome.MISSING)


def _value_text(row: RosterRow, name: str) -> str:
    """A roster value as the worklist shows it: sex in words, a month-only date as the
    month the roster gave (not the 1st it is stored as)."""
    value = row.values.get(name, "")
    if name == "sex":
        return str(labels.SEXES.get(value, value))
    if value and row.values.get(f"{name}_month_only"):
        return month_only_text(str(value))
    return str(value)


def _shown_values(row: RosterRow) -> list[tuple[str, str]]:
    return [
        (labels.column_label(name), _value_text(row, name))
        for name in row.values
        if not name.endswith("_month_only")  # a flag, said with the date itself
    ]


def _shown(field: str, value: str) -> str:
    return str(labels.SEXES.get(value, value)) if field == "sex" else value


def _worklist_rows(imp: RosterImport, outcome: str, state: str) -> Any:
    """The import's rows with ``outcome`` (default: those that need a look) in ``state``
    (open, decided, all), by row number."""
    qs = imp.rows.select_related("person", "decided_by", "event")
    if outcome in Outcome.values:
        qs = qs.filter(outcome=outcome)
    else:
        qs = qs.filter(outcome__in=NEEDS_A_LOOK)
    if state == "open":
        qs = qs.filter(decision="")
    elif state == "decided":
        qs = qs.exclude(decision="")
    return qs.order_by("row_number")


def _worklist_export(request: HttpRequest, imp: RosterImport, qs: Any, filters: Any) -> Any:
    kind = KINDS.get(imp.kind)
    names = [c.name for c in kind.columns] if kind else []
    outcomes, decisions = dict(Outcome.choices), dict(Decision.choices)

    def value(name: str) -> Any:
        return lambda row: _value_text(row, name)

    columns = [
        Column(_("Row"), lambda r: r.row_number, width=8),
        Column(_("Outcome"), lambda r: outcomes.get(r.outcome, r.outcome)),
        Column(
            _("Match probability"),
            lambda r: round(r.probability * 100, 1) if r.probability is not None else "",
        ),
        *(
            Column(
                labels.column_label(name),
                value(name),
                id_number=name == "id_number" or name.endswith("_id"),
            )
            for name in names
        ),
        Column(_("In the register"), lambda r: r.person.name if r.person else ""),
        Column(_("Decision"), lambda r: decisions.get(r.decision, r.decision)),
        Column(_("Decided by"), lambda r: r.decided_by.username if r.decided_by else ""),
        Column(_("Reason"), lambda r: r.decision_reason, width=30),
    ]
    return list_export(
        request,
        name="worklist",
        rows=qs.iterator(chunk_size=2000),
        columns=columns,
        filters={"import": imp.pk, **filters},
    )


@login_required
def worklist_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Rows of an import filtered by outcome and by open/decided, 50 a page with numbered
    pages, with evidence; the filtered list as xlsx; several rows dismissed at once."""
    imp = _import_for(request.user, pk)
    outcome = request.GET.get("outcome", "")
    state = request.GET.get("state", "open")
    qs = _worklist_rows(imp, outcome, state)
    if outcome not in Outcome.values:
        outcome = ""
    if export_requested(request):
        return _worklist_export(request, imp, qs, {"outcome": outcome, "state": state})
    page = paginate(request, qs, per_page=PAGE)
    rows = page.rows
    can_act = may(request.user, "review", imp.orgunit_id)
    visible = set(
        restrict(Person.objects.all(), request.user)
        .filter(pk__in={r.person_id for r in rows if r.person_id})
        .values_list("pk", flat=True)
    )
    for row in rows:
        row.roster_import = imp
        row.shown = _shown_values(row)
        # the month-only dates from the row itself: rows linked before the exact pass
        # noted them are told right too
        month_only = frozenset(
            name.removesuffix("_month_only")
            for name, flag in row.values.items()
            if name.endswith("_month_only") and flag
        )
        row.lines = evidence_lines(row.evidence or {}, imp.kind, month_only)
        row.percent = round(row.probability * 100, 1) if row.probability is not None else None
        row.person_visible = row.person_id in visible
        row.can_act = can_act and not row.decision
        row.missing_event = actions.offered_event(row) if row.can_act else ""
        row.correctable = [
            (f, labels.column_label(f), _shown(f, ours), _shown(f, theirs))
            for f, ours, theirs in (
                actions.correctable_fields(row, row.person)
                if row.can_act and row.person_visible
                else []
            )
        ]
    return render(
        request,
        "exchange/worklist.html",
        {
            "imp": imp,
            "rows": rows,
            "page": page,
            "can_bulk": any(r.can_act for r in rows),
            "outcome": outcome,
            "state": state,
            "outcomes": [(c, label) for c, label in Outcome.choices if c != Outcome.PENDING],
            "zh": zh(request),
        },
    )


@login_required
@require_POST
def worklist_dismiss_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Dismiss the ticked rows of an import with one reason; says how many were dismissed
    and which were refused and why."""
    imp = _import_for(request.user, pk)
    if not may(request.user, "review", imp.orgunit_id):
        raise PermissionDenied
    result = bulk.worklist_dismiss_bulk(
        user=request.user,
        roster_import=imp,
        row_ids=selected_ids(request),
        reason=request.POST.get("reason", ""),
    )
    bulk_messages(request, result)
    back = request.POST.get("next", "")
    if not back.startswith("/exchange/"):
        back = reverse("exchange_worklist", args=[imp.pk])
    return redirect(back)


def _row_for_action(user: Any, pk: int) -> RosterRow:
    row = (
        restrict(RosterRow.objects.select_related("roster_import", "person"), user)
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404
    if not may(user, "review", row.roster_import.orgunit_id):
        raise PermissionDenied
    return row


def _person_visible(user: Any, person_id: int | None) -> bool:
    return bool(person_id) and restrict(Person.objects.filter(pk=person_id), user).exists()


@login_required
@require_POST
def worklist_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Confirm, report the missing event, correct the register, or dismiss one row."""
    row = _row_for_action(request.user, pk)
    user = request.user
    back = request.POST.get("next", "")
    if not back.startswith("/exchange/"):
        back = reverse("exchange_worklist", args=[row.roster_import_id])
    try:
        if action == "confirm":
            actions.worklist_confirm(row=row, actor=user)
            messages.success(request, _("Confirmed."))
        elif action == "dismiss":
            actions.worklist_dismiss(row=row, actor=user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Dismissed."))
        elif action == "report":
            subject = row.person_id or (row.evidence or {}).get("mother")
            if not _person_visible(user, subject):
                raise PermissionDenied
            row = actions.worklist_report_event(row=row, actor=user)
            messages.success(request, _("The change is reported; apply it here after checking it."))
            return redirect("change_detail", pk=row.event_id)
        elif action == "correct":
            if not _person_visible(user, row.person_id):
                raise PermissionDenied
            actions.worklist_correct(row=row, actor=user, fields=request.POST.getlist("field"))
            messages.success(request, _("The register is corrected."))
        else:
            raise Http404
    except EventRefused as refused:
        for p in refused.problems:
            messages.error(request, p.message_zh if zh(request) else p.message_en)
    return redirect(back)
