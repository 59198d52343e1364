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
from renkou.core.scoping import may, restrict, units_for
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
from renkou.registry.forms import FORMS, KINDS, ChangeForm, RejectForm, kind_label
from renkou.registry.models import Event, Person
from renkou.registry.validation import EventRefused
from renkou.web.lists import paginate


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
    return _file_change(request, kind, form)


def _file_change(
    request: HttpRequest, kind: str, form: ChangeForm, replaces: Event | None = None
) -> HttpResponse:
    """Check or submit a bound change form (a new report, or the correction of a rejected
    one), else show it again with its problems."""
    checked = False
    findings: list[dict[str, str]] = []
    again = {"replaces": replaces} if replaces is not None else {}
    if request.method == "POST" and form.is_valid():
        zh = request.LANGUAGE_CODE.startswith("zh")
        ref = f"web:{form.cleaned_data['token']}"
        try:
            if "check" in request.POST:
                with transaction.atomic():
                    trial = change_submit(kind, form.cleaned_data, request.user, ref=ref, **again)
                    findings = finding_messages(getattr(trial, "findings", []))
                    raise CheckOnly
            event = change_submit(kind, form.cleaned_data, request.user, ref=ref, **again)
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
            "kind_label": kind_label(kind),
            "checked": checked and not form.errors,
            "findings": findings,
            "picked": picked,
            "replaces": replaces,
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
    """Reporters see what they filed and its outcome; reviewers see the queue per village.

    Fifty a page, newest first; the village counts are the totals the pager shows."""
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
    total = sum(v["n"] for v in by_village if not village or v["orgunit_id"] == village)
    ordered = qs.select_related("person", "orgunit", "reporter").order_by("-created_at", "-id")
    page = paginate(request, ordered, total=total)
    events = page.rows
    reviewable = units_for(user, "review") if pending else []
    for e in events:
        e.reviewable = any(e.orgunit_id.startswith(p) for p in reviewable)
    return render(
        request,
        "registry/change_list.html",
        {
            "events": events,
            "page": page,
            "pending": pending,
            "village": village,
            "by_village": by_village,
            "kinds": [(k, kind_label(k)) for k in KINDS],
            "can_report": bool(reporting_villages(user)),
            "can_bulk": any(e.reviewable for e in events),
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
    may_resubmit = (
        event.status == EventStatus.REJECTED
        and event.reporter_id == request.user.pk
        and event.kind in KINDS
        and may(request.user, "report", event.orgunit_id)
    )
    rejected = event.status == EventStatus.REJECTED
    replaced_by = Event.objects.filter(replaces=event).first() if rejected else None
    return render(
        request,
        "registry/change_detail.html",
        {
            "event": event,
            "can_review": can_review,
            "reject_form": RejectForm(),
            "findings": findings,
            "has_warnings": any(f["severity"] == "warning" for f in findings),
            "pending": pending,
            "chosen": _chosen(event, request.user),
            "versions": _versions(event),
            "replaced_by": replaced_by,
            "may_resubmit": may_resubmit and replaced_by is None,
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


def _initial_from(event: Event) -> dict[str, Any]:
    """A change form's initial data from an earlier (rejected) report of the same kind.

    The identity number of a birth is not put back: it is kept only encrypted and shown
    masked, so the reporter enters it again.
    """
    payload = event.payload or {}
    # ISO, as a date input wants it (a date would be shown in the local format)
    initial: dict[str, Any] = {
        "village": event.orgunit_id,
        "effective_date": event.effective_date.isoformat(),
    }
    if report_kind(event) == "arrival":
        # the identity number and the phone are kept only masked: entered again
        state = payload.get("state", {})
        initial |= {
            k: state.get(k, "")
            for k in ("name", "sex", "birth_date", "hukou_region", "hukou_type", "ethnicity")
        }
        initial["marital_status"] = state.get("marital_status", "")
        if event.person is not None:
            initial |= {"name": event.person.name, "sex": event.person.sex}
            initial["birth_date"] = event.person.birth_date.isoformat()
            initial["hukou_region"] = event.person.hukou_region
        return initial
    if event.kind == EventKind.BIRTH:
        state = payload.get("state", {})
        initial |= {
            "name": state.get("name", ""),
            "sex": state.get("sex", ""),
            "mother": state.get("mother_id"),
            "father": state.get("father_id"),
        }
    elif event.person is not None:
        initial["person"] = f"{event.person.pk}@{event.person.version}"
    if "to_orgunit" in payload or "to_region" in payload:
        initial["destination"] = payload.get("to_orgunit") or payload.get("to_region")
    if payload.get("spouse_id"):
        initial["spouse"] = payload["spouse_id"]
    if event.kind == EventKind.CORRECTION and payload.get("set"):
        field, value = next(iter(payload["set"].items()))
        initial |= {"field": field, "value": value, "reason": payload.get("reason", "")}
    return initial


@login_required
def change_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter corrects a rejected report and submits it again (a new version that
    points at the rejected one; both stay in the history)."""
    earlier = _event_for(request.user, pk)
    if earlier.reporter_id != request.user.pk or earlier.kind not in KINDS:
        raise PermissionDenied
    if earlier.status != EventStatus.REJECTED:
        raise Http404
    later = Event.objects.filter(replaces=earlier).first()
    if later is not None:
        messages.info(request, _("This report was already submitted again."))
        return redirect("change_detail", pk=later.pk)
    villages = reporting_villages(request.user)
    if earlier.orgunit_id not in {code for code, _label in villages}:
        raise PermissionDenied
    kind = report_kind(earlier)
    form = FORMS[kind](request.POST or None, villages=villages, initial=_initial_from(earlier))
    return _file_change(request, kind, form, replaces=earlier)


def report_kind(event: Event) -> str:
    """The kind of report an event was filed as: an arrival from outside is a move-in."""
    payload = event.payload or {}
    if event.kind == EventKind.MOVE_IN and ("state" in payload or payload.get("arrival")):
        return "arrival"
    return event.kind


def _versions(event: Event) -> list[Event]:
    """The earlier versions of a resubmitted report, latest first (each one rejected)."""
    chain = []
    current = event
    while current.replaces_id is not None and len(chain) < 50:
        current = Event.objects.select_related("reviewed_by").get(pk=current.replaces_id)
        chain.append(current)
    return chain


def _chosen(event: Event, user: Any) -> list[tuple[str, Any]]:
    """What the reporter chose beyond the form's plain fields, as (label, value) pairs: the
    parents of a birth and the spouse (with masked numbers), the destination of a move,
    the field, old and new value of a correction."""
    from renkou.core.regions import region_name
    from renkou.orgunits.models import OrgUnit

    payload = event.payload or {}
    state = payload.get("state", {})
    shown: list[tuple[str, Any]] = []
    people = {
        _("Mother"): state.get("mother_id"),
        _("Father"): state.get("father_id"),
        _("Spouse"): payload.get("spouse_id"),
    }
    for label, pid in people.items():
        if pid:
            person = visible_person(user, int(pid))
            shown.append((label, person if person is not None else _("(outside your area)")))
    if payload.get("to_orgunit"):
        unit = OrgUnit.objects.filter(code=payload["to_orgunit"]).first()
        name = unit.name if unit else ""
        shown.append((_("Moved to"), f"{name} {payload['to_orgunit']}".strip()))
    elif payload.get("to_region"):
        name = region_name(payload["to_region"]) or ""
        shown.append((_("Moved to"), f"{name} {payload['to_region']}".strip()))
    return shown


def _field_label(field: str) -> str:
    """A person field's name in the page's language."""
    name = field.removesuffix("_id")
    try:
        return str(Person._meta.get_field(name).verbose_name)
    except Exception:
        return field


BULK_MOST = 200


@login_required
@require_POST
def change_bulk(request: HttpRequest) -> HttpResponse:
    """Apply or reject several selected changes at once.

    Each change is decided on its own by the same service as on its page (checked,
    audited, in its own transaction): one refused does not hold up the others. A
    rejection's reason and the warnings' reason are given once for all.
    """
    if not units_for(request.user, "review"):
        raise PermissionDenied
    ids = [int(x) for x in request.POST.getlist("event") if x.isdigit()][:BULK_MOST]
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "").strip()
    warnings_reason = request.POST.get("warnings_reason", "").strip()
    if not ids or decision not in ("apply", "reject"):
        messages.error(request, _("Choose the changes and whether to apply or reject them."))
        return redirect("change_list")
    if decision == "reject" and not reason:
        messages.error(request, _("Give the reason for rejecting them."))
        return redirect("change_list")
    zh = request.LANGUAGE_CODE.startswith("zh")
    user = request.user
    found = {
        e.pk: e
        for e in restrict(
            Event.objects.select_related("person", "orgunit").filter(pk__in=ids), user
        ).exclude(kind="enrol")
    }
    decided: list[Event] = []
    refused: list[tuple[Any, list[str]]] = []
    for pk in dict.fromkeys(ids):
        event = found.get(pk)
        if event is None or not may(user, "review", event.orgunit_id):
            refused.append((pk, [_("You may not review this change.")]))
            continue
        try:
            if decision == "apply":
                event = services.event_apply(
                    event=event, actor=user, warnings_reason=warnings_reason
                )
            else:
                event = services.event_reject(event=event, actor=user, reason=reason)
        except EventRefused as no:
            refused.append((event, [p.message_zh if zh else p.message_en for p in no.problems]))
        else:
            decided.append(event)
    return render(
        request,
        "registry/change_bulk_result.html",
        {"decision": decision, "decided": decided, "refused": refused},
    )
