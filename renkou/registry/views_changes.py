"""Change reports: villages file changes on a phone; townships review, apply or reject them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.core.problems import Problem
from renkou.core.scoping import may, restrict
from renkou.quality import services as quality_services
from renkou.quality.checks import event_findings
from renkou.quality.rules import BY_CODE
from renkou.registry import selectors, services
from renkou.registry.changes import (
    FIELD_OF_COLUMN,
    change_prefill,
    change_submit,
    reporting_villages,
    visible_person,
)
from renkou.registry.choices import EventKind, EventStatus
from renkou.registry.forms import FORMS, KINDS, ChangeForm, RejectForm
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused


class CheckOnly(Exception):
    """Raised to roll back a trial submission made only to show its problems."""


def _show_problems(form: ChangeForm, problems: list[Problem], lang_zh: bool) -> None:
    for p in problems:
        message = p.message_zh if lang_zh else p.message_en
        field = FIELD_OF_COLUMN.get(p.column)
        form.add_error(field if field in form.fields else None, message)


@login_required
def change_new(request: HttpRequest, kind: str) -> HttpResponse:
    """File one change; "check" shows its problems without filing it."""
    if kind not in KINDS:
        raise Http404
    villages = reporting_villages(request.user)
    if not villages:
        raise PermissionDenied
    form_class = FORMS[kind]
    form = form_class(request.POST or None, villages=villages)
    if not form.is_bound:
        # Opened from a quality finding or a person page: the person (and for a correction
        # the field and the village) already chosen.
        change_prefill(form, request.user, request.GET)
    checked = False
    findings: list[dict[str, str]] = []
    if request.method == "POST" and form.is_valid():
        zh = request.LANGUAGE_CODE.startswith("zh")
        ref = f"web:{form.cleaned_data['token']}"
        try:
            if "check" in request.POST:
                with transaction.atomic():
                    trial = change_submit(kind, form.cleaned_data, request.user, ref=ref)
                    findings = finding_messages(getattr(trial, "findings", []))
                    raise CheckOnly
            event = change_submit(kind, form.cleaned_data, request.user, ref=ref)
        except CheckOnly:
            checked = True
        except EventRefused as refused:
            _show_problems(form, refused.problems, zh)
        else:
            messages.success(request, _("Reported. The township will review it."))
            return redirect("change_detail", pk=event.pk)
    # The people already chosen, shown again (checked) when the form comes back.
    picked = {}
    for name in ("person", "mother", "father", "spouse"):
        raw = str(form[name].value() or "") if name in form.fields else ""
        pk = raw.split("@")[0]
        person = visible_person(request.user, int(pk)) if pk.isdigit() else None
        picked[name] = (person, raw) if person else None
    return render(
        request,
        "registry/change_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": EventKind(kind).label,
            "checked": checked and not form.errors,
            "findings": findings,
            "picked": picked,
        },
    )


@login_required
def person_pick(request: HttpRequest) -> HttpResponse:
    """Search results to choose a person for a form field (htmx partial)."""
    from renkou.registry.selectors import person_search

    field = request.GET.get("field", "person")
    q = request.GET.get(f"{field}_q", "").strip()
    results: list[Person] = []
    if q:
        qs = person_search(user=request.user, q=q)
        if field == "mother":
            qs = qs.filter(sex="F")
        elif field == "father":
            qs = qs.filter(sex="M")
        results = list(qs.filter(status="alive")[:10])
    return render(
        request, "registry/_person_pick.html", {"field": field, "results": results, "q": q}
    )


@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    """Reporters see what they filed and its outcome; reviewers see the queue per village."""
    user = request.user
    pending = request.GET.get("status", "pending") != "decided"
    village = request.GET.get("village", "")
    qs = restrict(Event.objects.exclude(kind="enrol").filter(historic=False), user)
    qs = selectors.changes_pending(qs) if pending else selectors.changes_decided(qs)
    by_village = list(
        qs.values("orgunit_id", "orgunit__name").annotate(n=Count("id")).order_by("orgunit_id")
    )
    if village:
        qs = qs.filter(orgunit_id=village)
    events = list(qs.select_related("person", "orgunit", "reporter").order_by("-created_at")[:200])
    return render(
        request,
        "registry/change_list.html",
        {
            "events": events,
            "pending": pending,
            "village": village,
            "by_village": by_village,
            "kinds": [(k, EventKind(k).label) for k in KINDS],
            "can_report": bool(reporting_villages(user)),
        },
    )


def _event_for(user: Any, pk: int) -> Event:
    event = (
        restrict(Event.objects.select_related("person", "orgunit", "reporter"), user)
        .filter(pk=pk)
        .first()
    )
    if event is None or event.kind == "enrol":
        raise Http404
    return event


@login_required
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One reported change, with apply and reject for a reviewer."""
    event = _event_for(request.user, pk)
    can_review = may(request.user, "review", event.orgunit_id) and event.status in (
        EventStatus.SUBMITTED,
        EventStatus.REVIEWED,
    )
    pending = event.status in (EventStatus.SUBMITTED, EventStatus.REVIEWED)
    findings = finding_messages(event_findings(event)) if pending else []
    return render(
        request,
        "registry/change_detail.html",
        {
            "event": event,
            "can_review": can_review,
            "reject_form": RejectForm(),
            "findings": findings,
            "has_warnings": any(f["severity"] == "warning" for f in findings),
        },
    )


def finding_messages(hits: list[Any]) -> list[dict[str, str]]:
    """Quality findings of a change, in the user's language, errors first."""
    zh = (get_language() or "zh-hans").startswith("zh")
    shown = []
    for hit in sorted(hits, key=lambda h: (h.severity != "error", h.rule)):
        rule = BY_CODE[hit.rule]
        shown.append(
            {
                "rule": hit.rule,
                "severity": hit.severity,
                "message": rule.message(hit.values, "zh" if zh else "en"),
            }
        )
    return shown


@login_required
@require_POST
def change_confirm_finding(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer confirms that a rule wrongly flags this change, with a reason."""
    event = _event_for(request.user, pk)
    if not may(request.user, "review", event.orgunit_id):
        raise PermissionDenied
    subject = {"event": event} if event.person_id is None else {"person": event.person}
    try:
        quality_services.finding_confirm(
            rule=request.POST.get("rule", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,
            **subject,
        )
    except EventRefused:
        messages.error(request, _("Give the reason why the record is correct."))
    else:
        messages.success(request, _("Confirmed: this rule no longer flags this change."))
    return redirect("change_detail", pk=pk)


@login_required
@require_POST
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply or reject a reported change."""
    event = _event_for(request.user, pk)
    if not may(request.user, "review", event.orgunit_id):
        raise PermissionDenied
    zh = request.LANGUAGE_CODE.startswith("zh")
    try:
        if request.POST.get("decision") == "apply":
            services.event_apply(
                event=event,
                actor=request.user,
                warnings_reason=request.POST.get("warnings_reason", "").strip(),
            )
            messages.success(request, _("Applied to the register."))
        else:
            form = RejectForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the reason for rejecting it."))
                return redirect("change_detail", pk=pk)
            services.event_reject(
                event=event, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Sent back to the reporter."))
    except EventRefused as refused:
        for p in refused.problems:
            messages.error(request, p.message_zh if zh else p.message_en)
    return redirect("change_detail", pk=pk)
