"""Staff pages for system and county administrators: users and their roles, one-time
passwords, second factors, deactivation. Every change goes through ``renkou.core.staff``."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from renkou.core import staff
from renkou.core.accounts import user_language_set
from renkou.core.audit import ACTION_LABELS, audit_record
from renkou.core.cells import workbook, write_row
from renkou.core.models import AuditLog, Role, RoleAssignment
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q

PAGE = 50
STATES = {"active": True, "deactivated": False}


def _actor(request: HttpRequest) -> Any:
    if not staff.may_staff(request.user):
        raise PermissionDenied
    return request.user


def _unit_choices(actor: Any) -> list[tuple[str, str]]:
    indent = "\u3000"  # a full-width space per level below the county
    return [
        (u.code, f"{indent * (u.level - 3)}{u.name} {u.code}")
        for u in staff.staff_units(actor).only("code", "name", "level")
    ]


def _role_choices(actor: Any) -> list[tuple[str, Any]]:
    grantable = staff.staff_grantable(actor)
    return [(value, label) for value, label in Role.choices if value in grantable]


class RoleAtUnitForm(forms.Form):
    """A role and the unit it is held at, from what the actor may give."""

    role = forms.ChoiceField(label=gettext_lazy("Role"))
    unit = forms.ChoiceField(label=gettext_lazy("Org unit"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(actor)
        self.fields["unit"].choices = _unit_choices(actor)


class StaffCreateForm(RoleAtUnitForm):
    """A new user: name, first role, and (optionally) their language for the pages."""

    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    language = forms.ChoiceField(label=gettext_lazy("Language of the pages"), required=False)
    field_order = ["username", "role", "unit", "language"]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["language"].choices = [("", "—"), *settings.LANGUAGES]
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "autofocus": True})


def _filtered(request: HttpRequest, actor: Any) -> tuple[QuerySet[Any], dict[str, str]]:
    """The users the actor sees, narrowed by the list's filters (unit, role, state)."""
    params = {k: request.GET.get(k, "").strip() for k in ("unit", "role", "state")}
    users = staff.staff_users(actor)
    held = RoleAssignment.objects.all()
    if params["unit"]:
        held = held.filter(code_prefix_q("orgunit_id", params["unit"]))
    if params["role"] in Role.values:
        held = held.filter(role=params["role"])
    if params["unit"] or params["role"] in Role.values:
        users = users.filter(pk__in=held.values("user_id"))
    if params["state"] in STATES:
        users = users.filter(is_active=STATES[params["state"]])
    roles = RoleAssignment.objects.select_related("orgunit").order_by("orgunit_id", "role")
    users = (
        users.select_related("profile")
        .prefetch_related(Prefetch("role_assignments", queryset=roles))
        .order_by("username")
    )
    return users, params


def _demo(user: Any) -> bool:
    profile = getattr(user, "profile", None)
    return bool(profile and profile.demo)


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """The users list: roles and units, last sign-in, state; filters; 50 a page."""
    actor = _actor(request)
    users, params = _filtered(request, actor)
    page = Paginator(users, PAGE).get_page(request.GET.get("page"))
    for user in page.object_list:
        user.demo = _demo(user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/staff_list.html",
        {
            **params,
            "page": page,
            "query": query.urlencode(),
            "roles": Role.choices,
            "units": _unit_choices(actor),
        },
    )


@login_required
def staff_export(request: HttpRequest) -> HttpResponse:
    """The filtered users list as xlsx (audited)."""
    actor = _actor(request)
    users, params = _filtered(request, actor)
    out = io.BytesIO()
    book = workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("Staff"))
    header = [_("User name"), _("Roles"), _("Last sign-in"), _("State"), _("Demo user")]
    write_row(sheet, 0, 0, header, book.add_format({"bold": True}))
    rows = 0
    for rows, user in enumerate(users, start=1):
        held = "; ".join(
            f"{a.get_role_display()} {a.orgunit.name} {a.orgunit_id}"
            for a in user.role_assignments.all()
        )
        last = (
            timezone.localtime(user.last_login).strftime("%Y-%m-%d %H:%M")
            if user.last_login
            else ""
        )
        state = _("active") if user.is_active else _("deactivated")
        cells = [user.get_username(), held, last, state, _("yes") if _demo(user) else ""]
        write_row(sheet, rows, 0, cells)
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 60)
    sheet.set_column(2, 4, 16)
    sheet.freeze_panes(1, 0)
    book.close()
    audit_record(
        actor=actor,
        action="staff.export",
        object_type="user",
        after={"rows": rows, "format": "xlsx", **{k: v for k, v in params.items() if v}},
    )
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="staff.xlsx"'
    return response


def _once(response: HttpResponse) -> HttpResponse:
    """A page holding a one-time password: kept by no cache, so it is seen only now."""
    response["Cache-Control"] = "no-store"
    return response


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    """Create a user with a role at a unit; the result page shows the one-time password."""
    actor = _actor(request)
    form = StaffCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # the user, their role and their language, or nothing
                user, password = staff.staff_create(
                    username=data["username"], role=data["role"], code=data["unit"], actor=actor
                )
                if data["language"]:
                    user_language_set(user=user, language=data["language"], actor=actor)
        except staff.StaffRefused as exc:
            form.add_error(None, str(exc))
        else:
            return _once(
                render(
                    request,
                    "core/staff_password.html",
                    {"person": user, "password": password, "created": True},
                )
            )
    return render(request, "core/staff_create.html", {"form": form})


def _user_for(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(staff.staff_users(_actor(request)), pk=pk)


@login_required
def staff_user(request: HttpRequest, pk: int) -> HttpResponse:
    """One user: roles, state, what may be done to them, and their recent history."""
    person = _user_for(request, pk)
    actor = request.user
    roles = list(
        RoleAssignment.objects.filter(user=person).select_related("orgunit").order_by("orgunit_id")
    )
    held_units = list(dict.fromkeys((a.orgunit_id, a.orgunit.name) for a in roles))
    history = list(
        AuditLog.objects.filter(object_type="user", object_id=str(person.pk)).order_by("-id")[:20]
    )
    for row in history:
        row.label = ACTION_LABELS.get(row.action, row.action)  # type: ignore[attr-defined]
    return render(
        request,
        "core/staff_user.html",
        {
            "person": person,
            "demo": _demo(person),
            "roles": roles,
            "held_units": held_units,
            "manages": staff.may_manage(actor, person),
            "myself": person.pk == actor.pk,
            "form": RoleAtUnitForm(actor=actor),
            "units": _unit_choices(actor),
            "history": history,
        },
    )


def _done(request: HttpRequest, pk: int, change: Callable[[], Any], message: str) -> HttpResponse:
    """Run a change; its refusal becomes the page's error message and changes nothing."""
    try:
        change()
    except staff.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("staff_user", pk=pk)


def _confirm(
    request: HttpRequest, person: Any, question: str, button: str, **hidden: str
) -> HttpResponse:
    return render(
        request,
        "core/staff_confirm.html",
        {"person": person, "question": question, "button": button, "hidden": hidden},
    )


@login_required
@require_POST
def staff_role_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the user another role at a unit."""
    person = _user_for(request, pk)
    form = RoleAtUnitForm(request.POST, actor=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose a role and a unit from the lists."))
        return redirect("staff_user", pk=pk)
    data = form.cleaned_data
    return _done(
        request,
        pk,
        lambda: staff.staff_role_add(
            user=person, role=data["role"], code=data["unit"], actor=request.user
        ),
        _("Role given."),
    )


@login_required
def staff_role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a role away (asks first)."""
    person = _user_for(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    role, code = source.get("role", ""), source.get("unit", "")
    if request.method != "POST":
        label = Role(role).label if role in Role.values else role
        unit = OrgUnit.objects.filter(code=code).first()
        question = _("Take the role %(role)s at %(unit)s away from %(name)s?") % {
            "role": label,
            "unit": f"{unit.name} {code}" if unit else code,
            "name": person.get_username(),
        }
        return _confirm(request, person, question, _("Take the role away"), role=role, unit=code)
    return _done(
        request,
        pk,
        lambda: staff.staff_role_revoke(user=person, role=role, code=code, actor=request.user),
        _("Role taken away."),
    )


@login_required
@require_POST
def staff_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the user's roles at one unit to another unit."""
    person = _user_for(request, pk)
    code_from, code_to = request.POST.get("from", ""), request.POST.get("to", "")
    return _done(
        request,
        pk,
        lambda: staff.staff_move(
            user=person, code_from=code_from, code_to=code_to, actor=request.user
        ),
        _("Moved."),
    )


@login_required
def staff_password(request: HttpRequest, pk: int) -> HttpResponse:
    """A new one-time password (asks first; shown once on the result page)."""
    person = _user_for(request, pk)
    if request.method != "POST":
        question = _(
            "Give %(name)s a new one-time password? The present password stops working."
        ) % {"name": person.get_username()}
        return _confirm(request, person, question, _("Reset the password"))
    try:
        password = staff.staff_password_reset(user=person, actor=request.user)
    except staff.StaffRefused as exc:
        messages.error(request, str(exc))
        return redirect("staff_user", pk=pk)
    return _once(
        render(request, "core/staff_password.html", {"person": person, "password": password})
    )


@login_required
def staff_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    """Forget the user's authenticator app (asks first); they link one at the next sign-in."""
    person = _user_for(request, pk)
    if request.method != "POST":
        question = _(
            "Forget the authenticator app of %(name)s? They link a new one at the next sign-in."
        ) % {"name": person.get_username()}
        return _confirm(request, person, question, _("Reset the second factor"))
    return _done(
        request,
        pk,
        lambda: staff.staff_second_factor_reset(user=person, actor=request.user),
        _("The second factor has been reset."),
    )


@login_required
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate the user (asks first): no sign-in, no API token; the history stays."""
    person = _user_for(request, pk)
    if request.method != "POST":
        question = _(
            "Deactivate %(name)s? They can no longer sign in or use API tokens; what they "
            "did stays in the records."
        ) % {"name": person.get_username()}
        return _confirm(request, person, question, _("Deactivate"))
    return _done(
        request,
        pk,
        lambda: staff.staff_set_active(user=person, active=False, actor=request.user),
        _("Deactivated."),
    )


@login_required
@require_POST
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a deactivated user sign in again."""
    person = _user_for(request, pk)
    return _done(
        request,
        pk,
        lambda: staff.staff_set_active(user=person, active=True, actor=request.user),
        _("Reactivated."),
    )
